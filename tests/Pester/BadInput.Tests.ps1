# Each case: what is run, the FullyQualifiedErrorId it must fail with (or $null for a case at a
# limit that must succeed), and a pattern its message must match: the bad value, or what to do.
# Every case also checks that nothing reached the listening peer unless it should, and that no
# socket was left open.
BeforeDiscovery {
    Import-Module "$PSScriptRoot/PSUdpTestUtilities.psm1" -Force
    # Under Wine the bind succeeds and the send goes out (its datagram reaches the next case's check).
    $NonLocalBind = Get-WineSkipReason NonLocalBind
    $S = 'PSUdp.Commands.SendUdpDatagramCommand'
    $R = 'PSUdp.Commands.ReceiveUdpDatagramCommand'
    $E = 'PSUdp.Commands.StartUdpEchoCommand'
    $B = 'PSUdp.Commands.SendUdpBroadcastCommand'
    $T = 'PSUdp.Commands.TestUdpConnectionCommand'
    $cases = @(
        @{ Name = 'send: port 0'; Run = { Send-UdpDatagram 127.0.0.1 0 'x' }; Id = "ParameterArgumentValidationError,$S"; Message = '\b0\b.*minimum' }
        @{ Name = 'send: port 65536'; Run = { Send-UdpDatagram 127.0.0.1 65536 'x' }; Id = "ParameterArgumentValidationError,$S"; Message = '65536.*65535' }
        @{ Name = 'send: port -1'; Run = { Send-UdpDatagram 127.0.0.1 -1 'x' }; Id = "ParameterArgumentValidationError,$S"; Message = '-1' }
        @{ Name = 'send: port of the wrong type'; Run = { Send-UdpDatagram 127.0.0.1 -Port 'syslog' -Message 'x' }; Id = "CannotConvertArgumentNoMessage,$S"; Message = 'syslog' }
        @{ Name = 'send: empty host name'; Run = { Send-UdpDatagram '' $port 'x' }; Id = "ParameterArgumentValidationError,$S"; Message = 'empty' }
        @{ Name = 'send: $null host name'; Run = { Send-UdpDatagram $null $port 'x' }; Id = "ParameterArgumentValidationError,$S"; Message = 'null' }
        @{ Name = 'send: white-space host name'; Run = { Send-UdpDatagram '   ' $port 'x' }; Id = "NameNotResolved,$S"; Message = 'empty.*host name or an IP address' }
        @{ Name = 'send: a name that does not resolve'; Run = { Send-UdpDatagram 'nowhere.invalid' $port 'x' }; Id = "NameNotResolved,$S"; Message = 'nowhere\.invalid.*could not be resolved' }
        @{ Name = 'send: IPv6-only address with -IPv4'; Run = { Send-UdpDatagram ::1 $port 'x' -IPv4 }; Id = "AddressFamilyMismatch,$S"; Message = '::1.*IPv4' }
        @{ Name = 'send: IPv4 address with -IPv6'; Run = { Send-UdpDatagram 127.0.0.1 $port 'x' -IPv6 }; Id = "AddressFamilyMismatch,$S"; Message = '127\.0\.0\.1.*IPv6' }
        @{ Name = 'send: IPv4 target from an IPv6 local address'; Run = { Send-UdpDatagram 127.0.0.1 $port 'x' -LocalAddress ::1 }; Id = "AddressFamilyMismatch,$S"; Message = 'IPv6 only' }
        @{ Name = 'send: -Payload at the IPv4 limit'; Run = { Send-UdpDatagram 127.0.0.1 $port -Payload ([byte[]]::new(65507)) }; Id = $null; Arrives = 1 }
        @{ Name = 'send: -Payload one byte over the IPv4 limit'; Run = { Send-UdpDatagram 127.0.0.1 $port -Payload ([byte[]]::new(65508)) }; Id = "PayloadTooLarge,$S"; Message = '65,508.*65,507' }
        @{ Name = 'send: -Payload at the IPv6 limit'; Run = { Send-UdpDatagram ::1 $port -Payload ([byte[]]::new(65527)) }; Id = $null; Arrives = 1 }
        @{ Name = 'send: -Payload one byte over the IPv6 limit'; Run = { Send-UdpDatagram ::1 $port -Payload ([byte[]]::new(65528)) }; Id = "PayloadTooLarge,$S"; Message = '65,528.*65,527' }
        @{ Name = 'send: -Message at the IPv4 limit'; Run = { Send-UdpDatagram 127.0.0.1 $port ('a' * 65507) }; Id = $null; Arrives = 1 }
        @{ Name = 'send: -Message one byte over the IPv4 limit'; Run = { Send-UdpDatagram 127.0.0.1 $port ('a' * 65508) }; Id = "PayloadTooLarge,$S"; Message = 'Split the data' }
        @{ Name = 'send: -Message one byte over, in UTF-8 bytes'; Run = { Send-UdpDatagram 127.0.0.1 $port ('a' * 65505 + '请') }; Id = "PayloadTooLarge,$S"; Message = '65,508' }
        @{ Name = 'send: -Hex at the IPv4 limit'; Run = { Send-UdpDatagram 127.0.0.1 $port -Hex ('00' * 65507) }; Id = $null; Arrives = 1 }
        @{ Name = 'send: -Hex one byte over the IPv4 limit'; Run = { Send-UdpDatagram 127.0.0.1 $port -Hex ('00' * 65508) }; Id = "PayloadTooLarge,$S"; Message = '65,508' }
        @{ Name = 'send: -Hex of odd length'; Run = { Send-UdpDatagram 127.0.0.1 $port -Hex 'ABC' }; Id = "InvalidHex,$S"; Message = 'ABC.*odd number' }
        @{ Name = 'send: -Hex with a bad character'; Run = { Send-UdpDatagram 127.0.0.1 $port -Hex 'DE AD GG' }; Id = "InvalidHex,$S"; Message = "'G'.*hex digit" }
        @{ Name = 'send: unknown encoding name'; Run = { Send-UdpDatagram 127.0.0.1 $port 'x' -Encoding klingon }; Id = "ParameterArgumentTransformationError,$S"; Message = 'klingon.*utf8' }
        @{ Name = 'send: unknown code page'; Run = { Send-UdpDatagram 127.0.0.1 $port 'x' -Encoding 99999 }; Id = "ParameterArgumentTransformationError,$S"; Message = '99999' }
        @{ Name = 'send: -Count 0'; Run = { Send-UdpDatagram 127.0.0.1 $port 'x' -WaitForReply -Count 0 }; Id = "ParameterArgumentValidationError,$S"; Message = '\b0\b' }
        @{ Name = 'send: -TimeoutSeconds 0'; Run = { Send-UdpDatagram 127.0.0.1 $port 'x' -WaitForReply -TimeoutSeconds 0 }; Id = "ParameterArgumentValidationError,$S"; Message = 'greater than 0' }
        @{ Name = 'send: -TimeoutSeconds negative'; Run = { Send-UdpDatagram 127.0.0.1 $port 'x' -WaitForReply -TimeoutSeconds -1 }; Id = "ParameterArgumentValidationError,$S"; Message = '-1.*greater than 0' }
        @{ Name = 'send: -TimeoutSeconds huge'; Run = { Send-UdpDatagram 127.0.0.1 $port 'x' -WaitForReply -TimeoutSeconds 1e12 }; Id = "ParameterArgumentValidationError,$S"; Message = 'at most' }
        @{ Name = 'send: -LocalAddress not on this host'; Skip = $NonLocalBind; Run = { Send-UdpDatagram 127.0.0.1 $port 'x' -LocalAddress 198.51.100.7 }; Id = "AddressNotAvailable,$S"; Message = '198\.51\.100\.7.*not an address of this computer' }
        @{ Name = 'send: -LocalAddress that is not an address'; Run = { Send-UdpDatagram 127.0.0.1 $port 'x' -LocalAddress 'here' }; Id = "CannotConvertArgumentNoMessage,$S"; Message = 'here' }
        @{ Name = 'send: -LocalPort in use'; Run = { Send-UdpDatagram 127.0.0.1 $port 'x' -LocalAddress 127.0.0.1 -LocalPort $port }; Id = "AddressInUse,$S"; Message = "$port.*already in use" }
        @{ Name = 'send: -LocalPort out of range'; Run = { Send-UdpDatagram 127.0.0.1 $port 'x' -LocalPort 70000 }; Id = "ParameterArgumentValidationError,$S"; Message = '70000' }
        @{ Name = 'send: -IPv4 with -IPv6'; Run = { Send-UdpDatagram 127.0.0.1 $port 'x' -IPv4 -IPv6 }; Id = "ConflictingAddressFamily,$S"; Message = 'exclude each other' }
        @{ Name = 'send: -Payload with -Hex'; Run = { Send-UdpDatagram 127.0.0.1 $port -Payload 1 -Hex '01' }; Id = "AmbiguousParameterSet,$S"; Message = 'parameter set' }
        @{ Name = 'receive: port -1'; Run = { Receive-UdpDatagram -Port -1 -Count 1 }; Id = "ParameterArgumentValidationError,$R"; Message = '-1' }
        @{ Name = 'receive: port 65536'; Run = { Receive-UdpDatagram -Port 65536 -Count 1 }; Id = "ParameterArgumentValidationError,$R"; Message = '65536' }
        @{ Name = 'receive: port of the wrong type'; Run = { Receive-UdpDatagram -Port 'syslog' -Count 1 }; Id = "CannotConvertArgumentNoMessage,$R"; Message = 'syslog' }
        @{ Name = 'receive: -Count 0'; Run = { Receive-UdpDatagram -Port 0 -Count 0 }; Id = "ParameterArgumentValidationError,$R"; Message = '\b0\b' }
        @{ Name = 'receive: -Count negative'; Run = { Receive-UdpDatagram -Port 0 -Count -5 }; Id = "ParameterArgumentValidationError,$R"; Message = '-5' }
        @{ Name = 'receive: -TimeoutSeconds 0'; Run = { Receive-UdpDatagram -Port 0 -TimeoutSeconds 0 }; Id = "ParameterArgumentValidationError,$R"; Message = 'greater than 0' }
        @{ Name = 'receive: -TimeoutSeconds negative'; Run = { Receive-UdpDatagram -Port 0 -TimeoutSeconds -2.5 }; Id = "ParameterArgumentValidationError,$R"; Message = '-2\.5' }
        @{ Name = 'receive: -TimeoutSeconds huge'; Run = { Receive-UdpDatagram -Port 0 -TimeoutSeconds 1e12 }; Id = "ParameterArgumentValidationError,$R"; Message = 'at most' }
        @{ Name = 'receive: -LocalAddress not on this host'; Skip = $NonLocalBind; Run = { Receive-UdpDatagram -Port 0 -LocalAddress 198.51.100.7 -Count 1 }; Id = "AddressNotAvailable,$R"; Message = '198\.51\.100\.7' }
        @{ Name = 'receive: a bound port in use'; Run = { Receive-UdpDatagram -Port $port -LocalAddress 127.0.0.1 -Count 1 }; Id = "AddressInUse,$R"; Message = "$port.*port 0" }
        @{ Name = 'receive: unknown encoding'; Run = { Receive-UdpDatagram -Port 0 -Count 1 -Encoding klingon }; Id = "ParameterArgumentTransformationError,$R"; Message = 'klingon' }
        @{ Name = 'receive: receive buffer too small'; Run = { Receive-UdpDatagram -Port 0 -Count 1 -ReceiveBufferSize 10 }; Id = "ParameterArgumentValidationError,$R"; Message = '\b10\b' }
        @{ Name = 'echo: port 65536'; Run = { Start-UdpEcho -Port 65536 -Count 1 }; Id = "ParameterArgumentValidationError,$E"; Message = '65536' }
        @{ Name = 'echo: -Count 0'; Run = { Start-UdpEcho -Port 0 -Count 0 }; Id = "ParameterArgumentValidationError,$E"; Message = '\b0\b' }
        @{ Name = 'echo: -TimeoutSeconds negative'; Run = { Start-UdpEcho -Port 0 -TimeoutSeconds -1 }; Id = "ParameterArgumentValidationError,$E"; Message = 'greater than 0' }
        @{ Name = 'echo: -MaximumRate negative'; Run = { Start-UdpEcho -Port 0 -MaximumRate -1 -Count 1 }; Id = "ParameterArgumentValidationError,$E"; Message = '-1' }
        @{ Name = 'echo: a bound port in use'; Run = { Start-UdpEcho -Port $port -LocalAddress 127.0.0.1 -Count 1 }; Id = "AddressInUse,$E"; Message = "$port" }
        @{ Name = 'echo: -LocalAddress not on this host'; Skip = $NonLocalBind; Run = { Start-UdpEcho -Port 0 -LocalAddress 198.51.100.7 -Count 1 }; Id = "AddressNotAvailable,$E"; Message = '198\.51\.100\.7' }
        @{ Name = 'broadcast: unknown interface'; Run = { Send-UdpBroadcast -Port $port -InterfaceName nosuch0 -Message 'x' }; Id = "InterfaceNotFound,$B"; Message = 'nosuch0' }
        @{ Name = 'broadcast: empty interface name'; Run = { Send-UdpBroadcast -Port $port -InterfaceName '' -Message 'x' }; Id = "ParameterArgumentValidationError,$B"; Message = 'empty' }
        @{ Name = 'broadcast: port 0'; Run = { Send-UdpBroadcast -Port 0 -BroadcastAddress 127.255.255.255 -Message 'x' }; Id = "ParameterArgumentValidationError,$B"; Message = '\b0\b' }
        @{ Name = 'broadcast: port 65536'; Run = { Send-UdpBroadcast -Port 65536 -BroadcastAddress 127.255.255.255 -Message 'x' }; Id = "ParameterArgumentValidationError,$B"; Message = '65536' }
        @{ Name = 'broadcast: -Payload at the limit'; Run = { Send-UdpBroadcast -Port $port -BroadcastAddress 127.255.255.255 -Payload ([byte[]]::new(65507)) }; Id = $null; Arrives = 1 }
        @{ Name = 'broadcast: -Payload one byte over'; Run = { Send-UdpBroadcast -Port $port -BroadcastAddress 127.255.255.255 -Payload ([byte[]]::new(65508)) }; Id = "PayloadTooLarge,$B"; Message = '65,508' }
        @{ Name = 'broadcast: malformed hex'; Run = { Send-UdpBroadcast -Port $port -BroadcastAddress 127.255.255.255 -Hex 'F' }; Id = "InvalidHex,$B"; Message = 'odd number' }
        @{ Name = 'broadcast: -Count 0'; Run = { Send-UdpBroadcast -Port $port -BroadcastAddress 127.255.255.255 -Message 'x' -WaitForReply -Count 0 }; Id = "ParameterArgumentValidationError,$B"; Message = '\b0\b' }
        @{ Name = 'broadcast: -TimeoutSeconds negative'; Run = { Send-UdpBroadcast -Port $port -BroadcastAddress 127.255.255.255 -Message 'x' -WaitForReply -TimeoutSeconds -1 }; Id = "ParameterArgumentValidationError,$B"; Message = 'greater than 0' }
        @{ Name = 'broadcast: an IPv6 broadcast address'; Run = { Send-UdpBroadcast -Port $port -BroadcastAddress ::1 -Message 'x' }; Id = "AddressFamilyMismatch,$B"; Message = 'IPv6 has no broadcast' }
        @{ Name = 'broadcast: -InterfaceName with -BroadcastAddress'; Run = { Send-UdpBroadcast -Port $port -InterfaceName lo -BroadcastAddress 127.255.255.255 -Message 'x' }; Id = "ConflictingDestination,$B"; Message = 'excludes -BroadcastAddress' }
        @{ Name = 'broadcast: unknown encoding'; Run = { Send-UdpBroadcast -Port $port -BroadcastAddress 127.255.255.255 -Message 'x' -Encoding klingon }; Id = "ParameterArgumentTransformationError,$B"; Message = 'klingon' }
        @{ Name = 'trace: -MaxHops 0'; Run = { Test-UdpConnection 127.0.0.1 $port -Traceroute -MaxHops 0 }; Id = "ParameterArgumentValidationError,$T"; Message = '\b0\b.*minimum' }
        @{ Name = 'trace: -MaxHops 256'; Run = { Test-UdpConnection 127.0.0.1 $port -Traceroute -MaxHops 256 }; Id = "ParameterArgumentValidationError,$T"; Message = '256.*255' }
        @{ Name = 'trace: -Count 0'; Run = { Test-UdpConnection 127.0.0.1 $port -Traceroute -Count 0 }; Id = "ParameterArgumentValidationError,$T"; Message = '\b0\b' }
        @{ Name = 'trace: -Count 11'; Run = { Test-UdpConnection 127.0.0.1 $port -Traceroute -Count 11 }; Id = "TraceCountOutOfRange,$T"; Message = '1 to 10.*11' }
        @{ Name = 'trace: two ports'; Run = { Test-UdpConnection 127.0.0.1 $port, 9 -Traceroute }; Id = "TraceOneTarget,$T"; Message = 'one host and one port; 1 host and 2 ports' }
        @{ Name = 'trace: two ports from the pipeline'; Run = { [pscustomobject]@{ ComputerName = '127.0.0.1'; Port = $port }, [pscustomobject]@{ ComputerName = '127.0.0.1'; Port = 9 } | Test-UdpConnection -Traceroute }; Id = "TraceOneTarget,$T"; Message = '1 host and 2 ports' }
        @{ Name = 'trace: two hosts'; Run = { Test-UdpConnection 127.0.0.1, ::1 $port -Traceroute }; Id = "TraceOneTarget,$T"; Message = 'one host and one port; 2 hosts and 1 port' }
        @{ Name = 'trace: -Quiet'; Run = { Test-UdpConnection 127.0.0.1 $port -Traceroute -Quiet }; Id = "ConflictingTraceParameter,$T"; Message = '-Quiet does not apply' }
        @{ Name = 'trace: -TimeToLive'; Run = { Test-UdpConnection 127.0.0.1 $port -Traceroute -TimeToLive 3 }; Id = "ConflictingTraceParameter,$T"; Message = '-TimeToLive does not apply' }
        @{ Name = 'trace: -MaxHops without -Traceroute'; Run = { Test-UdpConnection 127.0.0.1 $port -MaxHops 5 }; Id = "TraceParameterWithoutTraceroute,$T"; Message = 'add -Traceroute' }
        @{ Name = 'trace: -DiscoverMtu without -Traceroute'; Run = { Test-UdpConnection 127.0.0.1 $port -DiscoverMtu }; Id = "TraceParameterWithoutTraceroute,$T"; Message = '-DiscoverMtu' }
        @{ Name = 'trace: malformed hex'; Run = { Test-UdpConnection 127.0.0.1 $port -Traceroute -Hex 'F' }; Id = "InvalidHex,$T"; Message = 'odd number' }
    )
}

