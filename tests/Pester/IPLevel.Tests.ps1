# What PSUdp does at the IP level. Answers from the address a datagram was sent to, the
# facts of each arrival (TTL, DSCP/ECN, interface, kernel time), the senders' -TimeToLive, -Dscp
# and -DontFragment, and the kernel's own drops. Loopback here; the routed and multi-homed cases
# run in namespaces of their own (TestHosts.psm1).

BeforeDiscovery {
    $onLinux = $IsLinux
}

BeforeAll {
    Import-Module PSUdp
    Import-Module "$PSScriptRoot/PSUdpTestUtilities.psm1" -Force
}

Describe 'An echo bound to the wildcard answers from the address each datagram was sent to' -Skip:(-not $onLinux) {
    BeforeAll { $echo = Start-UdpEcho -Port 0 -AsJob }
    AfterAll { $echo | Remove-Job -Force }

    It 'a connected python client of <_> gets the answer' -ForEach '127.0.0.1', '127.0.0.2', '::1' {
        $line = Invoke-Python 'udp_echo_client.py' @($_, $echo.LocalPort, '--text', 'ping', '--timeout', '5')
        $LASTEXITCODE | Should -Be 0 -Because "$line"
        $kind, $address, $null = "$line" -split ' '
        $kind | Should -Be 'REPLY'
        $address | Should -Be $_
    }

    It 'Send-UdpDatagram -WaitForReply to <_> gets the answer' -ForEach '127.0.0.2', '::1', '127.0.0.1' {
        $reply = Send-UdpDatagram -ComputerName $_ -Port $echo.LocalPort -Message 'ping' -WaitForReply -TimeoutSeconds 5
        $reply.Text | Should -Be 'ping'
        $reply.RemoteAddress | Should -Be ([ipaddress] $_)
    }

    It 'writes where each datagram came to: the address and the interface' {
        Wait-Until { $echo.Output.Count -ge 6 } | Should -BeTrue
        $got = @(Receive-Job $echo)
        $expected = @('127.0.0.1', '127.0.0.2', '::1') | Sort-Object
        @($got.LocalAddress.IPAddressToString | Sort-Object -Unique) | Should -Be $expected
        $got.InterfaceName | Sort-Object -Unique | Should -Be 'lo'
    }
}

Describe 'The facts of each arrival' {
    It 'tells TTL, DSCP, ECN, the interface and the kernel time of a datagram on loopback (<_>)' -Skip:(-not $onLinux) -ForEach '127.0.0.1', '::1' {
        $job = Receive-UdpDatagram -Port 0 -Count 1 -AsJob
        try {
            $before = [DateTimeOffset]::Now
            Send-UdpDatagram -ComputerName $_ -Port $job.LocalPort -Message 'facts' -TimeToLive 9 -Dscp EF
            $d = $job | Wait-Job -Timeout 10 | Receive-Job
            $d.TimeToLive | Should -Be 9
            $d.Dscp | Should -Be 46
            $d.Ecn | Should -Be 0
            $d.InterfaceName | Should -Be 'lo'
            $d.Timestamp | Should -BeGreaterThan $before.AddSeconds(-1)
        }
        finally { $job | Remove-Job -Force }
    }

    It 'gives $null, never a made-up value, where the platform does not tell (the portable path, forced)' {
        $pwsh = Get-PwshCommand
        $script = @'
Import-Module PSUdp
$job = Receive-UdpDatagram -Port 0 -Count 1 -AsJob
Send-UdpDatagram -ComputerName 127.0.0.1 -Port $job.LocalPort -Message x -TimeToLive 9
$d = $job | Wait-Job -Timeout 10 | Receive-Job
'{0}|{1}|{2}|{3}' -f ($null -eq $d.TimeToLive), ($null -eq $d.Dscp), ($null -eq $d.Ecn), $d.Text
$job | Remove-Job -Force
'@
        $env:PSUDP_FORCE_PORTABLE = '1'
        try { $out = & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -Command $script }
        finally { Remove-Item Env:PSUDP_FORCE_PORTABLE }
        "$out".Trim() | Should -Be 'True|True|True|x'
    }
}

