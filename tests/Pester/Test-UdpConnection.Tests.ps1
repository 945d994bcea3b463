# Test-UdpConnection against real peers on loopback: Start-UdpEcho, the python echo peer and
# closed ports. The daemons (dnsmasq, chronyd, snmpd, turnserver), the namespaces with nftables
# and nmap as the referee are in Test-UdpConnection.Services.Tests.ps1 and
# Test-UdpConnection.Network.Tests.ps1.

BeforeDiscovery {
    Import-Module "$PSScriptRoot/PSUdpTestUtilities.psm1" -Force
    $NoPython = Get-WineSkipReason Python
    $NoConnReset = Get-WineSkipReason NoConnReset
    $NoReceiveTtl = Get-WineSkipReason NoReceiveTtl
}

BeforeAll {
    Import-Module PSUdp
    Import-Module "$PSScriptRoot/TestHosts.psm1" -Force
    $cmd = 'PSUdp.Commands.TestUdpConnectionCommand'

    function Get-ClosedPort {
        $s = [System.Net.Sockets.Socket]::new('InterNetwork', 'Dgram', 'Udp')
        $s.Bind([System.Net.IPEndPoint]::new([ipaddress]::Loopback, 0))
        $port = $s.LocalEndPoint.Port
        $s.Dispose()
        $port
    }
}

