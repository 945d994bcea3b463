<#
.SYNOPSIS
    Shared helpers for PSUdp's Pester tests: plain .NET peers on loopback, the python peers in
    tests/peers, a second pwsh, and the process's open file descriptors.
#>
Set-StrictMode -Version Latest

$PeersPath = Join-Path (Split-Path $PSScriptRoot) 'peers'

# A plain .NET UDP socket: a peer that is not PSUdp.
function New-TestPeer([string] $Address = '127.0.0.1') {
    $ip = [System.Net.IPAddress]::Parse($Address)
    $socket = [System.Net.Sockets.Socket]::new($ip.AddressFamily, 'Dgram', 'Udp')
    $socket.Bind([System.Net.IPEndPoint]::new($ip, 0))
    $socket.ReceiveTimeout = 200
    $socket
}

# Everything that arrives at a test peer within the time, as @{ Payload; Address; Port }.
function Receive-TestPeer([System.Net.Sockets.Socket] $Peer, [int] $Count = [int]::MaxValue, [double] $Seconds = 3) {
    $buffer = [byte[]]::new(65536)
    $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
    $got = 0
    while ($got -lt $Count -and [DateTime]::UtcNow -lt $deadline) {
        $any = if ($Peer.AddressFamily -eq 'InterNetworkV6') { [System.Net.IPAddress]::IPv6Any } else { [System.Net.IPAddress]::Any }
        [System.Net.EndPoint] $from = [System.Net.IPEndPoint]::new($any, 0)
        try { $n = $Peer.ReceiveFrom($buffer, [ref] $from) } catch [System.Net.Sockets.SocketException] { continue }
        $got++
        [pscustomobject]@{ Payload = [byte[]]$buffer[0..($n - 1)] * [int]($n -gt 0); Address = $from.Address; Port = $from.Port; Length = $n }
    }
}

function Get-ClosedUdpPort {
    $peer = New-TestPeer
    $port = $peer.LocalEndPoint.Port
    $peer.Dispose()
    $port
}

# True when the port can be bound on 127.0.0.1 right now.
function Test-UdpPortFree([int] $Port, [string] $Address = '127.0.0.1') {
    try {
        $socket = [System.Net.Sockets.Socket]::new('InterNetwork', 'Dgram', 'Udp')
        $socket.Bind([System.Net.IPEndPoint]::new([System.Net.IPAddress]::Parse($Address), $Port))
        $true
    }
    catch { $false }
    finally { if ($socket) { $socket.Dispose() } }
}

# Polls a condition (bounded) instead of sleeping a fixed time; returns its last value.
function Wait-Until([scriptblock] $Condition, [double] $Seconds = 10) {
    $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
    while (-not (& $Condition) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 10 }
    & $Condition
}

function Get-OpenDescriptorCount { @(Get-ChildItem "/proc/$PID/fd" -ErrorAction Ignore).Count }

# The sockets this process holds open (Linux): what a leaked UDP socket would add to.
function Get-OpenSocketCount {
    @(Get-ChildItem "/proc/$PID/fd" -ErrorAction Ignore | Where-Object { $_.LinkTarget -like 'socket:*' }).Count
}

# A python peer from tests/peers, started with redirected output; waits for its LISTENING line.
function Start-PythonPeer([string] $Script, [string[]] $Arguments) {
    $info = [System.Diagnostics.ProcessStartInfo]::new('python3')
    $info.ArgumentList.Add('-u')
    $info.ArgumentList.Add((Join-Path $PeersPath $Script))
    foreach ($a in $Arguments) { $info.ArgumentList.Add($a) }
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardError = $true
    $info.UseShellExecute = $false
    $process = [System.Diagnostics.Process]::Start($info)
    $port = $null
    $readTask = $process.StandardOutput.ReadLineAsync()
    if ($readTask.Wait(10000) -and $readTask.Result -match '^LISTENING (\d+)') { $port = [int]$Matches[1] }
    [pscustomobject]@{ Process = $process; Port = $port }
}

# Waits for a python peer to end and returns its output lines.
function Stop-PythonPeer($Peer, [int] $TimeoutMs = 15000) {
    if (-not $Peer.Process.WaitForExit($TimeoutMs)) { $Peer.Process.Kill() }
    $Peer.Process.StandardOutput.ReadToEnd() -split "`n" | ForEach-Object Trim | Where-Object { $_ }
}

function Invoke-Python([string] $Script, [string[]] $Arguments) {
    & python3 (Join-Path $PeersPath $Script) @Arguments
}

# The pwsh that runs the tests, as a command line, for a second, independent pwsh.
function Get-PwshCommand {
    $process = [Environment]::ProcessPath
    if ([IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet') { @($process, "$PSHOME/pwsh.dll") } else { @($process) }
}

function ConvertTo-HexString([byte[]] $Bytes) { [Convert]::ToHexString($Bytes) }

# The cells of a table that Format-Table wrote (its text, as one string or lines): one ordered
# hashtable per row, keyed by column label, cut at the columns of the dashes under the header.
function ConvertFrom-TableText([string[]] $Text) {
    $lines = @($Text -split '\r?\n' | Where-Object { $_.Trim() })
    $dashes = [array]::FindIndex([string[]] $lines, [Predicate[string]] { param($l) $l -match '^[\s-]+$' -and $l -match '-' })
    if ($dashes -lt 1) { throw "No table header in:`n$($Text -join "`n")" }
    $spans = [regex]::Matches($lines[$dashes], '-+') | ForEach-Object { [pscustomobject]@{ Start = $_.Index; Length = $_.Length } }
    $cut = { param($line, $i)
        $start = $spans[$i].Start
        if ($start -ge $line.Length) { return '' }
        $end = if ($i -eq $spans.Count - 1) { $line.Length } else { [Math]::Min($line.Length, $spans[$i + 1].Start) }
        $line.Substring($start, $end - $start).Trim()
    }
    $labels = for ($i = 0; $i -lt $spans.Count; $i++) { & $cut $lines[$dashes - 1] $i }
    foreach ($line in $lines | Select-Object -Skip ($dashes + 1)) {
        $row = [ordered]@{}
        for ($i = 0; $i -lt $spans.Count; $i++) { $row[$labels[$i]] = & $cut $line $i }
        $row
    }
}

Export-ModuleMember -Function *