Describe 'Bad IP-level input: a clear error with a stable id, and nothing sent' {
    BeforeAll {
        $peer = New-TestPeer
        $port = $peer.LocalEndPoint.Port
    }
    AfterAll { $peer.Dispose() }

    It '<Cmdlet> <Arguments> fails with <Id>' -ForEach @(
        @{ Cmdlet = 'Send-UdpDatagram'; Arguments = @{ TimeToLive = 0 }; Id = 'ParameterArgumentValidationError' }
        @{ Cmdlet = 'Send-UdpDatagram'; Arguments = @{ TimeToLive = 256 }; Id = 'ParameterArgumentValidationError' }
        @{ Cmdlet = 'Send-UdpDatagram'; Arguments = @{ Dscp = 64 }; Id = 'ParameterArgumentValidationError' }
        @{ Cmdlet = 'Send-UdpDatagram'; Arguments = @{ Dscp = -1 }; Id = 'ParameterArgumentValidationError' }
        @{ Cmdlet = 'Send-UdpDatagram'; Arguments = @{ Dscp = 'AF44' }; Id = 'ParameterArgumentTransformationError' }
        @{ Cmdlet = 'Send-UdpDatagram'; Arguments = @{ Dscp = 'fast' }; Id = 'ParameterArgumentTransformationError' }
        @{ Cmdlet = 'Send-UdpBroadcast'; Arguments = @{ TimeToLive = 0 }; Id = 'ParameterArgumentValidationError' }
        @{ Cmdlet = 'Send-UdpBroadcast'; Arguments = @{ Dscp = 'XX' }; Id = 'ParameterArgumentTransformationError' }
    ) {
        $common = if ($Cmdlet -eq 'Send-UdpDatagram') { @{ ComputerName = '127.0.0.1'; Port = $port } } else { @{ Port = $port; BroadcastAddress = '127.255.255.255' } }
        $command = Get-Command $Cmdlet
        { & $command @common -Message 'must not leave' @Arguments -ErrorAction Stop } |
            Should -Throw -ErrorId "$Id,PSUdp.Commands.$($Cmdlet -replace '-', '')Command"
        @(Receive-TestPeer $peer -Seconds 0.3).Count | Should -Be 0
    }

    It 'says what a DSCP may be' {
        { Send-UdpDatagram 127.0.0.1 $port 'x' -Dscp fast -ErrorAction Stop } | Should -Throw '*0 to 63*EF*AF11*CS7*'
    }

    It 'offers the DSCP names to tab completion' {
        $completion = TabExpansion2 -inputScript 'Send-UdpDatagram -Dscp AF4' -cursorColumn 26
        $completion.CompletionMatches.CompletionText | Should -Be @('AF41', 'AF42', 'AF43')
    }

    It 'Linux accepts -DontFragment on a broadcast: the datagram arrives' -Skip:(-not $onLinux) {
        $job = Receive-UdpDatagram -Port 0 -LocalAddress 0.0.0.0 -Count 1 -AsJob
        try {
            Send-UdpBroadcast -Port $job.LocalPort -BroadcastAddress 127.255.255.255 -Message 'df' -DontFragment
            ($job | Wait-Job -Timeout 10 | Receive-Job).Text | Should -Be 'df'
        }
        finally { $job | Remove-Job -Force }
    }
}

