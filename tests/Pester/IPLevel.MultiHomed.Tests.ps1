# An echo bound to the wildcard on a multi-homed host answers each datagram from the
# address it was sent to. Host a of a test broadcast domain gets a second address on eth0 and a
# second interface (eth1, on the same bridge) with a third address; host b is the client.

BeforeDiscovery {
    Import-Module "$PSScriptRoot/TestHosts.psm1" -Force
    $support = Test-CanCreateNetworkNamespace
    $skip = -not $support.CanCreate
}

BeforeAll {
    Import-Module "$PSScriptRoot/TestHosts.psm1" -Force
    Import-Module "$PSScriptRoot/PSUdpTestUtilities.psm1" -Force
    $pwsh = Get-PwshCommand
    function Invoke-PwshIn([string] $Namespace, [string] $Script) {
        $arguments = @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-Command', "Import-Module PSUdp; $Script")
        Invoke-TestProcess -FilePath $pwsh[0] -ArgumentList $arguments -Namespace $Namespace -TimeoutSeconds 60
    }
}

Describe 'A multi-homed echo answers from each address' -Skip:$skip {
    BeforeAll {
        $domain = New-TestBroadcastDomain -HostCount 2
        $a = $domain.GetHost('a')
        $b = $domain.GetHost('b')
        $null = & ip -n $a.Namespace addr add 198.51.100.21/24 dev eth0
        $null = & ip -n $domain.BridgeNamespace link add va1 type veth peer name eth1 netns $a.Namespace
        $null = & ip -n $domain.BridgeNamespace link set va1 master br0 up
        $null = & ip -n $a.Namespace addr add 198.51.100.31/24 dev eth1
        $null = & ip -n $a.Namespace link set eth1 up
        $addresses = @(& ip -n $a.Namespace -4 -o addr show | ForEach-Object { if ("$_" -match 'inet (198\.51\.100\.\d+)/') { $Matches[1] } })
        $arguments = @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-Command',
            'Import-Module PSUdp; $j = Start-UdpEcho -Port 0 -AsJob; "LISTENING $($j.LocalPort)"; $null = $j | Wait-Job -Timeout 120')
        $echo = Start-TestProcess -FilePath $pwsh[0] -ArgumentList $arguments -Namespace $a.Namespace
        $port = Wait-TestPeerListening $echo -TimeoutSeconds 30
    }
    AfterAll {
        Stop-TestProcess $echo -Kill
        Remove-TestBroadcastDomain $domain
    }

    It 'host a has the three addresses, two on eth0 and one on eth1' {
        $addresses | Should -Contain '198.51.100.11'
        $addresses | Should -Contain '198.51.100.21'
        $addresses | Should -Contain '198.51.100.31'
    }

    It 'a connected python client on b gets the answer from <_>' -ForEach '198.51.100.11', '198.51.100.21', '198.51.100.31' {
        $result = Invoke-TestPeer udp_echo_client @($_, $port, '--text', 'hello', '--timeout', '5') -TestHost $b
        $line = @($result.Output)[0]
        $line | Should -BeLike "REPLY $_ $port *" -Because ($result.Output + $result.Error -join "`n")
    }

    It 'Send-UdpDatagram -WaitForReply on b gets the answer from <_>' -ForEach '198.51.100.11', '198.51.100.21', '198.51.100.31' {
        $result = Invoke-PwshIn $b.Namespace "`$r = Send-UdpDatagram -ComputerName $_ -Port $port -Message hello -WaitForReply -TimeoutSeconds 5; 'GOT {0} {1}' -f `$r.RemoteAddress, `$r.Text"
        $result.Output | Should -Contain "GOT $_ hello" -Because ($result.Output + $result.Error -join "`n")
    }

    It 'a broadcast from b is answered from the unicast address of each interface it arrived on' {
        $result = Invoke-PwshIn $b.Namespace "Send-UdpBroadcast -Port $port -BroadcastAddress 198.51.100.255 -Message hello -WaitForReply -TimeoutSeconds 8 | ForEach-Object { 'GOT {0} {1}' -f `$_.RemoteAddress, `$_.Text }"
        $from = @($result.Output | Where-Object { $_ -like 'GOT *' } | ForEach-Object { ($_ -split ' ')[1] } | Sort-Object -Unique)
        $from.Count | Should -BeGreaterThan 0 -Because ($result.Output + $result.Error -join "`n")
        $from | ForEach-Object { $_ | Should -BeIn @('198.51.100.11', '198.51.100.21', '198.51.100.31') }
    }
}
