# IP-level control on a routed network of the test's own namespaces: host A - router R - host B, with the
# R-B link at MTU 1280 (TestHosts.psm1, New-TestRoutedNetwork). PSUdp runs inside the namespaces
# as child pwsh processes; an independent python receiver reads the IP header facts too.

BeforeDiscovery {
    Import-Module "$PSScriptRoot/TestHosts.psm1" -Force
    $support = Test-CanCreateNetworkNamespace
    $skip = -not $support.CanCreate
    $why = $support.Reason
}

BeforeAll {
    Import-Module "$PSScriptRoot/TestHosts.psm1" -Force
    Import-Module "$PSScriptRoot/PSUdpTestUtilities.psm1" -Force
    $pwsh = Get-PwshCommand
    $python = Get-TestPython
    $ipReceiver = Get-TestPeerPath udp_ip_receiver

    # PSUdp in a namespace: a child pwsh (PSModulePath is inherited, so it imports the built module).
    function Invoke-PwshIn([string] $Namespace, [string] $Script, [double] $TimeoutSeconds = 60) {
        $arguments = @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-Command', "Import-Module PSUdp; $Script")
        Invoke-TestProcess -FilePath $pwsh[0] -ArgumentList $arguments -Namespace $Namespace -TimeoutSeconds $TimeoutSeconds
    }

    function Start-PwshIn([string] $Namespace, [string] $Script) {
        $arguments = @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-Command', "Import-Module PSUdp; $Script")
        Start-TestProcess -FilePath $pwsh[0] -ArgumentList $arguments -Namespace $Namespace
    }

    # A PSUdp receiver in a namespace that prints what the python receiver prints.
    $psudpReceiver = @'
$job = Receive-UdpDatagram -Port 0 -Count 1 -AsJob
"LISTENING $($job.LocalPort)"
$d = $job | Wait-Job -Timeout 30 | Receive-Job
if ($d) { 'RECV {0} {1} {2} {3:X2} {4} {5}' -f $d.RemoteAddress, $d.RemotePort, $d.TimeToLive, (($d.Dscp -shl 2) -bor $d.Ecn), $d.Length, $d.InterfaceName }
'DONE'
'@

    function Receive-Arrival([string] $Reader, [string] $Family, [string] $SendScript) {
        $receiver = if ($Reader -eq 'python') {
            $bindTo = if ($Family -eq 'IPv6') { '::' } else { '0.0.0.0' }
            Start-TestProcess -FilePath $python -ArgumentList @($ipReceiver, '--host', $bindTo, '--port', '0', '--count', '1', '--timeout', '30') -Namespace $net.B.Namespace
        }
        else { Start-PwshIn $net.B.Namespace $psudpReceiver }
        try {
            $port = Wait-TestPeerListening $receiver -TimeoutSeconds 30
            $target = if ($Family -eq 'IPv6') { $net.B.Address6 } else { $net.B.Address }
            $sent = Invoke-PwshIn $net.A.Namespace ($SendScript -f $target, $port)
            $sent.ExitCode | Should -Be 0 -Because ($sent.Error -join "`n")
            $line = Wait-TestProcessOutput $receiver '^RECV .*$' -TimeoutSeconds 30
            $fields = $line.Value -split ' '
            [pscustomobject]@{ Source = $fields[1]; TimeToLive = [int] $fields[3]; Tos = $fields[4]; Length = [int] $fields[5]; Interface = $fields[6] }
        }
        finally { Stop-TestProcess $receiver -Kill }
    }
}

Describe 'A routed network: A - R - B, R-B at MTU 1280' -Skip:$skip {
    BeforeAll { $net = New-TestRoutedNetwork }
    AfterAll { Remove-TestBroadcastDomain $net }

    It 'a TTL of 5 from A arrives at B as 4 (<Reader>, <Family>)' -ForEach @(
        @{ Reader = 'python'; Family = 'IPv4' }, @{ Reader = 'PSUdp'; Family = 'IPv4' },
        @{ Reader = 'python'; Family = 'IPv6' }, @{ Reader = 'PSUdp'; Family = 'IPv6' }
    ) {
        $got = Receive-Arrival $Reader $Family "Send-UdpDatagram -ComputerName '{0}' -Port {1} -Message ttl -TimeToLive 5"
        $got.TimeToLive | Should -Be 4
        $got.Source | Should -Be $(if ($Family -eq 'IPv6') { $net.A.Address6 } else { $net.A.Address })
        if ($Reader -eq 'PSUdp') { $got.Interface | Should -Be 'eth0' }
    }

    It 'DSCP EF from A arrives at B as TOS 0xB8 (<Reader>, <Family>)' -ForEach @(
        @{ Reader = 'python'; Family = 'IPv4' }, @{ Reader = 'PSUdp'; Family = 'IPv4' },
        @{ Reader = 'python'; Family = 'IPv6' }, @{ Reader = 'PSUdp'; Family = 'IPv6' }
    ) {
        $got = Receive-Arrival $Reader $Family "Send-UdpDatagram -ComputerName '{0}' -Port {1} -Message dscp -Dscp EF"
        $got.Tos | Should -Be 'B8'
        $got.TimeToLive | Should -Be 63
    }

    It 'Test-UdpConnection -TimeToLive 5 -Dscp EF probes arrive at B with TTL 4 and TOS 0xB8' {
        $got = Receive-Arrival 'python' 'IPv4' "Test-UdpConnection -ComputerName '{0}' -Port {1} -Message probe -TimeToLive 5 -Dscp EF -Retries 0 -TimeoutSeconds 1 | Out-Null"
        $got.TimeToLive | Should -Be 4
        $got.Tos | Should -Be 'B8'
    }

    It 'a numeric DSCP (AF41 = 34) arrives as TOS 0x88 at the python receiver' {
        $got = Receive-Arrival 'python' 'IPv4' "Send-UdpDatagram -ComputerName '{0}' -Port {1} -Message dscp -Dscp 34"
        $got.Tos | Should -Be '88'
    }
}

