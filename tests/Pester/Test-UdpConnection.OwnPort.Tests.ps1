# A probe socket must never be the port it probes. The system picks the probe socket's port at
# random from the ephemeral range, so a sweep of that range on this host meets its own port about
# once (a sweep of all 65,535 loopback ports here called one port Open with "0-byte reply": its
# own probe). In a namespace of its own the range is narrowed to two ports, so each probe of one
# of them has an even chance of getting that very port from the system; twelve probes in a row
# all miss it by chance once in 4,096 runs.

BeforeDiscovery {
    Import-Module "$PSScriptRoot/TestHosts.psm1" -Force
    $support = Test-CanCreateNetworkNamespace
    $skip = -not $support.CanCreate
}

BeforeAll {
    Import-Module "$PSScriptRoot/TestHosts.psm1" -Force
    Import-Module "$PSScriptRoot/PSUdpTestUtilities.psm1" -Force
    $pwsh = Get-PwshCommand
}

Describe 'Test-UdpConnection on a host whose ephemeral range holds the port it probes' -Skip:$skip {
    BeforeAll {
        $domain = New-TestBroadcastDomain -HostCount 1
        $a = $domain.GetHost('a')
        $null = & ip netns exec $a.Namespace sysctl -qw 'net.ipv4.ip_local_port_range=40000 40001' 2>&1
        $range = (& ip netns exec $a.Namespace cat /proc/sys/net/ipv4/ip_local_port_range) -split '\s+' | Where-Object { $_ }

        # Runs a script in pwsh in the namespace: its lines that start with VERDICT, and everything it wrote when they are not $expected.
        function Invoke-Verdicts([string] $script, [int] $expected) {
            $arguments = @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-Command', $script)
            $run = Invoke-TestProcess -FilePath $pwsh[0] -ArgumentList $arguments -Namespace $a.Namespace -TimeoutSeconds 120
            $verdicts = @($run.Output | Where-Object { "$_" -like 'VERDICT *' })
            $verdicts.Count | Should -Be $expected -Because ($run.Output + $run.Error -join "`n")
            $verdicts
        }
    }

    AfterAll {
        Remove-TestBroadcastDomain $domain
    }

    It 'the namespace gives out only ports 40000 and 40001' {
        $range | Should -Be @('40000', '40001')
    }

    It 'calls a closed port in the range Closed every time, never Open by its own probe' {
        $verdicts = Invoke-Verdicts 'Import-Module PSUdp; 1..12 | ForEach-Object { $r = Test-UdpConnection 127.0.0.1 -Port 40000 -ThrottleLimit 1; "VERDICT $($r.Verdict) $($r.Evidence)" }' 12
        $verdicts | Should -Not -Match 'Open' -Because ($verdicts -join "`n")
        @($verdicts | Where-Object { $_ -like 'VERDICT Closed *' }).Count | Should -Be 12 -Because ($verdicts -join "`n")
    }

    It 'calls both ports of the range Closed in a sweep, whose shared socket holds one of them' {
        # The ports of one host share a socket, which the system gives 40000 or 40001: that port is
        # probed on a socket of its own once the shared one is closed, and gets the other port.
        $verdicts = Invoke-Verdicts 'Import-Module PSUdp; 1..12 | ForEach-Object { Test-UdpConnection 127.0.0.1 -Port 39999, 40000, 40001, 40002 | ForEach-Object { "VERDICT $($_.Port) $($_.Verdict) $($_.Attempts) $($_.Evidence)" } }' 48
        @($verdicts | Where-Object { $_ -like 'VERDICT * Closed 1 *' }).Count | Should -Be 48 -Because ($verdicts -join "`n")
    }
}