BeforeAll {
    Import-Module PSUdp
    Import-Module "$PSScriptRoot/PSUdpTestUtilities.psm1" -Force
    # A dual-mode peer on a port of its own receives whatever a case sends to 127.0.0.1 or ::1.
    $peer = [System.Net.Sockets.Socket]::new('InterNetworkV6', 'Dgram', 'Udp')
    $peer.DualMode = $true
    $peer.ReceiveBufferSize = 1MB
    $peer.ReceiveTimeout = 200
    $peer.Bind([System.Net.IPEndPoint]::new([ipaddress]::IPv6Any, 0))
    $port = $peer.LocalEndPoint.Port
}

AfterAll { $peer.Dispose() }

Describe 'bad input' {
    It '<Name>' -ForEach $cases {
        if ($_['Skip']) { Set-ItResult -Skipped -Because $_['Skip']; return }
        $sockets = Get-OpenSocketCount
        $caught = $null
        $ErrorActionPreference = 'Stop'
        try { & $Run | Out-Null } catch { $caught = $_ }
        $ErrorActionPreference = 'Continue'
        if ($Id) {
            $caught | Should -Not -BeNullOrEmpty -Because 'bad input must fail'
            $caught.FullyQualifiedErrorId | Should -Be $Id
            $caught.Exception.Message | Should -Match $Message
            $caught.Exception.GetType().FullName | Should -Not -Match '^System\.(NullReference|IndexOutOfRange|InvalidCast)'
        }
        else {
            $caught | Should -BeNullOrEmpty
        }
        $arrived = @(Receive-TestPeer $peer -Seconds 0.3)
        $arrived.Count | Should -Be ([int]$Arrives) -Because 'bad input must send nothing'
        # A socket the case closes on another thread (or the runtime's own, closing late on a
        # loaded machine) is given time to go; one left open stays and fails the case.
        $left = Wait-Until { (Get-OpenSocketCount) -le $sockets } -Seconds 10
        Get-OpenSocketCount | Should -BeLessOrEqual $sockets -Because "no socket may be left open (waited: $left)"
    }
}
