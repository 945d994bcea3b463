# Datagrams that leave the session (Import-Clixml, jobs, remoting's depth-1 serialization, CSV,
# JSON) keep their meaning, and every column of every view reads the same as for the live object.
BeforeAll {
    Import-Module PSUdp
    Import-Module "$PSScriptRoot/PSUdpTestUtilities.psm1" -Force

    # Received IPv4 and IPv6 datagrams and a sent one: every shape the view has to show.
    $job = Receive-UdpDatagram -Port 0 -Count 2 -AsJob
    Send-UdpDatagram 127.0.0.1 $job.LocalPort "line one`twith a tab"
    Send-UdpDatagram ::1 $job.LocalPort -Hex '00 01 02 41'
    $Live = @(
        @($job | Wait-Job -Timeout 10 | Receive-Job | Sort-Object { $_.RemoteAddress.AddressFamily })
        Send-UdpDatagram 127.0.0.1 (Get-ClosedUdpPort) -Message 'sent one' -PassThru
    )
    $job | Remove-Job -Force

    # The views of PSUdp.UdpDatagram, by name, from the module's own format file.
    $formatFile = Join-Path (Split-Path (Get-Module PSUdp).Path) 'PSUdp.Format.ps1xml'
    $AllViews = @(([xml](Get-Content -Raw $formatFile)).Configuration.ViewDefinitions.View)
    $Views = @($AllViews | Where-Object { $_.ViewSelectedBy.TypeName -contains 'PSUdp.UdpDatagram' } | ForEach-Object Name)

    # A live object of every type the format file has a view for, as the cmdlets make them.
    $sink = New-TestPeer
    $echo = Start-UdpEcho -Port 0 -LocalAddress 127.0.0.1 -AsJob
    $Samples = @{
        'PSUdp.UdpDatagram'     = $Live
        'PSUdp.UdpSendSummary'  = @(Send-UdpDatagram -ComputerName 127.0.0.1 -Port $sink.LocalEndPoint.Port -Message 'load' -RepeatCount 3 -PassThru)
        'PSUdp.UdpProbeResult'  = @(
            Test-UdpConnection -ComputerName 127.0.0.1 -Port $echo.LocalPort -Probe Echo
            Test-UdpConnection -ComputerName 127.0.0.1 -Port (Get-ClosedUdpPort) -Probe Echo -TimeoutSeconds 1
        )
        'PSUdp.UdpProbeSummary' = @(Test-UdpConnection -ComputerName 127.0.0.1 -Port $echo.LocalPort -Probe Echo -Count 3 -IntervalSeconds 0.05)
        # On loopback the destination is the first hop: one hop with the echo's reply, one with the closed port's ICMP error.
        'PSUdp.UdpTraceHop'     = @(
            Test-UdpConnection -ComputerName 127.0.0.1 -Port $echo.LocalPort -Probe Echo -Traceroute -MaxHops 2 -TimeoutSeconds 1
            Test-UdpConnection -ComputerName 127.0.0.1 -Port (Get-ClosedUdpPort) -Traceroute -MaxHops 2 -TimeoutSeconds 1
        )
    }
    # A relay in front of the echo, one round trip and one datagram lost on purpose, each with what was done to it.
    $relay = Start-UdpRelay -Port 0 -ComputerName 127.0.0.1 -RemotePort $echo.LocalPort -LossPercent 50 -Direction ToTarget -Seed 1 -PassThru -AsJob
    1..4 | ForEach-Object { Send-UdpDatagram 127.0.0.1 $relay.LocalPort "relayed $_" -WaitForReply -TimeoutSeconds 0.3 -ErrorAction Ignore }
    $relay | Stop-Job
    $relayed = @(Receive-Job $relay)
    $relay | Remove-Job -Force
    $Samples['PSUdp.UdpDatagram#Relayed'] = @($relayed | Where-Object { $_.PSObject.TypeNames[0] -eq 'PSUdp.UdpDatagram#Relayed' })
    $Samples['PSUdp.UdpRelaySummary'] = @($relayed | Where-Object { $_ -is [PSUdp.UdpRelaySummary] })
    $echo | Remove-Job -Force
    $sink.Dispose()

    function Show-Table($Objects, [string] $View) { ($Objects | Format-Table -View $View | Out-String -Width 250).TrimEnd() }

    # The cells of a rendered table, per row: each column starts where its header's dashes start.
    function Get-TableCell([string] $Table) {
        $lines = @($Table -split "`r?`n" | Where-Object { $_.Trim() })
        $dashes = $lines[1]
        $starts = @([regex]::Matches($dashes, '-+') | ForEach-Object Index) + [int]::MaxValue
        foreach ($line in $lines[2..($lines.Count - 1)]) {
            , @(for ($c = 0; $c -lt $starts.Count - 1; $c++) {
                    $end = [Math]::Min($line.Length, $starts[$c + 1])
                    if ($starts[$c] -lt $end) { $line.Substring($starts[$c], $end - $starts[$c]).Trim() } else { '' }
                })
        }
    }

    # What remoting does to an object: PowerShell's serializer at depth 1, and back.
    function ConvertTo-Remoted($Objects) {
        foreach ($o in $Objects) {
            [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($o, 1))
        }
    }

    function Invoke-InCulture([string] $Name, [scriptblock] $Script) {
        $saved = [cultureinfo]::CurrentCulture
        try { [cultureinfo]::CurrentCulture = $Name; & $Script }
        finally { [cultureinfo]::CurrentCulture = $saved }
    }
}