Describe 'Test-UdpConnection verdicts on loopback' {
    BeforeAll {
        $echo = Start-UdpEcho -Port 0 -LocalAddress 127.0.0.1 -AsJob
        $silent = [System.Net.Sockets.Socket]::new('InterNetwork', 'Dgram', 'Udp')
        $silent.Bind([System.Net.IPEndPoint]::new([ipaddress]::Loopback, 0))
        $closed = Get-ClosedPort
    }
    AfterAll {
        $echo | Remove-Job -Force
        $silent.Dispose()
    }

    It 'Open with the echo probe recognised against Start-UdpEcho' -Skip:([bool]$NoReceiveTtl) {
        $r = Test-UdpConnection -ComputerName 127.0.0.1 -Port $echo.LocalPort -Probe Echo
        $r.PSObject.TypeNames[0] | Should -Be 'PSUdp.UdpProbeResult'
        $r.Verdict | Should -Be 'Open'
        $r.Reason | Should -Be 'udp-response'
        $r.Recognized | Should -BeTrue
        $r.Answer | Should -Be 'echo of the probe'
        $r.RoundTripTime | Should -BeGreaterThan ([timespan]::Zero)
        $r.Reply.RemotePort | Should -Be $echo.LocalPort
        $r.Reply.RoundTripTime | Should -Be $r.RoundTripTime
        # The reply as it arrived, as a received datagram tells it (loopback: TTL 64, lo).
        $r.Reply.TimeToLive | Should -Be 64
        $r.Reply.InterfaceName | Should -Be 'lo'
        $r.Attempts | Should -Be 1
    }

    It 'Closed with the ICMP evidence (type 3, code 3, from 127.0.0.1) for a port with nothing' -Skip:([bool]$NoConnReset) {
        $r = Test-UdpConnection -ComputerName 127.0.0.1 -Port $closed
        $r.Verdict | Should -Be 'Closed'
        $r.Reason | Should -Be 'port-unreach'
        $r.IcmpType | Should -Be 3
        $r.IcmpCode | Should -Be 3
        "$($r.IcmpSource)" | Should -Be '127.0.0.1'
        $r.Icmp.IsDetailed | Should -BeTrue
        $r.Probe | Should -Be 'Empty'
    }

    It 'Closed over IPv6 with ICMPv6 type 1 code 4' -Skip:([bool]$NoConnReset) {
        $r = Test-UdpConnection -ComputerName ::1 -Port $closed
        $r.Verdict | Should -Be 'Closed'
        $r.IcmpType | Should -Be 1
        $r.IcmpCode | Should -Be 4
        "$($r.IcmpSource)" | Should -Be '::1'
    }

    It 'OpenOrFiltered after the retries when the port stays silent' {
        $r = Test-UdpConnection -ComputerName 127.0.0.1 -Port $silent.LocalEndPoint.Port -TimeoutSeconds 0.3 -Retries 1
        $r.Verdict | Should -Be 'OpenOrFiltered'
        $r.Reason | Should -Be 'no-response'
        $r.Attempts | Should -Be 2
        $r.Icmp | Should -BeNullOrEmpty
    }

    It 'Open with the python echo peer, and the results in the order the ports were given' -Skip:([bool]$NoPython) {
        $peer = Start-TestPeer udp_echo_server '--port', '0', '--timeout', '60'
        try {
            $ports = @($closed, (Wait-TestPeerListening $peer), $echo.LocalPort)
            $r = @(Test-UdpConnection -ComputerName 127.0.0.1 -Port $ports -Probe Echo)
            $r.Port | Should -Be $ports
            $r.Verdict | Should -Be 'Closed', 'Open', 'Open'
            $r[1].Recognized | Should -BeTrue
        }
        finally { Stop-TestProcess $peer }
    }

    It '-Quiet writes $true only for Open' {
        $q = @(Test-UdpConnection -ComputerName 127.0.0.1 -Port $echo.LocalPort, $closed -Probe Echo -Quiet)
        $q | Should -Be $true, $false
        $q[0] | Should -BeOfType [bool]
    }

    It 'a custom payload is sent as given, and any reply makes the port Open' {
        $r = Test-UdpConnection -ComputerName 127.0.0.1 -Port $echo.LocalPort -Hex 'DE AD BE EF'
        $r.Verdict | Should -Be 'Open'
        $r.Probe | Should -Be 'Custom'
        $r.Reply.Hex | Should -Be 'DEADBEEF'
        $r.Recognized | Should -BeFalse
    }

    It 'shows progress for a sweep that lasts more than a second, and completes it' {
        # Two silent ports: a host that never answers keeps every wait at -TimeoutSeconds (1.2 s in all).
        $quiet = [System.Net.Sockets.Socket]::new('InterNetwork', 'Dgram', 'Udp')
        $ps = [powershell]::Create()
        try {
            $quiet.Bind([System.Net.IPEndPoint]::new([ipaddress]::Loopback, 0))
            $null = $ps.AddScript("Import-Module PSUdp; Test-UdpConnection -ComputerName 127.0.0.1 -Port $($silent.LocalEndPoint.Port), $($quiet.LocalEndPoint.Port) -TimeoutSeconds 0.6 -Retries 1")
            $results = $ps.Invoke()
            $results.Count | Should -Be 2
            $progress = @($ps.Streams.Progress)
            $progress.Count | Should -BeGreaterThan 0
            $progress[0].Activity | Should -Be 'Test-UdpConnection'
            $progress[0].StatusDescription | Should -Match 'of 2 targets: \d+ open, \d+ closed, \d+ filtered, \d+ open\|filtered'
            $progress[-1].RecordType | Should -Be 'Completed'
        }
        finally { $ps.Dispose(); $quiet.Dispose() }
    }

    It 'the table view fills every column, also for deserialized results' -Skip:([bool]$NoConnReset) {
        $r = Test-UdpConnection -ComputerName 127.0.0.1 -Port $closed
        $live = $r | Format-Table | Out-String -Width 250
        $live | Should -Match 'Closed'
        $live | Should -Match 'port unreachable'
        $copy = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($r))
        ($copy | Format-Table | Out-String -Width 250) | Should -Match 'Closed.*port unreachable'
    }
}

