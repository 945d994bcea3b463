# PSUdp across hosts with PowerShell's own remoting over SSH: hosts a, b, c in network namespaces,
# each running Debian's sshd with a powershell subsystem and PSUdp installed from the built
# package, driven from a controller console in a fourth namespace (d) on the same bridge. The
# scenario itself is RemotingScenario.ps1, the example of about_PSUdp.
BeforeDiscovery {
    Import-Module "$PSScriptRoot/TestHosts.psm1" -Force
    Import-Module "$PSScriptRoot/TestRemoting.psm1" -Force
    $support = Test-CanRunTestSshHost
    $reason = $support.Reason
    if (-not $reason -and -not (Get-ChildItem (Join-Path (Split-Path (Split-Path $PSScriptRoot)) 'output') -Filter 'PSUdp.*.nupkg' -ErrorAction Ignore)) {
        $reason = 'no output/PSUdp.<version>.nupkg (build.ps1 -Task Package makes it; -Task Test runs it first)'
    }
    $skipNote = if ($reason) { " [skipped: $reason]" } else { '' }
    # The view calls ToString('HH:mm:ss.fff') on Timestamp, which comes back over SSH as text:
    # the Time column is empty until issue 15's view fix for deserialized datagrams lands.
    $timeViewPending = $true
    $timeNote = if ($timeViewPending) { ' [skipped: the Time column is empty for deserialized datagrams until the view fix of issue 15 lands]' } else { '' }
}

