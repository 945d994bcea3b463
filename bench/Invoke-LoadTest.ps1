<#
.SYNOPSIS
    Load test: floods Receive-UdpDatagram on loopback and accounts for every datagram.

.DESCRIPTION
    For each consumer (fast: Measure-Object; slow: sleeps 1 ms per object), a fresh pwsh runs
    Receive-UdpDatagram on 127.0.0.1 while udp_flood.py sends -Count datagrams as fast as it can.
    It prints received, dropped by PSUdp (its warning), dropped by the kernel (the RcvbufErrors
    delta of /proc/net/snmp), their sum against what was sent, and the receiver's peak working set.
    Loopback only; every run is bounded in count and time. Not part of the test suite.

.EXAMPLE
    dotnet pwsh ./bench/Invoke-LoadTest.ps1 -Count 1000000
#>
[CmdletBinding()]
param(
    [int] $Count = 1000000,
    [int] $Size = 64,
    [string] $ModulePath = (Join-Path (Split-Path $PSScriptRoot) 'output')
)

$ErrorActionPreference = 'Stop'

function Get-RcvbufErrors {
    $udp = @(Get-Content /proc/net/snmp | Where-Object { $_ -like 'Udp:*' })
    $names = $udp[0] -split '\s+'
    $values = $udp[1] -split '\s+'
    [long]$values[[array]::IndexOf($names, 'RcvbufErrors')]
}

function Get-PwshCommand {
    $process = [Environment]::ProcessPath
    if ([IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet') { @($process, "$PSHOME/pwsh.dll") } else { @($process) }
}

# The receiver: a fresh pwsh that prints its port, then one JSON line of figures when done.
$receiver = @'
param($Consumer, $Idle)
Import-Module PSUdp
$probe = [System.Net.Sockets.UdpClient]::new(0)
$port = $probe.Client.LocalEndPoint.Port
$probe.Dispose()
[Console]::Out.WriteLine("PORT $port"); [Console]::Out.Flush()
$warnings = $null
$clock = [Diagnostics.Stopwatch]::StartNew()
$received = if ($Consumer -eq 'slow') {
    $n = 0
    Receive-UdpDatagram -Port $port -LocalAddress 127.0.0.1 -TimeoutSeconds $Idle -WarningVariable warnings -WarningAction SilentlyContinue |
        ForEach-Object { $n++; Start-Sleep -Milliseconds 1 }
    $n
} else {
    (Receive-UdpDatagram -Port $port -LocalAddress 127.0.0.1 -TimeoutSeconds $Idle -WarningVariable warnings -WarningAction SilentlyContinue | Measure-Object).Count
}
$dropped = 0
if ($warnings) { $dropped = [long](($warnings[0].Message -split ' ')[0] -replace '[^0-9]', '') }
$peak = [long]((Get-Content /proc/self/status | Where-Object { $_ -like 'VmHWM:*' }) -replace '[^0-9]', '') * 1KB
[Console]::Out.WriteLine((@{ Received = $received; Dropped = $dropped; PeakBytes = $peak; Seconds = $clock.Elapsed.TotalSeconds } | ConvertTo-Json -Compress))
'@
$script = Join-Path ([IO.Path]::GetTempPath()) "psudp-load-$PID.ps1"
Set-Content $script $receiver

$pwsh = @(Get-PwshCommand)
$rows = foreach ($consumer in 'fast', 'slow') {
    $info = [Diagnostics.ProcessStartInfo]::new($pwsh[0])
    foreach ($a in @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $script, $consumer, 20)) { $info.ArgumentList.Add($a) }
    $info.RedirectStandardOutput = $true
    $info.Environment['PSModulePath'] = "$ModulePath$([IO.Path]::PathSeparator)$PSHOME/Modules"
    $process = [Diagnostics.Process]::Start($info)
    $port = [int](($process.StandardOutput.ReadLine()) -replace '^PORT ', '')
    Start-Sleep -Seconds 2   # the receiver binds after printing its port; give it time to start
    $kernelBefore = Get-RcvbufErrors
    $sent = (& python3 (Join-Path $PSScriptRoot 'udp_flood.py') 127.0.0.1 $port --count $Count --size $Size --seconds 60) -split ' '
    if (-not $process.WaitForExit(900000)) { $process.Kill(); throw 'The receiver did not finish in 15 minutes.' }
    $figures = $process.StandardOutput.ReadToEnd() -split "`n" | Where-Object { $_ -like '{*' } | ConvertFrom-Json
    $kernel = (Get-RcvbufErrors) - $kernelBefore
    $total = $figures.Received + $figures.Dropped + $kernel
    [pscustomobject]@{
        Consumer        = $consumer
        Sent            = [long]$sent[1]
        'Sent/s'        = [long]([long]$sent[1] / [double]$sent[2])
        Received        = $figures.Received
        'Dropped PSUdp' = $figures.Dropped
        'Dropped kernel' = $kernel
        'Accounted'     = if ($total -eq [long]$sent[1]) { 'all' } else { "$total of $($sent[1])" }
        'Peak MiB'      = [math]::Round($figures.PeakBytes / 1MB, 1)
    }
}
Remove-Item $script
$rows | Format-Table -AutoSize | Out-String -Width 200