Describe 'Test-UdpConnection -Count' {
    BeforeAll { $echo = Start-UdpEcho -Port 0 -LocalAddress 127.0.0.1 -AsJob }
    AfterAll { $echo | Remove-Job -Force }

    It 'writes one summary like ping''s' {
        $s = Test-UdpConnection -ComputerName 127.0.0.1 -Port $echo.LocalPort -Probe Echo -Count 5 -IntervalSeconds 0.05
        $s.PSObject.TypeNames[0] | Should -Be 'PSUdp.UdpProbeSummary'
        $s.Sent | Should -Be 5
        $s.Received | Should -Be 5
        $s.LossPercent | Should -Be 0
        $s.Verdict | Should -Be 'Open'
        $s.Minimum | Should -BeLessOrEqual $s.Average
        $s.Average | Should -BeLessOrEqual $s.Maximum
        $s.P50 | Should -BeLessOrEqual $s.P99
        ($s | Format-Table | Out-String) | Should -Match 'Echo\s+5\s+5\s+0'
    }

    It '-Detailed writes each probe too, then the summary' {
        $all = @(Test-UdpConnection -ComputerName 127.0.0.1 -Port $echo.LocalPort -Probe Echo -Count 3 -IntervalSeconds 0.05 -Detailed)
        $all.Count | Should -Be 4
        @($all | Where-Object { $_ -is [PSUdp.UdpProbeResult] }).Sequence | Sort-Object | Should -Be 0, 1, 2
        $all[-1] | Should -BeOfType [PSUdp.UdpProbeSummary]
    }

    It 'matches loss and delay injected by a python echo peer that drops every 4th and delays by 50 ms' -Skip:([bool]$NoPython) {
        $peer = Start-TestPeer udp_impaired_echo '--port', '0', '--drop-every', '4', '--delay-ms', '50'
        try {
            $s = Test-UdpConnection -ComputerName 127.0.0.1 -Port (Wait-TestPeerListening $peer) -Probe Echo -Count 20 -IntervalSeconds 0.1 -TimeoutSeconds 5
            $s.Sent | Should -Be 20
            $s.Received | Should -Be 15
            $s.LossPercent | Should -Be 25
            $s.Duplicates | Should -Be 0
            # The injected delay is a floor; a loaded machine adds to it, within generous bounds.
            $s.Minimum.TotalMilliseconds | Should -BeGreaterOrEqual 50
            $s.Average.TotalMilliseconds | Should -BeGreaterOrEqual 50
            $s.P50.TotalMilliseconds | Should -BeLessThan 1000
        }
        finally { Stop-TestProcess $peer }
    }

    It 'counts duplicates and reordering from a peer that answers twice and out of order' -Skip:([bool]$NoPython) {
        $peer = Start-TestPeer udp_impaired_echo '--port', '0', '--duplicate-every', '3', '--hold-every', '5', '--hold-ms', '150'
        try {
            $s = Test-UdpConnection -ComputerName 127.0.0.1 -Port (Wait-TestPeerListening $peer) -Probe Echo -Count 10 -IntervalSeconds 0.05 -TimeoutSeconds 5
            $s.Received | Should -Be 10
            $s.Duplicates | Should -Be 3 # the 3rd, 6th and 9th answered twice
            $s.Reordered | Should -BeGreaterOrEqual 1
        }
        finally { Stop-TestProcess $peer }
    }
}

