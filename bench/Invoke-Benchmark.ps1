#Requires -Version 7.0
<#
.SYNOPSIS
    Measures PSUdp side by side with plain C#, textbook Python and socat on loopback, and prints
    every PSUdp figure beside its reference as a ratio.

.DESCRIPTION
    One command from the repository root:

        dotnet tool restore && dotnet pwsh ./bench/Invoke-Benchmark.ps1 [-Quick]

    It builds the module (build.ps1 -Task Assemble) and the reference programs (bench/UdpReference),
    then runs each scenario -Repeat times, the contenders of one scenario in turn within each
    repetition (so the noise of a shared machine falls on all of them alike), and prints the
    median with min-max:

      Receive   a C# SendTo flood into Receive-UdpDatagram -Count N | Measure-Object, | Out-Null
                and | Where-Object Length -gt 0 | Measure-Object, and into the C# ReceiveFrom
                receiver (default and 4 MiB buffer) and the textbook Python receiver; 64 and
                1,400-byte datagrams. The flood goes on until the receiver has taken its N and
                closed its port; the rate is N / (receiver's end - flood's start).
      Echo      N round trips of 64 bytes, one outstanding, from the C# echo client to
                Start-UdpEcho, the C# and Python echo servers and socat PIPE, unpinned and with
                client and server pinned to one CPU (taskset); plus two C# floods through each
                echo server at once.
      Send      N strings piped into one Send-UdpDatagram, against the C# SendTo loop, the
                Python sender and a script function that makes a new UdpClient per message.
      Startup   pwsh -NoProfile -c exit with and without Import-Module PSUdp.
      Memory    the flood into Receive-UdpDatagram with a consumer that sleeps 1 ms per object:
                peak working set, and received + dropped by PSUdp + dropped by the kernel = sent.
      Load      Send-UdpDatagram -RepeatCount N against the C# SendTo loop (and a C# sendmmsg
                loop) into a sink; and -RatePerSecond 1,000 / 10,000 / 100,000 for 10 s (2 s with
                -Quick) into bench/pace_receiver.py: the achieved rate and the fullest 10 ms, from
                the kernel's receive timestamps.
      Multicast the C# flood to a group out of lo into a C# receiver joined on lo and into
                Receive-UdpDatagram -MulticastGroup -InterfaceName lo.
      Probe     Test-UdpConnection over 1,000 loopback ports (a C# echo server and dnsmasq among
                them) against nmap -sU -T4: time and verdicts; and -Count N against the C# echo
                server, mean round trip and loss against the C# echo client.
      Facts     the 64 B receive into Measure-Object with this build and with PSUdp at -Baseline
                (built from git into output/bench/), which read no arrival facts.
      Capture   the flood into Receive-UdpDatagram | Export-UdpDatagram against tcpdump -w of the
                same traffic; then Import-UdpDatagram of the file into Measure-Object.
      Relay     Start-UdpRelay without impairment against socat UDP4-LISTEN:R,fork,reuseaddr
                UDP4:127.0.0.1:T: the C# flood through each into a C# receiver (forwarded datagrams
                per second, first to last arrival), and N round trips of the C# echo client through
                each to the C# echo server, beside the same round trips without a relay (what each
                relay adds to the mean, the median and the 99th percentile).
    The echo flood also runs a C# echo server that batches (recvmmsg in, sendmmsg out). A case
    whose cmdlet or parameter this build of PSUdp lacks shows one row marked "not available".

    Loopback only; every process is bounded in count and in time and ends by itself (the harness
    ends its own children if they overrun). Kernel losses are the delta of /proc/net/snmp
    (Udp RcvbufErrors, NoPorts) over a run: the counters are machine-wide, so traffic of other
    programs on a shared machine shows in the accounting column.
    Nothing here asserts a time; the results go to the screen and to output/bench/.

.PARAMETER Quick
    Small counts and one repetition: a smoke run of every scenario in a few minutes.

