#Requires -Version 7.0
<#
.SYNOPSIS
    The PSUdp side of one benchmark run, in a fresh pwsh that imports the built PSUdp.

.DESCRIPTION
    Run by Invoke-Benchmark.ps1, never by hand (though it can be). Imports PSUdp from
    PSModulePath, runs ONE pipeline, and prints one line 'RESULT {json}' with what it measured:
    the count of objects the pipeline saw, the datagrams PSUdp reported as dropped (its warning),
    the wall-clock end (Unix seconds, comparable with the reference programs' times), and the
    process's CPU seconds, allocated bytes, gen-0 collections and peak working set over the run.
    Every pipeline is bounded by -Count and by -TimeoutSeconds.

    Scenarios:
      Receive        Receive-UdpDatagram -Count N | <Pipeline>  (MeasureObject, OutNull, WhereObject)
      Echo           Start-UdpEcho -Count N -MaximumRate 0 | Measure-Object
      Send           N strings of -Size characters piped into one Send-UdpDatagram
      SendUdpClient  the same through a script function that makes a new UdpClient per message
      Memory         Receive-UdpDatagram -TimeoutSeconds T | a consumer that sleeps 1 ms per object
      Load           Send-UdpDatagram -RepeatCount N (or -DurationSeconds -Duration) [-RatePerSecond -Rate]
                     -PassThru: one payload of -Size bytes many times; the rate is the summary's
      Multicast      Receive-UdpDatagram -MulticastGroup -Group -InterfaceName lo -Count N | Measure-Object
      ProbeSweep     Test-UdpConnection -ComputerName 127.0.0.1 -Port <-Ports lo-hi>; the verdicts go to -OutFile
      ProbeSeries    Test-UdpConnection -ComputerName 127.0.0.1 -Port P -Probe Echo -Count N -IntervalSeconds 0.001
      Export         Receive-UdpDatagram -Count N | Export-UdpDatagram -Path <-OutFile>
      Import         Import-UdpDatagram -Path <-OutFile> | Measure-Object
      Relay          Start-UdpRelay -Port P -ComputerName 127.0.0.1 -RemotePort <-RemotePort> [-Count N]
                     with no impairment: a plain relay; delivered is what it forwarded both ways
      FloorWrite     PowerShell's own floor for the listeners: a compiled cmdlet (Add-Type) that writes
                     N new objects into Measure-Object, in this fresh process (so cold, as a listener is)
      FloorBind      PowerShell's own floor for Send: N strings piped into a compiled cmdlet with one
                     ValueFromPipeline string parameter and an empty ProcessRecord
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)]
    [ValidateSet('Receive', 'Echo', 'Send', 'SendUdpClient', 'Memory', 'FloorWrite', 'FloorBind', 'Load', 'Multicast', 'ProbeSweep', 'ProbeSeries', 'Export', 'Import', 'Relay')]
    [string] $Scenario,

    [Parameter(Mandatory)]
    [ValidateRange(1, 65535)]
    [int] $Port,

    [ValidateRange(1, 100000000)]
    [int] $Count = 1000,

    # LastEcho (Echo only): | Select-Object -Last 1, and the end is when the last echoed datagram
    # arrived (its kernel timestamp), not when the pipeline had written them all; with the
    # system's default receive buffer (as the C# server has), so that a datagram is answered
    # within a couple of milliseconds of its arrival and that time is the last answer's.
    [ValidateSet('MeasureObject', 'OutNull', 'WhereObject', 'LastEcho')]
    [string] $Pipeline = 'MeasureObject',

    [ValidateRange(0.1, 600)]
    [double] $TimeoutSeconds = 60,

    [ValidateRange(0, 65507)]
    [int] $Size = 64,

    # Load: datagrams per second (0 = unpaced), and seconds (0 = -Count datagrams).
    [double] $Rate = 0,
    [double] $Duration = 0,

    # Multicast: the group, joined on lo.
    [string] $Group = '239.255.77.1',

    # ProbeSweep: the ports, as 'first-last'.
    [string] $Ports = '',

    # ProbeSweep, Export, Import: the file written or read.
    [string] $OutFile = '',

    # Relay: the target's port (on 127.0.0.1).
    [ValidateRange(0, 65535)]
    [int] $RemotePort = 0
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
# The drop warning's numbers are formatted with the current culture; parse them in a known one.
[System.Threading.Thread]::CurrentThread.CurrentCulture = [cultureinfo]::InvariantCulture

