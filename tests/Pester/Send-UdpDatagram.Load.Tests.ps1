# Send-UdpDatagram's load generation (-RepeatCount, -DurationSeconds, -RatePerSecond) against an
# independent receiver (tests/peers/udp_receiver.py) that counts what arrived. Every run is bounded
# in count and in time; nothing asserts a time: the tests assert counts, and that a paced run
# ends by itself.
BeforeAll {
    Import-Module PSUdp
    Import-Module "$PSScriptRoot/PSUdpTestUtilities.psm1" -Force

    # A python receiver with room for a burst, that stops after Count datagrams or Seconds.
    function Start-CountingReceiver([int] $Count, [double] $Seconds = 60, [string] $Address = '127.0.0.1') {
        $peer = Start-PythonPeer 'udp_receiver.py' @('--host', $Address, '--port', '0', '--count', $Count, '--timeout', $Seconds, '--quiet', '--rcvbuf', '8388608')
        $peer.Port | Should -Not -BeNullOrEmpty
        $peer
    }

    # How many datagrams the receiver counted (its SUMMARY line).
    function Get-ReceivedCount($Peer) {
        $lines = Stop-PythonPeer $Peer 90000
        $summary = @($lines | Where-Object { $_ -match '^SUMMARY (\d+)' }) | Select-Object -First 1
        $summary | Should -Not -BeNullOrEmpty -Because "the receiver reports its count: $($lines -join ' | ')"
        [long](($summary -split ' ')[1])
    }
}