Describe 'Routers that answer: time exceeded and the path MTU' -Skip:$skip {
    BeforeAll { $net = New-TestRoutedNetwork }
    AfterAll { Remove-TestBroadcastDomain $net }

    It 'a TTL of 1 from A gets R''s time exceeded, with its id and R''s address (<Family>)' -ForEach @(
        @{ Family = 'IPv4'; Target = '203.0.113.2'; Router = '192.0.2.1' }, @{ Family = 'IPv6'; Target = '2001:db8:b::2'; Router = '2001:db8:a::1' }
    ) {
        $result = Invoke-PwshIn $net.A.Namespace @"
try { Send-UdpDatagram -ComputerName '$Target' -Port 9 -Message hop -TimeToLive 1 -WaitForReply -TimeoutSeconds 5 -ErrorAction Stop }
catch { "ERR `$(`$_.FullyQualifiedErrorId) `$(`$_.Exception.Message)" }
"@
        $line = @($result.Output | Where-Object { $_ -like 'ERR *' })[0]
        $line | Should -BeLike 'ERR TimeExceeded,PSUdp.Commands.SendUdpDatagramCommand *' -Because ($result.Output + $result.Error -join "`n")
        $line | Should -BeLike "*from $Router*"
        $line | Should -BeLike '*-TimeToLive*'
    }

    It 'Test-UdpConnection -TimeToLive 1 shows R''s time exceeded as the evidence' {
        $result = Invoke-PwshIn $net.A.Namespace "Test-UdpConnection -ComputerName 203.0.113.2 -Port 9 -TimeToLive 1 -Retries 0 -TimeoutSeconds 5 | ForEach-Object { 'RESULT {0} {1} {2}' -f `$_.IcmpType, `$_.IcmpSource, `$_.Verdict }"
        $line = @($result.Output | Where-Object { $_ -like 'RESULT *' })[0]
        $line | Should -BeLike 'RESULT 11 192.0.2.1 *' -Because ($result.Output + $result.Error -join "`n")
    }

    It 'a 1,400-byte -DontFragment datagram from A fails with MessageTooLong naming <Mtu> and <Fits>, and a 1,200-byte one arrives (<Family>)' -ForEach @(
        @{ Family = 'IPv4'; Target = '203.0.113.2'; Listen = '0.0.0.0'; Flush = 'ip route flush cache'; Mtu = '1,280'; Fits = '1,252' }
        @{ Family = 'IPv6'; Target = '2001:db8:b::2'; Listen = '::'; Flush = 'ip -6 route flush cache'; Mtu = '1,280'; Fits = '1,232' }
    ) {
        # Start cold: forget any path MTU A learned before.
        $flush = Invoke-TestProcess -FilePath 'ip' -ArgumentList (@('netns', 'exec', $net.A.Namespace) + ($Flush -split ' '))
        $flush.ExitCode | Should -Be 0
        $receiver = Start-TestProcess -FilePath $python -ArgumentList @($ipReceiver, '--host', $Listen, '--port', '0', '--count', '1', '--timeout', '60') -Namespace $net.B.Namespace
        try {
            $port = Wait-TestPeerListening $receiver -TimeoutSeconds 30
            # The first datagram may leave before R's ICMP comes back; a later one fails at once.
            $result = Invoke-PwshIn $net.A.Namespace @"
`$big = [byte[]]::new(1400)
for (`$i = 0; `$i -lt 20; `$i++) {
    try { Send-UdpDatagram -ComputerName '$Target' -Port $port -Payload `$big -DontFragment -ErrorAction Stop }
    catch { "ERR `$(`$_.FullyQualifiedErrorId) `$(`$_.Exception.Message)"; break }
    Start-Sleep -Milliseconds 100
}
Send-UdpDatagram -ComputerName '$Target' -Port $port -Payload ([byte[]]::new(1200)) -DontFragment
'SENT'
"@
            $result.Output | Should -Contain 'SENT' -Because ($result.Error -join "`n")
            $line = @($result.Output | Where-Object { $_ -like 'ERR *' })[0]
            $line | Should -BeLike 'ERR MessageTooLong,PSUdp.Commands.SendUdpDatagramCommand *' -Because ($result.Output -join "`n")
            $line | Should -BeLike "*path MTU is $Mtu bytes*largest payload that fits is $Fits bytes*"
            $arrived = Wait-TestProcessOutput $receiver '^RECV .*$' -TimeoutSeconds 30
            ($arrived.Value -split ' ')[5] | Should -Be '1200'
        }
        finally { Stop-TestProcess $receiver -Kill }
    }
}
