BeforeDiscovery {
    Import-Module "$PSScriptRoot/PSUdpTestUtilities.psm1" -Force
    $NoPython = Get-WineSkipReason Python
    $hasSocat = [bool](Get-Command socat -CommandType Application -ErrorAction Ignore)
    $isRoot = $IsLinux -and ((& id -u) -eq '0')
}

BeforeAll {
    Import-Module PSUdp
    Import-Module "$PSScriptRoot/PSUdpTestUtilities.psm1" -Force
    $Chinese = '请输入要发送的数据'
    $ChineseHex = [Convert]::ToHexString([Text.Encoding]::UTF8.GetBytes($Chinese))
    $BinaryHex = [Convert]::ToHexString([byte[]](0..255))

}

Describe 'Start-UdpEcho' {
    Context 'answering peers that are not PSUdp' {
        BeforeAll { $echo = Start-UdpEcho -Port 0 -AsJob }
        AfterAll { $echo | Remove-Job -Force }

        It 'answers the python echo client from its own port (<_>)' -Skip:([bool]$NoPython) -ForEach 'text', 'binary' {
            $arguments = if ($_ -eq 'text') { @('--text', $Chinese) } else { @('--hex', $BinaryHex) }
            $line = Invoke-Python 'udp_echo_client.py' (@('127.0.0.1', $echo.LocalPort) + $arguments + @('--timeout', '5'))
            $LASTEXITCODE | Should -Be 0
            $kind, $address, $port, $hex = "$line" -split ' '
            $kind | Should -Be 'REPLY'
            [int]$port | Should -Be $echo.LocalPort
            $hex.ToUpperInvariant() | Should -BeExactly $(if ($_ -eq 'text') { $ChineseHex } else { $BinaryHex })
        }

        It 'answers socat' -Skip:(-not $hasSocat) {
            $reply = $Chinese | & socat -T 2 - "UDP:127.0.0.1:$($echo.LocalPort)"
            "$reply".Trim() | Should -BeExactly $Chinese
        }

        It 'answers Send-UdpDatagram -WaitForReply on ::1' {
            $reply = Send-UdpDatagram ::1 $echo.LocalPort -Hex $BinaryHex -WaitForReply
            $reply.Hex | Should -BeExactly $BinaryHex
            $reply.RemoteAddress | Should -Be ([ipaddress]'::1')
        }

        # It counts the python client's datagrams too.
        It 'writes what it echoed to the job' -Skip:([bool]$NoPython) {
            Wait-Until { $echo.Received -ge 4 } | Should -BeTrue
            # Received counts what left the socket; the job's own thread then writes it out.
            Wait-Until { $echo.Output.Count -ge 4 } | Should -BeTrue
            $got = @(Receive-Job $echo)
            $got.Count | Should -BeGreaterOrEqual 4
            $got[0].pstypenames[0] | Should -Be 'PSUdp.UdpDatagram'
            $got.Hex | Should -Contain $ChineseHex
        }
    }

    It 'echoes -Count datagrams in the foreground, then ends and frees the port' {
        $port = Get-ClosedUdpPort
        $run = Start-InRunspace "Start-UdpEcho -Port $port -LocalAddress 127.0.0.1 -Count 2"
        try {
            Wait-Until { Test-UdpPortBound $port } | Should -BeTrue
            (Send-UdpDatagram 127.0.0.1 $port 'one' -WaitForReply).Text | Should -Be 'one'
            (Send-UdpDatagram 127.0.0.1 $port 'two' -WaitForReply).Text | Should -Be 'two'
            Wait-InRunspace $run 5 | Should -BeTrue
            @($run.Output).Text | Should -Be @('one', 'two')
            Test-UdpPortFree $port | Should -BeTrue
        }
        finally { $run.PowerShell.Dispose() }
    }

    It 'returns within a second of Ctrl+C and frees the port' {
        $port = Get-ClosedUdpPort
        Stop-InRunspace (Start-InRunspace "Start-UdpEcho -Port $port -LocalAddress 127.0.0.1") { Test-UdpPortBound $port } |
            Should -BeLessThan 1
        Test-UdpPortFree $port | Should -BeTrue
    }

    It '-AsJob with port 0 shows its endpoint and Stop-Job frees it' {
        $echo = Start-UdpEcho -Port 0 -LocalAddress 127.0.0.1 -AsJob
        try {
            $echo.Name | Should -Be 'UdpEcho'
            $echo.Location | Should -Be "127.0.0.1:$($echo.LocalPort)"
            $echo | Stop-Job
            $echo.State | Should -Be 'Stopped'
            Test-UdpPortFree $echo.LocalPort | Should -BeTrue
        }
        finally { $echo | Remove-Job -Force }
    }

    It 'a job says in its StatusMessage what it echoed, refused and dropped' {
        $echo = Start-UdpEcho -Port 0 -LocalAddress 127.0.0.1 -Count 1 -AsJob
        try {
            Send-UdpDatagram 127.0.0.1 $echo.LocalPort 'one' -WaitForReply | Out-Null
            $echo | Wait-Job -Timeout 10 | Out-Null
            $echo.State | Should -Be 'Completed'
            $kernel = if ($IsLinux -and $env:PSUDP_FORCE_PORTABLE -ne '1') { ', 0 dropped by the system' } else { '' }
            $echo.StatusMessage | Should -Be "1 echoed, 0 refused, 0 dropped$kernel"
        }
        finally { $echo | Remove-Job -Force }
    }

    Context 'the loop guard' -Skip:(-not $isRoot) {
        It 'does not answer a forged datagram from source port <_>' -ForEach 7, 19, 0 {
            $echo = Start-UdpEcho -Port 0 -LocalAddress 127.0.0.1 -AsJob
            try {
                Invoke-Python 'udp_spoof.py' @('--src', "127.0.0.1:$_", '--dst', "127.0.0.1:$($echo.LocalPort)", '--hex', '01') | Out-Null
                Send-UdpDatagram 127.0.0.1 $echo.LocalPort 'after' -WaitForReply | Out-Null
                $echo | Stop-Job
                $warnings = $null
                $written = @(Receive-Job $echo -WarningVariable warnings -WarningAction SilentlyContinue)
                $written.Text | Should -Be @('after')
                "$warnings" | Should -Match '1 datagrams were not echoed'
            }
            finally { $echo | Remove-Job -Force }
        }

        It 'two echo servers pointed at each other stop looping' {
            $a = Start-UdpEcho -Port 0 -LocalAddress 127.0.0.1 -AsJob
            $b = Start-UdpEcho -Port 0 -LocalAddress 127.0.0.1 -AsJob
            try {
                # A datagram to A that claims to come from B: A answers B, B answers A, ...
                $clock = [Diagnostics.Stopwatch]::StartNew()
                Invoke-Python 'udp_spoof.py' @('--src', "127.0.0.1:$($b.LocalPort)", '--dst', "127.0.0.1:$($a.LocalPort)", '--hex', 'CAFE') | Out-Null
                # The loop has ended when A's count stops moving for half a second.
                $last = -1
                while ($a.Received -ne $last -and $clock.Elapsed.TotalSeconds -lt 10) { $last = $a.Received; Start-Sleep -Milliseconds 500 }
                $ended = $clock.Elapsed.TotalSeconds
                $a, $b | Stop-Job
                $gotByA = @(Receive-Job $a -WarningVariable warnA -WarningAction SilentlyContinue)
                $gotByB = @(Receive-Job $b -WarningVariable warnB -WarningAction SilentlyContinue)
                $echoedByA = $gotByA.Count
                $echoedByB = $gotByB.Count
                $echoedByA | Should -BeGreaterThan 100 -Because 'the forged datagram did start a loop'
                # The guard's allowance is a burst of 1,000 plus 1,000 a second of the loop's own time,
                # measured by the kernel's arrival times, not by this test's clock (which a loaded
                # machine stretches): A's guard decided on every echo after the forged datagram
                # reached A and before A's last echo reached B.
                $span = ($gotByB[-1].Timestamp - $gotByA[0].Timestamp).TotalSeconds
                $allowance = 1000 + [math]::Ceiling(1000 * $span) + 2 # 2 for the rounding between the two clocks
                Write-Host ("    two echo servers pointed at each other: A echoed {0}, B echoed {1} in {3:N3} s (allowance {4}); the loop ended within {2:N1} s" -f $echoedByA, $echoedByB, $ended, $span, $allowance)
                $echoedByA | Should -BeLessOrEqual $allowance -Because 'a peer gets a burst of 1,000 echoes and 1,000 a second after it, then the datagram in flight is not answered'
                $ended | Should -BeLessThan 10 -Because 'the loop must end by itself'
                # Whichever server spends its allowance first refuses the datagram in flight.
                "$warnA $warnB" | Should -Match 'more than 1000 echoes per second'
            }
            finally { $a, $b | Remove-Job -Force }
        }
    }

    Context 'bad input' {
        It 'port <_> is out of range' -ForEach -1, 65536 {
            { Start-UdpEcho -Port $_ } | Should -Throw -ErrorId 'ParameterArgumentValidationError,PSUdp.Commands.StartUdpEchoCommand'
        }
        It '-Count 0' {
            { Start-UdpEcho -Port 0 -Count 0 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,PSUdp.Commands.StartUdpEchoCommand'
        }
        It 'a negative timeout' {
            { Start-UdpEcho -Port 0 -TimeoutSeconds -1 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,PSUdp.Commands.StartUdpEchoCommand'
        }
        It 'a negative -MaximumRate' {
            { Start-UdpEcho -Port 0 -MaximumRate -1 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,PSUdp.Commands.StartUdpEchoCommand'
        }
        It 'a port in use' {
            $peer = New-TestPeer
            try {
                { Start-UdpEcho -Port $peer.LocalEndPoint.Port -LocalAddress 127.0.0.1 } | Should -Throw -ErrorId 'AddressInUse,PSUdp.Commands.StartUdpEchoCommand'
            }
            finally { $peer.Dispose() }
        }
    }
}