BeforeAll {
    Import-Module "$PSScriptRoot/TestHosts.psm1" -Force
    Import-Module "$PSScriptRoot/TestRemoting.psm1" -Force

    # The cells of a table that Format-Table wrote: one hashtable per row, keyed by column label,
    # cut at the columns of the dashes line under the header.
    function ConvertFrom-TableText([string[]] $Lines) {
        $lines = @($Lines | Where-Object { $_.Trim() })
        $dashes = [array]::FindIndex([string[]] $lines, [Predicate[string]] { param($l) $l -match '^[\s-]+$' -and $l -match '-' })
        if ($dashes -lt 1) { throw "No table header in:`n$($Lines -join "`n")" }
        $spans = [regex]::Matches($lines[$dashes], '-+') | ForEach-Object { [pscustomobject]@{ Start = $_.Index; Length = $_.Length } }
        $cut = { param($line, $i)
            $start = $spans[$i].Start
            if ($start -ge $line.Length) { return '' }
            $end = if ($i -eq $spans.Count - 1) { $line.Length } else { [Math]::Min($line.Length, $spans[$i + 1].Start) }
            $line.Substring($start, $end - $start).Trim()
        }
        $labels = for ($i = 0; $i -lt $spans.Count; $i++) { & $cut $lines[$dashes - 1] $i }
        foreach ($line in $lines | Select-Object -Skip ($dashes + 1)) {
            $row = [ordered]@{}
            for ($i = 0; $i -lt $spans.Count; $i++) { $row[$labels[$i]] = & $cut $line $i }
            $row
        }
    }
}

Describe "PSUdp on three hosts through Invoke-Command over SSH$skipNote" -Skip:([bool] $reason) {
    BeforeAll {
        $domain = New-TestBroadcastDomain -Prefix ('rm' + (Get-Random -Minimum 1000 -Maximum 9999)) -HostCount 4
        $lab = $null
        try {
            $lab = New-TestSshLab -Domain $domain -Path $TestDrive -HostName a, b, c -ControllerName d -Port 2222
            $package = Get-ChildItem (Join-Path (Split-Path (Split-Path $PSScriptRoot)) 'output') -Filter 'PSUdp.*.nupkg' | Select-Object -First 1
            $version = $package.BaseName -replace '^PSUdp\.', ''
            $repository = (New-Item -ItemType Directory (Join-Path $TestDrive 'repository')).FullName
            Copy-Item $package.FullName $repository
            $resultPath = Join-Path $TestDrive 'result.json'
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $run = Invoke-TestController -Lab $lab -FilePath "$PSScriptRoot/RemotingScenario.ps1" -TimeoutSeconds 150 -ArgumentList @(
                '-Repository', $repository, '-KeyFilePath', $lab.ClientKey, '-KnownHostsFile', $lab.KnownHosts,
                '-Port', $lab.Port, '-ResultPath', $resultPath)
            $seconds = $clock.Elapsed.TotalSeconds
            if ($run.ExitCode -ne 0 -or -not (Test-Path $resultPath)) {
                throw "The controller script failed (exit $($run.ExitCode)$(if ($run.TimedOut) { ', timed out' })):`n$(($run.Output + $run.Error) -join "`n")"
            }
            $result = Get-Content -Raw $resultPath | ConvertFrom-Json
            Write-Host "Controller: $([Math]::Round($seconds, 1)) s in all; steps at $(($result.Timings.PSObject.Properties | ForEach-Object { "$($_.Name) $($_.Value) s" }) -join ', ')"
        }
        catch {
            Remove-TestSshLab $lab
            Remove-TestBroadcastDomain $domain
            throw
        }
        $address = @{}
        $domain.Hosts | ForEach-Object { $address[$_.Name] = $_.Address }
    }
    AfterAll {
        Remove-TestSshLab $lab
        Remove-TestBroadcastDomain $domain
    }

    It 'installs PSUdp from the package on a, b and c, each in its own user module folder' {
        $result.Installed.Count | Should -Be 3
        foreach ($h in $lab.Hosts) {
            $entry = @($result.Installed | Where-Object Host -EQ $h.Name)
            $entry.Count | Should -Be 1
            $entry[0].Name | Should -Be 'PSUdp'
            $entry[0].Version | Should -Be $version
            $entry[0].InstalledLocation | Should -BeLike "$($h.Home)/*"
        }
    }

    It 'a receiver job on b and c listens on port 5140' {
        @($result.Listening | Sort-Object Host | ForEach-Object Host) | Should -Be @('b', 'c')
        $result.Listening.Location | ForEach-Object { $_ | Should -Match ':5140$' }
        $result.Listening.State | Sort-Object -Unique | Should -Be 'Running'
    }

    It 'a sends two datagrams to each of b and c, and they come back to the console as Deserialized.PSUdp.UdpDatagram' {
        $result.Sent.Count | Should -Be 4
        $result.Sent.TypeName | Sort-Object -Unique | Should -Be 'Deserialized.PSUdp.UdpDatagram'
        $result.Sent.Host | Sort-Object -Unique | Should -Be 'a'
        $result.Sent.Direction | Sort-Object -Unique | Should -Be 'Sent'
        @($result.Sent | ForEach-Object { "$($_.RemoteAddress):$($_.RemotePort) $($_.Text)" } | Sort-Object) |
            Should -Be @("$($address.b):5140 hello", "$($address.b):5140 world", "$($address.c):5140 hello", "$($address.c):5140 world")
    }

    It 'b and c each received both, from a, deserialized with their type name' {
        $result.Received.Count | Should -Be 4
        $result.Received.TypeName | Sort-Object -Unique | Should -Be 'Deserialized.PSUdp.UdpDatagram'
        foreach ($name in 'b', 'c') {
            $got = @($result.Received | Where-Object Host -EQ $name)
            @($got.Text | Sort-Object) | Should -Be @('hello', 'world')
            $got.Direction | Sort-Object -Unique | Should -Be 'Received'
            $got.RemoteAddress | Sort-Object -Unique | Should -Be $address.a
            $got.LocalAddress | Sort-Object -Unique | Should -Be $address[$name]
            $got.LocalPort | Sort-Object -Unique | Should -Be 5140
            $got | ForEach-Object Length | Sort-Object -Unique | Should -Be 5
        }
    }

    It "the console shows them with PSUdp's table view: Dir, Remote, Local, Length, Text and PSComputerName filled" {
        Write-Host ($result.Table -join "`n")
        $rows = @(ConvertFrom-TableText $result.Table)
        $rows.Count | Should -Be 4
        foreach ($label in 'Time', 'Dir', 'Remote', 'Local', 'Length', 'Text', 'PSComputerName') { $rows[0].Keys | Should -Contain $label }
        foreach ($row in $rows) {
            foreach ($label in @($row.Keys) -ne 'Time') { $row[$label] | Should -Not -BeNullOrEmpty -Because "column $label of '$(($row.Values) -join ' | ')'" }
            $row.Dir | Should -Be 'In'
            $row.Remote | Should -Match "^$([regex]::Escape($address.a)):\d+$"
            $row.PSComputerName | Should -BeIn 'b', 'c'
        }
        @($rows | ForEach-Object { "$($_.Local) $($_.Text)" }) |
            Should -Be @("$($address.b):5140 hello", "$($address.b):5140 world", "$($address.c):5140 hello", "$($address.c):5140 world")
    }

    It "the view's Time column shows each remote datagram's time to the millisecond$timeNote" -Skip:$timeViewPending {
        $rows = @(ConvertFrom-TableText $result.Table) + @(ConvertFrom-TableText $result.EchoTable)
        $rows.Count | Should -Be 6
        $rows.Time | ForEach-Object { $_ | Should -Match '^\d\d:\d\d:\d\d\.\d{3}$' }
        $seconds = @($result.Received + $result.Echoed | ForEach-Object { ([DateTimeOffset]::Parse($_.Timestamp, [cultureinfo]::InvariantCulture)).ToString('HH:mm:ss') })
        @($rows.Time | ForEach-Object { $_.Substring(0, 8) } | Sort-Object) | Should -Be @($seconds | Sort-Object)
        # Six datagrams that all arrived on a whole second would be a one in 10^18 chance: the
        # milliseconds were lost on the way (a time that came back as text without them).
        @($rows.Time | Where-Object { $_ -notlike '*.000' }).Count | Should -BeGreaterThan 0
    }

    It 'Invoke-Command -HostName b, c { Start-UdpEcho -Port 7 -Count 1 } answers a probe from a' {
        @($result.Replies | ForEach-Object { "$($_.RemoteAddress):$($_.RemotePort) $($_.Text)" }) |
            Should -Be @("$($address.b):7 probe b", "$($address.c):7 probe c")
        $result.Replies.Host | Sort-Object -Unique | Should -Be 'a'
        $result.Echoed.Count | Should -Be 2
        $result.Echoed.TypeName | Sort-Object -Unique | Should -Be 'Deserialized.PSUdp.UdpDatagram'
        @($result.Echoed | Sort-Object Host | ForEach-Object { "$($_.Host) $($_.RemoteAddress) $($_.LocalAddress):$($_.LocalPort) $($_.Text)" }) |
            Should -Be @("b $($address.a) $($address.b):7 probe b", "c $($address.a) $($address.c):7 probe c")
        $rows = @(ConvertFrom-TableText $result.EchoTable)
        $rows.Count | Should -Be 2
        foreach ($row in $rows) {
            foreach ($label in @($row.Keys) -ne 'Time') { $row[$label] | Should -Not -BeNullOrEmpty -Because "column $label of '$(($row.Values) -join ' | ')'" }
        }
    }

    It 'stops every sshd by its pid, and no sshd or pwsh is left in the hosts' {
        $sshd = @($lab.Hosts | ForEach-Object { [int] (Get-Content -Raw $_.PidFile).Trim() })
        $sshd | Should -Be @($lab.Hosts.Process.Id)
        Remove-TestSshLab $lab
        $lab.Hosts.Process | ForEach-Object { $_.HasExited | Should -BeTrue }
        foreach ($ns in $domain.Namespaces) {
            # A closed session's sshd and pwsh end on their own, a moment after the console closed it.
            $deadline = [DateTime]::UtcNow.AddSeconds(15)
            while (($left = @(& ip netns pids $ns 2>$null)) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
            $left | Should -BeNullOrEmpty -Because "namespace $ns should hold no process once the sessions are closed and sshd stopped ($(@($left | ForEach-Object { (Get-Content -Raw "/proc/$_/cmdline" -ErrorAction Ignore) -replace "`0", ' ' }) -join '; '))"
        }
    }
}

Describe 'the example of about_PSUdp' {
    It 'is what RemotingScenario.ps1 runs (less its timing lines)' {
        $script = Get-Content "$PSScriptRoot/RemotingScenario.ps1"
        $from = [array]::IndexOf($script, '#region the example in about_PSUdp')
        $to = [array]::IndexOf($script, '#endregion')
        $from | Should -BeGreaterThan 0
        $expected = @($script[($from + 1)..($to - 1)] | Where-Object { $_ -notmatch "^\s*Step '" })
        $about = Get-Content -Raw (Join-Path (Split-Path (Split-Path $PSScriptRoot)) 'docs/en-US/about_PSUdp.md')
        $about | Should -Match '(?s)## TESTING A NETWORK FROM ONE CONSOLE\n.*?```powershell\n(.*?)\n```'
        $example = [regex]::Match($about, '(?s)## TESTING A NETWORK FROM ONE CONSOLE\n.*?```powershell\n(.*?)\n```').Groups[1].Value -split '\n'
        $example | Should -Be $expected
    }
}
