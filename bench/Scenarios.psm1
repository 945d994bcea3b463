<#
.SYNOPSIS
    The scenarios of what PSUdp grew after its first benchmark: load generation, the
    echo flood against a batching C# server, multicast receive on lo, Test-UdpConnection, the
    per-datagram arrival facts, capture files, and the targets of those. The machinery (processes,
    counters, runs) is bench/Benchmark.psm1's.

    A scenario whose cmdlet or parameter this build of PSUdp does not have yields one row that
    says "not available" instead of failing.
#>
Set-StrictMode -Version Latest

# The receive buffer of the relay flood's C# receiver, so that the relay, not the receiver, is what is measured.
$script:RelayBuffer = 4194304

# What the built module offers: cmdlet name -> parameter names, read once in a child pwsh.
$script:Surface = $null

function Get-PSUdpSurface {
    if ($null -eq $script:Surface) {
        $config = Get-BenchConfig
        # Cmdlet name -> parameter names, and 'UdpDatagram' -> the datagram's properties.
        $script = 'Import-Module PSUdp; $s = @{}; Get-Command -Module PSUdp -CommandType Cmdlet | ForEach-Object { $s[$_.Name] = @($_.Parameters.Keys) }; $s["UdpDatagram"] = @([PSUdp.UdpDatagram].GetProperties().Name); "SURFACE " + ($s | ConvertTo-Json -Compress -Depth 3)'
        $done = Complete-BenchProcess (Start-BenchProcess (@($config.Pwsh) + @('-NoProfile', '-NonInteractive', '-Command', $script))) 120 -Kill:$false
        $script:Surface = @{}
        if ("$($done.Output)" -match 'SURFACE (\{.*\})') { $script:Surface = $Matches[1] | ConvertFrom-Json -AsHashtable }
    }
    $script:Surface
}

# True when the built PSUdp has the cmdlet and every one of the parameters.
function Test-PSUdpSurface {
    param([string] $Cmdlet, [string[]] $Parameter = @())
    $surface = Get-PSUdpSurface
    if (-not $surface.ContainsKey($Cmdlet)) { return $false }
    foreach ($name in $Parameter) { if ($surface[$Cmdlet] -notcontains $name) { return $false } }
    $true
}

# One row that says why a case was not measured.
function New-NotAvailableRun {
    param([string] $Section, [string] $Case, [string] $Contender, [string] $Why)
    $run = New-Run -Section $Section -Case $Case -Contender ([pscustomobject]@{ Name = $Contender; Kind = 'psudp' }) -Unit ''
    $run.Problem = "not available: $Why"
    $run
}

# A socket bound on loopback that is never read: the sink of the unpaced senders.
function New-Sink {
    $sink = [System.Net.Sockets.Socket]::new('InterNetwork', 'Dgram', 'Udp')
    $sink.ReceiveBufferSize = 4096
    $sink.Bind([System.Net.IPEndPoint]::new([System.Net.IPAddress]::Loopback, 0))
    $sink
}

# ---------------------------------------------------------------------------------------------
# Load generation
# ---------------------------------------------------------------------------------------------

# One payload N times as fast as it goes: the C# SendTo loop (the reference), the C# sendmmsg
# loop, and Send-UdpDatagram -RepeatCount N, into a sink that is never read.
function Invoke-LoadRun {
    param([int] $Count)
    $contenders = @(
        [pscustomobject]@{ Name = 'C# SendTo loop'; Kind = 'csharp'; IsReference = $true }
        [pscustomobject]@{ Name = 'C# sendmmsg loop, 64 per call'; Kind = 'csharp-batch' }
        [pscustomobject]@{ Name = "Send-UdpDatagram -RepeatCount $($Count.ToString('N0'))"; Kind = 'psudp'; Target = $true }
    )
    $config = Get-BenchConfig
    foreach ($contender in $contenders) {
        $case = '64 B, unpaced'
        if ($contender.Kind -eq 'psudp' -and -not (Test-PSUdpSurface 'Send-UdpDatagram' 'RepeatCount')) {
            New-NotAvailableRun 'Load' $case $contender.Name 'Send-UdpDatagram has no -RepeatCount'
            continue
        }
        Write-Host "  Load unpaced: $($contender.Name)"
        $run = New-Run -Section 'Load' -Case $case -Contender $contender -Unit 'dg/s'
        $sink = New-Sink
        try {
            $port = $sink.LocalEndPoint.Port
            $timeout = [Math]::Min(600, [Math]::Max(30, $Count / 20000))
            $command = switch ($contender.Kind) {
                'csharp' { Get-FloodCommand -Port $port -Count $Count -Size 64 -TimeoutSeconds $timeout }
                'csharp-batch' { @($config.Reference) + @('batch-flood', '--port', $port, '--count', $Count, '--size', 64, '--batch', 64, '--timeout', $timeout) }
                'psudp' { Get-PSUdpCommand -Scenario Load -Port $port -Count $Count -TimeoutSeconds $timeout }
            }
            $done = Complete-BenchProcess (Start-BenchProcess $command) ($timeout + 60)
        }
        finally { $sink.Dispose() }
        $run.Problem = $done.Problem
        if ($done.Result) {
            $run.Value = $done.Result.rate
            $run.Sent = if ($done.Result.ContainsKey('sent')) { $done.Result.sent } else { $done.Result.delivered }
            if ($done.Result.ContainsKey('systemCalls')) { $run.Extra['per call'] = $run.Sent / [Math]::Max(1, $done.Result.systemCalls) }
            elseif ($done.Result.ContainsKey('calls')) { $run.Extra['per call'] = $run.Sent / [Math]::Max(1, $done.Result.calls) }
            Set-CostFigure $run $done.Result ([double]$run.Sent)
        }
        $run
    }
}

