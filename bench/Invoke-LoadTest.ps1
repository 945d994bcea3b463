<#
.SYNOPSIS
    Load test: floods Receive-UdpDatagram and Start-UdpEcho on loopback and accounts for every datagram.

.DESCRIPTION
    Each scenario runs the listener in a fresh pwsh on 127.0.0.1 while udp_flood.py senders send
    -Count datagrams in all, as fast as they can. It prints what was sent, what the listener took
    off its socket (written to the pipeline, or counted in its warning as not written), what the
    kernel dropped on the listener's socket (the drops column of /proc/net/udp, read while the
    socket is open), whether they add up to what was sent, and the listener's peak working set.
    Scenarios: Receive into Measure-Object; Receive into a consumer that sleeps 1 ms per object;
    Start-UdpEcho (-MaximumRate 0) flooded by two senders. Loopback only; every run is bounded in
    count and time. Not part of the test suite.

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

function Get-PwshCommand {
    $process = [Environment]::ProcessPath
    if ([IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet') { @($process, "$PSHOME/pwsh.dll") } else { @($process) }
}

# The kernel's drop count for the socket bound to 127.0.0.1:<port>, from /proc/net/udp.
function Get-SocketDrops([int] $Port) {
    $local = '0100007F:{0:X4}' -f $Port
    foreach ($line in Get-Content /proc/net/udp | Select-Object -Skip 1) {
        $fields = $line.Trim() -split '\s+'
        if ($fields[1] -eq $local) { return [long]$fields[-1] }
    }
    $null
}

# The listener: a fresh pwsh that prints its port, then one JSON line of figures when done.
$listener = @'
param($Scenario, $Idle)
Import-Module PSUdp
$probe = [System.Net.Sockets.UdpClient]::new(0)
$port = $probe.Client.LocalEndPoint.Port
$probe.Dispose()
[Console]::Out.WriteLine("PORT $port"); [Console]::Out.Flush()
$warnings = $null
$common = @{ Port = $port; LocalAddress = '127.0.0.1'; TimeoutSeconds = $Idle; WarningVariable = 'warnings'; WarningAction = 'SilentlyContinue' }
$written = switch ($Scenario) {
    'receive, Measure-Object' { (Receive-UdpDatagram @common | Measure-Object).Count }
    'receive, consumer sleeps 1 ms' { $n = 0; Receive-UdpDatagram @common | ForEach-Object { $n++; Start-Sleep -Milliseconds 1 }; $n }
    'echo, two senders' { (Start-UdpEcho @common -MaximumRate 0 | Measure-Object).Count }
}
# "N of M datagrams received on ... were not written": M is everything taken off the socket.
$taken = $written
$notWritten = 0
foreach ($w in $warnings) {
    if ("$w" -match '^([\d,]+) of ([\d,]+) datagrams received') { $notWritten = [long]($Matches[1] -replace ',', ''); $taken = [long]($Matches[2] -replace ',', '') }
}
$peak = [long]((Get-Content /proc/self/status | Where-Object { $_ -like 'VmHWM:*' }) -replace '[^0-9]', '') * 1KB
[Console]::Out.WriteLine((@{ Written = $written; NotWritten = $notWritten; Taken = $taken; PeakBytes = $peak } | ConvertTo-Json -Compress))
'@
$script = Join-Path ([IO.Path]::GetTempPath()) "psudp-load-$PID.ps1"
Set-Content $script $listener
$pwsh = @(Get-PwshCommand)
$flood = Join-Path $PSScriptRoot 'udp_flood.py'

$rows = foreach ($scenario in 'receive, Measure-Object', 'receive, consumer sleeps 1 ms', 'echo, two senders') {
    $idle = 20
    $info = [Diagnostics.ProcessStartInfo]::new($pwsh[0])
    foreach ($a in @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $script, $scenario, $idle)) { $info.ArgumentList.Add($a) }
    $info.RedirectStandardOutput = $true
    $info.Environment['PSModulePath'] = "$ModulePath$([IO.Path]::PathSeparator)$PSHOME/Modules"
    $started = [DateTime]::UtcNow
    $process = [Diagnostics.Process]::Start($info)
    $port = [int](($process.StandardOutput.ReadLine()) -replace '^PORT ', '')
    $deadline = [DateTime]::UtcNow.AddSeconds(15)
    while ($null -eq (Get-SocketDrops $port) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
    $dropsBefore = Get-SocketDrops $port
    $senders = if ($scenario -like 'echo*') { 2 } else { 1 }
    $floods = foreach ($i in 1..$senders) {
        Start-ThreadJob { param($f, $p, $n, $s) & python3 $f 127.0.0.1 $p --count $n --size $s --seconds 60 } -ArgumentList $flood, $port, ([int]($Count / $senders)), $Size
    }
    $sentLines = $floods | Wait-Job | Receive-Job
    $floods | Remove-Job
    Start-Sleep -Seconds 1
    $kernel = (Get-SocketDrops $port) - $dropsBefore
    if (-not $process.WaitForExit(900000)) { $process.Kill(); throw 'The listener did not finish in 15 minutes.' }
    $figures = $process.StandardOutput.ReadToEnd() -split "`n" | Where-Object { $_ -like '{*' } | ConvertFrom-Json
    $sent = [long]($sentLines | ForEach-Object { [long](($_ -split ' ')[1]) } | Measure-Object -Sum).Sum
    $seconds = ($sentLines | ForEach-Object { [double](($_ -split ' ')[2]) } | Measure-Object -Maximum).Maximum
    [pscustomobject]@{
        Scenario          = $scenario
        Sent              = $sent
        'Sent/s'          = [long]($sent / $seconds)
        'Taken off socket' = $figures.Taken
        Written           = $figures.Written
        'Not written'     = $figures.NotWritten
        'Kernel dropped'  = $kernel
        'Accounted'       = if ($figures.Taken + $kernel -eq $sent) { 'all' } else { "$($figures.Taken + $kernel) of $sent" }
        'Peak MiB'        = [math]::Round($figures.PeakBytes / 1MB, 1)
    }
}
Remove-Item $script
$rows | Format-Table -AutoSize | Out-String -Width 220