Import-Module PSUdp

if ($Scenario -like 'Floor*') {
    # Compiled before the clock starts; the cmdlets do nothing but what PowerShell does per object.
    Add-Type -TypeDefinition @'
using System.Management.Automation;

[Cmdlet(VerbsCommunications.Write, "FloorObject")]
public sealed class WriteFloorObjectCommand : PSCmdlet
{
    [Parameter(Mandatory = true)] public int Count { get; set; }
    protected override void EndProcessing() { for (int i = 0; i < Count; i++) { WriteObject(new object()); } }
}

[Cmdlet(VerbsDiagnostic.Test, "FloorRecord")]
public sealed class TestFloorRecordCommand : PSCmdlet
{
    [Parameter(ValueFromPipeline = true)] public string InputObject { get; set; } = "";
    protected override void ProcessRecord() { }
}
'@ -PassThru | Select-Object -First 1 | ForEach-Object { Import-Module $_.Assembly }
}

function Get-UnixTime { ([DateTime]::UtcNow - [DateTime]::UnixEpoch).TotalSeconds }

# For a scenario whose input is made first: the clock starts again when the input is ready.
function Restart-Clock {
    $script:start = Get-UnixTime
    $elapsed.Restart()
}

# For a scenario whose output is looked at afterwards: the clock stops when the command is done.
function Stop-Clock {
    $script:stopped = @{ Seconds = $elapsed.Elapsed.TotalSeconds; End = Get-UnixTime }
}

# Send, SendUdpClient, FloorBind: -Count strings of -Size characters piped into one command, all of them sent.
function Invoke-Piped([string] $Command, [hashtable] $Parameters = @{}) {
    $lines = @('x' * $Size) * $Count
    Restart-Clock
    $lines | & $Command @Parameters
    $script:delivered = $Count
}

# The first number of PSUdp's drop warning ("24,909 of 300,000 datagrams received on ... were not written ...").
function Get-DroppedCount($Warnings) {
    $last = @($Warnings | Where-Object { "$_" -match '^[\d,]+ of [\d,]+ datagrams received' }) | Select-Object -Last 1
    if ($last -and "$last" -match '^([\d,]+) of') { [long]($Matches[1] -replace ',', '') } else { 0 }
}

$process = [System.Diagnostics.Process]::GetCurrentProcess()
$process.Refresh()
$workingSetBefore = $process.WorkingSet64
$cpuBefore = $process.TotalProcessorTime.TotalSeconds
$allocatedBefore = [GC]::GetTotalAllocatedBytes($true)
$collectionsBefore = [GC]::CollectionCount(0)
$start = Get-UnixTime
$delivered = $null
$dropped = 0  # unless PSUdp's warning says otherwise
$warnings = @()
$extra = [ordered]@{}
$rateOverride = $null
$lastEcho = $null
$stopped = $null
$elapsed = [System.Diagnostics.Stopwatch]::StartNew()

