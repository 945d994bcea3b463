#Requires -Version 7.0
<#
    Start-UdpRelay, checked against referees PSUdp did not write: the python relay referee
    (tests/peers/udp_relay_referee.py) numbers its datagrams, sends them through the relay to its
    own receiver and reads the kernel's receive timestamps, so loss, delay, jitter, duplication,
    reordering, corruption and the rate are measured on what arrived, and compared with the asked
    values and with the relay's own summary. Plain .NET sockets are the many clients, the python
    echo server the target. Traffic: loopback only.
#>

BeforeAll {
    Import-Module PSUdp
    Import-Module "$PSScriptRoot/PSUdpTestUtilities.psm1" -Force

    # Runs the referee through a new relay (-Direction ToTarget: the referee's stream goes one way)
    # and returns the referee's findings with the relay's ToTarget summary, after the relay ended.
    # -OwnProcess runs the relay in a pwsh of its own, where only the relay allocates (a relay in a
    # busy process waits whenever that process's garbage collector stops it), and sends the
    # stream twice, the first time to pass the first calls' costs: the findings are the second's.
    function Measure-Relay([hashtable] $Impairment = @{}, [int] $Count = 20000, [double] $Rate = 10000, [int] $Size = 64, [switch] $OwnProcess) {
        $sink = Get-FreeUdpPort
        $referee = {
            param($Port)
            $run = Invoke-TestPeer udp_relay_referee @('127.0.0.1', $Port, '--receive-port', $sink, '--count', $Count,
                '--rate', $Rate, '--size', $Size, '--idle', '0.5') -TimeoutSeconds (30 + $Count / $Rate * 3)
            $run.ExitCode | Should -Be 0 -Because "the referee must run: $($run.Error -join "`n")"
            $run.Output | Select-Object -Last 1 | ConvertFrom-Json
        }
        if ($OwnProcess) {
            $port = Get-FreeUdpPort
            $arguments = ($Impairment.GetEnumerator() | ForEach-Object { "-$($_.Key) $($_.Value)" }) -join ' '
            $pwsh = @(Get-TestPwsh)
            $script = "Import-Module PSUdp; Start-UdpRelay -Port $port -ComputerName 127.0.0.1 -RemotePort $sink -Direction ToTarget -Count $(2 * $Count) $arguments | Where-Object Direction -EQ ToTarget | ConvertTo-Json -Compress"
            $process = Start-TestProcess -FilePath $pwsh[0] -ArgumentList (@($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-Command', $script))
            try {
                Wait-Until { Test-UdpPortBound $port } -Seconds 30 | Should -BeTrue -Because 'the relay''s pwsh must start'
                $null = & $referee $port
                $found = & $referee $port
                $summary = (Receive-TestProcessOutput $process -Wait -TimeoutSeconds 30) -join '' | ConvertFrom-Json
                return [pscustomobject]@{ Referee = $found; Summary = $summary }
            }
            finally { Stop-TestProcess $process -Kill }
        }
        $relay = Start-UdpRelay -Port 0 -ComputerName 127.0.0.1 -RemotePort $sink -Direction ToTarget @Impairment -AsJob
        try {
            $found = & $referee $relay.LocalPort
            $relay | Stop-Job
            [pscustomobject]@{ Referee = $found; Summary = $relay.Summary[0] }
        }
        finally { $relay | Remove-Job -Force }
    }

    # The two-sided interval that holds a binomial count of n trials at chance p with the
    # confidence z (3.2905: 99.9 %), by the normal approximation; with a factor for a loss that
    # comes in runs (the Gilbert chain's variance of a sum, (1 + l) / (1 - l), l = 1 - p - r).
    function Get-CountInterval([int] $N, [double] $P, [double] $Inflation = 1, [double] $Z = 3.2905) {
        $half = $Z * [math]::Sqrt($N * $P * (1 - $P) * $Inflation)
        [pscustomobject]@{ Low = $N * $P - $half; High = $N * $P + $half }
    }

    # The first datagrams through a relay pay the first calls' costs (the JIT, the socket engine);
    # pass them once, so the rate below is the relay's.
    $null = Measure-Relay @{ DelayMilliseconds = 2; JitterMilliseconds = 1; DuplicatePercent = 5; ReorderPercent = 5; CorruptPercent = 5; LossPercent = 5 } -Count 5000
}

Describe 'Start-UdpRelay impairs as asked, measured by the referee' {
    It 'loses 5 % of 100,000 datagrams, inside the 99.9 % binomial interval, and the summary counts each' {
        $m = Measure-Relay @{ LossPercent = 5; Seed = 42 } -Count 100000 -Rate 50000
        $lost = @($m.Referee.lost).Count
        $interval = Get-CountInterval 100000 0.05
        Write-Host ("    5 % loss of 100,000: {0:N0} lost (99.9 % interval {1:N0} to {2:N0}); the relay counted {3:N0}" -f $lost, $interval.Low, $interval.High, $m.Summary.Lost)
        $lost | Should -BeGreaterOrEqual $interval.Low
        $lost | Should -BeLessOrEqual $interval.High
        $m.Summary.Lost | Should -Be $lost -Because 'every datagram the referee missed is one the relay dropped on purpose'
        $m.Referee.received | Should -Be $m.Summary.Forwarded
    }

    It 'the same seed drops the identical sequence numbers again, and another seed others' {
        $first = Measure-Relay @{ LossPercent = 5; Seed = 7 } -Count 20000
        $again = Measure-Relay @{ LossPercent = 5; Seed = 7 } -Count 20000
        $other = Measure-Relay @{ LossPercent = 5; Seed = 8 } -Count 20000
        @($first.Referee.lost).Count | Should -BeGreaterThan 800
        $again.Referee.lost_sha256 | Should -Be $first.Referee.lost_sha256
        ($again.Referee.lost -join ',') | Should -BeExactly ($first.Referee.lost -join ',')
        $other.Referee.lost_sha256 | Should -Not -Be $first.Referee.lost_sha256
    }

    It 'loses in runs of the asked mean length with -LossBurstLength (the Gilbert model)' {
        $m = Measure-Relay @{ LossPercent = 5; LossBurstLength = 4; Seed = 11 } -Count 100000 -Rate 50000
        $lost = @($m.Referee.lost).Count
        $r = 1 / 4.0
        $p = 0.05 * $r / 0.95
        $interval = Get-CountInterval 100000 0.05 -Inflation ((2 - $p - $r) / ($p + $r))
        Write-Host ("    5 % loss in runs of 4: {0:N0} lost (99.9 % interval {1:N0} to {2:N0}), runs of {3:N2} on average" -f $lost, $interval.Low, $interval.High, $m.Referee.runs)
        $lost | Should -BeGreaterOrEqual $interval.Low
        $lost | Should -BeLessOrEqual $interval.High
        $m.Referee.runs | Should -BeGreaterOrEqual 3.6
        $m.Referee.runs | Should -BeLessOrEqual 4.4
        $m.Summary.Lost | Should -Be $lost
    }

    It 'delays by the asked mean, with the spread of a uniform jitter' {
        $m = Measure-Relay @{ DelayMilliseconds = 20; JitterMilliseconds = 5; Seed = 3 } -Count 20000 -Rate 5000 -OwnProcess
        $delay = $m.Referee.delay_ms
        $spread = 5 / [math]::Sqrt(3)
        Write-Host ("    20 ms ± 5 ms: mean {0:N3} ms, median {1:N3} ms, quartiles {2:N3} and {3:N3} ms, standard deviation {4:N3} ms (uniform: {5:N3}), {6:N3} to {7:N3} ms, p99 {8:N3} ms" -f $delay.mean, $delay.p50, $delay.p25, $delay.p75, $delay.std, $spread, $delay.min, $delay.max, $delay.p99)
        # The quartiles are where the relay's schedule puts them (17.5, 20 and 22.5 ms for a uniform
        # 15 to 25 ms); the mean also carries the few datagrams that a pause of the machine made late.
        $delay.p50 | Should -BeGreaterOrEqual 19.8
        $delay.p50 | Should -BeLessOrEqual 20.2
        ($delay.p75 - $delay.p25) | Should -BeGreaterOrEqual 4.5
        ($delay.p75 - $delay.p25) | Should -BeLessOrEqual 5.5
        $delay.mean | Should -BeGreaterOrEqual 19.8
        $delay.mean | Should -BeLessOrEqual 20.3
        $delay.std | Should -BeGreaterOrEqual ($spread * 0.9)
        $delay.std | Should -BeLessOrEqual ($spread * 1.1)
        $delay.min | Should -BeGreaterOrEqual 15 -Because 'no datagram leaves before the least delay'
        $m.Referee.unique | Should -Be 20000
        $m.Summary.Forwarded | Should -Be 40000 -Because 'the relay saw both streams'
    }

    It 'duplicates and reorders exactly as many datagrams as its summary says' {
        $m = Measure-Relay @{ DuplicatePercent = 10; ReorderPercent = 10; Seed = 5 } -Count 20000 -Rate 5000
        Write-Host ("    10 % duplicated, 10 % reordered of 20,000: the referee saw {0:N0} duplicates and {1:N0} reordered; the relay counted {2:N0} and {3:N0}" -f $m.Referee.duplicates, $m.Referee.reordered, $m.Summary.Duplicated, $m.Summary.Reordered)
        $m.Referee.duplicates | Should -Be $m.Summary.Duplicated
        $m.Referee.reordered | Should -Be $m.Summary.Reordered
        $m.Referee.duplicates | Should -BeGreaterThan 1700
        $m.Referee.reordered | Should -BeGreaterThan 1500
        $m.Referee.unique | Should -Be 20000
        $m.Referee.corrupted | Should -Be 0
    }

    It 'flips one payload bit of exactly as many datagrams as its summary says' {
        $m = Measure-Relay @{ CorruptPercent = 10; Seed = 9 } -Count 20000 -Size 200
        $m.Referee.corrupted | Should -Be $m.Summary.Corrupted
        $m.Summary.Corrupted | Should -BeGreaterThan 1700
        $m.Referee.received | Should -Be 20000
    }

    It 'sends at -RatePerSecond within 1 %' {
        $m = Measure-Relay @{ RatePerSecond = 5000 } -Count 12000 -Rate 6000
        Write-Host ("    -RatePerSecond 5000: {0:N1} datagrams per second arrived" -f $m.Referee.rate)
        $m.Referee.rate | Should -BeGreaterOrEqual 4950
        $m.Referee.rate | Should -BeLessOrEqual 5050
        $m.Referee.unique | Should -Be 12000
    }

    It 'sends at -BitsPerSecond within 1 %, counting the IP and UDP headers' {
        # 64 bytes of payload and 28 of headers: 736 bits a datagram, 5,000 a second.
        $m = Measure-Relay @{ BitsPerSecond = 3680000 } -Count 12000 -Rate 6000
        Write-Host ("    -BitsPerSecond 3,680,000 (5,000 datagrams of 92 bytes): {0:N1} per second arrived" -f $m.Referee.rate)
        $m.Referee.rate | Should -BeGreaterOrEqual 4950
        $m.Referee.rate | Should -BeLessOrEqual 5050
    }

    It 'drops at the tail of a full queue and counts each drop' {
        $m = Measure-Relay @{ RatePerSecond = 1000; QueueLength = 100 } -Count 2000 -Rate 10000
        $missing = 2000 - $m.Referee.received
        $m.Summary.QueueFull | Should -BeGreaterThan 1000
        $m.Summary.QueueFull | Should -Be $missing
        # Tail drop: what got through is the head of the burst and the datagrams that found room as the link drained.
        @($m.Referee.lost)[0] | Should -BeGreaterThan 99
    }

    It 'keeps the summary''s books: Forwarded + Discarded + Failed = Received - Lost - QueueFull - Refused + Duplicated' {
        $m = Measure-Relay @{ LossPercent = 10; DuplicatePercent = 10; ReorderPercent = 5; DelayMilliseconds = 1; RatePerSecond = 8000; QueueLength = 200 } -Count 10000
        $s = $m.Summary
        ($s.Forwarded + $s.Discarded + $s.Failed) | Should -Be ($s.Received - $s.Lost - $s.QueueFull - $s.Refused + $s.Duplicated)
        $s.Received | Should -Be 10000
        $m.Referee.received | Should -Be $s.Forwarded
    }
}

Describe 'Start-UdpRelay between clients and the target' {
    BeforeAll {
        $echo = Start-PythonPeer 'udp_echo_server.py' @('--port', '0', '--quiet', '--timeout', '120')
    }
    AfterAll { Stop-TestProcess $echo.Process }

    It '200 client sockets at once each get only their own answers, from the relay''s port' {
        $relay = Start-UdpRelay -Port 0 -ComputerName 127.0.0.1 -RemotePort $echo.Port -AsJob
        $clients = foreach ($i in 1..200) { New-TestPeer }
        try {
            $to = [System.Net.IPEndPoint]::new([ipaddress]::Loopback, $relay.LocalPort)
            # A round at a time: the python echo server's receive buffer holds one round's 200, not 600.
            foreach ($round in 1..3) {
                foreach ($i in 0..199) { $null = $clients[$i].SendTo([Text.Encoding]::ASCII.GetBytes("client $i round $round"), $to) }
                foreach ($i in 0..199) {
                    $got = @(Receive-TestPeer $clients[$i] -Count 1 -Seconds 5)
                    $got.Count | Should -Be 1 -Because "client $i sent one in round $round"
                    [Text.Encoding]::ASCII.GetString($got[0].Payload) | Should -BeExactly "client $i round $round" -Because 'each answer goes to the client that caused it'
                    $got[0].Port | Should -Be $relay.LocalPort -Because 'answers come from the relay''s port'
                }
            }
            foreach ($i in 0..199) { $clients[$i].Available | Should -Be 0 -Because 'no client gets another''s answer' }
            $relay.Summary[0].Flows | Should -Be 200
            $relay.Summary[1].Forwarded | Should -Be 600
        }
        finally {
            $clients | ForEach-Object Dispose
            $relay | Remove-Job -Force
        }
    }

    It 'refuses the clients beyond -MaximumFlows, counts them and says so' {
        $relay = Start-UdpRelay -Port 0 -ComputerName 127.0.0.1 -RemotePort $echo.Port -MaximumFlows 2 -AsJob
        $clients = foreach ($i in 1..3) { New-TestPeer }
        try {
            $to = [System.Net.IPEndPoint]::new([ipaddress]::Loopback, $relay.LocalPort)
            foreach ($i in 0..2) { $null = $clients[$i].SendTo([byte[]] (1, 2, 3), $to); Start-Sleep -Milliseconds 20 }
            @(Receive-TestPeer $clients[0] -Count 1 -Seconds 3).Count | Should -Be 1
            @(Receive-TestPeer $clients[1] -Count 1 -Seconds 3).Count | Should -Be 1
            @(Receive-TestPeer $clients[2] -Count 1 -Seconds 1).Count | Should -Be 0 -Because 'the third client is one flow too many'
            $relay | Stop-Job
            $summary = $relay.Summary[0]
            $summary.Refused | Should -Be 1
            $summary.Flows | Should -Be 2
            $null = Receive-Job $relay -WarningVariable warnings -WarningAction SilentlyContinue
            "$warnings" | Should -Match '1 datagrams from clients beyond the 2 flows were refused'
        }
        finally {
            $clients | ForEach-Object Dispose
            $relay | Remove-Job -Force
        }
    }

    It 'ends an idle flow after -FlowTimeoutSeconds: the client''s next datagram leaves from a new upstream port' {
        $target = New-TestPeer
        $relay = Start-UdpRelay -Port 0 -ComputerName 127.0.0.1 -RemotePort $target.LocalEndPoint.Port -FlowTimeoutSeconds 0.5 -AsJob
        $client = New-TestPeer
        try {
            $to = [System.Net.IPEndPoint]::new([ipaddress]::Loopback, $relay.LocalPort)
            $null = $client.SendTo([byte[]] (1), $to)
            $null = $client.SendTo([byte[]] (2), $to)
            $early = @(Receive-TestPeer $target -Count 2)
            Start-Sleep -Seconds 1.5
            $null = $client.SendTo([byte[]] (3), $to)
            $late = @(Receive-TestPeer $target -Count 1)
            $early.Port | Sort-Object -Unique | Should -HaveCount 1 -Because 'one flow, one upstream socket'
            $late.Port | Should -Not -Be $early[0].Port -Because 'the idle flow ended and a new one began'
            $relay.Summary[0].Flows | Should -Be 2
        }
        finally {
            $client.Dispose(); $target.Dispose()
            $relay | Remove-Job -Force
        }
    }

    It 'forwards only to its one target, whatever a datagram says' {
        $target = New-TestPeer
        $other = New-TestPeer
        $relay = Start-UdpRelay -Port 0 -ComputerName 127.0.0.1 -RemotePort $target.LocalEndPoint.Port -AsJob
        try {
            $text = "127.0.0.1:$($other.LocalEndPoint.Port)"
            Send-UdpDatagram 127.0.0.1 $relay.LocalPort $text
            (Receive-TestPeer $target -Count 1).Length | Should -Be $text.Length
            @(Receive-TestPeer $other -Count 1 -Seconds 0.5).Count | Should -Be 0
        }
        finally {
            $target.Dispose(); $other.Dispose()
            $relay | Remove-Job -Force
        }
    }

    It 'relays IPv4 clients to an IPv6 target and back' {
        $target = Start-PythonPeer 'udp_echo_server.py' @('--host', '::1', '--port', '0', '--family', '6', '--timeout', '30')
        $relay = Start-UdpRelay -Port 0 -ComputerName ::1 -RemotePort $target.Port -LocalAddress 127.0.0.1 -AsJob
        try {
            $relay.Target | Should -Be "[::1]:$($target.Port)"
            $reply = Send-UdpDatagram 127.0.0.1 $relay.LocalPort 'across families' -WaitForReply -TimeoutSeconds 3
            $reply.Text | Should -Be 'across families'
            $reply.RemoteAddress | Should -Be ([ipaddress] '127.0.0.1')
            $echoed = @(Stop-TestProcess $target.Process -PassThru | ConvertFrom-PeerLine)
            $echoed[0].Address | Should -Be '::1' -Because 'the target sees the relay''s IPv6 upstream socket'
        }
        finally {
            Stop-TestProcess $target.Process
            $relay | Remove-Job -Force
        }
    }

    It 'delays each direction with -Direction Both: a round trip takes twice the delay' {
        $relay = Start-UdpRelay -Port 0 -ComputerName 127.0.0.1 -RemotePort $echo.Port -DelayMilliseconds 40 -AsJob
        try {
            $replies = 1..5 | ForEach-Object { Send-UdpDatagram 127.0.0.1 $relay.LocalPort "ping $_" -WaitForReply -TimeoutSeconds 2 }
            $replies.Text | Should -Be @(1..5 | ForEach-Object { "ping $_" })
            foreach ($reply in $replies) {
                $reply.RoundTripTime.TotalMilliseconds | Should -BeGreaterOrEqual 80
                $reply.RoundTripTime.TotalMilliseconds | Should -BeLessThan 200
            }
        }
        finally { $relay | Remove-Job -Force }
    }

    It 'writes each datagram with what it did to it (-PassThru)' {
        $target = New-TestPeer
        $relay = Start-UdpRelay -Port 0 -ComputerName 127.0.0.1 -RemotePort $target.LocalEndPoint.Port -Direction ToTarget -LossPercent 30 -DuplicatePercent 30 -CorruptPercent 30 -Seed 4 -PassThru -AsJob
        try {
            1..200 | ForEach-Object { "datagram $_" } | Send-UdpDatagram -ComputerName 127.0.0.1 -Port $relay.LocalPort
            $arrived = @(Receive-TestPeer $target -Seconds 1)
            $relay | Stop-Job
            $records = @(Receive-Job $relay | Where-Object { $_.PSObject.TypeNames[0] -eq 'PSUdp.UdpDatagram#Relayed' })
            $records | Should -HaveCount 200
            $records[0].PSObject.TypeNames | Should -Contain 'PSUdp.UdpDatagram'
            $records.RelayDirection | Sort-Object -Unique | Should -Be 'ToTarget'
            $records.RelayClient | Sort-Object -Unique | Should -HaveCount 1
            $lost = @($records | Where-Object { $_.RelayAction.HasFlag([PSUdp.RelayAction]::Lost) })
            $duplicated = @($records | Where-Object { $_.RelayAction.HasFlag([PSUdp.RelayAction]::Duplicated) })
            $corrupted = @($records | Where-Object { $_.RelayAction.HasFlag([PSUdp.RelayAction]::Corrupted) })
            $lost.Count | Should -Be $relay.Summary[0].Lost
            $duplicated.Count | Should -Be $relay.Summary[0].Duplicated
            $corrupted.Count | Should -Be $relay.Summary[0].Corrupted
            $arrived.Count | Should -Be (200 - $lost.Count + $duplicated.Count)
            # What the records say is what the target got: each intact copy as sent, and each
            # corrupted one one bit away from what was sent (a flip can make it look like another).
            $left = [Collections.Generic.List[string]] @($arrived | ForEach-Object { [Text.Encoding]::Latin1.GetString($_.Payload) })
            $corruptedTexts = @()
            foreach ($record in $records | Where-Object { -not $_.RelayAction.HasFlag([PSUdp.RelayAction]::Lost) }) {
                $copies = if ($record.RelayAction.HasFlag([PSUdp.RelayAction]::Duplicated)) { 2 } else { 1 }
                if ($record.RelayAction.HasFlag([PSUdp.RelayAction]::Corrupted)) { $corruptedTexts += , $record.Text * $copies; continue }
                foreach ($copy in 1..$copies) { $left.Remove($record.Text) | Should -BeTrue -Because "'$($record.Text)' was forwarded intact" }
            }
            $left.Count | Should -Be $corruptedTexts.Count
            foreach ($text in $left) {
                $oneBitAway = @($corruptedTexts | Where-Object {
                        $a = [Text.Encoding]::Latin1.GetBytes($_); $b = [Text.Encoding]::Latin1.GetBytes($text)
                        $a.Length -eq $b.Length -and (@(0..($a.Length - 1) | ForEach-Object { [Numerics.BitOperations]::PopCount([uint32] ($a[$_] -bxor $b[$_])) }) | Measure-Object -Sum).Sum -eq 1
                    })
                $oneBitAway.Count | Should -BeGreaterThan 0 -Because "'$text' must be a corrupted copy"
            }
        }
        finally {
            $target.Dispose()
            $relay | Remove-Job -Force
        }
    }

    It 'relays -Count datagrams (both directions) in the foreground, sends what it holds, writes the summaries, then frees the port' {
        $port = Get-FreeUdpPort
        $run = Start-InRunspace "Start-UdpRelay -Port $port -ComputerName 127.0.0.1 -RemotePort $($echo.Port) -DelayMilliseconds 100 -Count 2"
        try {
            Wait-Until { Test-UdpPortBound $port } | Should -BeTrue
            $reply = Send-UdpDatagram 127.0.0.1 $port 'one' -WaitForReply -TimeoutSeconds 3
            $reply.Text | Should -Be 'one' -Because 'the answer, held 100 ms, leaves before the relay ends'
            Wait-InRunspace $run 5 | Should -BeTrue
            $summaries = @($run.Output)
            $summaries.Direction | Should -Be @('ToTarget', 'ToClient')
            $summaries.Forwarded | Should -Be @(1, 1)
            Test-UdpPortFree $port | Should -BeTrue
        }
        finally { $run.PowerShell.Dispose() }
    }

    It 'returns within a second of Ctrl+C and frees the port' {
        $port = Get-FreeUdpPort
        Stop-InRunspace (Start-InRunspace "Start-UdpRelay -Port $port -ComputerName 127.0.0.1 -RemotePort $($echo.Port)") { Test-UdpPortBound $port } |
            Should -BeLessThan 1
        Test-UdpPortFree $port | Should -BeTrue
    }

    It '-AsJob shows its endpoint and seed; Stop-Job discards what it holds, counts it and frees the port' {
        $target = New-TestPeer
        $relay = Start-UdpRelay -Port 0 -ComputerName 127.0.0.1 -RemotePort $target.LocalEndPoint.Port -DelayMilliseconds 5000 -AsJob
        try {
            $relay.Location | Should -Be "127.0.0.1:$($relay.LocalPort)"
            $relay.Target | Should -Be "127.0.0.1:$($target.LocalEndPoint.Port)"
            $relay.Seed | Should -BeGreaterOrEqual 0
            1..3 | Send-UdpDatagram -ComputerName 127.0.0.1 -Port $relay.LocalPort
            Wait-Until { $relay.Summary[0].Received -eq 3 } | Should -BeTrue
            $relay | Stop-Job
            $relay.State | Should -Be 'Stopped'
            Test-UdpPortFree $relay.LocalPort | Should -BeTrue
            $relay.Summary[0].Discarded | Should -Be 3
            @(Receive-TestPeer $target -Seconds 0.5).Count | Should -Be 0 -Because 'nothing is held, nor sent, after the relay stops'
            $summaries = @(Receive-Job $relay)
            $summaries.Seed | Should -Be @($relay.Seed, $relay.Seed)
            $relay.StatusMessage | Should -Match '^to target 3 received, 0 forwarded'
        }
        finally {
            $target.Dispose()
            $relay | Remove-Job -Force
        }
    }

    It 'the example in about_PSUdp runs, and its round trips are the relay''s books' {
        $about = Get-Content -Raw "$PSScriptRoot/../../docs/en-US/about_PSUdp.md"
        $section = ($about -split '(?m)^## ')[1..99] | Where-Object { $_ -like 'IMPAIRING THE NETWORK*' }
        $code = [regex]::Match($section, '(?s)```powershell\r?\n(.*?)```').Groups[1].Value
        $code | Should -Match 'Start-UdpRelay'
        $code = $code -replace '\| Format-Table Direction, Received, Forwarded, Lost', ''
        $out = @(& ([scriptblock]::Create($code)))
        $line = $out | Where-Object { $_ -is [string] }
        $line | Should -Match '^\d+ of 20 round trips came back$'
        $back = [int] ($line -split ' ')[0]
        $summaries = @($out | Where-Object { $_ -is [PSUdp.UdpRelaySummary] })
        $summaries.Direction | Should -Be 'ToTarget', 'ToClient'
        # Every try is one request and, if it arrived, one answer: the answers that came back are
        # the target's answers the relay forwarded.
        $summaries[0].Received | Should -Be 20
        $summaries[1].Received | Should -Be $summaries[0].Forwarded
        $back | Should -Be $summaries[1].Forwarded
        $back | Should -BeLessThan 20 -Because '30 % loss each way loses about half of the round trips'
    }

    It 'the help''s Pester example "my client retries through 20 % loss" passes' {
        Import-Module "$PSScriptRoot/../../tools/MarkdownHelp.psm1" -Force
        $page = Read-MarkdownHelp -Path "$PSScriptRoot/../../docs/en-US/Start-UdpRelay.md"
        $example = $page.Examples | Where-Object Title -Like '*retries through 20 % loss*'
        $example | Should -HaveCount 1
        $file = Join-Path $TestDrive 'Retry.Tests.ps1'
        Set-Content $file $example.Code
        $pester = (Get-Module Pester).Path
        $pwsh = @(Get-TestPwsh)
        $result = & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -Command "Import-Module '$pester'; `$r = Invoke-Pester -Path '$file' -PassThru -Output None; '{0} {1}' -f `$r.PassedCount, `$r.FailedCount"
        "$result".Trim() | Should -Be '1 0'
    }
}

Describe 'Start-UdpRelay refuses bad input and binds nothing' {
    BeforeAll { $id = 'PSUdp.Commands.StartUdpRelayCommand' }

    It '<Name>' -ForEach @(
        @{ Name = 'a loss above 100 %'; Arguments = @{ LossPercent = 101 }; ErrorId = 'ParameterArgumentValidationError' }
        @{ Name = 'a negative duplicate percent'; Arguments = @{ DuplicatePercent = -1 }; ErrorId = 'ParameterArgumentValidationError' }
        @{ Name = 'a reorder percent above 100'; Arguments = @{ ReorderPercent = 100.5 }; ErrorId = 'ParameterArgumentValidationError' }
        @{ Name = 'a negative delay'; Arguments = @{ DelayMilliseconds = -1 }; ErrorId = 'ParameterArgumentValidationError' }
        @{ Name = 'a jitter larger than the delay'; Arguments = @{ DelayMilliseconds = 10; JitterMilliseconds = 20 }; ErrorId = 'JitterLargerThanDelay' }
        @{ Name = 'a burst length without loss'; Arguments = @{ LossBurstLength = 3 }; ErrorId = 'LossBurstLengthWithoutLoss' }
        @{ Name = 'runs too short for the loss'; Arguments = @{ LossPercent = 90; LossBurstLength = 2 }; ErrorId = 'LossBurstLengthTooShort' }
        @{ Name = 'target port 0'; Arguments = @{ RemotePort = 0 }; ErrorId = 'ParameterArgumentValidationError' }
        @{ Name = 'a target that does not resolve'; Arguments = @{ ComputerName = 'no-such-host.invalid' }; ErrorId = 'NameNotResolved' }
        @{ Name = '-IPv4 with -IPv6'; Arguments = @{ IPv4 = $true; IPv6 = $true }; ErrorId = 'ConflictingAddressFamily' }
        @{ Name = 'a queue of 0'; Arguments = @{ QueueLength = 0 }; ErrorId = 'ParameterArgumentValidationError' }
        @{ Name = '-MaximumFlows 0'; Arguments = @{ MaximumFlows = 0 }; ErrorId = 'ParameterArgumentValidationError' }
    ) {
        $port = Get-FreeUdpPort
        $parameters = @{ Port = $port; ComputerName = '127.0.0.1'; RemotePort = 9 }
        foreach ($key in $Arguments.Keys) { $parameters[$key] = $Arguments[$key] }
        { Start-UdpRelay @parameters -AsJob } | Should -Throw -ErrorId "$ErrorId,$id"
        Test-UdpPortFree $port | Should -BeTrue -Because 'bad input binds nothing'
        @(Get-Job | Where-Object PSJobTypeName -EQ 'PSUdpRelay' | Where-Object { $_.LocalPort -eq $port }) | Should -HaveCount 0
    }

    It 'a port in use' {
        $peer = New-TestPeer
        try {
            { Start-UdpRelay -Port $peer.LocalEndPoint.Port -ComputerName 127.0.0.1 -RemotePort 9 } | Should -Throw -ErrorId "AddressInUse,$id"
        }
        finally { $peer.Dispose() }
    }

    It 'completes -Direction and shows every parameter in Get-Help' {
        (TabExpansion2 'Start-UdpRelay -Direction T' 27).CompletionMatches.CompletionText | Should -Be @('ToClient', 'ToTarget')
    }
}