Describe 'A sent datagram says the address it really left from' {
    It 'Send-UdpDatagram -PassThru to <_> gives LocalAddress <_>, not the wildcard' -ForEach '127.0.0.1', '::1' {
        $peer = New-TestPeer $_
        try {
            $sent = Send-UdpDatagram -ComputerName $_ -Port $peer.LocalEndPoint.Port -Message 'from' -PassThru
            $sent.LocalAddress | Should -Be ([ipaddress] $_)
        }
        finally { $peer.Dispose() }
    }

    It 'so does a -WaitForReply send, whose socket is not connected' {
        $echo = Start-UdpEcho -Port 0 -AsJob
        try {
            $sent, $reply = Send-UdpDatagram -ComputerName 127.0.0.1 -Port $echo.LocalPort -Message 'x' -PassThru -WaitForReply
            $sent.LocalAddress | Should -Be ([ipaddress] '127.0.0.1')
            $reply.LocalAddress | Should -Be ([ipaddress] '127.0.0.1')
        }
        finally { $echo | Remove-Job -Force }
    }
}

Describe 'A reply from another address is named, not dropped without a word' {
    It 'ReplyTimeout says which address answered (the textbook echo server answers 127.0.0.2 from 127.0.0.1)' -Skip:(-not $onLinux) {
        $server = Start-PythonPeer 'udp_echo_server.py' @('--host', '0.0.0.0', '--port', '0', '--count', '1', '--timeout', '20')
        try {
            $server.Port | Should -Not -BeNullOrEmpty
            { Send-UdpDatagram -ComputerName 127.0.0.2 -Port $server.Port -Message 'who' -WaitForReply -TimeoutSeconds 2 -ErrorAction Stop } |
                Should -Throw -ErrorId 'ReplyTimeout,PSUdp.Commands.SendUdpDatagramCommand' -ExpectedMessage "*did come from 127.0.0.1:$($server.Port)*not taken as the reply*"
        }
        finally { $null = Stop-PythonPeer $server -TimeoutMs 5000 }
    }
}

Describe 'The kernel''s own drops are counted beside PSUdp''s' -Skip:(-not $onLinux) {
    BeforeAll {
        # The drops column of /proc/net/udp (or udp6) for the socket bound to 127.0.0.1:port.
        function Get-ProcUdpDrops([int] $Port) {
            $local = '0100007F:{0:X4}' -f $Port
            $line = Get-Content /proc/net/udp | Where-Object { ($_.Trim() -split '\s+')[1] -eq $local } | Select-Object -First 1
            if ($line) { [long] ($line.Trim() -split '\s+')[-1] } else { $null }
        }
    }

    It 'a 20,000-datagram flood into a 4 KiB buffer that nobody reads: the kernel figure equals /proc/net/udp, and every datagram is accounted for' {
        $sent = 20000
        $job = Receive-UdpDatagram -Port 0 -LocalAddress 127.0.0.1 -ReceiveBufferSize 4096 -AsJob
        try {
            $result = Invoke-Python 'udp_sender.py' @('127.0.0.1', $job.LocalPort, '--count', $sent, '--quiet', '--text', 'flood')
            $LASTEXITCODE | Should -Be 0 -Because "$result"
            # The flood is over once the socket is quiet; then the kernel's count stands still.
            Wait-Until { $proc = Get-ProcUdpDrops $job.LocalPort; $null -ne $proc -and $job.DroppedByKernel -eq $proc -and ($job.Received + $proc) -eq $sent } -Seconds 30 |
                Should -BeTrue -Because "received $($job.Received), kernel $($job.DroppedByKernel), /proc $(Get-ProcUdpDrops $job.LocalPort)"
            $kernel = Get-ProcUdpDrops $job.LocalPort
            $kernel | Should -BeGreaterThan 0 -Because 'a 4 KiB buffer overflows under this flood'
            $job.DroppedByKernel | Should -Be $kernel
            $job.StatusMessage | Should -BeLike "*$($kernel.ToString('N0')) dropped by the system*"
            $job | Stop-Job
            $written = @(Receive-Job $job -WarningVariable warnings -WarningAction SilentlyContinue)
            $written.Count + $job.Dropped + $kernel | Should -Be $sent
            ($warnings -join "`n") | Should -BeLike "*The system dropped $($kernel.ToString('N0')) datagrams*"
        }
        finally { $job | Remove-Job -Force }
    }
}