switch ($Scenario) {
    'Receive' {
        $receive = @{ Port = $Port; Count = $Count; TimeoutSeconds = $TimeoutSeconds; WarningVariable = 'warnings'; WarningAction = 'SilentlyContinue' }
        switch ($Pipeline) {
            'MeasureObject' { $delivered = (Receive-UdpDatagram @receive | Measure-Object).Count }
            'OutNull' { Receive-UdpDatagram @receive | Out-Null }
            'WhereObject' { $delivered = (Receive-UdpDatagram @receive | Where-Object Length -GT 0 | Measure-Object).Count }
        }
        $dropped = Get-DroppedCount $warnings
        # -Count counts the datagrams PSUdp took off the socket, the dropped ones included.
        if ($Pipeline -eq 'OutNull' -and $elapsed.Elapsed.TotalSeconds -lt $TimeoutSeconds - 0.2) { $delivered = $Count - $dropped }
    }
    'Echo' {
        # -MaximumRate 0 lifts the loop guard's default of 1,000 echoes per second to one peer,
        # which would otherwise be what this measures.
        $echo = @{ Port = $Port; Count = $Count; TimeoutSeconds = $TimeoutSeconds; MaximumRate = 0; WarningVariable = 'warnings'; WarningAction = 'SilentlyContinue' }
        if ($Pipeline -eq 'LastEcho') {
            $echo.ReceiveBufferSize = [int](Get-Content /proc/sys/net/core/rmem_default)
            $last = Start-UdpEcho @echo | Select-Object -Last 1
            $delivered = $Count
            $lastEcho = ($last.Timestamp.UtcTicks - [DateTime]::UnixEpoch.Ticks) / 1e7
        }
        else { $delivered = (Start-UdpEcho @echo | Measure-Object).Count }
        $dropped = Get-DroppedCount $warnings
        # "N datagrams were not echoed (...)": taken off the socket but not answered.
        $notEchoed = @($warnings | Where-Object { "$_" -match '^([\d,]+) datagrams were not echoed' }) | Select-Object -Last 1
        $extra.refused = if ($notEchoed -and "$notEchoed" -match '^([\d,]+) datagrams') { [long]($Matches[1] -replace ',', '') } else { 0 }
    }
    'Send' { Invoke-Piped Send-UdpDatagram @{ ComputerName = '127.0.0.1'; Port = $Port } }
    'SendUdpClient' {
        # The common script pattern: a new UdpClient for every message.
        function Send-UdpMessage {
            param(
                [Parameter(Mandatory)] [string] $ComputerName,
                [Parameter(Mandatory)] [int] $Port,
                [Parameter(Mandatory, ValueFromPipeline)] [string] $Message
            )
            process {
                $client = [System.Net.Sockets.UdpClient]::new()
                try {
                    $bytes = [System.Text.Encoding]::UTF8.GetBytes($Message)
                    [void] $client.Send($bytes, $bytes.Length, $ComputerName, $Port)
                }
                finally {
                    $client.Dispose()
                }
            }
        }
        Invoke-Piped Send-UdpMessage @{ ComputerName = '127.0.0.1'; Port = $Port }
    }
    'FloorWrite' { $delivered = (Write-FloorObject -Count $Count | Measure-Object).Count }
    'FloorBind' { Invoke-Piped Test-FloorRecord }
    'Load' {
        $load = @{ ComputerName = '127.0.0.1'; Port = $Port; Message = ('x' * $Size); PassThru = $true }
        if ($Rate -gt 0) { $load.RatePerSecond = $Rate }
        if ($Duration -gt 0) { $load.DurationSeconds = $Duration } else { $load.RepeatCount = $Count }
        Restart-Clock
        $summary = Send-UdpDatagram @load
        $delivered = $summary.Sent
        $rateOverride = $summary.RatePerSecond
        $extra.systemCalls = $summary.SystemCalls
        $extra.loadSeconds = $summary.Elapsed.TotalSeconds
    }
    'Multicast' {
        $receive = @{ Port = $Port; MulticastGroup = $Group; InterfaceName = 'lo'; Count = $Count; TimeoutSeconds = $TimeoutSeconds; WarningVariable = 'warnings'; WarningAction = 'SilentlyContinue' }
        $delivered = (Receive-UdpDatagram @receive | Measure-Object).Count
        $dropped = Get-DroppedCount $warnings
    }
    'ProbeSweep' {
        $first, $last = [int[]]($Ports -split '-')
        $range = $first..$last
        Restart-Clock
        $results = @(Test-UdpConnection -ComputerName 127.0.0.1 -Port $range)
        Stop-Clock # the verdicts' bookkeeping below is the benchmark's, not the sweep's
        $delivered = $results.Count
        $verdicts = [ordered]@{}
        foreach ($result in $results) { $verdicts["$($result.Port)"] = "$($result.Verdict)" }
        $verdicts | ConvertTo-Json -Compress | Set-Content -Path $OutFile
        foreach ($verdict in $results | Group-Object { "$($_.Verdict)" }) { $extra["verdict$($verdict.Name)"] = $verdict.Count }
    }
    'ProbeSeries' {
        # 1 ms apart: one probe outstanding on loopback, as the C# echo client keeps (-IntervalSeconds 0 sends them all at once).
        $summary = Test-UdpConnection -ComputerName 127.0.0.1 -Port $Port -Probe Echo -Count $Count -IntervalSeconds 0.001 -WarningAction SilentlyContinue
        $delivered = $summary.Received
        $extra.lost = $summary.Lost
        $extra.meanMicroseconds = if ($summary.Average) { $summary.Average.TotalMilliseconds * 1000 } else { $null }
    }
    'Export' {
        $receive = @{ Port = $Port; Count = $Count; TimeoutSeconds = $TimeoutSeconds; WarningVariable = 'warnings'; WarningAction = 'SilentlyContinue' }
        Receive-UdpDatagram @receive | Export-UdpDatagram -Path $OutFile
        $dropped = Get-DroppedCount $warnings
        $delivered = $Count - $dropped
        $extra.fileBytes = (Get-Item $OutFile).Length
    }
    'Import' {
        Restart-Clock
        $delivered = (Import-UdpDatagram -Path $OutFile | Measure-Object).Count
    }
    'Relay' {
        # -Count counts what arrives from both sides; a flood's relay is ended by the harness.
        $summaries = @(Start-UdpRelay -Port $Port -ComputerName 127.0.0.1 -RemotePort $RemotePort -Count $Count -TimeoutSeconds $TimeoutSeconds)
        $delivered = ($summaries | Measure-Object -Property Forwarded -Sum).Sum
        $extra.received = ($summaries | Measure-Object -Property Received -Sum).Sum
    }
    'Memory' {
        $receive = @{ Port = $Port; TimeoutSeconds = $TimeoutSeconds; WarningVariable = 'warnings'; WarningAction = 'SilentlyContinue' }
        $delivered = (Receive-UdpDatagram @receive | ForEach-Object { Start-Sleep -Milliseconds 1; $_ } | Measure-Object).Count
        $dropped = Get-DroppedCount $warnings
    }
}