Describe 'Datagrams that travel' {
    It 'the format file has a view of PSUdp.UdpDatagram' {
        $Views.Count | Should -BeGreaterThan 0
        $Live.Count | Should -Be 3
    }

    It 'every column of view <_> is filled for live datagrams' -ForEach @(
        # -ForEach needs its data at discovery; the view names are read again from the file here.
        'PSUdp.UdpDatagram'
    ) {
        $_ | Should -BeIn $Views
        foreach ($row in Get-TableCell (Show-Table $Live $_)) {
            $row | Where-Object { $_ -eq '' } | Should -BeNullOrEmpty
        }
    }

    Context 'round trips' {
        BeforeAll {
            $xml = Join-Path $TestDrive 'datagrams.xml'
            $Live | Export-Clixml $xml
            $Shapes = [ordered]@{
                'Import-Clixml'          = @(Import-Clixml $xml)
                'remoting serialization' = @(ConvertTo-Remoted $Live)
            }

            # An out-of-process job returns what its child pwsh serialized, as remoting does.
            $modulePath = (Get-Module PSUdp).Path
            $port = Get-ClosedUdpPort
            $child = Start-Job -ArgumentList $modulePath, $port -ScriptBlock {
                param($Module, $Port)
                Import-Module $Module
                Send-UdpDatagram 127.0.0.1 $Port -Message 'from a job' -PassThru
            }
            $FromJob = @($child | Wait-Job -Timeout 60 | Receive-Job)
            $child | Remove-Job -Force
        }

        It 'after <_> every column of every view reads as for the live datagrams' -ForEach 'Import-Clixml', 'remoting serialization' {
            $back = $Shapes[$_]
            $back.Count | Should -Be $Live.Count
            $back[0].pstypenames[0] | Should -Be 'Deserialized.PSUdp.UdpDatagram'
            foreach ($view in $Views) {
                Show-Table $back $view | Should -BeExactly (Show-Table $Live $view)
            }
        }

        It 'after <_> the properties keep their values, the time to the 100 ns' -ForEach 'Import-Clixml', 'remoting serialization' {
            $back = $Shapes[$_]
            for ($i = 0; $i -lt $Live.Count; $i++) {
                [DateTimeOffset]::Parse($back[$i].TimestampText, [cultureinfo]::InvariantCulture) | Should -Be $Live[$i].Timestamp
                "$($back[$i].RemoteAddress)" | Should -Be "$($Live[$i].RemoteAddress)"
                $back[$i].RemotePort | Should -Be $Live[$i].RemotePort
                [PSUdp.DatagramDirection]$back[$i].Direction | Should -Be $Live[$i].Direction
                [byte[]]$back[$i].Payload | Should -Be ([byte[]]$Live[$i].Payload)
                $back[$i].Hex | Should -BeExactly $Live[$i].Hex
            }
        }

        It 'every view of the format file has a sample object here, and a full table' {
            foreach ($view in $AllViews) {
                $type = @($view.ViewSelectedBy.TypeName)[0]
                $Samples.ContainsKey($type) | Should -BeTrue -Because "view $($view.Name) needs a sample object in ObjectsThatTravel.Tests.ps1"
                $Samples[$type].Count | Should -BeGreaterThan 0 -Because "the cmdlets made a $type"
            }
        }

        It 'after <_> every column of every view of every type reads as for the live objects' -ForEach 'Import-Clixml', 'remoting serialization' {
            foreach ($view in $AllViews) {
                $type = @($view.ViewSelectedBy.TypeName)[0]
                $live = @($Samples[$type])
                $xml = Join-Path $TestDrive "$type.xml"
                $live | Export-Clixml $xml
                $back = if ($_ -eq 'Import-Clixml') { @(Import-Clixml $xml) } else { @(ConvertTo-Remoted $live) }
                $back[0].pstypenames[0] | Should -Be "Deserialized.$type"
                Show-Table $back $view.Name | Should -BeExactly (Show-Table $live $view.Name) -Because "view $($view.Name) after $_"
            }
        }

        It 'Receive-Job of an out-of-process job: the type name and every column' {
            $FromJob.Count | Should -Be 1
            $FromJob[0].pstypenames[0] | Should -Be 'Deserialized.PSUdp.UdpDatagram'
            $FromJob[0].Timestamp | Should -BeOfType [string]   # what remoting does to a DateTimeOffset
            foreach ($view in $Views) {
                $row = @(Get-TableCell (Show-Table $FromJob $view))[0]
                $row | Where-Object { $_ -eq '' } | Should -BeNullOrEmpty
                $row[0] | Should -Match '^\d\d:\d\d:\d\d\.\d{3}$'
                $row[1] | Should -Be 'Out'
                $row[-1] | Should -Be 'from a job'
            }
        }

        It 'Receive-Job of a listener job: live datagrams and the same view' {
            $job = Receive-UdpDatagram -Port 0 -Count 1 -AsJob
            try {
                Send-UdpDatagram 127.0.0.1 $job.LocalPort 'via the job'
                $got = @($job | Wait-Job -Timeout 10 | Receive-Job)
                $got.Count | Should -Be 1
                foreach ($view in $Views) {
                    $row = @(Get-TableCell (Show-Table $got $view))[0]
                    $row | Where-Object { $_ -eq '' } | Should -BeNullOrEmpty
                    Show-Table (ConvertTo-Remoted $got) $view | Should -BeExactly (Show-Table $got $view)
                }
            }
            finally { $job | Remove-Job -Force }
        }
    }

    Context 'JSON' {
        BeforeAll {
            $json = Join-Path $TestDrive 'datagrams.json'
            $Live | Export-UdpDatagram -Path $json
            $text = Get-Content -Raw $json
            $objects = @($text | ConvertFrom-Json -DateKind String)
        }

        It 'Export-UdpDatagram writes one object per datagram: addresses as text, enums as names' {
            $objects.Count | Should -Be $Live.Count
            for ($i = 0; $i -lt $Live.Count; $i++) {
                $objects[$i].RemoteAddress | Should -BeOfType [string]
                $objects[$i].RemoteAddress | Should -BeExactly "$($Live[$i].RemoteAddress)"
                $objects[$i].LocalAddress | Should -BeExactly "$($Live[$i].LocalAddress)"
                $objects[$i].RemotePort | Should -Be $Live[$i].RemotePort
                $objects[$i].Direction | Should -BeExactly "$($Live[$i].Direction)"
                $objects[$i].Truncated | Should -BeFalse
                $objects[$i].Text | Should -BeExactly $Live[$i].Text
            }
        }

        It 'times in ISO 8601 with the sub-second part, to the 100 ns' {
            for ($i = 0; $i -lt $Live.Count; $i++) {
                $objects[$i].Timestamp | Should -Match '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}[+-]\d\d:\d\d$'
                [DateTimeOffset]::Parse($objects[$i].Timestamp, [cultureinfo]::InvariantCulture) | Should -Be $Live[$i].Timestamp
            }
        }

        It 'the payload once, as Hex' {
            $objects[0].PSObject.Properties.Name | Should -Not -Contain 'Payload'
            $objects[0].PSObject.Properties.Name | Should -Not -Contain 'TimestampText'
            for ($i = 0; $i -lt $Live.Count; $i++) { $objects[$i].Hex | Should -BeExactly $Live[$i].Hex }
            ([regex]::Matches($text, '"Hex"')).Count | Should -Be $Live.Count
        }

        It 'deserialized datagrams and -Append give the same objects in one array' {
            $both = Join-Path $TestDrive 'both.json'
            ConvertTo-Remoted $Live | Export-UdpDatagram -Path $both
            $Live | Export-UdpDatagram -Path $both -Append
            $back = @(Get-Content -Raw $both | ConvertFrom-Json -DateKind String)
            $back.Count | Should -Be (2 * $Live.Count)
            # All but InterfaceName, which a live datagram reads from the interface index of its host.
            ($back | Select-Object * -ExcludeProperty InterfaceName | ConvertTo-Json -Compress) |
                Should -BeExactly (@($objects + $objects) | Select-Object * -ExcludeProperty InterfaceName | ConvertTo-Json -Compress)
            $back[0].InterfaceName | Should -BeNullOrEmpty
        }

        It 'why not ConvertTo-Json: it writes each address as an object and the payload twice' {
            $plain = $Live[0] | ConvertTo-Json | ConvertFrom-Json
            $plain.RemoteAddress | Should -Not -BeOfType [string]
            $plain.Payload.Count | Should -Be $Live[0].Length
        }
    }

    Context 'CSV' {
        It 'a file written under <Writer> is read back under <Reader> to the 100 ns' -ForEach @(
            @{ Writer = 'de-DE'; Reader = 'en-US' }
            @{ Writer = 'en-US'; Reader = 'de-DE' }
        ) {
            $csv = Join-Path $TestDrive "datagrams-$Writer.csv"
            Invoke-InCulture $Writer { $Live | Export-Csv $csv }
            (Get-Content -Raw $csv) | Should -Not -Match 'System\.Byte\[\]'
            $rows = @(Invoke-InCulture $Reader { Import-Csv $csv })
            $rows.Count | Should -Be $Live.Count
            for ($i = 0; $i -lt $Live.Count; $i++) {
                $parsed = Invoke-InCulture $Reader { [DateTimeOffset]::Parse($rows[$i].TimestampText) }
                $parsed | Should -Be $Live[$i].Timestamp
                $parsed.UtcTicks % 10 | Should -Be ($Live[$i].Timestamp.UtcTicks % 10)
                $rows[$i].RemoteAddress | Should -BeExactly "$($Live[$i].RemoteAddress)"
                $rows[$i].Direction | Should -BeExactly "$($Live[$i].Direction)"
                $rows[$i].Hex | Should -BeExactly $Live[$i].Hex
            }
        }

        It "Receive-UdpDatagram's help recipe writes a CSV without the culture's Timestamp column" {
            $csv = Join-Path $TestDrive 'recipe.csv'
            Invoke-InCulture 'de-DE' { $Live | Select-Object -Property * -ExcludeProperty Timestamp | Export-Csv $csv }
            $rows = @(Invoke-InCulture 'en-US' { Import-Csv $csv })
            $rows[0].PSObject.Properties.Name | Should -Not -Contain 'Timestamp'
            $rows[0].PSObject.Properties.Name | Should -Not -Contain 'Payload'
            [DateTimeOffset]::Parse($rows[2].TimestampText) | Should -Be $Live[2].Timestamp
        }

        It 'the Timestamp column alone is why: Export-Csv writes it in the culture, to the second' {
            # Export-Csv calls each value's ToString(), so a DateTimeOffset comes out as the current
            # culture's general pattern; TimestampText is the column to read times from.
            $text = Invoke-InCulture 'de-DE' { $Live[0] | ConvertTo-Csv }
            $text[1] | Should -Match ('^"' + [regex]::Escape($Live[0].Timestamp.ToString('dd.MM.yyyy HH:mm:ss')))
        }
    }
}