# Send-UdpDatagram -RatePerSecond R -DurationSeconds D into bench/pace_receiver.py, which counts
# the datagrams by their kernel receive timestamps: the achieved rate, and the most datagrams in
# any 10 ms window against the rate's share of 10 ms.
function Invoke-PacedLoadRun {
    param([double] $Rate, [double] $Seconds)
    $name = 'Send-UdpDatagram -RatePerSecond {0:N0} -DurationSeconds {1:0.#}' -f $Rate, $Seconds
    $case = '{0:N0}/s for {1:0.#} s' -f $Rate, $Seconds
    if (-not (Test-PSUdpSurface 'Send-UdpDatagram' 'RatePerSecond', 'DurationSeconds')) {
        return New-NotAvailableRun 'Paced load' $case $name 'Send-UdpDatagram has no -RatePerSecond'
    }
    $config = Get-BenchConfig
    $run = New-Run -Section 'Paced load' -Case $case -Contender ([pscustomobject]@{ Name = $name; Kind = 'psudp'; Target = $true }) -Unit 'dg/s'
    $port = Get-ClosedUdpPort
    $receiver = Start-BenchProcess @($config.Python, "$($config.Root)/bench/pace_receiver.py", '--port', $port, '--timeout', ($Seconds + 60), '--idle', 2)
    Wait-UdpPort $port $receiver
    $sender = Complete-BenchProcess (Start-BenchProcess (Get-PSUdpCommand -Scenario Load -Port $port -Count 1 -TimeoutSeconds ($Seconds + 60) -Extra @('-Rate', $Rate, '-Duration', $Seconds))) ($Seconds + 90)
    $received = Complete-BenchProcess $receiver 60
    $run.Problem = @($sender.Problem, $received.Problem | Where-Object { $_ }) -join '; '
    if (-not $received.Result -or -not $sender.Result) { return $run }
    $run.Value = $received.Result.rate
    $run.Sent = $sender.Result.delivered
    $run.Delivered = $received.Result.received
    $share = $Rate * $received.Result.window
    $run.Extra['rate error %'] = 100 * ($received.Result.rate / $Rate - 1)
    $run.Extra['sender rate'] = $sender.Result.rate
    $run.Extra['max 10 ms'] = $received.Result.maxWindow
    $run.Extra['max 10 ms / share'] = $received.Result.maxWindow / $share
    $run.Loss = ($run.Sent - $run.Delivered) / [Math]::Max(1, $run.Sent)
    Set-CostFigure $run $sender.Result ([double]$run.Sent)
    $run
}

# ---------------------------------------------------------------------------------------------
# Multicast receive on lo
# ---------------------------------------------------------------------------------------------

# The C# flood sends to a group out of lo (TTL 0) until the receiver has taken N: a C# receiver
# joined on lo, and Receive-UdpDatagram -MulticastGroup -InterfaceName lo. The rate is N / (the
# receiver's end - the flood's start); loss is the kernel's drops (RcvbufErrors) and PSUdp's over
# what was offered. Multicast has no ICMP port unreachable, so the harness ends the flood.
function Invoke-MulticastRun {
    param([int] $Count, [int] $Round)
    $group = '239.255.{0}.{1}' -f (77 + $Round % 100), (1 + $Round % 200)
    $contenders = @(
        [pscustomobject]@{ Name = 'C# receiver joined on lo, 4 MiB buffer'; Kind = 'csharp'; IsReference = $true }
        [pscustomobject]@{ Name = 'Receive-UdpDatagram -MulticastGroup -InterfaceName lo | Measure-Object'; Kind = 'psudp'; Target = $true }
    )
    $config = Get-BenchConfig
    foreach ($contender in $contenders) {
        $case = '64 B, one group on lo'
        if ($contender.Kind -eq 'psudp' -and -not (Test-PSUdpSurface 'Receive-UdpDatagram' 'MulticastGroup', 'InterfaceName')) {
            New-NotAvailableRun 'Multicast' $case $contender.Name 'Receive-UdpDatagram has no -MulticastGroup'
            continue
        }
        Write-Host "  Multicast: $($contender.Name)"
        $run = New-Run -Section 'Multicast' -Case $case -Contender $contender -Unit 'dg/s'
        $port = Get-ClosedUdpPort
        $timeout = [Math]::Min(600, [Math]::Max(15, $Count / 50000))
        $command = switch ($contender.Kind) {
            'csharp' { @($config.Reference) + @('receive', '--group', $group, '--interface', '127.0.0.1', '--port', $port, '--count', $Count, '--rcvbuf', 4194304, '--timeout', $timeout) }
            'psudp' { Get-PSUdpCommand -Scenario Multicast -Port $port -Count $Count -TimeoutSeconds $timeout -Extra @('-Group', $group) }
        }
        $before = Get-UdpCounter
        $receiver = Start-BenchProcess $command
        Wait-UdpPort $port $receiver
        Start-Sleep -Milliseconds 200   # the join follows the bind
        $flood = Start-BenchProcess (@($config.Reference) + @('flood', '--group', $group, '--interface', '127.0.0.1', '--port', $port, '--count', (3 * $Count), '--size', 64, '--timeout', $timeout))
        $received = Complete-BenchProcess $receiver ($timeout + 30)
        $sender = Complete-BenchProcess $flood 0 -Kill
        $after = Get-UdpCounter
        $run.Problem = $received.Problem
        $start = if ("$($sender.Output)" -match 'START (\S+)') { [double]::Parse($Matches[1], [cultureinfo]::InvariantCulture) }
        if (-not $received.Result -or $null -eq $start) { $run.Problem = "$($run.Problem) no result"; $run; continue }
        $delivered = if ($contender.Kind -eq 'csharp') { $received.Result.received } else { $received.Result.delivered }
        $dropped = if ($contender.Kind -eq 'psudp') { $received.Result.dropped } else { 0 }
        $run.Delivered = $delivered
        $run.DroppedByPSUdp = $dropped
        $run.DroppedByKernel = $after.RcvbufErrors - $before.RcvbufErrors
        $run.Value = $delivered / [Math]::Max($received.Result.end - $start, 1e-6)
        $run.Loss = ($dropped + $run.DroppedByKernel) / [Math]::Max($delivered + $dropped + $run.DroppedByKernel, 1)
        Set-CostFigure $run $received.Result ([double]$delivered)
        $run
    }
}

# ---------------------------------------------------------------------------------------------
# Test-UdpConnection
# ---------------------------------------------------------------------------------------------

# 1,000 consecutive loopback ports that nothing has bound, from a random start.
function Get-FreePortRange {
    param([int] $Length = 1000)
    $bound = [System.Collections.Generic.HashSet[int]]::new()
    foreach ($file in '/proc/net/udp', '/proc/net/udp6') {
        foreach ($line in [IO.File]::ReadAllLines($file) | Select-Object -Skip 1) {
            $local = ($line.Trim() -split '\s+')[1]
            [void] $bound.Add([Convert]::ToInt32(($local -split ':')[-1], 16))
        }
    }
    for ($try = 0; $try -lt 100; $try++) {
        $first = Get-Random -Minimum 20000 -Maximum (60000 - $Length)
        if (-not @($first..($first + $Length - 1) | Where-Object { $bound.Contains($_) }).Count) { return $first }
    }
    throw "No $Length free consecutive UDP ports."
}

# nmap's verdicts as PSUdp names them.
$script:NmapVerdict = @{ 'open' = 'Open'; 'closed' = 'Closed'; 'filtered' = 'Filtered'; 'open|filtered' = 'OpenOrFiltered' }

