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
    }

    AfterAll {
        Remove-TestBroadcastDomain $domain
    }

    It 'the namespace gives out only ports 40000 and 40001' {
        $range | Should -Be @('40000', '40001')
    }

    It 'calls a closed port in the range Closed every time, never Open by its own probe' {
        $script = 'Import-Module PSUdp; 1..12 | ForEach-Object { $r = Test-UdpConnection 127.0.0.1 -Port 40000 -ThrottleLimit 1; "VERDICT $($r.Verdict) $($r.Evidence)" }'
        $arguments = @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-Command', $script)
        $run = Invoke-TestProcess -FilePath $pwsh[0] -ArgumentList $arguments -Namespace $a.Namespace -TimeoutSeconds 120
        $verdicts = @($run.Output | Where-Object { "$_" -like 'VERDICT *' })
        $verdicts.Count | Should -Be 12 -Because ($run.Output + $run.Error -join "`n")
        $verdicts | Should -Not -Match 'Open' -Because ($verdicts -join "`n")
        @($verdicts | Where-Object { $_ -like 'VERDICT Closed *' }).Count | Should -Be 12 -Because ($verdicts -join "`n")
    }
}
