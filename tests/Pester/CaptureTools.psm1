<#
.SYNOPSIS
    Capture helpers for PSUdp's tests: tcpdump or dumpcap started and stopped by the test (by pid,
    bounded, with a filter on the test's own ports), tshark's view of a file, hand-made captures.
    Processes run through TestHosts.psm1, so Stop-TestProcess -All ends any that a test left.
#>
Set-StrictMode -Version 3.0

# Why capture tests cannot run here, or $null when they can.
function Get-CaptureSkipReason([string[]] $Tool = @('tcpdump', 'dumpcap', 'tshark')) {
    foreach ($t in $Tool) {
        if (-not (Get-Command $t -CommandType Application -ErrorAction Ignore)) { return "$t is not installed (.ci/run installs it)" }
    }
    if ((& id -u) -ne '0') { return 'capturing packets needs root' }
    $null
}

function Start-TestCapture {
    <#
    .SYNOPSIS
        Starts tcpdump (pcap, -U: each packet written at once) or dumpcap (pcapng) on an interface,
        here or inside a namespace, and waits until it is capturing.
    #>
    param(
        [Parameter(Mandatory)] [ValidateSet('tcpdump', 'dumpcap')] [string] $Tool,
        [Parameter(Mandatory)] [string] $Path,
        [Parameter(Mandatory)] [string] $Filter,
        [string] $Interface = 'lo',
        [string] $Namespace,
        # Ends by itself after this many packets (dumpcap writes its file only as its buffer fills, or at its end).
        [int] $PacketCount
    )
    $count = if ($PacketCount) { @('-c', $PacketCount) } else { @() }
    $arguments = if ($Tool -eq 'tcpdump') { @('-i', $Interface, '-U', '-n') + $count + @('-w', $Path, $Filter) } else { @('-i', $Interface, '-f', $Filter) + $count + @('-w', $Path) }
    $process = Start-TestProcess -FilePath $Tool -ArgumentList $arguments -Namespace $Namespace
    # tcpdump says 'listening on' once the capture is active; dumpcap's 'Capturing on' comes too
    # early (packets right after it are missed), its 'File:' line after the capture has started.
    $ready = if ($Tool -eq 'tcpdump') { 'listening on' } else { '^File: ' }
    $null = Wait-TestProcessOutput $process $ready -Stream Error -TimeoutSeconds 20
    $process
}

function Stop-TestCapture {
    <# .SYNOPSIS Stops a capture with SIGINT (so it writes what it has and closes the file); SIGKILL after a bound. #>
    param([Parameter(Mandatory)] [System.Diagnostics.Process] $Process)
    if (-not $Process.HasExited) {
        & kill -s INT $Process.Id 2>$null
        if (-not $Process.WaitForExit(10000)) { Stop-TestProcess $Process -Kill }
    }
    Stop-TestProcess $Process
}

# What tshark reads in a file: one object per packet with the fields asked for (names as tshark's).
function Get-TsharkPacket([string] $Path, [string[]] $Field, [string[]] $Option = @()) {
    $arguments = @('-r', $Path, '-T', 'fields', '-E', 'separator=/t') + $Option + @($Field | ForEach-Object { '-e', $_ })
    $result = Invoke-TestProcess -FilePath 'tshark' -ArgumentList $arguments -TimeoutSeconds 60
    if ($result.ExitCode -ne 0) { throw "tshark $($arguments -join ' ') failed ($($result.ExitCode)): $($result.Error -join "`n")" }
    foreach ($line in $result.Output) {
        $values = $line -split "`t"
        $packet = [ordered]@{}
        for ($i = 0; $i -lt $Field.Count; $i++) { $packet[$Field[$i]] = if ($i -lt $values.Count) { $values[$i] } else { '' } }
        [pscustomobject]$packet
    }
}

# tshark's frame.time_epoch ('1796108700.749037361') as whole microseconds since 1970.
function ConvertFrom-EpochText([string] $Text) {
    $seconds, $fraction = $Text -split '\.'
    [long]$seconds * 1000000 + [long](($fraction + '000000').Substring(0, 6))
}

# A datagram's Timestamp as whole microseconds since 1970.
function Get-UnixMicroseconds($Datagram) {
    $ticks = if ($Datagram.Timestamp -is [DateTimeOffset]) { $Datagram.Timestamp.UtcTicks } else { ([DateTimeOffset]::Parse($Datagram.TimestampText, [cultureinfo]::InvariantCulture)).UtcTicks }
    [long][Math]::Floor([decimal]($ticks - [DateTimeOffset]::UnixEpoch.UtcTicks) / 10)
}

# A pcap file (little-endian, microseconds) with the given link type and frames.
function New-PcapFile([string] $Path, [int] $LinkType, [byte[][]] $Frame) {
    $stream = [System.IO.MemoryStream]::new()
    $writer = [System.IO.BinaryWriter]::new($stream)
    $writer.Write(0xA1B2C3D4u); $writer.Write([uint16]2); $writer.Write([uint16]4)
    $writer.Write([int]0); $writer.Write([int]0); $writer.Write([int]65535); $writer.Write([int]$LinkType)
    $second = 1764568800
    foreach ($f in $Frame) {
        $writer.Write([int]$second++); $writer.Write([int]0); $writer.Write([int]$f.Length); $writer.Write([int]$f.Length); $writer.Write($f)
    }
    $writer.Flush()
    [System.IO.File]::WriteAllBytes($Path, $stream.ToArray())
}

Export-ModuleMember -Function Get-CaptureSkipReason, Start-TestCapture, Stop-TestCapture, Get-TsharkPacket, ConvertFrom-EpochText, Get-UnixMicroseconds, New-PcapFile
