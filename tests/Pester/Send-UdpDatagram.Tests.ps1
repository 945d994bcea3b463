BeforeDiscovery {
    Import-Module "$PSScriptRoot/PSUdpTestUtilities.psm1" -Force
    $NoPython = Get-WineSkipReason Python
    $NoConnReset = Get-WineSkipReason NoConnReset
    $DualModeReceive = Get-WineSkipReason DualModeReceive
}

BeforeAll {
    Import-Module PSUdp
    Import-Module "$PSScriptRoot/PSUdpTestUtilities.psm1" -Force
    $Chinese = '请输入要发送的数据'
}

Describe 'Send-UdpDatagram' {
    Context 'round trips to a plain socket on <_>' -ForEach '127.0.0.1', '::1' {
        BeforeAll {
            $address = $_
            $peer = New-TestPeer $address
            $port = $peer.LocalEndPoint.Port
        }
        AfterAll { $peer.Dispose() }

        It 'sends ASCII and Chinese text as exact UTF-8 bytes' {
            'hello', $Chinese | Send-UdpDatagram -ComputerName $address -Port $port
            $got = @(Receive-TestPeer $peer -Count 2)
            [Text.Encoding]::ASCII.GetString($got[0].Payload) | Should -BeExactly 'hello'
            ConvertTo-HexString $got[1].Payload | Should -BeExactly (ConvertTo-HexString ([Text.Encoding]::UTF8.GetBytes($Chinese)))
        }

        It 'sends every byte value with -Payload and with -Hex' {
            $all = [byte[]](0..255)
            Send-UdpDatagram -ComputerName $address -Port $port -Payload $all
            Send-UdpDatagram -ComputerName $address -Port $port -Hex 'DE AD be:ef'
            $got = @(Receive-TestPeer $peer -Count 2)
            ConvertTo-HexString $got[0].Payload | Should -BeExactly (ConvertTo-HexString $all)
            ConvertTo-HexString $got[1].Payload | Should -BeExactly 'DEADBEEF'
        }

        It 'sends an empty datagram and a 65,507-byte datagram' {
            Send-UdpDatagram -ComputerName $address -Port $port -Message ''
            $big = [byte[]]::new(65507); (New-Object Random 7).NextBytes($big)
            Send-UdpDatagram -ComputerName $address -Port $port -Payload $big
            $got = @(Receive-TestPeer $peer -Count 2)
            $got[0].Length | Should -Be 0
            $got[1].Length | Should -Be 65507
            ConvertTo-HexString $got[1].Payload | Should -BeExactly (ConvertTo-HexString $big)
        }
    }

    It 'round-trips through Receive-UdpDatagram on <_>' -ForEach '127.0.0.1', '::1' {
        $dualMode = Get-WineSkipReason DualModeReceive
        if ($_ -eq '127.0.0.1' -and $dualMode) { Set-ItResult -Skipped -Because $dualMode; return }
        $job = Receive-UdpDatagram -Port 0 -Count 4 -AsJob
        try {
            'ascii', $Chinese | Send-UdpDatagram -ComputerName $_ -Port $job.LocalPort
            Send-UdpDatagram -ComputerName $_ -Port $job.LocalPort -Payload ([byte[]](0..255))
            Send-UdpDatagram -ComputerName $_ -Port $job.LocalPort -Hex ''
            $got = @($job | Wait-Job -Timeout 10 | Receive-Job)
            $got.Count | Should -Be 4
            $got[0].Text | Should -BeExactly 'ascii'
            $got[1].Text | Should -BeExactly $Chinese
            $got[1].Hex | Should -BeExactly (ConvertTo-HexString ([Text.Encoding]::UTF8.GetBytes($Chinese)))
            $got[2].Hex | Should -BeExactly (ConvertTo-HexString ([byte[]](0..255)))
            $got[3].Length | Should -Be 0
            $got[0].RemoteAddress | Should -Be ([ipaddress]$_)
        }
        finally { $job | Remove-Job -Force }
    }

    It 'pipes 10,000 strings through one socket, all arriving in order' {
        $job = Receive-UdpDatagram -Port 0 -LocalAddress 127.0.0.1 -Count 10000 -AsJob
        try {
            1..10000 | ForEach-Object { "message $_" } | Send-UdpDatagram -ComputerName 127.0.0.1 -Port $job.LocalPort
            $got = @($job | Wait-Job -Timeout 30 | Receive-Job)
            $got.Count | Should -Be 10000
            $got[0].Text | Should -BeExactly 'message 1'
            $got[9999].Text | Should -BeExactly 'message 10000'
            $inOrder = $true
            for ($i = 0; $i -lt 10000; $i++) { if ($got[$i].Text -ne "message $($i + 1)") { $inOrder = $false; break } }
            $inOrder | Should -BeTrue
            @($got.RemotePort | Sort-Object -Unique).Count | Should -Be 1
        }
        finally { $job | Remove-Job -Force }
    }

    It 'is received by the python receiver byte for byte' -Skip:([bool]$NoPython) {
        $python = Start-PythonPeer 'udp_receiver.py' @('--host', '127.0.0.1', '--port', '0', '--count', '2', '--timeout', '10')
        $python.Port | Should -Not -BeNullOrEmpty
        $sent = @(
            Send-UdpDatagram -ComputerName 127.0.0.1 -Port $python.Port -Message $Chinese -PassThru
            Send-UdpDatagram -ComputerName 127.0.0.1 -Port $python.Port -Payload ([byte[]](0..255)) -PassThru
        )
        $lines = @(Stop-PythonPeer $python | Where-Object { $_ -like 'RECV *' })
        $lines.Count | Should -Be 2
        ($lines[0] -split ' ')[3].ToUpperInvariant() | Should -BeExactly $sent[0].Hex
        ($lines[1] -split ' ')[3].ToUpperInvariant() | Should -BeExactly $sent[1].Hex
        [int]($lines[0] -split ' ')[2] | Should -Be $sent[0].LocalPort
    }

    It '-PassThru writes the sent datagram' {
        $peer = New-TestPeer
        try {
            $sent = Send-UdpDatagram -ComputerName 127.0.0.1 -Port $peer.LocalEndPoint.Port -Message 'hi' -PassThru
            $sent.pstypenames[0] | Should -Be 'PSUdp.UdpDatagram'
            $sent.Direction | Should -Be 'Sent'
            $sent.RemoteAddress | Should -Be ([ipaddress]'127.0.0.1')
            $sent.RemotePort | Should -Be $peer.LocalEndPoint.Port
            $sent.Text | Should -BeExactly 'hi'
            $sent.Length | Should -Be 2
        }
        finally { $peer.Dispose() }
    }

    It '-WhatIf sends nothing' {
        $peer = New-TestPeer
        try {
            Send-UdpDatagram -ComputerName 127.0.0.1 -Port $peer.LocalEndPoint.Port -Message 'no' -WhatIf
            @(Receive-TestPeer $peer -Seconds 0.5).Count | Should -Be 0
        }
        finally { $peer.Dispose() }
    }

    It '-Verbose words each send as ShouldProcess(target, action) does, per target and length' {
        $peer = New-TestPeer
        try {
            $port = $peer.LocalEndPoint.Port
            $verbose = @('ab', 'cd', 'efg' | Send-UdpDatagram -ComputerName 127.0.0.1, localhost -Port $port -IPv4 -Verbose 4>&1 |
                Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -like 'Performing*' } | ForEach-Object Message)
            $verbose | Should -Be @(
                "Performing the operation `"Send a 2-byte UDP datagram`" on target `"127.0.0.1:$port`"."
                "Performing the operation `"Send a 2-byte UDP datagram`" on target `"127.0.0.1:$port`"."
                "Performing the operation `"Send a 2-byte UDP datagram`" on target `"127.0.0.1:$port`"."
                "Performing the operation `"Send a 2-byte UDP datagram`" on target `"127.0.0.1:$port`"."
                "Performing the operation `"Send a 3-byte UDP datagram`" on target `"127.0.0.1:$port`"."
                "Performing the operation `"Send a 3-byte UDP datagram`" on target `"127.0.0.1:$port`"."
            )
            @(Receive-TestPeer $peer -Count 6).Count | Should -Be 6
        }
        finally { $peer.Dispose() }
    }

    It 'answers datagrams from two peers in turn, each to its own sender' {
        $peers = @(New-TestPeer; New-TestPeer)
        $job = Receive-UdpDatagram -Port 0 -LocalAddress 127.0.0.1 -Count 4 -AsJob
        try {
            $to = [System.Net.IPEndPoint]::new([ipaddress]::Loopback, $job.LocalPort)
            foreach ($i in 0..3) { $peers[$i % 2].SendTo([byte[]](64 + $i), $to) | Out-Null; Start-Sleep -Milliseconds 20 }
            $received = @($job | Wait-Job -Timeout 10 | Receive-Job)
            $received.Count | Should -Be 4
            $received | Send-UdpDatagram
            foreach ($p in 0..1) {
                $answers = @(Receive-TestPeer $peers[$p] -Count 2)
                $answers.Count | Should -Be 2
                $answers | ForEach-Object { $_.Payload[0] % 2 | Should -Be $p }
            }
        }
        finally { $peers | ForEach-Object Dispose; $job | Remove-Job -Force }
    }

    It 'answers a received datagram piped into it, and relays one with -ComputerName and -Port' -Skip:([bool]$DualModeReceive) {
        $peer = New-TestPeer
        $job = Receive-UdpDatagram -Port 0 -Count 1 -AsJob
        try {
            $peer.SendTo([Text.Encoding]::UTF8.GetBytes('ping'), [System.Net.IPEndPoint]::new([ipaddress]::Loopback, $job.LocalPort)) | Out-Null
            $received = $job | Wait-Job -Timeout 10 | Receive-Job
            $received | Send-UdpDatagram
            $received | Send-UdpDatagram -ComputerName 127.0.0.1 -Port $peer.LocalEndPoint.Port
            $replies = @(Receive-TestPeer $peer -Count 2)
            $replies.Count | Should -Be 2
            $replies | ForEach-Object { [Text.Encoding]::UTF8.GetString($_.Payload) | Should -BeExactly 'ping' }
        }
        finally { $peer.Dispose(); $job | Remove-Job -Force }
    }

    Context '-WaitForReply' {
        It 'writes the reply of the python echo server' -Skip:([bool]$NoPython) {
            $echo = Start-PythonPeer 'udp_echo_server.py' @('--host', '127.0.0.1', '--port', '0', '--count', '1', '--timeout', '10')
            $reply = Send-UdpDatagram -ComputerName 127.0.0.1 -Port $echo.Port -Message $Chinese -WaitForReply
            Stop-PythonPeer $echo | Should -Contain 'ECHOED 1'
            $reply.Direction | Should -Be 'Received'
            $reply.Text | Should -BeExactly $Chinese
            $reply.RemotePort | Should -Be $echo.Port
        }

        It 'gives the reply the arrival facts a received datagram has (<Address>)' -Skip:([bool]$NoPython) -ForEach @(
            @{ Address = '127.0.0.1'; Interface = 'lo' }
            @{ Address = '::1'; Interface = 'lo' }
        ) {
            # The echo's own TTL and traffic class, so only the reply as it arrived can carry them.
            $echo = Start-PythonPeer 'udp_echo_server.py' @('--host', $Address, '--port', '0', '--count', '1', '--timeout', '10', '--ttl', '42', '--tos', '184')
            $before = [DateTimeOffset]::UtcNow
            $reply = Send-UdpDatagram -ComputerName $Address -Port $echo.Port -Message 'facts' -WaitForReply
            Stop-PythonPeer $echo | Should -Contain 'ECHOED 1'
            $reply.TimeToLive | Should -Be 42
            $reply.Dscp | Should -Be 46
            $reply.Ecn | Should -Be 0
            $reply.InterfaceName | Should -Be $Interface
            "$($reply.LocalAddress)" | Should -Be $Address
            $reply.Timestamp | Should -BeGreaterOrEqual $before
            $reply.Timestamp | Should -BeLessOrEqual ([DateTimeOffset]::UtcNow)
        }

        It 'fails with PortUnreachable when nothing listens' -Skip:([bool]$NoConnReset) {
            { Send-UdpDatagram -ComputerName 127.0.0.1 -Port (Get-ClosedUdpPort) -Message 'x' -WaitForReply -ErrorAction Stop } |
                Should -Throw -ErrorId 'PortUnreachable,PSUdp.Commands.SendUdpDatagramCommand'
        }

        It 'gives each reply its RoundTripTime' -Skip:([bool]$NoPython) {
            $echo = Start-PythonPeer 'udp_echo_server.py' @('--host', '127.0.0.1', '--port', '0', '--count', '1', '--timeout', '10')
            $reply = Send-UdpDatagram -ComputerName 127.0.0.1 -Port $echo.Port -Message 'rtt' -WaitForReply
            Stop-PythonPeer $echo | Out-Null
            $reply.RoundTripTime | Should -BeOfType [timespan]
            $reply.RoundTripTime | Should -BeGreaterThan ([timespan]::Zero)
        }

        It 'puts the ICMP evidence on PortUnreachable: type 3, code 3, from the host' -Skip:([bool]$NoConnReset) {
            $port = Get-ClosedUdpPort
            $e = { Send-UdpDatagram -ComputerName 127.0.0.1 -Port $port -Message 'x' -WaitForReply -ErrorAction Stop } |
                Should -Throw -ErrorId 'PortUnreachable,PSUdp.Commands.SendUdpDatagramCommand' -PassThru
            $e.Exception.Icmp.Type | Should -Be 3
            $e.Exception.Icmp.Code | Should -Be 3
            "$($e.Exception.Icmp.Source)" | Should -Be '127.0.0.1'
            $e.Exception.Icmp.OriginalDestination.Port | Should -Be $port
        }

        It 'fails with ReplyTimeout when the peer stays silent' {
            $peer = New-TestPeer
            try {
                $clock = [Diagnostics.Stopwatch]::StartNew()
                { Send-UdpDatagram -ComputerName 127.0.0.1 -Port $peer.LocalEndPoint.Port -Message 'x' -WaitForReply -TimeoutSeconds 0.5 -ErrorAction Stop } |
                    Should -Throw -ErrorId 'ReplyTimeout,PSUdp.Commands.SendUdpDatagramCommand'
                $clock.Elapsed.TotalSeconds | Should -BeLessThan 3
            }
            finally { $peer.Dispose() }
        }

        It 'goes on to the next host after a failure (non-terminating)' -Skip:([bool]$NoPython) {
            $echo = Start-PythonPeer 'udp_echo_server.py' @('--host', '127.0.0.1', '--port', '0', '--count', '1', '--timeout', '10')
            $errors = $null
            $replies = @(Send-UdpDatagram -ComputerName 'no-such-host.invalid', '127.0.0.1' -Port $echo.Port -Message 'hi' -WaitForReply -ErrorVariable errors -ErrorAction SilentlyContinue)
            Stop-PythonPeer $echo | Out-Null
            $replies.Count | Should -Be 1
            $errors[0].FullyQualifiedErrorId | Should -Be 'NameNotResolved,PSUdp.Commands.SendUdpDatagramCommand'
            $errors[0].TargetObject | Should -Be 'no-such-host.invalid'
        }
    }

    Context 'bad input fails clearly and sends nothing' {
        BeforeAll { $peer = New-TestPeer; $port = $peer.LocalEndPoint.Port }
        AfterAll { $peer.Dispose() }
        AfterEach { @(Receive-TestPeer $peer -Seconds 0.3).Count | Should -Be 0 }

        It 'port <_> is out of range' -ForEach 0, 65536 {
            { Send-UdpDatagram -ComputerName 127.0.0.1 -Port $_ -Message 'x' } |
                Should -Throw -ErrorId 'ParameterArgumentValidationError,PSUdp.Commands.SendUdpDatagramCommand'
        }

        It 'a payload one byte over the IPv4 limit' {
            $err = { Send-UdpDatagram -ComputerName 127.0.0.1 -Port $port -Payload ([byte[]]::new(65508)) -ErrorAction Stop } |
                Should -Throw -ErrorId 'PayloadTooLarge,PSUdp.Commands.SendUdpDatagramCommand' -PassThru
            $err.Exception.Message | Should -Match '65,508'
        }

        It 'a payload one byte over the IPv6 limit' {
            { Send-UdpDatagram -ComputerName ::1 -Port $port -Payload ([byte[]]::new(65528)) -ErrorAction Stop } |
                Should -Throw -ErrorId 'PayloadTooLarge,PSUdp.Commands.SendUdpDatagramCommand'
        }

        It 'an unknown encoding' {
            $err = { Send-UdpDatagram -ComputerName 127.0.0.1 -Port $port -Message 'x' -Encoding klingon } |
                Should -Throw -ErrorId 'ParameterArgumentTransformationError,PSUdp.Commands.SendUdpDatagramCommand' -PassThru
            $err.Exception.Message | Should -Match 'klingon'
        }

        It 'malformed hex: <_>' -ForEach 'ABC', 'zz' {
            { Send-UdpDatagram -ComputerName 127.0.0.1 -Port $port -Hex $_ -ErrorAction Stop } |
                Should -Throw -ErrorId 'InvalidHex,PSUdp.Commands.SendUdpDatagramCommand'
        }

        It 'a name that does not resolve' {
            $err = { Send-UdpDatagram -ComputerName 'nothing.invalid' -Port $port -Message 'x' -ErrorAction Stop } |
                Should -Throw -ErrorId 'NameNotResolved,PSUdp.Commands.SendUdpDatagramCommand' -PassThru
            $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $err.TargetObject | Should -Be 'nothing.invalid'
        }

        It 'an IPv6 target with -IPv4' {
            { Send-UdpDatagram -ComputerName ::1 -Port $port -Message 'x' -IPv4 -ErrorAction Stop } |
                Should -Throw -ErrorId 'AddressFamilyMismatch,PSUdp.Commands.SendUdpDatagramCommand'
        }

        It '-IPv4 with -IPv6' {
            { Send-UdpDatagram -ComputerName 127.0.0.1 -Port $port -Message 'x' -IPv4 -IPv6 } |
                Should -Throw -ErrorId 'ConflictingAddressFamily,PSUdp.Commands.SendUdpDatagramCommand'
        }

        It 'a local port that is in use' {
            { Send-UdpDatagram -ComputerName 127.0.0.1 -Port $port -Message 'x' -LocalAddress 127.0.0.1 -LocalPort $port } |
                Should -Throw -ErrorId 'AddressInUse,PSUdp.Commands.SendUdpDatagramCommand'
        }
    }
}
