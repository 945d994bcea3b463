<#
.SYNOPSIS
    Shared helpers for PSUdp's Pester tests: plain .NET peers on loopback, the python peers in
    tests/peers, a second pwsh, and the process's open file descriptors.
#>
Set-StrictMode -Version Latest

# TestHosts starts the python peers (it honours $env:PSUDP_TEST_PYTHON) and finds free ports;
# the helpers here that do either are its short forms.
Import-Module (Join-Path $PSScriptRoot 'TestHosts.psm1')

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

# A UDP port that nothing listens on right now: TestHosts' Get-FreeUdpPort, the one such helper.
function Get-ClosedUdpPort { Get-FreeUdpPort }

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

# Whether some socket of this machine's namespace is bound to the UDP port, read from /proc
# without binding (a probe bind could take the port from the socket about to bind it). Where there
# is no /proc (Windows, Wine, macOS), the system's table of UDP listeners tells it.
function Test-UdpPortBound([int] $Port) {
    $tables = @('/proc/net/udp', '/proc/net/udp6') | Where-Object { Test-Path $_ }
    if (-not $tables) {
        return [bool]([System.Net.NetworkInformation.IPGlobalProperties]::GetIPGlobalProperties().GetActiveUdpListeners() | Where-Object Port -EQ $Port)
    }
    $suffix = ':{0:X4}' -f $Port
    foreach ($table in $tables) {
        foreach ($line in (Get-Content $table | Select-Object -Skip 1)) {
            if (($line.Trim() -split '\s+')[1] -like "*$suffix") { return $true }
        }
    }
    $false
}

# Polls a condition (bounded) instead of sleeping a fixed time; returns its last value.
function Wait-Until([scriptblock] $Condition, [double] $Seconds = 10) {
    $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
    while (-not (& $Condition) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 10 }
    & $Condition
}

# Where /proc is missing (not Linux) the counts below are 0 and say so once: the checks that use
# them then check nothing.
$script:SaidNoProc = $false
function Test-ProcDescriptors {
    if (Test-Path "/proc/$PID/fd") { return $true }
    if (-not $script:SaidNoProc) { Write-Warning 'No /proc here: descriptor and socket counts are not checked.'; $script:SaidNoProc = $true }
    $false
}

# The descriptors this process holds open, less the runtime's mapped assemblies (one is added
# whenever a code path first loads an assembly, which is no leak).
function Get-OpenDescriptorCount {
    if (-not (Test-ProcDescriptors)) { return 0 }
    @(Get-ChildItem "/proc/$PID/fd" | Where-Object { $_.LinkTarget -notlike '*.dll' }).Count
}

# The sockets this process holds open (Linux): what a leaked UDP socket would add to.
function Get-OpenSocketCount {
    if (-not (Test-ProcDescriptors)) { return 0 }
    @(Get-ChildItem "/proc/$PID/fd" | Where-Object { $_.LinkTarget -like 'socket:*' }).Count
}

# A python peer from tests/peers (TestHosts' Start-TestPeer), waited for until its LISTENING line:
# Process and Port.
function Start-PythonPeer([string] $Script, [string[]] $Arguments) {
    $process = Start-TestPeer ([IO.Path]::GetFileNameWithoutExtension($Script)) $Arguments
    $port = try { Wait-TestPeerListening $process } catch { $null }
    [pscustomobject]@{ Process = $process; Port = $port }
}

# Waits (bounded) for a python peer to end and returns its output lines; ends it if it does not.
function Stop-PythonPeer($Peer, [int] $TimeoutMs = 15000) {
    $lines = @(Receive-TestProcessOutput $Peer.Process -Wait -TimeoutSeconds ($TimeoutMs / 1000) -WarningAction SilentlyContinue)
    Stop-TestProcess $Peer.Process -Kill
    $lines | ForEach-Object Trim | Where-Object { $_ }
}

# Runs a python peer to its end (bounded) and returns its output lines.
function Invoke-Python([string] $Script, [string[]] $Arguments) {
    (Invoke-TestPeer ([IO.Path]::GetFileNameWithoutExtension($Script)) $Arguments).Output
}

# The pwsh that runs the tests, as a command line, for a second, independent pwsh: TestHosts' Get-TestPwsh.
function Get-PwshCommand { Get-TestPwsh }

function ConvertTo-HexString([byte[]] $Bytes) { [Convert]::ToHexString($Bytes) }

#region the one second-runspace harness

# Runs a script in a second runspace of this process (PSUdp imported), as a user at a prompt
# would; its output gathers in .Output as it comes. One script, not several statements:
# PowerShell runs a batch on a pool thread that reads a variable of the runspace between
# statements, and after Stop and Dispose that read crashed the whole process
# (InvalidRunspaceStateException, unhandled).
function Start-InRunspace([string] $Script, [hashtable] $Parameters = @{}) {
    $ps = [powershell]::Create()
    $null = $ps.AddScript("param(`$Parameters) Import-Module PSUdp; $Script").AddArgument($Parameters)
    $output = [System.Management.Automation.PSDataCollection[psobject]]::new()
    $input = [System.Management.Automation.PSDataCollection[psobject]]::new()
    $input.Complete()
    $handle = $ps.BeginInvoke($input, $output)
    [pscustomobject]@{ PowerShell = $ps; Handle = $handle; Output = $output }
}

# Waits (bounded) for the script to end by itself; true when it did.
function Wait-InRunspace($Run, [double] $Seconds = 30) {
    $Run.Handle.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds($Seconds))
}

# Stops the script as Ctrl+C would, once $Ready says the phase under test has begun (a bounded
# wait), and disposes the runspace's pipeline. Returns how long Stop took, in seconds.
function Stop-InRunspace($Run, [scriptblock] $Ready = { $true }, [double] $Seconds = 30) {
    try {
        Wait-Until $Ready -Seconds $Seconds | Should -BeTrue -Because 'the phase under test must begin'
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $Run.PowerShell.Stop()
        $clock.Elapsed.TotalSeconds
        $Run.Handle.IsCompleted | Should -BeTrue
    }
    finally { $Run.PowerShell.Dispose() }
}

#endregion

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

# Why a test cannot run in the Windows lane (PowerShell on Wine, which sets $env:PSUDP_UNDER_WINE),
# or $null elsewhere: each reason names what Wine does differently from Windows, or what Wine lacks.
function Get-WineSkipReason([ValidateSet('NoConnReset', 'DualModeReceive', 'NonLocalBind', 'NoReceiveTtl', 'Python', 'Tool')] [string] $Fault, [string] $Tool) {
    if ($env:PSUDP_UNDER_WINE -ne '1') { return $null }
    switch ($Fault) {
        'NoConnReset' { "Wine's Winsock does not report ICMP port unreachable (WSAECONNRESET) to an unconnected socket; Windows does" }
        'DualModeReceive' { "Wine's ReceiveMessageFrom on a dual-mode socket gives a datagram from 127.0.0.1 length 0 and no destination (PSUdp then reads it as cut); Windows gives the datagram and its packet information" }
        'NonLocalBind' { "Wine lets a socket bind an address that is not on the host; Windows fails with WSAEADDRNOTAVAIL" }
        'NoReceiveTtl' { "Wine's ReceiveMessageFrom gives a datagram no TTL (no IP_TTL or IPV6_HOPLIMIT control message) and PSUdp no interface name; Windows gives both" }
        'Python' { 'python3 is not available inside Wine' }
        'Tool' { "$Tool is not available inside Wine" }
    }
}

Export-ModuleMember -Function *
