BeforeAll {
    Import-Module PSUdp
    Import-Module "$PSScriptRoot/PSUdpTestUtilities.psm1" -Force

    # Runs a script in a second runspace of this process and stops it as Ctrl+C would, once
    # $Ready says the phase under test has begun. Returns how long Stop took.
    function Measure-Stop([string] $Script, [scriptblock] $Ready) { Stop-InRunspace (Start-InRunspace $Script) $Ready -Seconds 10 }
}

Describe 'the caller stops' {
    It 'Ctrl+C while receiving returns within a second and closes the socket' {
        $port = Get-ClosedUdpPort
        $before = Get-OpenSocketCount
        Measure-Stop "Receive-UdpDatagram -Port $port -LocalAddress 127.0.0.1" { Test-UdpPortBound $port } |
            Should -BeLessThan 1
        Test-UdpPortFree $port | Should -BeTrue
        Get-OpenSocketCount | Should -BeLessOrEqual $before
    }

    It 'Ctrl+C while <Phase> returns within a second' -ForEach @(
        @{ Phase = 'waiting for a reply'; Script = "Send-UdpDatagram 127.0.0.1 {0} 'x' -WaitForReply -TimeoutSeconds 30" }
        @{ Phase = 'sending a long pipeline'; Script = '1..10000000 | Send-UdpDatagram 127.0.0.1 {0}' }
    ) {
        $peer = New-TestPeer
        try {
            $peer.ReceiveBufferSize = 1MB
            Measure-Stop ($Script -f $peer.LocalEndPoint.Port) { $peer.Available -gt 0 } | Should -BeLessThan 1
        }
        finally { $peer.Dispose() }
    }

    It 'Ctrl+C during a Test-UdpConnection sweep of 1,000 ports returns within a second and leaves no socket open' {
        # 64 ports that stay silent (each waits 5 s per attempt) ahead of 936 closed ones: the sweep is busy when stopped.
        $silent = @(1..64 | ForEach-Object { New-TestPeer })
        try {
            $closed = @(1..936 | ForEach-Object { Get-ClosedUdpPort })
            $ports = @($silent | ForEach-Object { $_.LocalEndPoint.Port }) + $closed
            $before = Get-OpenSocketCount
            $script = "Test-UdpConnection -ComputerName 127.0.0.1 -Port $($ports -join ',') -Hex 00 -TimeoutSeconds 5"
            Measure-Stop $script { @($silent | Where-Object Available -GT 0).Count -ge 32 } | Should -BeLessThan 1
            Get-OpenSocketCount | Should -BeLessOrEqual $before
        }
        finally { $silent | ForEach-Object Dispose }
    }

    It 'Ctrl+C while resolving names returns within a second' {
        $peer = New-TestPeer
        try {
            # Every name is new, so every input is resolved (and fails) before anything is sent.
            $script = "1..1000000 | ForEach-Object { `"h`$_.invalid`" } | ForEach-Object { Send-UdpDatagram -ComputerName `$_ -Port $($peer.LocalEndPoint.Port) -Message x -ErrorAction SilentlyContinue -ErrorVariable +failed }"
            $started = [DateTime]::UtcNow
            Measure-Stop $script { ([DateTime]::UtcNow - $started).TotalMilliseconds -gt 300 } | Should -BeLessThan 1
            @(Receive-TestPeer $peer -Seconds 0.2).Count | Should -Be 0
        }
        finally { $peer.Dispose() }
    }

    It 'Ctrl+C while echoing under load returns within a second' {
        $port = Get-ClosedUdpPort
        $flood = Start-ThreadJob { param($p) $s = [System.Net.Sockets.Socket]::new('InterNetwork', 'Dgram', 'Udp'); $end = [DateTime]::UtcNow.AddSeconds(3); while ([DateTime]::UtcNow -lt $end) { try { $null = $s.SendTo([byte[]](1, 2), [System.Net.IPEndPoint]::new([ipaddress]::Loopback, $p)) } catch { } }; $s.Dispose() } -ArgumentList $port
        try {
            Measure-Stop "Start-UdpEcho -Port $port -LocalAddress 127.0.0.1 -MaximumRate 0" { Test-UdpPortBound $port } |
                Should -BeLessThan 1
            Test-UdpPortFree $port | Should -BeTrue
        }
        finally { $flood | Wait-Job -Timeout 10 | Remove-Job -Force }
    }

    It 'Select-Object -First 1 ends the receiver early and frees the port' {
        $port = Get-ClosedUdpPort
        $job = Start-ThreadJob { param($p, $u) Import-Module $u; $null = Wait-Until { Test-UdpPortBound $p } -Seconds 30; 1..5 | ForEach-Object { Send-UdpDatagram 127.0.0.1 $p "n$_" -ErrorAction Ignore } } -ArgumentList $port, "$PSScriptRoot/PSUdpTestUtilities.psm1"
        try {
            Import-Module PSUdp
            $first = Receive-UdpDatagram -Port $port -LocalAddress 127.0.0.1 -TimeoutSeconds 10 | Select-Object -First 1
            $first.Text | Should -BeExactly 'n1'
            Test-UdpPortFree $port | Should -BeTrue
        }
        finally { $job | Wait-Job -Timeout 10 | Remove-Job -Force }
    }

    It 'a downstream command that throws ends the receiver and frees the port' {
        $port = Get-ClosedUdpPort
        $job = Start-ThreadJob { param($p, $u) Import-Module $u; $null = Wait-Until { Test-UdpPortBound $p } -Seconds 30; Send-UdpDatagram 127.0.0.1 $p 'boom' } -ArgumentList $port, "$PSScriptRoot/PSUdpTestUtilities.psm1"
        try {
            { Receive-UdpDatagram -Port $port -LocalAddress 127.0.0.1 -TimeoutSeconds 10 | ForEach-Object { throw "downstream: $($_.Text)" } } |
                Should -Throw 'downstream: boom'
            Test-UdpPortFree $port | Should -BeTrue
        }
        finally { $job | Wait-Job -Timeout 10 | Remove-Job -Force }
    }

    It 'Remove-Job -Force while a job writes a flood ends the job, and the process goes on' {
        $job = Receive-UdpDatagram -Port 0 -LocalAddress 127.0.0.1 -AsJob
        $flood = Start-ThreadJob { param($p) $s = [System.Net.Sockets.Socket]::new('InterNetwork', 'Dgram', 'Udp'); $end = [DateTime]::UtcNow.AddSeconds(2); while ([DateTime]::UtcNow -lt $end) { try { $null = $s.SendTo([byte[]](1, 2), [System.Net.IPEndPoint]::new([ipaddress]::Loopback, $p)) } catch { } }; $s.Dispose() } -ArgumentList $job.LocalPort
        try {
            Wait-Until { $job.Received -gt 1000 } | Should -BeTrue
            # The job's thread is writing when its streams are disposed under it: that write is dropped.
            $job | Remove-Job -Force
            Get-Job -Id $job.Id -ErrorAction Ignore | Should -BeNullOrEmpty
            Test-UdpPortFree $job.LocalPort | Should -BeTrue
        }
        finally { $flood | Wait-Job -Timeout 10 | Remove-Job -Force }
        # Still alive: a second job works as the first did.
        $again = Receive-UdpDatagram -Port 0 -LocalAddress 127.0.0.1 -Count 1 -AsJob
        Send-UdpDatagram 127.0.0.1 $again.LocalPort 'alive'
        ($again | Wait-Job -Timeout 10 | Receive-Job).Text | Should -BeExactly 'alive'
        $again | Remove-Job
    }

    It 'Stop-Job frees the port at once' {
        $job = Receive-UdpDatagram -Port 0 -LocalAddress 127.0.0.1 -AsJob
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $job | Stop-Job
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 1
        Test-UdpPortFree $job.LocalPort | Should -BeTrue
        $job | Remove-Job
    }
}