$seconds = if ($stopped) { $stopped.Seconds } else { $elapsed.Elapsed.TotalSeconds }
$end = if ($stopped) { $stopped.End } else { Get-UnixTime }
if ($Scenario -eq 'Echo' -and $Pipeline -eq 'LastEcho') { $extra.lastEcho = $lastEcho }
$process.Refresh()
$result = [ordered]@{
    mode             = "psudp-$($Scenario.ToLowerInvariant())"
    pipeline         = $Pipeline
    delivered        = $delivered
    dropped          = $dropped
    start            = $start
    end              = $end
    seconds          = $seconds
    rate             = if ($null -ne $rateOverride) { $rateOverride } elseif ($null -ne $delivered) { $delivered / [Math]::Max($seconds, 1e-9) } else { $null }
    cpuSeconds       = $process.TotalProcessorTime.TotalSeconds - $cpuBefore
    allocatedBytes   = [GC]::GetTotalAllocatedBytes($true) - $allocatedBefore
    gen0Collections  = [GC]::CollectionCount(0) - $collectionsBefore
    workingSetBefore = $workingSetBefore
    peakWorkingSet   = $process.PeakWorkingSet64
}
foreach ($name in $extra.Keys) { $result[$name] = $extra[$name] }
[Console]::Out.WriteLine('RESULT ' + ($result | ConvertTo-Json -Compress))