# A sweep of 1,000 loopback ports, with a C# echo server and dnsmasq (its own config, on the
# test's port) among closed ones: Test-UdpConnection against nmap -sU -T4. The figure is the
# time the sweep took (for PSUdp the cmdlet's own, timed in its process; nmap's from start to
# exit); the detail counts the verdicts and the ports where the two disagree.
# nmap -sU -T4 and Test-UdpConnection on the same ports, one after the other: each one's time and
# verdicts, and the ports where PSUdp's verdict is not nmap's.
function Invoke-SweepPair {
    param([string] $Case, [string] $Name, [int] $First, [int] $Last, [string] $Nmap)
    $config = Get-BenchConfig
    $dir = Join-Path $config.Root 'output/bench'
    $nmapRun = New-Run -Section 'Probe' -Case $Case -Contender ([pscustomobject]@{ Name = 'nmap -sU -T4 -n -Pn'; Kind = 'nmap'; IsReference = $true }) -Unit 's'
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    $scan = Complete-BenchProcess (Start-BenchProcess @($Nmap, '-sU', '-T4', '-n', '-Pn', '-p', "$First-$Last", '127.0.0.1', '-oX', '-')) 600 -Kill:$false
    $nmapRun.Value = $clock.Elapsed.TotalSeconds
    $nmapVerdicts = @{}
    # XPath: the DOCTYPE is also a node named nmaprun, which property access would find first.
    $xml = [xml]$scan.Output
    $extra = $xml.SelectSingleNode('/nmaprun/host/ports/extraports')
    foreach ($port in $First..$Last) { $nmapVerdicts[$port] = if ($extra) { $script:NmapVerdict[$extra.GetAttribute('state')] } else { 'Closed' } }
    foreach ($port in $xml.SelectNodes('/nmaprun/host/ports/port')) {
        $nmapVerdicts[[int]$port.GetAttribute('portid')] = $script:NmapVerdict[$port.SelectSingleNode('state').GetAttribute('state')]
    }
    foreach ($group in $nmapVerdicts.Values | Group-Object) { $nmapRun.Extra[$group.Name] = $group.Count }
    $nmapRun

    $run = New-Run -Section 'Probe' -Case $Case -Contender ([pscustomobject]@{ Name = $Name; Kind = 'psudp'; Target = $true }) -Unit 's'
    $file = "$dir/sweep-verdicts.json"
    $done = Complete-BenchProcess (Start-BenchProcess (Get-PSUdpCommand -Scenario ProbeSweep -Port 9 -Count 1 -TimeoutSeconds 600 -Extra @('-Ports', "$First-$Last", '-OutFile', $file))) 660
    $run.Problem = $done.Problem
    if ($done.Result) {
        $run.Value = $done.Result.seconds
        $verdicts = Get-Content $file -Raw | ConvertFrom-Json -AsHashtable
        foreach ($group in $verdicts.Values | Group-Object) { $run.Extra[$group.Name] = $group.Count }
        $run.Extra['disagree with nmap'] = @($First..$Last | Where-Object { $verdicts["$_"] -ne $nmapVerdicts[$_] }).Count
    }
    $run
}

function Invoke-ProbeSweepRun {
    param([int] $Count)
    $case = '{0:N0} loopback ports, echo and dnsmasq among them' -f $Count
    $name = 'Test-UdpConnection -ComputerName 127.0.0.1 -Port <range>'
    $nmap = Get-Command nmap -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    $dnsmasq = Get-Command dnsmasq -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    if (-not $nmap -or -not $dnsmasq) { return New-NotAvailableRun 'Probe' $case $name 'nmap or dnsmasq is not installed' }
    if (-not (Test-PSUdpSurface 'Test-UdpConnection')) { return New-NotAvailableRun 'Probe' $case $name 'this PSUdp has no Test-UdpConnection' }
    $config = Get-BenchConfig
    $first = Get-FreePortRange -Length $Count
    $last = $first + $Count - 1
    $dir = Join-Path $config.Root 'output/bench'
    New-Item -ItemType Directory -Force $dir | Out-Null
    Set-Content "$dir/dnsmasq.conf" "no-resolv`nno-hosts`nlisten-address=127.0.0.1`nbind-interfaces`naddress=/bench.test/127.0.0.1"
    $echo = Start-BenchProcess (@($config.Reference) + @('echo-server', '--port', ($first + 100), '--count', 1000000, '--timeout', 300))
    $dns = Start-BenchProcess @($dnsmasq.Source, '--keep-in-foreground', "--conf-file=$dir/dnsmasq.conf", "--port=$($first + 200)", '--pid-file=', '--user=root')
    try {
        Wait-UdpPort ($first + 100) $echo
        Wait-UdpPort ($first + 200) $dns
        Invoke-SweepPair -Case $case -Name $name -First $first -Last $last -Nmap $nmap.Source
        # The whole port space, the same services among it: what nmap does on all 65,535 ports.
        Invoke-SweepPair -Case 'all 65,535 loopback ports, echo and dnsmasq among them' -Name $name -First 1 -Last 65535 -Nmap $nmap.Source
    }
    finally {
        foreach ($child in $echo, $dns) { if (-not $child.Process.HasExited) { $child.Process.Kill($true) } }
    }
}

# -Count N probes against the C# echo server: the C# echo client's mean round trip (the
# reference) against the series' average, and the loss each saw. The unit is microseconds.
# tcpdump on lo for one port's traffic, to a file of output/bench; $null without tcpdump and tshark
# (or root). Each packet is written as it is taken (-U).
function Start-WireCapture {
    param([int] $Port)
    $tcpdump = Get-Command tcpdump -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    $tshark = Get-Command tshark -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    if (-not $tcpdump -or -not $tshark -or (& id -u) -ne '0') { return $null }
    $file = Join-Path (Get-BenchConfig).Root "output/bench/wire-$Port.pcap"
    Remove-Item $file -ErrorAction Ignore
    $process = Start-BenchProcess @($tcpdump.Source, '-i', 'lo', '-U', '-n', '-w', $file, "udp and port $Port")
    Start-Sleep -Seconds 1   # its filter is in place
    [pscustomobject]@{ Run = $process; File = $file; Tshark = $tshark.Source }
}