Describe 'the peer is gone' {
    It 'a long pipeline to a closed port goes on and reports each refusal, not fatally' {
        $port = Get-ClosedUdpPort
        $errors = $null
        $sent = @(1..20 | ForEach-Object { "n$_"; Start-Sleep -Milliseconds 5 } |
            Send-UdpDatagram 127.0.0.1 $port -PassThru -ErrorVariable errors -ErrorAction SilentlyContinue)
        $sent.Count | Should -Be 20
        @($errors).Count | Should -BeGreaterThan 0
        $errors | ForEach-Object { $_.FullyQualifiedErrorId | Should -Be 'PortUnreachable,PSUdp.Commands.SendUdpDatagramCommand' }
    }
}

Describe 'start and stop cycles' {
    It '1,000 <_> jobs started and stopped leave no descriptors, threads or memory behind' -ForEach 'Receive-UdpDatagram', 'Start-UdpEcho' {
        $process = Get-Process -Id $PID
        $listener = $_
        $cycle = {
            $job = & $listener -Port 0 -LocalAddress 127.0.0.1 -AsJob
            Send-UdpDatagram 127.0.0.1 $job.LocalPort 'x'
            $job | Stop-Job
            $job | Remove-Job
        }
        1..50 | ForEach-Object $cycle
        [GC]::Collect(); [GC]::WaitForPendingFinalizers(); [GC]::Collect()
        $process.Refresh()
        $fd0, $threads0, $memory0 = (Get-OpenDescriptorCount), $process.Threads.Count, [GC]::GetTotalMemory($true)
        1..1000 | ForEach-Object $cycle
        [GC]::Collect(); [GC]::WaitForPendingFinalizers(); [GC]::Collect()
        $process.Refresh()
        $fd1, $threads1, $memory1 = (Get-OpenDescriptorCount), $process.Threads.Count, [GC]::GetTotalMemory($true)
        Write-Host ("    1,000 $listener job cycles: descriptors {0} -> {1}, threads {2} -> {3}, managed heap {4:N0} -> {5:N0} bytes" -f $fd0, $fd1, $threads0, $threads1, $memory0, $memory1)
        $fd1 | Should -BeLessOrEqual ($fd0 + 2)
        $threads1 | Should -BeLessOrEqual ($threads0 + 4)
        $memory1 | Should -BeLessThan ($memory0 + 8MB)
    }
}
