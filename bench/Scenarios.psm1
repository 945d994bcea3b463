<#
.SYNOPSIS
    The scenarios of what PSUdp grew after its first benchmark (issue 16): load generation, the
    echo flood against a batching C# server, multicast receive on lo, Test-UdpConnection, the
    per-datagram arrival facts, capture files, and the targets of those. The machinery (processes,
    counters, runs) is bench/Benchmark.psm1's.

    A scenario whose cmdlet or parameter this build of PSUdp does not have yields one row that
    says "not available" instead of failing.
#>
Set-StrictMode -Version Latest

# What the built module offers: cmdlet name -> parameter names, read once in a child pwsh.
$script:Surface = $null

function Get-PSUdpSurface {
    if ($null -eq $script:Surface) {
        $config = Get-BenchConfig
        $script = 'Import-Module PSUdp; $s = @{}; Get-Command -Module PSUdp -CommandType Cmdlet | ForEach-Object { $s[$_.Name] = @($_.Parameters.Keys) }; "SURFACE " + ($s | ConvertTo-Json -Compress -Depth 3)'
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
# Targets (issue 16)
# ---------------------------------------------------------------------------------------------

function Get-GrownTarget {
    param([object[]] $Summary)
    function Find($Section, $Case, $Contender) {
        $Summary | Where-Object { $_.Section -eq $Section -and ($null -eq $Case -or $_.Case -eq $Case) -and $_.Contender -like $Contender } | Select-Object -First 1
    }
    function Mark([bool] $Met) { if ($Met) { 'yes' } else { 'NO' } }
    function Missing($Row) { -not $Row -or $null -eq $Row.Median }
    function Why($Row) { if ($Row -and $Row.Detail -match 'PROBLEM: (.*)$') { $Matches[1] } else { 'not measured' } }

    $flood = Find 'Echo flood' $null 'Start-UdpEcho*'
    $batch = Find 'Echo flood' $null 'C# batch echo server*'
    if ($flood) {
        $notSent = if ($flood.Extra.Contains('echoes not sent')) { $flood.Extra['echoes not sent'] } else { $null }
        [pscustomobject]@{
            Target = 'Echo flood, two senders: Start-UdpEcho'
            Figure = if (Missing $flood) { Why $flood } else { '{0:0.00}x the C# echo server ({1:N0} against {2:N0} dg/s); the batching C# server {3:0.00}x; echoes taken off the socket but not sent: {4}' -f $flood.Ratio, $flood.Median, ($flood.Median / [Math]::Max($flood.Ratio, 1e-9)), $(if ($batch) { $batch.Ratio }), $(if ($null -ne $notSent) { '{0:N0}' -f $notSent } else { 'n/a' }) }
            Goal   = '>= 1.2x the C# echo server, no echo lost that the kernel handed to PSUdp'
            Met    = Mark (-not (Missing $flood) -and $flood.Ratio -ge 1.2 -and $notSent -eq 0)
        }
    }
    $load = Find 'Load' '64 B, unpaced' 'Send-UdpDatagram*'
    if ($load) {
        $mmsg = Find 'Load' '64 B, unpaced' 'C# sendmmsg*'
        [pscustomobject]@{
            Target = 'Load generation, unpaced: Send-UdpDatagram -RepeatCount'
            Figure = if (Missing $load) { Why $load } else { '{0:0.00}x the C# SendTo loop; the C# sendmmsg loop {1:0.00}x' -f $load.Ratio, $(if ($mmsg) { $mmsg.Ratio }) }
            Goal   = '>= 1.2x the C# SendTo loop'
            Met    = Mark (-not (Missing $load) -and $load.Ratio -ge 1.2)
        }
    }
    foreach ($row in $Summary | Where-Object Section -EQ 'Paced load') {
        $met = -not (Missing $row) -and [Math]::Abs($row.Extra['rate error %']) -le 1 -and $row.Extra['max 10 ms / share'] -le 1.5
        [pscustomobject]@{
            Target = "Paced load, $($row.Case)"
            Figure = if (Missing $row) { Why $row } else { 'achieved {0:N0}/s at the receiver ({1:+0.00;-0.00} %), the sender says {2:N0}/s; fullest 10 ms {3:N0} datagrams = {4:0.00}x the rate''s share' -f $row.Median, $row.Extra['rate error %'], $row.Extra['sender rate'], $row.Extra['max 10 ms'], $row.Extra['max 10 ms / share'] }
            Goal   = 'within 1 % of the asked rate; no 10 ms above 1.5x the rate'
            Met    = Mark $met
        }
    }
    $multicast = Find 'Multicast' $null 'Receive-UdpDatagram*'
    if ($multicast) {
        $reference = Find 'Multicast' $null 'C# receiver*'
        [pscustomobject]@{
            Target = 'Multicast receive on lo: Receive-UdpDatagram -MulticastGroup'
            Figure = if (Missing $multicast) { Why $multicast } else { '{0:0.00}x the C# joined receiver; loss {1} (C# {2})' -f $multicast.Ratio, $multicast.Loss, $(if ($reference) { $reference.Loss }) }
            Goal   = '>= 0.9x a C# receiver joined to the same group, no more loss'
            Met    = Mark (-not (Missing $multicast) -and $multicast.Ratio -ge 0.9 -and $reference -and $multicast.LossMedian -le $reference.LossMedian + 0.0005)
        }
    }
    $alone = Find 'Start-up' 'the import alone, timed in the process' 'Import-Module PSUdp'
    $wall = Find 'Start-up' 'wall time' 'pwsh -NoProfile -c "Import-Module PSUdp; exit"'
    $floorWall = Find 'Start-up' 'wall time' 'pwsh -NoProfile -c "Import-Module <one empty cmdlet and a format file>; exit"'
    if ($alone -and $null -ne $alone.Ratio) {
        $wallRatio = if ($wall -and $floorWall -and $floorWall.Median) { $wall.Median / $floorWall.Median } else { $null }
        [pscustomobject]@{
            Target = 'Start-up: Import-Module PSUdp against one empty cmdlet and a format file'
            Figure = 'the import alone {0:0.00}x ({1:N0} against {2:N0} ms); the whole pwsh start {3:0.00}x' -f $alone.Ratio, $alone.Median, ($alone.Median / $alone.Ratio), $wallRatio
            Goal   = 'within 1.1x of the import of a binary module with one empty cmdlet and a format file'
            Met    = Mark ($alone.Ratio -le 1.1)
        }
    }
}

Export-ModuleMember -Function Get-PSUdpSurface, Test-PSUdpSurface, New-NotAvailableRun, Invoke-LoadRun, Invoke-PacedLoadRun, Invoke-MulticastRun, Get-GrownTarget
