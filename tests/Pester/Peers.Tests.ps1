#Requires -Version 7.0
<#
    Proves that the textbook peers (tests/peers/*.py) and the namespace fixture (TestHosts.psm1)
    work on their own, without PSUdp, so a failing PSUdp test can trust them.
    Traffic: loopback only, plus namespaces made here (198.51.100.0/24).
#>

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHosts.psm1') -Force
    $netns = Test-CanCreateNetworkNamespace
    $canNetns = $netns.CanCreate
    $netnsNote = if ($canNetns) { '' } else { " [skipped: $($netns.Reason)]" }
    $hasSocat = [bool] (Get-Command socat -CommandType Application -ErrorAction SilentlyContinue)
    $socatNote = if ($hasSocat) { '' } else { ' [skipped: socat is not installed (apt-get install socat)]' }
    $isRoot = $IsLinux -and ((& id -u) -eq '0')
    $rootNote = if ($isRoot) { '' } else { ' [skipped: raw sockets need root]' }
    $peerNames = 'udp_sender', 'udp_receiver', 'udp_echo_server', 'udp_echo_client', 'udp_broadcaster', 'udp_spoof'
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHosts.psm1')
    $script:Text = '请输入要发送的数据'
    $script:AllBytes = [byte[]] (0..255)
    $script:AllHex = -join ($script:AllBytes | ForEach-Object { $_.ToString('x2') })
    $script:TextHex = -join ([System.Text.Encoding]::UTF8.GetBytes($script:Text) | ForEach-Object { $_.ToString('x2') })

    function Get-PeerDatagram([string[]] $Line, [string] $Kind) {
        @($Line | ConvertFrom-PeerLine | Where-Object Kind -EQ $Kind)
    }
}

AfterAll {
    Stop-TestProcess -All -Kill
}

Describe 'Test peers on loopback' {

    It '<_> prints --help and exits 0' -ForEach $peerNames {
        $result = Invoke-TestPeer $_ '--help'
        $result.ExitCode | Should -Be 0
        $result.Output[0] | Should -Match '^usage: '
    }

    It 'the test text is the nine characters it should be' {
        $script:Text.Length | Should -Be 9
        $script:TextHex | Should -Be 'e8afb7e8be93e585a5e8a681e58f91e98081e79a84e695b0e68dae'
    }

    It 'sender -> receiver on <Address> carries <Kind> byte for byte' -ForEach @(
        @{ Address = '127.0.0.1'; Kind = 'the Chinese text' }
        @{ Address = '::1'; Kind = 'the Chinese text' }
        @{ Address = '127.0.0.1'; Kind = 'all 256 byte values' }
        @{ Address = '::1'; Kind = 'all 256 byte values' }
    ) {
        $isText = $Kind -eq 'the Chinese text'
        $expectedHex = if ($isText) { $script:TextHex } else { $script:AllHex }
        $payloadArgs = if ($isText) { '--text', $script:Text } else { '--hex', $script:AllHex }

        $rx = Start-TestPeer udp_receiver '--host', $Address, '--port', '0', '--count', '1', '--timeout', '10'
        $port = Wait-TestPeerListening $rx

        $tx = Invoke-TestPeer udp_sender (@($Address, $port) + $payloadArgs)
        $tx.ExitCode | Should -Be 0 -Because ($tx.Error -join "`n")
        $tx.Output | Should -HaveCount 1
        $tx.Output[0] -match '^SENT (\d+) (\d+)$' | Should -BeTrue -Because $tx.Output[0]
        $sourcePort = [int] $Matches[1]
        [int] $Matches[2] | Should -Be ($expectedHex.Length / 2)

        $rest = Stop-TestProcess $rx -PassThru
        $rest[-1] | Should -Be 'DONE 1'
        $datagram = Get-PeerDatagram $rest 'RECV'
        $datagram | Should -HaveCount 1
        $datagram[0].Address | Should -Be $Address
        $datagram[0].Port | Should -Be $sourcePort
        $datagram[0].Hex | Should -BeExactly $expectedHex
        if ($isText) {
            [System.Text.Encoding]::UTF8.GetString($datagram[0].Payload) | Should -BeExactly $script:Text
        }
        else {
            $datagram[0].Payload.Length | Should -Be 256
            for ($i = 0; $i -lt 256; $i++) { $datagram[0].Payload[$i] | Should -Be $i }
        }
    }

    It 'receiver --pktinfo shows the destination address' {
        $rx = Start-TestPeer udp_receiver '--host', '0.0.0.0', '--port', '0', '--count', '1', '--pktinfo'
        $port = Wait-TestPeerListening $rx
        (Invoke-TestPeer udp_sender '127.0.0.2', $port, '--hex', '01').ExitCode | Should -Be 0
        $datagram = Get-PeerDatagram (Stop-TestProcess $rx -PassThru) 'RECV'
        $datagram | Should -HaveCount 1
        $datagram[0].Destination | Should -Be '127.0.0.2'
    }

    It 'echo client gets its payload back from the echo server on <_>' -ForEach '127.0.0.1', '::1' {
        $server = Start-TestPeer udp_echo_server '--host', $_, '--port', '0', '--timeout', '10'
        $port = Wait-TestPeerListening $server

        $client = Invoke-TestPeer udp_echo_client $_, $port, '--text', $script:Text, '--timeout', '5'
        $client.ExitCode | Should -Be 0 -Because ($client.Error -join "`n")
        $client.Output | Should -Be "REPLY $_ $port $($script:TextHex)"

        $rest = Stop-TestProcess $server -PassThru
        $rest[-1] | Should -Be 'ECHOED 1'
        $echo = Get-PeerDatagram $rest 'ECHO'
        $echo | Should -HaveCount 1
        $echo[0].Address | Should -Be $_
    }

    It 'echo client prints REFUSED and exits 2 for a closed loopback port' {
        $port = Get-FreeUdpPort
        $client = Invoke-TestPeer udp_echo_client '127.0.0.1', $port, '--hex', '00', '--timeout', '5'
        $client.Output | Should -Be 'REFUSED'
        $client.ExitCode | Should -Be 2
    }

    It 'echo client prints TIMEOUT and exits 1 when the port is open but nobody answers' {
        $rx = Start-TestPeer udp_receiver '--port', '0', '--count', '1'
        $port = Wait-TestPeerListening $rx
        $client = Invoke-TestPeer udp_echo_client '127.0.0.1', $port, '--hex', '00', '--timeout', '0.5'
        $client.Output | Should -Be 'TIMEOUT'
        $client.ExitCode | Should -Be 1
        Stop-TestProcess $rx -PassThru | Should -Contain 'DONE 1'
    }

    It 'the echo server reports ECHOED 0 when stopped with SIGTERM before any datagram' {
        $server = Start-TestPeer udp_echo_server '--port', '0', '--timeout', '30'
        $null = Wait-TestPeerListening $server
        Stop-TestProcess $server -PassThru | Should -Be 'ECHOED 0'
        $server.ExitCode | Should -Be 0
    }

    It 'peers allow loopback everywhere, and 198.51.100.0/24 only inside a test namespace' {
        # Checks the guard itself (no socket), so a broken guard cannot send anything off the machine.
        $probe = 'import peerlib; print(peerlib.destination_problem("127.0.0.1")); print(peerlib.destination_problem("::1")); ' +
        'print(peerlib.destination_problem("198.51.100.12")); print(peerlib.destination_problem("255.255.255.255")); print(peerlib.destination_problem("8.8.8.8"))'
        $lines = & (Get-TestPython) -B -c ('import sys; sys.path.insert(0, sys.argv[1]); ' + $probe) (Split-Path (Get-TestPeerPath udp_sender)) 2>&1
        $LASTEXITCODE | Should -Be 0
        $lines[0] | Should -Be 'None'
        $lines[1] | Should -Be 'None'
        $lines[2] | Should -Match 'only allowed inside a test network namespace'
        $lines[3] | Should -Match 'only allowed inside a test network namespace'
        $lines[4] | Should -Match 'neither loopback nor'
    }

    It 'peers refuse a host name other than localhost (they never ask DNS)' {
        $result = Invoke-TestPeer udp_sender 'example.invalid', '9', '--text', 'x'
        $result.ExitCode | Should -Be 64
        $result.Error -join "`n" | Should -Match 'AddressNotNumeric'
    }
}

Describe "socat as an echo server answering the python echo client$socatNote" -Skip:(-not $hasSocat) {

    It 'answers with <Name>' -ForEach @(
        @{ Name = 'UDP-LISTEN,fork PIPE'; Address = 'UDP-LISTEN:{0},bind=127.0.0.1,fork,reuseaddr'; Target = 'PIPE'; Ready = 'listening on UDP' }
        @{ Name = 'UDP-RECVFROM,fork EXEC:cat'; Address = 'UDP-RECVFROM:{0},bind=127.0.0.1,fork'; Target = 'EXEC:cat'; Ready = 'receiving on' }
    ) {
        $port = Get-FreeUdpPort
        $socat = Start-TestProcess socat '-d', '-d', '-T1', ($Address -f $port), $Target
        try {
            $null = Wait-TestProcessOutput $socat "$Ready .*:$port\b" -Stream Error
            foreach ($payload in @(@('--text', $script:Text), @('--hex', $script:AllHex))) {
                $client = Invoke-TestPeer udp_echo_client (@('127.0.0.1', $port) + $payload + @('--timeout', '5'))
                $client.ExitCode | Should -Be 0 -Because ($client.Error -join "`n")
                $reply = Get-PeerDatagram $client.Output 'REPLY'
                $reply | Should -HaveCount 1
                $reply[0].Address | Should -Be '127.0.0.1'
                $reply[0].Port | Should -Be $port
                $reply[0].Hex | Should -BeExactly $(if ($payload[0] -eq '--text') { $script:TextHex } else { $script:AllHex })
            }
        }
        finally {
            Stop-TestProcess $socat -Kill
        }
    }
}

Describe "udp_spoof$rootNote" -Skip:(-not $isRoot) {

    It 'delivers a datagram from forged source <Source> to a receiver on 127.0.0.1' -ForEach @(
        @{ Source = '127.0.0.1:7'; Address = '127.0.0.1'; Port = 7 }
        @{ Source = '127.0.0.99:19'; Address = '127.0.0.99'; Port = 19 }
    ) {
        # (PowerShell variables ignore case: $Port is the forged port, $rxPort the receiver's.)
        $rx = Start-TestPeer udp_receiver '--port', '0', '--count', '1'
        $rxPort = Wait-TestPeerListening $rx
        $spoof = Invoke-TestPeer udp_spoof '--src', $Source, '--dst', "127.0.0.1:$rxPort", '--hex', 'c0 ff ee'
        $spoof.ExitCode | Should -Be 0 -Because ($spoof.Error -join "`n")
        $spoof.Output | Should -Be "SPOOFED $Address $Port 127.0.0.1 $rxPort 3"
        $datagram = Get-PeerDatagram (Stop-TestProcess $rx -PassThru) 'RECV'
        $datagram | Should -HaveCount 1
        $datagram[0].Address | Should -Be $Address
        $datagram[0].Port | Should -Be $Port
        $datagram[0].Hex | Should -Be 'c0ffee'
    }

    It 'refuses a non-loopback forged source outside a test namespace' {
        $spoof = Invoke-TestPeer udp_spoof '--src', '10.0.0.1:7', '--dst', '127.0.0.1:9', '--hex', '00'
        $spoof.ExitCode | Should -Be 64
        $spoof.Error -join "`n" | Should -Match 'SourceNotAllowed'
    }
}

Describe 'Test-CanCreateNetworkNamespace' {
    It 'says whether namespaces can be made, with a reason when not' {
        $support = Test-CanCreateNetworkNamespace
        $support.CanCreate | Should -BeOfType [bool]
        if ($support.CanCreate) { $support.Reason | Should -BeNullOrEmpty } else { $support.Reason | Should -Not -BeNullOrEmpty }
    }
}

Describe "Test broadcast domain (namespaces a, b, c on one bridge, d isolated)$netnsNote" -Skip:(-not $canNetns) {

    BeforeAll {
        $script:RootLinksBefore = & ip -o link show | ForEach-Object { ($_ -split ':\s+')[1] }
        $script:RootRoutesBefore = & ip route show table all
        $script:Prefix = 'pp' + (Get-Random -Minimum 1000 -Maximum 9999)
        $script:Domain = New-TestBroadcastDomain -Prefix $script:Prefix -HostCount 3 -IsolatedHostCount 1
        $script:EchoPort = 7788

        function Start-EchoServer([string[]] $Name) {
            $servers = [ordered]@{}
            foreach ($n in $Name) {
                $servers[$n] = Start-TestPeer udp_echo_server '--host', '0.0.0.0', '--port', $script:EchoPort, '--timeout', '30' -TestHost $script:Domain.GetHost($n)
            }
            foreach ($n in $Name) { Wait-TestPeerListening $servers[$n] | Should -Be $script:EchoPort }
            $servers
        }
        function Stop-EchoServer($Servers) {
            $echoes = @{}
            foreach ($n in $Servers.Keys) { $echoes[$n] = @(Stop-TestProcess $Servers[$n] -PassThru) }
            $echoes
        }
    }

    AfterAll {
        Stop-TestProcess -All -Kill
        Remove-TestBroadcastDomain -Prefix $script:Prefix
    }

    It 'makes the namespaces {prefix}br and {prefix}a .. {prefix}d' {
        $names = & ip netns list | ForEach-Object { ($_ -split '\s+')[0] }
        foreach ($n in 'br', 'a', 'b', 'c', 'd') { $names | Should -Contain "$script:Prefix$n" }
        $script:Domain.Hosts.Name | Should -Be 'a', 'b', 'c', 'd'
        $script:Domain.Hosts.Isolated | Should -Be $false, $false, $false, $true
        $script:Domain.BroadcastAddress | Should -Be '198.51.100.255'
        $script:Domain.InterfaceName | Should -Be 'eth0'
    }

    It 'host <Name> has eth0 = <Address>/24 brd 198.51.100.255' -ForEach @(
        @{ Name = 'a'; Address = '198.51.100.11' }
        @{ Name = 'b'; Address = '198.51.100.12' }
        @{ Name = 'c'; Address = '198.51.100.13' }
        @{ Name = 'd'; Address = '198.51.100.51' }
    ) {
        $h = $script:Domain.GetHost($Name)
        $h.Address | Should -Be $Address
        $h.Namespace | Should -Be "$script:Prefix$Name"
        $addr = Invoke-InTestHost -TestHost $h -ArgumentList ip, -4, -o, addr, show, dev, eth0
        "$addr" | Should -Match ([regex]::Escape("inet $Address/24 brd 198.51.100.255"))
        $routes = Invoke-InTestHost -TestHost $h -ArgumentList ip, route, get, 255.255.255.255
        "$routes" | Should -Match "broadcast 255\.255\.255\.255 dev eth0 src $([regex]::Escape($Address))"
    }

    It 'adds no interface and no route to the root namespace' {
        (& ip -o link show | ForEach-Object { ($_ -split ':\s+')[1] }) | Should -Be $script:RootLinksBefore
        & ip route show table all | Should -Be $script:RootRoutesBefore
    }

    It 'Invoke-InTestHost reports a failing command as an error, or as ExitCode with -PassThru' {
        $a = $script:Domain.GetHost('a')
        { Invoke-InTestHost -TestHost $a -ArgumentList false -ErrorAction Stop } | Should -Throw -ErrorId 'TestHostCommandFailed*'
        (Invoke-InTestHost -TestHost $a.Namespace -ArgumentList false -PassThru).ExitCode | Should -Be 1
    }

    It 'unicast reaches b from a; the isolated host d (same subnet, other wire) is unreachable' {
        $servers = Start-EchoServer 'b', 'd'
        $a = $script:Domain.GetHost('a')
        $toB = Invoke-TestPeer udp_echo_client '198.51.100.12', $script:EchoPort, '--text', 'unicast', '--timeout', '3' -TestHost $a
        $toB.Output | Should -Be "REPLY 198.51.100.12 $script:EchoPort 756e6963617374"
        $toD = Invoke-TestPeer udp_echo_client '198.51.100.51', $script:EchoPort, '--text', 'unicast', '--timeout', '1' -TestHost $a
        $toD.Output | Should -Be 'TIMEOUT'
        $echoes = Stop-EchoServer $servers
        $echoes['b'] | Should -Contain 'ECHOED 1'
        $echoes['d'] | Should -Be 'ECHOED 0'
    }

    It 'a broadcast from a to <Address> is answered by b and c exactly once, not by d' -ForEach @(
        @{ Address = '<broadcast>'; Destination = '255.255.255.255' }
        @{ Address = '198.51.100.255'; Destination = '198.51.100.255' }
    ) {
        $servers = Start-EchoServer 'b', 'c', 'd'
        $result = Invoke-TestPeer udp_broadcaster $script:EchoPort, '--address', $Address, '--text', 'who is there', '--timeout', '1.5' -TestHost $script:Domain.GetHost('a')
        $echoes = Stop-EchoServer $servers

        $result.ExitCode | Should -Be 0 -Because ($result.Error -join "`n")
        $result.Output[0] | Should -Match '^SENT \d+ 12$'
        $result.Output[-1] | Should -Be 'DONE 2'
        $replies = Get-PeerDatagram $result.Output 'REPLY'
        $replies | Should -HaveCount 2
        # (not $replies.Address: arrays have an Address() method of their own)
        ($replies | ForEach-Object Address | Sort-Object) | Should -Be '198.51.100.12', '198.51.100.13'
        $replies | ForEach-Object Port | Should -Be $script:EchoPort, $script:EchoPort
        $replies | ForEach-Object Hex | Should -Be '77686f206973207468657265', '77686f206973207468657265'

        foreach ($n in 'b', 'c') {
            $echo = Get-PeerDatagram $echoes[$n] 'ECHO'
            $echo | Should -HaveCount 1
            $echo[0].Address | Should -Be '198.51.100.11'
            $echoes[$n][-1] | Should -Be 'ECHOED 1'
        }
        $echoes['d'] | Should -Be 'ECHOED 0'
    }

    It 'a receiver with --pktinfo in b sees the broadcast destination <Destination>' -ForEach @(
        @{ Address = '<broadcast>'; Destination = '255.255.255.255' }
        @{ Address = '198.51.100.255'; Destination = '198.51.100.255' }
    ) {
        $b = $script:Domain.GetHost('b')
        $rx = Start-TestPeer udp_receiver '--host', '0.0.0.0', '--port', '7789', '--count', '1', '--pktinfo' -TestHost $b
        $null = Wait-TestPeerListening $rx
        $null = Invoke-TestPeer udp_broadcaster '7789', '--address', $Address, '--hex', '01', '--timeout', '0.2' -TestHost $script:Domain.GetHost('a')
        $datagram = Get-PeerDatagram (Stop-TestProcess $rx -PassThru) 'RECV'
        $datagram | Should -HaveCount 1
        $datagram[0].Address | Should -Be '198.51.100.11'
        $datagram[0].Destination | Should -Be $Destination
    }

    It 'without a default route 255.255.255.255 is unreachable, unless the socket is bound to eth0 or its address' {
        $a = $script:Domain.GetHost('a')
        $servers = Start-EchoServer 'b', 'c'
        $null = Invoke-InTestHost -TestHost $a -ArgumentList ip, route, del, default -ErrorAction Stop
        try {
            $plain = Invoke-TestPeer udp_broadcaster $script:EchoPort, '--hex', '02', '--timeout', '0.5' -TestHost $a
            $device = Invoke-TestPeer udp_broadcaster $script:EchoPort, '--hex', '03', '--timeout', '1', '--bind-device', 'eth0' -TestHost $a
            $address = Invoke-TestPeer udp_broadcaster $script:EchoPort, '--hex', '04', '--timeout', '1', '--bind', '198.51.100.11:0' -TestHost $a
        }
        finally {
            $null = Invoke-InTestHost -TestHost $a -ArgumentList ip, route, add, default, dev, eth0 -ErrorAction Stop
        }
        $null = Stop-EchoServer $servers

        $plain.ExitCode | Should -Be 3
        $plain.Error -join "`n" | Should -Match 'Network is unreachable'
        $device.Output[-1] | Should -Be 'DONE 2'
        $address.Output[-1] | Should -Be 'DONE 2'
    }

    It 'the spoofer works inside a namespace: a datagram "from b:7788" reaches c' {
        $c = $script:Domain.GetHost('c')
        $rx = Start-TestPeer udp_receiver '--host', '0.0.0.0', '--port', '7790', '--count', '1' -TestHost $c
        $null = Wait-TestPeerListening $rx
        $spoof = Invoke-TestPeer udp_spoof '--src', "198.51.100.12:$script:EchoPort", '--dst', '198.51.100.13:7790', '--hex', 'ab' -TestHost $script:Domain.GetHost('a')
        $spoof.ExitCode | Should -Be 0 -Because ($spoof.Error -join "`n")
        $datagram = Get-PeerDatagram (Stop-TestProcess $rx -PassThru) 'RECV'
        $datagram | Should -HaveCount 1
        "$($datagram[0].Address):$($datagram[0].Port)" | Should -Be "198.51.100.12:$script:EchoPort"
    }

    It 'refuses to make a domain whose namespaces already exist, and leaves them alone' {
        { New-TestBroadcastDomain -Prefix $script:Prefix -HostCount 1 } | Should -Throw '*already exist*'
        & ip netns list | ForEach-Object { ($_ -split '\s+')[0] } | Should -Contain "$($script:Prefix)a"
    }

    It 'Remove-TestBroadcastDomain kills processes in the namespaces, deletes them, and is idempotent' {
        $prefix = 'pq' + (Get-Random -Minimum 1000 -Maximum 9999)
        try {
            $small = New-TestBroadcastDomain -Prefix $prefix -HostCount 1
            $p = Start-TestPeer udp_receiver '--host', '0.0.0.0', '--timeout', '60' -TestHost $small.GetHost('a')
            $null = Wait-TestPeerListening $p
            @(& ip netns pids "${prefix}a") | Should -Contain "$($p.Id)"

            Remove-TestBroadcastDomain $small
            $p.WaitForExit(5000) | Should -BeTrue
            & ip netns list | ForEach-Object { ($_ -split '\s+')[0] } | Where-Object { $_ -like "$prefix*" } | Should -BeNullOrEmpty
            { Remove-TestBroadcastDomain $small; Remove-TestBroadcastDomain -Prefix $prefix; Remove-TestBroadcastDomain $null } | Should -Not -Throw
        }
        finally {
            Remove-TestBroadcastDomain -Prefix $prefix -Force
        }
    }
}