Describe 'Send-UdpDatagram load generation' {
    It 'sends one payload -RepeatCount times, as fast as the socket takes them, to <_>' -ForEach '127.0.0.1', '::1' {
        $peer = Start-CountingReceiver -Count 5000 -Address $_
        $summary = Send-UdpDatagram -ComputerName $_ -Port $peer.Port -Message ('x' * 64) -RepeatCount 5000 -PassThru
        Get-ReceivedCount $peer | Should -Be 5000
        $summary | Should -HaveCount 1
        $summary.PSObject.TypeNames[0] | Should -Be 'PSUdp.UdpSendSummary'
        $summary.Sent | Should -Be 5000
        $summary.Length | Should -Be 64
        $summary.RemoteAddress | Should -Be ([ipaddress]$_)
        $summary.RemotePort | Should -Be $peer.Port
        $summary.RequestedRate | Should -BeNullOrEmpty
        $summary.Refused | Should -Be 0
        if ($IsLinux) { $summary.SystemCalls | Should -BeLessThan 5000 -Because 'sendmmsg sends a batch per call' }
    }

    It 'paces -RepeatCount at -RatePerSecond and stops by itself at the count' {
        $peer = Start-CountingReceiver -Count 400
        $summary = Send-UdpDatagram -ComputerName 127.0.0.1 -Port $peer.Port -Message 'paced' -RepeatCount 400 -RatePerSecond 2000 -PassThru
        Get-ReceivedCount $peer | Should -Be 400
        $summary.Sent | Should -Be 400
        $summary.RequestedRate | Should -Be 2000
        # The pacer never runs ahead of its schedule (the kth datagram is due k / rate after the first).
        $summary.Sent | Should -BeLessOrEqual ($summary.Elapsed.TotalSeconds * 2000 + 3)
    }

    It 'sends for -DurationSeconds at -RatePerSecond and stops by itself' {
        $sink = New-TestPeer
        try {
            $sink.ReceiveBufferSize = 8MB
            $summary = Send-UdpDatagram -ComputerName 127.0.0.1 -Port $sink.LocalEndPoint.Port -Payload ([byte[]](1..32)) -DurationSeconds 1 -RatePerSecond 1000 -PassThru
            $summary.Sent | Should -BeGreaterThan 0
            $summary.Sent | Should -BeLessOrEqual ($summary.Elapsed.TotalSeconds * 1000 + 3)
            @(Receive-TestPeer $sink -Count $summary.Sent -Seconds 10).Count | Should -Be $summary.Sent
        }
        finally { $sink.Dispose() }
    }

    It 'sends for -DurationSeconds unpaced, and counts in the verbose message without -PassThru' {
        $sink = New-TestPeer
        try {
            $out = Send-UdpDatagram -ComputerName 127.0.0.1 -Port $sink.LocalEndPoint.Port -Message 'load' -DurationSeconds 0.3 -Verbose 4>&1
            $verbose = @($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] })
            @($out | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }) | Should -HaveCount 0
            ($verbose.Message -join "`n") | Should -Match 'Sent [\d,]+ datagrams of 4 bytes to 127\.0\.0\.1:\d+ in [\d.]+ s: [\d,]+ per second'
        }
        finally { $sink.Dispose() }
    }

    It 'paces a pipeline of different datagrams with -RatePerSecond alone, each sent once, in order' {
        $peer = Start-PythonPeer 'udp_receiver.py' @('--port', '0', '--count', '40', '--timeout', '60')
        1..40 | ForEach-Object { "m$_" } | Send-UdpDatagram -ComputerName 127.0.0.1 -Port $peer.Port -RatePerSecond 400
        $lines = @(Stop-PythonPeer $peer 60000 | Where-Object { $_ -like 'RECV *' })
        $lines | Should -HaveCount 40
        $texts = $lines | ForEach-Object { [Text.Encoding]::ASCII.GetString([Convert]::FromHexString(($_ -split ' ')[3])) }
        $texts | Should -Be (1..40 | ForEach-Object { "m$_" })
    }

    It 'counts ICMP port unreachable from a closed port as one error and goes on' {
        $port = Get-ClosedUdpPort
        $summary = Send-UdpDatagram -ComputerName 127.0.0.1 -Port $port -Message 'nobody' -RepeatCount 200 -RatePerSecond 5000 -PassThru -ErrorVariable failures -ErrorAction SilentlyContinue
        $summary.Sent | Should -Be 200
        $summary.Refused | Should -BeGreaterThan 0
        $failures | Should -HaveCount 1
        $failures[0].FullyQualifiedErrorId | Should -Be 'PortUnreachable,PSUdp.Commands.SendUdpDatagramCommand'
    }

    It 'stops a long paced run on Ctrl+C (StopProcessing)' {
        $sink = New-TestPeer
        $run = Start-InRunspace "Send-UdpDatagram -ComputerName 127.0.0.1 -Port $($sink.LocalEndPoint.Port) -Message 'x' -DurationSeconds 120 -RatePerSecond 1000 -PassThru"
        try {
            $got = @(Receive-TestPeer $sink -Count 5 -Seconds 30)
            $got.Count | Should -Be 5 -Because 'the run is under way'
            # BeginStop, not Stop-InRunspace's Stop: the wait for Ctrl+C to end the run stays bounded.
            $stop = $run.PowerShell.BeginStop($null, $null)
            $stop.AsyncWaitHandle.WaitOne(30000) | Should -BeTrue -Because 'Ctrl+C ends the run'
            $run.Handle.IsCompleted | Should -BeTrue
            $run.PowerShell.InvocationStateInfo.State | Should -Be 'Stopped'
        }
        finally { $run.PowerShell.Dispose(); $sink.Dispose() }
    }

    It 'shows progress for a paced run that lasts more than a second' {
        $sink = New-TestPeer
        $run = Start-InRunspace "Send-UdpDatagram -ComputerName 127.0.0.1 -Port $($sink.LocalEndPoint.Port) -Message 'x' -DurationSeconds 2 -RatePerSecond 200"
        try {
            $null = $run.PowerShell.EndInvoke($run.Handle)
            $records = @($run.PowerShell.Streams.Progress)
            $records.Count | Should -BeGreaterThan 0
            $records[0].Activity | Should -Match 'Sending 1-byte datagrams to 127\.0\.0\.1:\d+'
            $records[-1].RecordType | Should -Be 'Completed'
            @($records | Where-Object StatusDescription -Match '[\d,]+ sent in \d+ s') | Should -Not -BeNullOrEmpty
        }
        finally { $run.PowerShell.Dispose(); $sink.Dispose() }
    }

    It 'refuses -RepeatCount with -WaitForReply before anything is sent' {
        $sink = New-TestPeer
        try {
            { Send-UdpDatagram -ComputerName 127.0.0.1 -Port $sink.LocalEndPoint.Port -Message 'x' -RepeatCount 10 -WaitForReply -ErrorAction Stop } |
                Should -Throw -ErrorId 'ConflictingRepeatAndReply,PSUdp.Commands.SendUdpDatagramCommand'
            @(Receive-TestPeer $sink -Seconds 0.5) | Should -HaveCount 0
        }
        finally { $sink.Dispose() }
    }

    It 'refuses -<Name> <Value> before anything is sent' -ForEach @(
        @{ Name = 'RatePerSecond'; Value = 0 }
        @{ Name = 'RatePerSecond'; Value = -5 }
        @{ Name = 'DurationSeconds'; Value = 0 }
        @{ Name = 'RepeatCount'; Value = 0 }
    ) {
        $Arguments = @{ $Name = $Value }
        { Send-UdpDatagram -ComputerName 127.0.0.1 -Port 9 -Message 'x' @Arguments -ErrorAction Stop } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,PSUdp.Commands.SendUdpDatagramCommand'
    }

    It 'sends nothing with -WhatIf, and -Verbose says how often it sends' {
        $sink = New-TestPeer
        try {
            Send-UdpDatagram -ComputerName 127.0.0.1 -Port $sink.LocalEndPoint.Port -Message 'x' -RepeatCount 1000 -RatePerSecond 100 -WhatIf
            @(Receive-TestPeer $sink -Seconds 0.5) | Should -HaveCount 0
            $port = $sink.LocalEndPoint.Port
            $verbose = @(Send-UdpDatagram -ComputerName 127.0.0.1 -Port $port -Message 'x' -RepeatCount 3 -RatePerSecond 1000 -Verbose 4>&1 |
                    Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -like 'Performing*' } | ForEach-Object Message)
            $verbose | Should -Be "Performing the operation `"Send a 1-byte UDP datagram 3 times, at 1,000 per second`" on target `"127.0.0.1:$port`"."
            @(Receive-TestPeer $sink -Count 3) | Should -HaveCount 3
        }
        finally { $sink.Dispose() }
    }
}
