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
}

BeforeAll {
    Import-Module "$PSScriptRoot/TestHosts.psm1" -Force
    Import-Module "$PSScriptRoot/TestRemoting.psm1" -Force
    Import-Module "$PSScriptRoot/PSUdpTestUtilities.psm1" -Force
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
            $result = Get-Content -Raw $resultPath | ConvertFrom-Json -DateKind String
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

    It "the console shows them with PSUdp's table view, every column filled" {
        Write-Host ($result.Table -join "`n")
        $rows = @(ConvertFrom-TableText $result.Table)
        $rows.Count | Should -Be 4
        foreach ($label in 'Time', 'Dir', 'Remote', 'Local', 'Length', 'Text', 'PSComputerName') { $rows[0].Keys | Should -Contain $label }
        foreach ($row in $rows) {
            foreach ($label in @($row.Keys)) { $row[$label] | Should -Not -BeNullOrEmpty -Because "column $label of '$(($row.Values) -join ' | ')'" }
            $row.Dir | Should -Be 'In'
            $row.Remote | Should -Match "^$([regex]::Escape($address.a)):\d+$"
            $row.PSComputerName | Should -BeIn 'b', 'c'
        }
        @($rows | ForEach-Object { "$($_.Local) $($_.Text)" }) |
            Should -Be @("$($address.b):5140 hello", "$($address.b):5140 world", "$($address.c):5140 hello", "$($address.c):5140 world")
    }

    It "the view's Time column shows each remote datagram's time to the millisecond" {
        # Over SSH a Timestamp comes back as text in the sender's culture, to the second; the
        # datagram's TimestampText (ISO 8601) keeps the rest.
        $result.Received.TimestampType | Sort-Object -Unique | Should -Be 'System.String'
        $rows = @(ConvertFrom-TableText $result.Table) + @(ConvertFrom-TableText $result.EchoTable)
        $rows.Count | Should -Be 6
        $rows.Time | ForEach-Object { $_ | Should -Match '^\d\d:\d\d:\d\d\.\d{3}$' }
        $times = @($result.Received + $result.Echoed | ForEach-Object { [DateTimeOffset]::Parse($_.TimestampText, [cultureinfo]::InvariantCulture) })
        @($rows.Time | Sort-Object) | Should -Be @($times | ForEach-Object { $_.ToString('HH:mm:ss.fff') } | Sort-Object)
        $times | ForEach-Object { $_.ToString('HH:mm:ss') | Should -BeIn @($result.Received + $result.Echoed | ForEach-Object { ([DateTimeOffset]::Parse($_.Timestamp, [cultureinfo]::InvariantCulture)).ToString('HH:mm:ss') }) }
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
            foreach ($label in @($row.Keys)) { $row[$label] | Should -Not -BeNullOrEmpty -Because "column $label of '$(($row.Values) -join ' | ')'" }
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