# Ends the capture once its file has stopped growing (tcpdump takes packets a block at a time, a
# block at the latest a second after its first packet), and returns the wire's mean round trip in
# microseconds: from each request to the server's port to the first frame back with its payload.
function Stop-WireCapture {
    param($Capture, [int] $Port)
    $length = -1
    $deadline = [DateTime]::UtcNow.AddSeconds(30)
    while ((Test-Path $Capture.File) -and (Get-Item $Capture.File).Length -ne $length -and [DateTime]::UtcNow -lt $deadline) {
        $length = (Get-Item $Capture.File).Length
        Start-Sleep -Seconds 2
    }
    & kill -s INT $Capture.Run.Process.Id 2>$null
    $null = Complete-BenchProcess $Capture.Run 10 -Kill:$false
    $sent = @{}
    $total = 0.0
    $pairs = 0
    $seen = [System.Collections.Generic.HashSet[string]]::new()
    foreach ($line in & $Capture.Tshark -r $Capture.File -T fields -e frame.time_epoch -e udp.srcport -e udp.dstport -e udp.payload 2>$null) {
        $epoch, $from, $to, $payload = $line -split "`t"
        $at = [decimal]$epoch * 1000000
        if ([int]$to -eq $Port) { if (-not $sent.ContainsKey($payload)) { $sent[$payload] = $at } }
        elseif ([int]$from -eq $Port -and $sent.ContainsKey($payload) -and $seen.Add($payload)) { $total += [double]($at - $sent[$payload]); $pairs++ }
    }
    if ($pairs) { $total / $pairs } else { $null }
}

function Invoke-ProbeSeriesRun {
    param([int] $Count)
    $case = '{0:N0} round trips to the C# echo server' -f $Count
    $name = "Test-UdpConnection -Probe Echo -Count $($Count.ToString('N0')) -IntervalSeconds 0.001"
    if (-not (Test-PSUdpSurface 'Test-UdpConnection' 'Count', 'IntervalSeconds')) { return New-NotAvailableRun 'Probe series' $case $name 'this PSUdp has no Test-UdpConnection -Count' }
    $config = Get-BenchConfig
    foreach ($contender in @(
            [pscustomobject]@{ Name = 'C# echo client, one outstanding'; Kind = 'csharp'; IsReference = $true }
            # The same client at the series' pace: the server sleeps between probes, and wakes for each.
            [pscustomobject]@{ Name = 'C# echo client, one every 1 ms'; Kind = 'csharp'; Interval = 0.001 }
            [pscustomobject]@{ Name = $name; Kind = 'psudp'; Target = $true })) {
        $run = New-Run -Section 'Probe series' -Case $case -Contender $contender -Unit 'us'
        $port = Get-ClosedUdpPort
        $timeout = [Math]::Max(30, $Count / 500)
        $server = Start-BenchProcess (@($config.Reference) + @('echo-server', '--port', $port, '--count', $Count, '--timeout', $timeout))
        Wait-UdpPort $port $server
        $command = if ($contender.Kind -eq 'csharp') { @($config.Reference) + @('echo-client', '--port', $port, '--count', $Count, '--timeout', $timeout) + $(if ($contender.PSObject.Properties['Interval']) { @('--interval', $contender.Interval) }) }
        else { Get-PSUdpCommand -Scenario ProbeSeries -Port $port -Count $Count -TimeoutSeconds $timeout }
        # The wire's figure beside PSUdp's: tcpdump on lo records the series' requests and replies.
        $wire = if ($contender.Kind -eq 'psudp') { Start-WireCapture $port }
        $client = Complete-BenchProcess (Start-BenchProcess $command) ($timeout + 60)
        $null = Complete-BenchProcess $server 0 -Kill
        if ($wire) { $run.Extra['wire mean us'] = Stop-WireCapture $wire $port }
        $run.Problem = $client.Problem
        if ($client.Result) {
            if ($contender.Kind -eq 'csharp') {
                # The mean of the round trips it timed (the clock right around each send and receive).
                $run.Value = $client.Result.meanMicroseconds
                $run.Lost = $client.Result.lost
            }
            else {
                $run.Value = $client.Result.meanMicroseconds
                $run.Lost = $client.Result.lost
            }
            $run.Extra['lost'] = $run.Lost
            $run.Loss = $run.Lost / [Math]::Max(1, $Count)
        }
        $run
    }
}

# ---------------------------------------------------------------------------------------------
# Capture files
# ---------------------------------------------------------------------------------------------

# The flood (until the receiver has closed) into Receive-UdpDatagram -Count N | Export-UdpDatagram,
# and the same traffic into tcpdump -w (with a C# receiver as the sink); then
# Import-UdpDatagram of PSUdp's file into Measure-Object. Rates are datagrams per second.
function Invoke-CaptureRun {
    param([int] $Count)
    $case = '{0:N0} x 64 B' -f $Count
    $exportName = 'Receive-UdpDatagram -Count N | Export-UdpDatagram -Path x.pcapng'
    $importName = 'Import-UdpDatagram -Path x.pcapng | Measure-Object'
    if (-not (Test-PSUdpSurface 'Export-UdpDatagram') -or -not (Test-PSUdpSurface 'Import-UdpDatagram')) {
        New-NotAvailableRun 'Capture' $case $exportName 'this PSUdp has no Export-UdpDatagram'
        New-NotAvailableRun 'Capture import' $case $importName 'this PSUdp has no Import-UdpDatagram'
        return
    }
    $config = Get-BenchConfig
    $dir = Join-Path $config.Root 'output/bench'
    New-Item -ItemType Directory -Force $dir | Out-Null
    $timeout = [Math]::Min(600, [Math]::Max(20, $Count / 20000))
    $tcpdump = Get-Command tcpdump -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    if ($tcpdump) {
        $run = New-Run -Section 'Capture' -Case $case -Contender ([pscustomobject]@{ Name = 'tcpdump -i lo -w x.pcap, a C# receiver as the sink'; Kind = 'tcpdump'; IsReference = $true }) -Unit 'dg/s'
        $port = Get-ClosedUdpPort
        $file = "$dir/capture-tcpdump.pcap"
        Remove-Item $file -ErrorAction Ignore
        $sink = Start-BenchProcess (@($config.Reference) + @('receive', '--port', $port, '--count', $Count, '--rcvbuf', 4194304, '--timeout', $timeout))
        Wait-UdpPort $port $sink
        $dump = Start-BenchProcess @($tcpdump.Source, '-i', 'lo', '-n', '-w', $file, '-c', $Count, '-B', 16384, "udp and dst port $port")
        Start-Sleep -Seconds 1   # tcpdump's filter is in place
        $flood = Start-BenchProcess (Get-FloodCommand -Port $port -Count $Count -UntilClosed (3 * $Count) -TimeoutSeconds $timeout)
        $dumped = Complete-BenchProcess $dump ($timeout + 30) -Kill:$false
        $end = ([DateTime]::UtcNow - [DateTime]::UnixEpoch).TotalSeconds
        $sent = Complete-BenchProcess $flood ($timeout + 30)
        $null = Complete-BenchProcess $sink 30
        $run.Problem = $sent.Problem
        if ($sent.Result) {
            $run.Value = $Count / [Math]::Max($end - $sent.Result.start, 1e-6)
            if ("$($dumped.Error)" -match '(\d+) packets dropped by kernel') { $run.Extra['dropped by kernel'] = [long]$Matches[1] }
        }
        $run
    }
    $run = New-Run -Section 'Capture' -Case $case -Contender ([pscustomobject]@{ Name = $exportName; Kind = 'psudp'; Target = $true }) -Unit 'dg/s'
    $port = Get-ClosedUdpPort
    $file = "$dir/capture-psudp.pcapng"
    Remove-Item $file -ErrorAction Ignore
    $before = Get-UdpCounter
    $receiver = Start-BenchProcess (Get-PSUdpCommand -Scenario Export -Port $port -Count $Count -TimeoutSeconds $timeout -Extra @('-OutFile', $file))
    Wait-UdpPort $port $receiver
    $flood = Start-BenchProcess (Get-FloodCommand -Port $port -Count $Count -UntilClosed (3 * $Count) -TimeoutSeconds $timeout)
    $sent = Complete-BenchProcess $flood ($timeout + 30)
    $received = Complete-BenchProcess $receiver ($timeout + 60)
    $after = Get-UdpCounter
    $run.Problem = @($sent.Problem, $received.Problem | Where-Object { $_ }) -join '; '
    if ($sent.Result -and $received.Result) {
        $run.Value = $received.Result.delivered / [Math]::Max($received.Result.end - $sent.Result.start, 1e-6)
        $run.DroppedByPSUdp = $received.Result.dropped
        $run.DroppedByKernel = $after.RcvbufErrors - $before.RcvbufErrors
        # In Extra, not PeakWorkingSetMiB, which the summary reads as the Memory scenario's.
        $run.Extra['peak MiB'] = $received.Result.peakWorkingSet / 1MB
        $run.Extra['idle MiB'] = $received.Result.workingSetBefore / 1MB
        $run.Extra['file MiB'] = $received.Result.fileBytes / 1MB
    }
    $run

    $import = New-Run -Section 'Capture import' -Case $case -Contender ([pscustomobject]@{ Name = $importName; Kind = 'psudp'; Target = $true }) -Unit 'dg/s'
    if (Test-Path $file) {
        $done = Complete-BenchProcess (Start-BenchProcess (Get-PSUdpCommand -Scenario Import -Port 9 -Count 1 -TimeoutSeconds 600 -Extra @('-OutFile', $file))) 660
        $import.Problem = $done.Problem
        if ($done.Result) { $import.Value = $done.Result.rate; $import.Delivered = $done.Result.delivered; Set-CostFigure $import $done.Result ([double]$done.Result.delivered) }
    }
    else { $import.Problem = 'no file from the export' }
    $import
}