Describe 'Test-UdpConnection bad input' {
    BeforeAll {
        $sink = [System.Net.Sockets.Socket]::new('InterNetwork', 'Dgram', 'Udp')
        $sink.Bind([System.Net.IPEndPoint]::new([ipaddress]::Loopback, 0))
        $sink.ReceiveTimeout = 300
        $sinkPort = $sink.LocalEndPoint.Port
        function Assert-NothingSent {
            $sink.Available | Should -Be 0 -Because 'nothing may be sent before bad input is reported'
        }
    }
    AfterAll { $sink.Dispose() }

    It '<Case>' -ForEach @(
        @{ Case = 'a port out of range'; Script = { Test-UdpConnection 127.0.0.1 -Port $sinkPort, 70000 }; Id = 'ParameterArgumentValidationError' }
        @{ Case = 'port 0'; Script = { Test-UdpConnection 127.0.0.1 -Port 0 }; Id = 'ParameterArgumentValidationError' }
        @{ Case = 'an empty port list'; Script = { Test-UdpConnection 127.0.0.1 -Port @() }; Id = 'ParameterArgumentValidationError' }
        @{ Case = 'a probe that does not exist'; Script = { Test-UdpConnection 127.0.0.1 -Port $sinkPort -Probe Gopher }; Id = 'UnknownProbe'; Message = 'Dns, Mdns, Ntp' }
        @{ Case = '-Count with a custom payload'; Script = { Test-UdpConnection 127.0.0.1 -Port $sinkPort -Message hi -Count 3 }; Id = 'CannotMatchReplies'; Message = 'no sequence number' }
        @{ Case = '-Count with a probe without transaction id'; Script = { Test-UdpConnection 127.0.0.1 -Port $sinkPort -Probe Ssdp -Count 3 }; Id = 'CannotMatchReplies'; Message = 'no transaction id' }
        @{ Case = '-Count on a port without a probe'; Script = { Test-UdpConnection 127.0.0.1 -Port $sinkPort -Count 3 }; Id = 'CannotMatchReplies'; Message = 'empty datagram' }
        @{ Case = 'a -ThrottleLimit of 0'; Script = { Test-UdpConnection 127.0.0.1 -Port $sinkPort -ThrottleLimit 0 }; Id = 'ParameterArgumentValidationError' }
        @{ Case = '-Quiet with -Detailed'; Script = { Test-UdpConnection 127.0.0.1 -Port $sinkPort -Probe Echo -Count 2 -Quiet -Detailed }; Id = 'ConflictingOutput' }
        @{ Case = '-IPv4 with -IPv6'; Script = { Test-UdpConnection 127.0.0.1 -Port $sinkPort -IPv4 -IPv6 }; Id = 'ConflictingAddressFamily' }
        @{ Case = 'malformed hex'; Script = { Test-UdpConnection 127.0.0.1 -Port $sinkPort -Hex 'XYZ' }; Id = 'InvalidHex' }
    ) {
        $e = { & $Script } | Should -Throw -PassThru -ErrorId "$Id,$cmd"
        if ($Message) { $e.Exception.Message | Should -Match $Message }
        Start-Sleep -Milliseconds 100
        Assert-NothingSent
    }

    It 'a name that does not resolve is an error for that host only' {
        $r = @(Test-UdpConnection -ComputerName 'no-such-host.invalid', 127.0.0.1 -Port $sinkPort -Retries 0 -TimeoutSeconds 0.2 -ErrorVariable failed -ErrorAction SilentlyContinue)
        $failed[0].FullyQualifiedErrorId | Should -Be "NameNotResolved,$cmd"
        $r.Count | Should -Be 1
        $r[0].Verdict | Should -Be 'OpenOrFiltered'
    }

    It 'a host of the other family than -LocalAddress (<Case>) is an error for that host only' -ForEach @(
        @{ Case = 'IPv6 host, IPv4 local'; Other = '::1'; Good = '127.0.0.1'; Local = '127.0.0.1'; Message = 'is an IPv6 address, but the socket is IPv4' }
        @{ Case = 'IPv4 host, IPv6 local'; Other = '127.0.0.1'; Good = '::1'; Local = '::1'; Message = 'is an IPv4 address, but the socket is IPv6 only' }
    ) {
        $r = @(Test-UdpConnection -ComputerName $Other, $Good -Port $sinkPort -LocalAddress $Local -Retries 0 -TimeoutSeconds 0.2 -ErrorVariable failed -ErrorAction SilentlyContinue)
        $failed.Count | Should -Be 1
        $failed[0].FullyQualifiedErrorId | Should -Be "AddressFamilyMismatch,$cmd"
        $failed[0].Exception.Message | Should -Match $Message
        $r.Count | Should -Be 1
        $r[0].ComputerName | Should -Be $Good
    }
}

Describe 'Test-UdpConnection help and completion' {
    It 'the example in about_PSUdp runs and shows Open and Closed' -Skip:([bool]$NoConnReset) {
        $about = Get-Content -Raw "$PSScriptRoot/../../docs/en-US/about_PSUdp.md"
        $section = ($about -split '(?m)^## ')[1..99] | Where-Object { $_ -like 'OPEN, CLOSED OR FILTERED*' }
        $code = [regex]::Match($section, '(?s)```powershell\r?\n(.*?)```').Groups[1].Value
        $code | Should -Match 'Test-UdpConnection'
        $out = @(& ([scriptblock]::Create($code)))
        ($out | Where-Object { $_ -is [PSUdp.UdpProbeResult] }).Verdict | Should -Be 'Open', 'Closed'
        ($out | Where-Object { $_ -is [PSUdp.UdpProbeSummary] }).Received | Should -Be 5
    }

    It 'completes probe names' {
        $line = 'Test-UdpConnection 127.0.0.1 53 -Probe Sn'
        $names = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
        $names | Should -Be 'Snmp', 'SnmpV3'
    }

    It 'Get-Help lists every probe' {
        $help = Get-Help Test-UdpConnection -Full | Out-String
        foreach ($name in 'Dns', 'Mdns', 'Ntp', 'Snmp', 'SnmpV3', 'Stun', 'NetBios', 'Ssdp', 'Coap', 'Tftp', 'Memcached', 'Echo') {
            $help | Should -Match "\b$name\b"
        }
    }
}