.PARAMETER Repeat
    Repetitions of each scenario (default 3, or 1 with -Quick).

.PARAMETER Scenario
    The scenarios to run (default all).

.PARAMETER Contender
    Runs only the contenders whose name matches this wildcard, and the references (for profiling
    one pipeline: -Contender '*Measure-Object').

.PARAMETER Baseline
    The commit whose PSUdp the Facts scenario compares with (default ee33c90, main before issues
    11-16).

.PARAMETER SkipBuild
    Use the module in output/ and the reference programs as they were last built.

.EXAMPLE
    dotnet pwsh ./bench/Invoke-Benchmark.ps1 -Quick

.EXAMPLE
    dotnet pwsh ./bench/Invoke-Benchmark.ps1 -Scenario Receive, Send -Repeat 5
#>
[CmdletBinding()]
param(
    [switch] $Quick,

    [ValidateRange(1, 20)]
    [int] $Repeat,

    # Receive, Echo, Send, Startup, Memory, Load, Multicast, Probe, Facts, Capture, Relay; from a shell also as one comma-separated word.
    [string[]] $Scenario = @('Receive', 'Echo', 'Send', 'Startup', 'Memory', 'Load', 'Multicast', 'Probe', 'Facts', 'Capture', 'Relay'),

    [string] $Baseline = 'ee33c90',

    [switch] $SkipBuild,

    [SupportsWildcards()]
    [string] $Contender = '*'
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
Import-Module (Join-Path $PSScriptRoot 'Benchmark.psm1') -Force
Import-Module (Join-Path $PSScriptRoot 'Scenarios.psm1') -Force
Import-Module (Join-Path (Split-Path $PSScriptRoot) 'tests/Pester/PSUdpTestUtilities.psm1')   # Get-PwshCommand

$Scenario = @($Scenario -split ',' | ForEach-Object Trim | Where-Object { $_ })
$known = 'Receive', 'Echo', 'Send', 'Startup', 'Memory', 'Load', 'Multicast', 'Probe', 'Facts', 'Capture', 'Relay'
$unknown = @($Scenario | Where-Object { $_ -notin $known })
if ($unknown) { throw "Unknown scenario '$($unknown -join "', '")'. Choose from $($known -join ', ')." }
if (-not $IsLinux) { throw 'The benchmark reads /proc/net and uses taskset: it runs on Linux only.' }

$Root = Split-Path $PSScriptRoot
$Counts = if ($Quick) {
    @{ Receive = 50000; Echo = 2000; EchoFlood = 20000; Send = 50000; SendUdpClient = 5000; Startup = 3; Memory = 50000; Load = 200000; PacedSeconds = 2; Multicast = 50000; Ports = 1000; ProbeSeries = 2000; Capture = 50000; Facts = 50000; RelayFlood = 50000; RelayEcho = 2000 }
}
else {
    @{ Receive = 1000000; Echo = 20000; EchoFlood = 200000; Send = 1000000; SendUdpClient = 100000; Startup = 20; Memory = 1000000; Load = 2000000; PacedSeconds = 10; Multicast = 1000000; Ports = 1000; ProbeSeries = 10000; Capture = 1000000; Facts = 1000000; RelayFlood = 1000000; RelayEcho = 20000 }
}
if (-not $Repeat) { $Repeat = if ($Quick) { 1 } else { 3 } }

# ---------------------------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------------------------
$pwsh = Get-PwshCommand
if (-not $SkipBuild) {
    Write-Host 'Building the module (build.ps1 -Task Assemble) ...'
    $rest = @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', "$Root/build.ps1", '-Task', 'Assemble')
    & $pwsh[0] @rest | Out-Null
    if ($LASTEXITCODE) { throw "build.ps1 -Task Assemble failed with exit code $LASTEXITCODE." }
    Write-Host 'Building the reference programs (bench/UdpReference) ...'
    dotnet build "$Root/bench/UdpReference/UdpReference.csproj" -c Release --nologo -v quiet | Out-Null
    if ($LASTEXITCODE) { throw "dotnet build bench/UdpReference failed with exit code $LASTEXITCODE." }
}

$manifest = Get-ChildItem "$Root/output/PSUdp/*/PSUdp.psd1" -ErrorAction SilentlyContinue | Select-Object -First 1
if (-not $manifest) { throw "No built module in $Root/output/PSUdp; run without -SkipBuild." }
$exported = (Import-PowerShellDataFile $manifest.FullName).CmdletsToExport
$hasEcho = $exported -contains 'Start-UdpEcho'
$referenceDll = "$Root/bench/UdpReference/bin/Release/net10.0/UdpReference.dll"
if (-not (Test-Path $referenceDll)) { throw "No reference programs at $referenceDll; run without -SkipBuild." }

$python = Get-Command python3 -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
$socat = Get-Command socat -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
$notes = [System.Collections.Generic.List[string]]::new()
if (-not $python) { $notes.Add('python3 is not installed: the Python rows are skipped.') }
if (-not $socat) { $notes.Add('socat is not installed (apt-get install socat): the socat rows are skipped.') }
if (-not $hasEcho) { $notes.Add('This build of PSUdp has no Start-UdpEcho: the PSUdp echo rows are skipped.') }

Initialize-Benchmark -Root $Root -Pwsh $pwsh -Reference @((Get-Command dotnet).Source, $referenceDll) `
    -Python $(if ($python) { $python.Source }) -Socat $(if ($socat) { $socat.Source })

$cpuInfo = (Get-Content /proc/cpuinfo | Select-String '^model name' | Select-Object -First 1) -replace '^.*:\s*', ''
$header = [ordered]@{
    Date      = (Get-Date).ToString('yyyy-MM-dd HH:mm')
    Machine   = "$([Environment]::ProcessorCount) CPUs, $cpuInfo, Linux $([Environment]::OSVersion.Version)"
    Runtime   = "PowerShell $($PSVersionTable.PSVersion), .NET $([Environment]::Version)"
    Python    = if ($python) { (& $python.Source --version) -join '' } else { 'none' }
    Socat     = if ($socat) { ((& $socat.Source -V 2>&1 | Select-String 'socat version') -replace '^.*socat version (\S+).*$', '$1') } else { 'none' }
    Counts    = ($Counts.GetEnumerator() | Sort-Object Name | ForEach-Object { "$($_.Name) $($_.Value.ToString('N0'))" }) -join ', '
    Repeat    = $Repeat
    Load      = (Get-Content /proc/loadavg) -replace '^(\S+ \S+ \S+).*$', '$1'
    RmemMax   = (Get-Content /proc/sys/net/core/rmem_max)
}
Write-Host ''
$header.GetEnumerator() | ForEach-Object { Write-Host ('{0,-8} {1}' -f $_.Key, $_.Value) }
$notes | ForEach-Object { Write-Host "Note: $_" -ForegroundColor Yellow }

# ---------------------------------------------------------------------------------------------
# Scenarios
# ---------------------------------------------------------------------------------------------
$baselinePath = $null
if ($Quick -and $Scenario -contains 'Facts' -and -not $PSBoundParameters.ContainsKey('Scenario') -and
    -not (Test-Path "$Root/output/bench/baseline-$Baseline/output/PSUdp")) {
    # Building the baseline takes most of a minute: a smoke run does without it until a full run built it.
    $Scenario = @($Scenario | Where-Object { $_ -ne 'Facts' })
    $notes.Add("Facts skipped: its baseline ($Baseline) is not built yet; a run without -Quick, or -Scenario Facts, builds it once.")
}
if ($Scenario -contains 'Facts') {
    Write-Host "Building PSUdp at $Baseline for the Facts scenario (output/bench/baseline-$Baseline) ..."
    $baselinePath = Initialize-Baseline -Commit $Baseline
}
$runs = [System.Collections.Generic.List[object]]::new()
$started = [System.Diagnostics.Stopwatch]::StartNew()

for ($rep = 1; $rep -le $Repeat; $rep++) {
    if ($Scenario -contains 'Receive') {
        foreach ($size in 64, 1400) {
            foreach ($receiver in Get-ReceiveContender | Where-Object { $_.Name -like $Contender -or $_.PSObject.Properties['IsReference'] }) {
                Write-Host ("[{0}/{1}] Receive {2} B: {3}" -f $rep, $Repeat, $size, $receiver.Name)
                $runs.Add((Invoke-ReceiveRun -Contender $receiver -Size $size -Count $Counts.Receive))
            }
        }
    }
    if ($Scenario -contains 'Echo') {
        foreach ($pinned in $false, $true) {
            foreach ($server in Get-EchoServer -IncludePSUdp:$hasEcho | Where-Object { $_.Name -like $Contender -or $_.PSObject.Properties['IsReference'] }) {
                Write-Host ("[{0}/{1}] Echo {2}: {3}" -f $rep, $Repeat, $(if ($pinned) { 'pinned' } else { 'unpinned' }), $server.Name)
                $runs.Add((Invoke-EchoRun -Server $server -Count $Counts.Echo -Pinned:$pinned))
            }
            Write-Host ("[{0}/{1}] PowerShell floor: {2:N0} objects into Measure-Object, cold, {3}" -f $rep, $Repeat, $Counts.Echo, $(if ($pinned) { 'pinned' } else { 'unpinned' }))
            $runs.Add((Invoke-FloorRun -Kind Write -Count $Counts.Echo -Pinned:$pinned))
        }
        $floodServers = @(Get-EchoServer -IncludePSUdp:$hasEcho | Where-Object { $_.Kind -ne 'socat' }) +
            @([pscustomobject]@{ Name = 'C# batch echo server (recvmmsg, sendmmsg)'; Kind = 'csharp-batch' })
        # The echo's own rate: to the last echo, whatever the pipeline behind it still has to write.
        if ($hasEcho) { $floodServers += [pscustomobject]@{ Name = 'Start-UdpEcho -MaximumRate 0 | Select-Object -Last 1, to the last echo'; Kind = 'psudp'; Pipeline = 'LastEcho' } }
        foreach ($server in $floodServers | Where-Object { $_.Name -like $Contender -or $_.PSObject.Properties['IsReference'] }) {
            Write-Host ("[{0}/{1}] Echo flood: {2}" -f $rep, $Repeat, $server.Name)
            $runs.Add((Invoke-EchoFloodRun -Server $server -Count $Counts.EchoFlood))
        }
    }
    if ($Scenario -contains 'Send') {
        foreach ($sender in Get-SendContender | Where-Object { $_.Name -like $Contender -or $_.PSObject.Properties['IsReference'] }) {
            $count = if ($sender.Kind -eq 'psudp-udpclient') { $Counts.SendUdpClient } else { $Counts.Send }
            Write-Host ("[{0}/{1}] Send: {2}" -f $rep, $Repeat, $sender.Name)
            $runs.Add((Invoke-SendRun -Contender $sender -Count $count))
        }
        Write-Host ("[{0}/{1}] PowerShell floor: {2:N0} strings into a cmdlet that does nothing" -f $rep, $Repeat, $Counts.Send)
        $runs.Add((Invoke-FloorRun -Kind Bind -Count $Counts.Send))
    }
    if ($Scenario -contains 'Startup') {
        Write-Host ("[{0}/{1}] Start-up: {2} runs each" -f $rep, $Repeat, $Counts.Startup)
        foreach ($run in Invoke-StartupRun -Count $Counts.Startup) { $runs.Add($run) }
    }
    if ($Scenario -contains 'Load') {
        Write-Host ("[{0}/{1}] Load: one payload {2:N0} times, unpaced" -f $rep, $Repeat, $Counts.Load)
        foreach ($run in Invoke-LoadRun -Count $Counts.Load) { $runs.Add($run) }
        foreach ($rate in 1000, 10000, 100000) {
            Write-Host ("[{0}/{1}] Paced load: {2:N0} per second for {3} s" -f $rep, $Repeat, $rate, $Counts.PacedSeconds)
            $runs.Add((Invoke-PacedLoadRun -Rate $rate -Seconds $Counts.PacedSeconds))
        }
    }
    if ($Scenario -contains 'Multicast') {
        Write-Host ("[{0}/{1}] Multicast on lo: {2:N0} datagrams" -f $rep, $Repeat, $Counts.Multicast)
        foreach ($run in Invoke-MulticastRun -Count $Counts.Multicast -Round $rep) { $runs.Add($run) }
    }
    if ($Scenario -contains 'Probe') {
        Write-Host ("[{0}/{1}] Probe: a sweep of {2:N0} loopback ports, and -Count {3:N0}" -f $rep, $Repeat, $Counts.Ports, $Counts.ProbeSeries)
        foreach ($run in Invoke-ProbeSweepRun -Count $Counts.Ports) { $runs.Add($run) }
        foreach ($run in Invoke-ProbeSeriesRun -Count $Counts.ProbeSeries) { $runs.Add($run) }
    }
    if ($Scenario -contains 'Facts') {
        Write-Host ("[{0}/{1}] Arrival facts: receive {2:N0} x 64 B, this build and {3}" -f $rep, $Repeat, $Counts.Facts, $Baseline)
        foreach ($run in Invoke-FactsRun -Count $Counts.Facts -Baseline $Baseline -BaselinePath $baselinePath) { $runs.Add($run) }
    }
    if ($Scenario -contains 'Capture') {
        Write-Host ("[{0}/{1}] Capture: {2:N0} datagrams to a file and back" -f $rep, $Repeat, $Counts.Capture)
        foreach ($run in Invoke-CaptureRun -Count $Counts.Capture) { $runs.Add($run) }
    }
    if ($Scenario -contains 'Relay') {
        Write-Host ("[{0}/{1}] Relay: a flood of {2:N0} through it, and {3:N0} round trips" -f $rep, $Repeat, $Counts.RelayFlood, $Counts.RelayEcho)
        foreach ($run in Invoke-RelayFloodRun -Count $Counts.RelayFlood -Round $rep) { $runs.Add($run) }
        foreach ($run in Invoke-RelayLatencyRun -Count $Counts.RelayEcho -Round $rep) { $runs.Add($run) }
    }
    if ($Scenario -contains 'Memory') {
        Write-Host ("[{0}/{1}] Memory: flood into a consumer that sleeps 1 ms per object (drains up to 131,072 queued objects)" -f $rep, $Repeat)
        $runs.Add((Invoke-MemoryRun -Count $Counts.Memory))
    }
}

# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------
$table = @(Get-BenchmarkSummary -Run $runs)
$targets = @(Get-BenchmarkTarget -Summary $table) + @(Get-GrownTarget -Summary $table)

$markdown = ConvertTo-BenchmarkMarkdown -Header $header -Notes $notes -Summary $table -Target $targets
Write-Host ''
Write-Host $markdown
Write-Host ''
$outDir = Join-Path $Root 'output/bench'
New-Item -ItemType Directory -Force $outDir | Out-Null
$stamp = (Get-Date).ToString('yyyyMMdd-HHmmss')
Set-Content -Path "$outDir/benchmark-$stamp.md" -Value $markdown
$runs | ConvertTo-Json -Depth 6 | Set-Content -Path "$outDir/benchmark-$stamp.json"
Write-Host ("Done in {0:N0} s. Table: output/bench/benchmark-{1}.md; every run: output/bench/benchmark-{1}.json" -f $started.Elapsed.TotalSeconds, $stamp)