# ---------------------------------------------------------------------------------------------
# Receive with the arrival facts, against the module before them
# ---------------------------------------------------------------------------------------------

# Builds PSUdp as it was at a commit into output/bench/baseline-<commit>/ (git archive, then its
# own build.ps1 -Task Assemble) and returns the PSModulePath that loads it.
function Initialize-Baseline {
    param([string] $Commit)
    $config = Get-BenchConfig
    $dir = Join-Path $config.Root "output/bench/baseline-$Commit"
    if (-not (Test-Path "$dir/output/PSUdp")) {
        Remove-Item $dir -Recurse -Force -ErrorAction Ignore
        New-Item -ItemType Directory -Force $dir | Out-Null
        git -C $config.Root archive --format=tar $Commit | tar -x -C $dir
        if ($LASTEXITCODE) { throw "git archive $Commit failed." }
        Push-Location $dir
        try {
            dotnet tool restore | Out-Null
            $rest = @($config.Pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', "$dir/build.ps1", '-Task', 'Assemble')
            & $config.Pwsh[0] @rest | Out-Null
            if ($LASTEXITCODE) { throw "The baseline's build.ps1 -Task Assemble failed with exit code $LASTEXITCODE." }
        }
        finally { Pop-Location }
    }
    "$dir/output$([IO.Path]::PathSeparator)$PSHOME/Modules"
}

# The receive of the Receive section, 64 B into Measure-Object, with this build (which reads each
# datagram's TTL, traffic class, interface and kernel timestamp) and with the baseline.
function Invoke-FactsRun {
    param([int] $Count, [string] $Baseline, [string] $BaselinePath)
    $case = "64 B, against $Baseline"
    $name = 'Receive-UdpDatagram | Measure-Object, with TTL, DSCP, interface, kernel timestamp'
    if ((Get-PSUdpSurface)['UdpDatagram'] -notcontains 'TimeToLive') { return New-NotAvailableRun 'Arrival facts' $case $name 'this PSUdp''s datagrams have no TimeToLive' }
    foreach ($contender in @(
            [pscustomobject]@{ Name = "Receive-UdpDatagram | Measure-Object, before the facts ($Baseline)"; Kind = 'psudp'; Pipeline = 'MeasureObject'; IsReference = $true; Environment = @{ PSModulePath = $BaselinePath } }
            [pscustomobject]@{ Name = $name; Kind = 'psudp'; Pipeline = 'MeasureObject'; Target = $true })) {
        Write-Host "  Arrival facts: $($contender.Name)"
        $run = Invoke-ReceiveRun -Contender $contender -Size 64 -Count $Count
        $run.Section = 'Arrival facts'
        $run.Case = $case
        $run
    }
    # PowerShell's own floor in the same run: what writing N new objects into Measure-Object
    # allocates with no PSUdp code in the path (each object is 24 B; a datagram with its 64 B payload 176 B).
    Write-Host '  Arrival facts: PowerShell''s floor, a compiled cmdlet writing new objects | Measure-Object'
    $floor = Invoke-FloorRun -Kind Write -Count $Count
    $floor.Section = 'Arrival facts'
    $floor.Case = $case
    $floor
}

# ---------------------------------------------------------------------------------------------
# A plain relay: Start-UdpRelay without impairment against socat
# ---------------------------------------------------------------------------------------------

# The relays in the order they run: none (the path without a relay, for the added latency),
# socat (the reference: a child per client, connected to the target), and Start-UdpRelay.
function Get-RelayContender {
    [pscustomobject]@{ Name = 'no relay (the path itself)'; Kind = 'none' }
    if ((Get-BenchConfig).Socat) { [pscustomobject]@{ Name = 'socat UDP4-LISTEN:R,fork,reuseaddr UDP4:127.0.0.1:T'; Kind = 'socat'; IsReference = $true } }
    [pscustomobject]@{ Name = 'Start-UdpRelay -Port R -ComputerName 127.0.0.1 -RemotePort T'; Kind = 'psudp'; Target = $true }
}

# Starts a relay from a port of its own to the target port and waits until it has bound; $null
# for the path without a relay. A PSUdp relay with -Count ends itself; socat ends after 5 s idle
# or is ended by the harness.
function Start-Relay {
    param($Contender, [int] $Port, [int] $Target, [long] $Count, [double] $TimeoutSeconds)
    $config = Get-BenchConfig
    $command = switch ($Contender.Kind) {
        'none' { return $null }
        'socat' { @($config.Socat, '-T', '5', "UDP4-LISTEN:$Port,bind=127.0.0.1,fork,reuseaddr", "UDP4:127.0.0.1:$Target") }
        'psudp' { Get-PSUdpCommand -Scenario Relay -Port $Port -Count ([Math]::Min($Count, 100000000)) -TimeoutSeconds $TimeoutSeconds -Extra @('-RemotePort', $Target) }
    }
    $relay = Start-BenchProcess $command
    Wait-UdpPort $Port $relay
    $relay
}

# Throughput: the C# flood (one client, unpaced) into the relay, which forwards to a C# receiver
# with a 4 MiB buffer until it has N. The figure is what the receiver took per second between its
# first and its last datagram, so neither relay's start (PowerShell's, socat's fork) counts; the
# flood is then ended by the harness, and so is the relay. The order turns with each repetition.
function Invoke-RelayFloodRun {
    param([int] $Count, [int] $Round = 1)
    $config = Get-BenchConfig
    $contenders = @(Get-RelayContender)
    foreach ($contender in Get-Rotation $contenders $Round) {
        $case = '64 B, one client flooding'
        if ($contender.Kind -eq 'psudp' -and -not (Test-PSUdpSurface 'Start-UdpRelay')) { New-NotAvailableRun 'Relay' $case $contender.Name 'this PSUdp has no Start-UdpRelay'; continue }
        Write-Host "  Relay flood: $($contender.Name)"
        $run = New-Run -Section 'Relay' -Case $case -Contender $contender -Unit 'dg/s'
        $timeout = [Math]::Min(600, [Math]::Max(20, $Count / 20000))
        $target = Get-ClosedUdpPort
        $receiver = Start-BenchProcess (@($config.Reference) + @('receive', '--port', $target, '--count', $Count, '--rcvbuf', $script:RelayBuffer, '--timeout', $timeout))
        Wait-UdpPort $target $receiver
        $port = if ($contender.Kind -eq 'none') { $target } else { Get-ClosedUdpPort }
        $before = Get-UdpCounter
        $relay = Start-Relay $contender $port $target 1e8 ($timeout + 30)
        $flood = Start-BenchProcess (Get-FloodCommand -Port $port -Count (100 * [long]$Count) -TimeoutSeconds $timeout)
        $received = Complete-BenchProcess $receiver ($timeout + 30)
        $null = Complete-BenchProcess $flood 0 -Kill
        if ($relay) { $null = Complete-BenchProcess $relay 0 -Kill }
        $after = Get-UdpCounter
        $run.Problem = $received.Problem
        if ($received.Result) {
            $run.Delivered = $received.Result.received
            $run.Value = ($received.Result.received - 1) / [Math]::Max($received.Result.end - $received.Result.first, 1e-6)
            # The flood outruns any relay: these are the relay's own socket overflowing, and the receiver's.
            $run.DroppedByKernel = $after.RcvbufErrors - $before.RcvbufErrors
        }
        $run
    }
}

# Latency: N round trips of 64 B, one outstanding, from the C# echo client through the relay to the
# C# echo server, and the same without a relay, in an order that turns with each repetition (what
# runs first on a machine that has just been idle pays for waking it). The figure is the mean round
# trip, the detail its median and 99th percentile; the targets take what a relay adds from these.
function Invoke-RelayLatencyRun {
    param([int] $Count, [int] $Round = 1)
    $config = Get-BenchConfig
    $contenders = @(Get-RelayContender)
    foreach ($contender in Get-Rotation $contenders $Round) {
        $case = '64 B round trips through the relay'
        if ($contender.Kind -eq 'psudp' -and -not (Test-PSUdpSurface 'Start-UdpRelay')) { New-NotAvailableRun 'Relay latency' $case $contender.Name 'this PSUdp has no Start-UdpRelay'; continue }
        Write-Host "  Relay latency: $($contender.Name)"
        $run = New-Run -Section 'Relay latency' -Case $case -Contender $contender -Unit 'us'
        $timeout = [Math]::Min(600, [Math]::Max(20, $Count / 1000))
        $target = Get-ClosedUdpPort
        $server = Start-BenchProcess (@($config.Reference) + @('echo-server', '--port', $target, '--count', $Count, '--timeout', $timeout))
        Wait-UdpPort $target $server
        $port = if ($contender.Kind -eq 'none') { $target } else { Get-ClosedUdpPort }
        $relay = Start-Relay $contender $port $target (2 * [long]$Count) ($timeout + 30)
        $client = Complete-BenchProcess (Start-BenchProcess (@($config.Reference) + @('echo-client', '--port', $port, '--count', $Count, '--size', 64, '--timeout', $timeout))) ($timeout + 30)
        $null = Complete-BenchProcess $server 30
        $relayed = if ($relay) { Complete-BenchProcess $relay 30 -Kill:($contender.Kind -eq 'socat') }
        $run.Problem = @($client.Problem, $(if ($relayed -and $contender.Kind -eq 'psudp') { $relayed.Problem }) | Where-Object { $_ }) -join '; '
        if ($client.Result -and $client.Result.roundTrips) {
            $run.Value = 1e6 * $client.Result.seconds / $client.Result.roundTrips
            $run.Delivered = $client.Result.roundTrips
            $run.Lost = $client.Result.lost
            $run.Loss = $client.Result.lost / [Math]::Max($Count, 1)
            $run.Extra['p50 us'] = $client.Result.p50Microseconds
            $run.Extra['p99 us'] = $client.Result.p99Microseconds
        }
        if ($relayed -and $relayed.Result) { Set-CostFigure $run $relayed.Result ([double]$relayed.Result.delivered) }
        $run
    }
}

# ---------------------------------------------------------------------------------------------
# Targets
# ---------------------------------------------------------------------------------------------

function Get-GrownTarget {
    param([object[]] $Summary)
    function Find($Section, $Case, $Contender) {
        $Summary | Where-Object { $_.Section -eq $Section -and ($null -eq $Case -or $_.Case -eq $Case) -and $_.Contender -like $Contender } | Select-Object -First 1
    }
    function Missing($Row) { -not $Row -or $null -eq $Row.Median }
    function Why($Row) { if ($Row -and $Row.Detail -match 'PROBLEM: (.*)$') { $Matches[1] } else { 'not measured' } }

    $batch = Find 'Echo flood' $null 'C# batch echo server*'
    foreach ($flood in @($Summary | Where-Object { $_.Section -eq 'Echo flood' -and $_.Contender -like 'Start-UdpEcho*' })) {
        $notSent = if ($flood.Extra.Contains('echoes not sent')) { $flood.Extra['echoes not sent'] } else { $null }
        $figure = if (Missing $flood) { Why $flood } else { '{0:0.00}x the C# echo server ({1:N0} against {2:N0} dg/s); the batching C# server {3:0.00}x; echoes taken off the socket but not sent: {4}' -f $flood.Ratio, $flood.Median, ($flood.Median / [Math]::Max($flood.Ratio, 1e-9)), $(if ($batch) { $batch.Ratio }), $(if ($null -ne $notSent) { '{0:N0}' -f $notSent } else { 'n/a' }) }
        New-BenchmarkTarget -Name "Echo flood, two senders: $($flood.Contender)" -Figure $figure -Goal '>= 1.2x the C# echo server, no echo lost that the kernel handed to PSUdp' -Met (-not (Missing $flood) -and $flood.Ratio -ge 1.2 -and $notSent -eq 0) -Row $flood
    }
    $load = Find 'Load' '64 B, unpaced' 'Send-UdpDatagram*'
    if ($load) {
        $mmsg = Find 'Load' '64 B, unpaced' 'C# sendmmsg*'
        $figure = if (Missing $load) { Why $load } else { '{0:0.00}x the C# SendTo loop; the C# sendmmsg loop {1:0.00}x' -f $load.Ratio, $(if ($mmsg) { $mmsg.Ratio }) }
        New-BenchmarkTarget -Name 'Load generation, unpaced: Send-UdpDatagram -RepeatCount' -Figure $figure -Goal '>= 1.2x the C# SendTo loop' -Met (-not (Missing $load) -and $load.Ratio -ge 1.2) -Row $load
    }
    foreach ($row in $Summary | Where-Object Section -EQ 'Paced load') {
        $met = -not (Missing $row) -and [Math]::Abs($row.Extra['rate error %']) -le 1 -and $row.Extra['max 10 ms / share'] -le 1.5
        $figure = if (Missing $row) { Why $row } else { 'achieved {0:N0}/s at the receiver ({1:+0.00;-0.00} %), the sender says {2:N0}/s; fullest 10 ms {3:N0} datagrams = {4:0.00}x the rate''s share' -f $row.Median, $row.Extra['rate error %'], $row.Extra['sender rate'], $row.Extra['max 10 ms'], $row.Extra['max 10 ms / share'] }
        New-BenchmarkTarget -Name "Paced load, $($row.Case)" -Figure $figure -Goal 'within 1 % of the asked rate; no 10 ms above 1.5x the rate' -Met $met -Row $row
    }
    $multicast = Find 'Multicast' $null 'Receive-UdpDatagram*'
    if ($multicast) {
        $reference = Find 'Multicast' $null 'C# receiver*'
        $figure = if (Missing $multicast) { Why $multicast } else { '{0:0.00}x the C# joined receiver; loss {1} (C# {2})' -f $multicast.Ratio, $multicast.Loss, $(if ($reference) { $reference.Loss }) }
        New-BenchmarkTarget -Name 'Multicast receive on lo: Receive-UdpDatagram -MulticastGroup' -Figure $figure -Goal '>= 0.9x a C# receiver joined to the same group, no more loss' -Met (-not (Missing $multicast) -and $multicast.Ratio -ge 0.9 -and $reference -and $multicast.LossMedian -le $reference.LossMedian + 0.0005) -Row $multicast
    }
    foreach ($sweep in @($Summary | Where-Object { $_.Section -eq 'Probe' -and $_.Contender -like 'Test-UdpConnection*' })) {
        $figure = if (Missing $sweep) { Why $sweep } else { '{0:0.00}x nmap -sU -T4''s time ({1:N2} s against {2:N2} s, the cmdlet timed in its process); ports where the verdicts differ: {3:N0}' -f $sweep.Ratio, $sweep.Median, ($sweep.Median / [Math]::Max($sweep.Ratio, 1e-9)), $sweep.Extra['disagree with nmap'] }
        New-BenchmarkTarget -Name "Test-UdpConnection sweep of $($sweep.Case -replace ', echo and dnsmasq among them$')" -Figure $figure -Goal 'nmap''s verdicts in no more time than nmap -sU -T4' -Met (-not (Missing $sweep) -and $sweep.Ratio -le 1 -and $sweep.Extra['disagree with nmap'] -eq 0) -Row $sweep
    }
    $series = Find 'Probe series' $null 'Test-UdpConnection*'
    if ($series) {
        $client = Find 'Probe series' $null 'C# echo client, one outstanding'
        $paced = Find 'Probe series' $null 'C# echo client, one every*'
        $wireMean = if ($series.Extra.Contains('wire mean us')) { $series.Extra['wire mean us'] } else { $null }
        $versusWire = if ($wireMean) { $series.Median / $wireMean } else { $null }
        $figure = if (Missing $series) { Why $series } else { 'mean round trip {0:0.00}x the C# echo client''s ({1:N1} against {2:N1} us) and {3:0.00}x the wire''s ({4:N1} us, tcpdump on lo); the C# client one every 1 ms as the series sends: {5:N1} us; the floor: the wire at the series'' pace is itself {6:0.00}x the hot loop; lost {7} against {8}' -f $series.Ratio, $series.Median, $(if ($client) { $client.Median }), $versusWire, $wireMean, $(if ($paced) { $paced.Median }), $(if ($wireMean -and $client -and $client.Median) { $wireMean / $client.Median }), $series.Extra['lost'], $(if ($client) { $client.Extra['lost'] }) }
        New-BenchmarkTarget -Name 'Test-UdpConnection -Count 10000 against the C# echo server' -Figure $figure -Goal 'mean round trip no more than the C# echo client''s and within 10 % of the wire''s, the same loss' -Met (-not (Missing $series) -and $series.Ratio -le 1.0 -and $null -ne $versusWire -and [Math]::Abs($versusWire - 1) -le 0.1 -and $client -and $series.Extra['lost'] -eq $client.Extra['lost']) -Row $series
    }
    $facts = Find 'Arrival facts' $null '*with TTL*'
    if ($facts) {
        $before = $Summary | Where-Object { $_.Section -eq 'Arrival facts' -and $_.IsReference } | Select-Object -First 1
        $allocation = { param($row) if ($row -and $row.Detail -match '([\d,]+) B allocated') { [double]($Matches[1] -replace ',', '') } }
        $now = & $allocation $facts
        $then = & $allocation $before
        $floor = & $allocation (Find 'Arrival facts' $null 'compiled cmdlet writing new objects*')
        $figure = if (Missing $facts) { Why $facts } else { '{0:0.00}x the receive before them; {1:N0} against {2:N0} B allocated per datagram; the floor, PowerShell writing new 24 B objects into Measure-Object: {3:N0} B per object, so PSUdp''s own {4:N0} B per datagram (the datagram and its payload are 176 B); loss {5} against {6}' -f $facts.Ratio, $now, $then, $floor, $(if ($null -ne $now -and $null -ne $floor) { $now - $floor + 24 }), $facts.Loss, $(if ($before) { $before.Loss }) }
        New-BenchmarkTarget -Name 'Receive with the arrival facts' -Figure $figure -Goal '>= 0.95x the receive before them and <= 842 B allocated per datagram' -Met (-not (Missing $facts) -and $facts.Ratio -ge 0.95 -and $null -ne $now -and $now -le 842) -Row $facts
    }
    $export = Find 'Capture' $null 'Receive-UdpDatagram*Export-UdpDatagram*'
    if ($export) {
        $figure = if (Missing $export) { Why $export } else { '{0:0.00}x the rate tcpdump -w wrote the same traffic at; peak working set {1:N0} MiB' -f $export.Ratio, $export.Extra['peak MiB'] }
        New-BenchmarkTarget -Name 'Export-UdpDatagram' -Figure $figure -Goal '>= 0.5x tcpdump -w, constant memory' -Met (-not (Missing $export) -and $export.Ratio -ge 0.5) -Row $export
    }
    $import = Find 'Capture import' $null 'Import-UdpDatagram*'
    if ($import) {
        $figure = if (Missing $import) { Why $import } else { '{0:N0} datagrams/s' -f $import.Median }
        New-BenchmarkTarget -Name 'Import-UdpDatagram into Measure-Object' -Figure $figure -Goal '>= 500,000 datagrams/s' -Met (-not (Missing $import) -and $import.Median -ge 500000) -Row $import
    }
    $relay = Find 'Relay' $null 'Start-UdpRelay*'
    if ($relay) {
        $socat = Find 'Relay' $null 'socat*'
        $path = Find 'Relay' $null 'no relay*'
        $figure = if (Missing $relay) { Why $relay } else { '{0:0.00}x socat ({1:N0} against {2:N0} forwarded dg/s; the receiver alone takes {3:N0})' -f $relay.Ratio, $relay.Median, $(if ($socat) { $socat.Median }), $(if ($path) { $path.Median }) }
        New-BenchmarkTarget -Name 'Start-UdpRelay without impairment: throughput' -Figure $figure -Goal '>= 1.0x socat UDP4-LISTEN,fork' -Met (-not (Missing $relay) -and $null -ne $relay.Ratio -and $relay.Ratio -ge 1.0) -Row $relay
    }
    $relayLatency = Find 'Relay latency' $null 'Start-UdpRelay*'
    if ($relayLatency) {
        $socat = Find 'Relay latency' $null 'socat*'
        $path = Find 'Relay latency' $null 'no relay*'
        # What a relay adds: its figure less the path's, medians of the repetitions.
        $added = {
            param($row, $name)
            if (-not $row -or -not $path -or (Missing $row) -or (Missing $path)) { return $null }
            if ($name) { $row.Extra[$name] - $path.Extra[$name] } else { $row.Median - $path.Median }
        }
        $mine = & $added $relayLatency
        $theirs = & $added $socat
        $figure = if (Missing $relayLatency) { Why $relayLatency } else {
            'adds {0:N1} us to the mean round trip, socat {1:N1} us (means {2:N1} / {3:N1} / {4:N1} us without a relay / socat / PSUdp); to the median {5:N1} / {6:N1} us, to the 99th percentile {7:N1} / {8:N1} us (socat / PSUdp)' -f $mine, $theirs,
                $(if ($path) { $path.Median }), $(if ($socat) { $socat.Median }), $relayLatency.Median,
                (& $added $socat 'p50 us'), (& $added $relayLatency 'p50 us'), (& $added $socat 'p99 us'), (& $added $relayLatency 'p99 us')
        }
        New-BenchmarkTarget -Name 'Start-UdpRelay without impairment: added latency' -Figure $figure -Goal 'no more added latency than socat (mean round trip)' -Met (-not (Missing $relayLatency) -and $null -ne $mine -and $null -ne $theirs -and $mine -le $theirs) -Row $relayLatency
    }
    $alone = Find 'Start-up' 'the import alone, timed in the process' 'Import-Module PSUdp'
    $wall = Find 'Start-up' 'wall time' 'pwsh -NoProfile -c "Import-Module PSUdp; exit"'
    $floorWall = Find 'Start-up' 'wall time' 'pwsh -NoProfile -c "Import-Module <one empty cmdlet and a format file>; exit"'
    if ($alone -and $null -ne $alone.Ratio) {
        $wallRatio = if ($wall -and $floorWall -and $floorWall.Median) { $wall.Median / $floorWall.Median } else { $null }
        $figure = 'the import alone {0:0.00}x ({1:N0} against {2:N0} ms); the whole pwsh start {3:0.00}x' -f $alone.Ratio, $alone.Median, ($alone.Median / $alone.Ratio), $wallRatio
        # The floor: PowerShell importing the one-cmdlet module with PSUdp's views instead of its one.
        $views = Find 'Start-up' 'the import alone, timed in the process' 'Import-Module <one empty cmdlet and PSUdp''s format file>'
        if ($views -and $null -ne $views.Ratio) {
            $figure += '; the floor, the one-cmdlet module with PSUdp''s format file: {0:0.00}x ({1:N0} ms), so PSUdp is {2:0.00}x its floor' -f $views.Ratio, $views.Median, ($alone.Median / $views.Median)
        }
        $shape = Find 'Start-up' 'the import alone, timed in the process' 'Import-Module <one empty cmdlet in PSUdp''s manifest*'
        if ($shape -and $null -ne $shape.Ratio) {
            $figure += '; the one-cmdlet module in PSUdp''s manifest, folders and format file: {0:0.00}x ({1:N0} ms), so PSUdp''s assembly adds {2:0.00}x' -f $shape.Ratio, $shape.Median, ($alone.Median / $shape.Median)
        }
        New-BenchmarkTarget -Name 'Start-up: Import-Module PSUdp against one empty cmdlet and a format file' -Figure $figure -Goal 'within 1.1x of the import of a binary module with one empty cmdlet and a format file' -Met ($alone.Ratio -le 1.1)
    }
}

Export-ModuleMember -Function Get-PSUdpSurface, Test-PSUdpSurface, New-NotAvailableRun, Invoke-LoadRun, Invoke-PacedLoadRun,
    Invoke-MulticastRun, Invoke-ProbeSweepRun, Invoke-ProbeSeriesRun, Invoke-CaptureRun, Invoke-RelayFloodRun, Invoke-RelayLatencyRun, Initialize-Baseline, Invoke-FactsRun, Get-GrownTarget
