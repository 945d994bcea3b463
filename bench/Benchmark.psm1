<#
.SYNOPSIS
    The machinery of bench/Invoke-Benchmark.ps1: child processes, /proc/net counters, one function
    per scenario that runs one repetition of one contender, and the summary with ratios and targets.
#>
Set-StrictMode -Version Latest

$script:Config = $null
$script:ReceiveBuffer = 4194304
$script:UpFrontJit = 'Receive-UdpDatagram | Measure-Object, DOTNET_TieredCompilation=0'

# Get-PwshCommand and Get-ClosedUdpPort: the same helpers the tests use.
Import-Module (Join-Path (Split-Path $PSScriptRoot) 'tests/Pester/PSUdpTestUtilities.psm1')

function Initialize-Benchmark {
    param([string] $Root, [string[]] $Pwsh, [string[]] $Reference, [string] $Python, [string] $Socat)
    $script:Config = @{
        Root       = $Root
        Pwsh       = $Pwsh
        Reference  = $Reference
        Python     = $Python
        Socat      = $Socat
        Scenario   = "$Root/bench/PSUdpScenario.ps1"
        Peers      = "$Root/tests/peers"
        # Children see only the freshly built PSUdp and PowerShell's own modules.
        ModulePath = "$Root/output$([IO.Path]::PathSeparator)$PSHOME/Modules"
    }
}

# ---------------------------------------------------------------------------------------------
# Processes, ports and counters
# ---------------------------------------------------------------------------------------------

# Starts a child with its output captured; -Pin runs it on CPU 0 only (taskset); -Environment adds variables.
function Start-BenchProcess {
    param([string[]] $Command, [switch] $Pin, [hashtable] $Environment = @{})
    if ($Pin) { $Command = @('taskset', '-c', '0') + $Command }
    $info = [System.Diagnostics.ProcessStartInfo]::new($Command[0])
    foreach ($argument in @($Command | Select-Object -Skip 1)) { $info.ArgumentList.Add([string]$argument) }
    $info.UseShellExecute = $false
    $info.RedirectStandardInput = $true
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardError = $true
    $info.Environment['PSModulePath'] = $script:Config.ModulePath
    $info.Environment['PYTHONDONTWRITEBYTECODE'] = '1'
    foreach ($name in $Environment.Keys) { $info.Environment[$name] = $Environment[$name] }
    $process = [System.Diagnostics.Process]::Start($info)
    $process.StandardInput.Close()
    [pscustomobject]@{
        Process = $process
        Output  = $process.StandardOutput.ReadToEndAsync()
        Error   = $process.StandardError.ReadToEndAsync()
        Command = $Command -join ' '
    }
}

# Waits for a child (ending it if it overruns) and reads its RESULT or SUMMARY line.
function Complete-BenchProcess {
    param($Run, [double] $Seconds, [switch] $Kill)
    $timedOut = $false
    if ($Kill -or -not $Run.Process.WaitForExit([int]($Seconds * 1000))) {
        $timedOut = -not $Kill
        if (-not $Run.Process.HasExited) { $Run.Process.Kill($true) }
        [void] $Run.Process.WaitForExit(10000)
    }
    $output = $Run.Output.GetAwaiter().GetResult()
    $errorText = $Run.Error.GetAwaiter().GetResult()
    $result = $null
    $summary = $null
    foreach ($line in $output -split "`n") {
        if ($line -match '^RESULT (\{.*\})\s*$') { $result = $Matches[1] | ConvertFrom-Json -AsHashtable }
        elseif ($line -match '^SUMMARY (\S+) (\S+) (\S+)') {
            $summary = @{ Count = [double]$Matches[1]; First = [double]$Matches[2]; Last = [double]$Matches[3] }
        }
    }
    $problem = if ($timedOut) { "timed out after $Seconds s: $($Run.Command)" }
    elseif (-not $Kill -and $Run.Process.ExitCode -ne 0) { "exit code $($Run.Process.ExitCode): $($errorText.Trim())" }
    elseif (-not $Kill -and -not $result -and -not $summary) { "no result line: $($Run.Command) $($errorText.Trim())" }
    # [string]: an if that chose no branch gives nothing, and the property would be missing.
    [pscustomobject]@{ Result = $result; Summary = $summary; Problem = [string]$problem; Output = $output; Error = $errorText }
}

# Waits until some socket has bound the port (/proc/net/udp, udp6), or the child has died.
function Wait-UdpPort {
    param([int] $Port, $Run, [double] $Seconds = 60)
    $suffix = ':{0:X4}' -f $Port
    $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
    while ([DateTime]::UtcNow -lt $deadline) {
        foreach ($file in '/proc/net/udp', '/proc/net/udp6') {
            foreach ($line in [IO.File]::ReadAllLines($file)) {
                $fields = $line.Trim() -split '\s+'
                if ($fields.Count -gt 2 -and $fields[1].EndsWith($suffix)) { return }
            }
        }
        if ($Run.Process.HasExited) {
            throw "$($Run.Command) ended before it bound port ${Port}: $($Run.Error.GetAwaiter().GetResult())"
        }
        Start-Sleep -Milliseconds 20
    }
    throw "$($Run.Command) did not bind port $Port within $Seconds s."
}

# Machine-wide UDP counters (IPv4 and IPv6 summed): InDatagrams, NoPorts, RcvbufErrors ...
function Get-UdpCounter {
    $counters = @{}
    $udp = @([IO.File]::ReadAllLines('/proc/net/snmp') | Where-Object { $_.StartsWith('Udp:') })
    $names = $udp[0] -split '\s+'
    $values = $udp[1] -split '\s+'
    for ($i = 1; $i -lt $names.Count; $i++) { $counters[$names[$i]] = [long]$values[$i] }
    foreach ($line in [IO.File]::ReadAllLines('/proc/net/snmp6')) {
        if ($line -match '^Udp6(\w+)\s+(\d+)') { $counters[$Matches[1]] += [long]$Matches[2] }
    }
    $counters
}

function New-Run {
    param([string] $Section, [string] $Case, $Contender, [string] $Unit)
    [pscustomobject]@{
        Section = $Section; Case = $Case; Contender = $Contender.Name; Kind = $Contender.Kind
        IsReference = [bool]($Contender.PSObject.Properties['IsReference'] -and $Contender.IsReference); Unit = $Unit; Value = $null; Loss = $null
        Sent = $null; Delivered = $null; DroppedByPSUdp = $null; DroppedByKernel = $null; NoPorts = $null
        Unaccounted = $null; CpuMicroseconds = $null; AllocatedBytes = $null; Gen0 = $null
        WorkingSetMiB = $null; PeakWorkingSetMiB = $null; Lost = $null; Problem = $null
        # Figures of a scenario's own (name = value), shown as medians in the Detail column.
        Extra = [ordered]@{}
    }
}

function Get-PSUdpCommand {
    param([string] $Scenario, [int] $Port, [int] $Count, [double] $TimeoutSeconds, [string] $Pipeline = 'MeasureObject', [int] $Size = 64, [string[]] $Extra = @())
    @($script:Config.Pwsh) + @('-NoProfile', '-NonInteractive', '-File', $script:Config.Scenario,
        '-Scenario', $Scenario, '-Port', $Port, '-Count', $Count, '-TimeoutSeconds', $TimeoutSeconds, '-Pipeline', $Pipeline, '-Size', $Size) + $Extra
}

function Get-FloodCommand {
    param([int] $Port, [long] $Count, [int] $Size = 64, [long] $UntilClosed = 0, [double] $TimeoutSeconds = 60)
    $command = @($script:Config.Reference) + @('flood', '--port', $Port, '--count', $Count, '--size', $Size, '--timeout', $TimeoutSeconds)
    if ($UntilClosed) { $command += @('--until-closed', $UntilClosed) }
    $command
}

# Per-item figures of a child that reported its own CPU and allocations.
function Set-CostFigure($Run, $Result, [double] $Items) {
    if (-not $Result -or $Items -le 0) { return }
    if ($Result.ContainsKey('cpuSeconds')) { $Run.CpuMicroseconds = $Result.cpuSeconds * 1e6 / $Items }
    if ($Result.ContainsKey('allocatedBytes')) { $Run.AllocatedBytes = $Result.allocatedBytes / $Items }
    if ($Result.ContainsKey('gen0Collections')) { $Run.Gen0 = $Result.gen0Collections }
}

# ---------------------------------------------------------------------------------------------
# Receive
# ---------------------------------------------------------------------------------------------

function Get-ReceiveContender {
    [pscustomobject]@{ Name = 'C# ReceiveFrom, default buffer'; Kind = 'csharp'; Extra = @() }
    [pscustomobject]@{ Name = 'C# ReceiveFrom, 4 MiB buffer'; Kind = 'csharp'; Extra = @('--rcvbuf', $script:ReceiveBuffer); IsReference = $true }
    if ($script:Config.Python) { [pscustomobject]@{ Name = 'Python udp_receiver.py'; Kind = 'python' } }
    [pscustomobject]@{ Name = 'Receive-UdpDatagram | Measure-Object'; Kind = 'psudp'; Pipeline = 'MeasureObject'; Target = $true }
    [pscustomobject]@{ Name = 'Receive-UdpDatagram | Out-Null'; Kind = 'psudp'; Pipeline = 'OutNull'; Target = $true }
    [pscustomobject]@{ Name = 'Receive-UdpDatagram | Where-Object Length -gt 0 | Measure-Object'; Kind = 'psudp'; Pipeline = 'WhereObject' }
    # The same pipeline with every method compiled fully optimised at its first call, not quickly
    # first (tier 0) and again when hot: what PowerShell's start costs the first second.
    [pscustomobject]@{ Name = $script:UpFrontJit; Kind = 'psudp'; Pipeline = 'MeasureObject'; Environment = @{ DOTNET_TieredCompilation = '0' } }
}

function Invoke-ReceiveRun {
    param($Contender, [int] $Size, [int] $Count)
    $run = New-Run -Section 'Receive' -Case "$Size B" -Contender $Contender -Unit 'dg/s'
    $port = Get-ClosedUdpPort
    $timeout = [Math]::Min(600, [Math]::Max(20, $Count / 20000))
    $command = switch ($Contender.Kind) {
        'csharp' { @($script:Config.Reference) + @('receive', '--port', $port, '--count', $Count, '--timeout', $timeout) + $Contender.Extra }
        'python' { @($script:Config.Python, "$($script:Config.Peers)/udp_receiver.py", '--port', $port, '--count', $Count, '--timeout', $timeout, '--quiet') }
        'psudp' { Get-PSUdpCommand -Scenario Receive -Port $port -Count $Count -TimeoutSeconds $timeout -Pipeline $Contender.Pipeline }
    }
    $before = Get-UdpCounter
    $environment = if ($Contender.PSObject.Properties['Environment']) { $Contender.Environment } else { @{} }
    $receiver = Start-BenchProcess $command -Environment $environment
    Wait-UdpPort $port $receiver
    # The flood goes on after N until the receiver has closed its port, so every receiver takes
    # exactly N (or N less its own drops); bounded at 3 N and the timeout.
    $flood = Start-BenchProcess (Get-FloodCommand -Port $port -Count $Count -Size $Size -UntilClosed (3 * $Count) -TimeoutSeconds $timeout)
    $sender = Complete-BenchProcess $flood ($timeout + 30)
    $received = Complete-BenchProcess $receiver ($timeout + 30)
    $after = Get-UdpCounter
    $run.Problem = @($sender.Problem, $received.Problem | Where-Object { $_ }) -join '; '
    if (-not $sender.Result -or -not ($received.Result -or $received.Summary)) { return $run }

    $start = $sender.Result.start
    switch ($Contender.Kind) {
        'csharp' { $delivered = $received.Result.received; $end = $received.Result.end; $dropped = 0 }
        'python' { $delivered = $received.Summary.Count; $end = $received.Summary.Last; $dropped = 0 }
        'psudp' { $delivered = $received.Result.delivered; $end = $received.Result.end; $dropped = $received.Result.dropped }
    }
    $run.Sent = $sender.Result.sent
    $run.Delivered = $delivered
    $run.DroppedByPSUdp = $dropped
    $run.DroppedByKernel = $after.RcvbufErrors - $before.RcvbufErrors
    $run.NoPorts = $after.NoPorts - $before.NoPorts
    if ($null -ne $delivered) {
        $run.Value = $delivered / [Math]::Max($end - $start, 1e-6)
        $run.Unaccounted = $run.Sent - $delivered - $dropped - $run.DroppedByKernel - $run.NoPorts
    }
    $run.Loss = ($dropped + $run.DroppedByKernel) / [Math]::Max($run.Sent, 1)
    Set-CostFigure $run $received.Result ([double]$delivered)
    $run
}

# ---------------------------------------------------------------------------------------------
# Echo
# ---------------------------------------------------------------------------------------------

function Get-EchoServer {
    param([switch] $IncludePSUdp)
    [pscustomobject]@{ Name = 'C# echo server'; Kind = 'csharp'; IsReference = $true }
    if ($script:Config.Python) { [pscustomobject]@{ Name = 'Python udp_echo_server.py'; Kind = 'python' } }
    if ($script:Config.Socat) { [pscustomobject]@{ Name = 'socat UDP4-LISTEN PIPE'; Kind = 'socat' } }
    if ($IncludePSUdp) { [pscustomobject]@{ Name = 'Start-UdpEcho -MaximumRate 0 | Measure-Object'; Kind = 'psudp'; Target = $true } }
}

function Get-EchoServerCommand {
    param($Server, [int] $Port, [int] $Count, [double] $TimeoutSeconds)
    switch ($Server.Kind) {
        'csharp' { @($script:Config.Reference) + @('echo-server', '--port', $Port, '--count', $Count, '--timeout', $TimeoutSeconds) }
        'csharp-batch' { @($script:Config.Reference) + @('batch-echo', '--port', $Port, '--count', $Count, '--timeout', $TimeoutSeconds) }
        'python' { @($script:Config.Python, "$($script:Config.Peers)/udp_echo_server.py", '--port', $Port, '--count', $Count, '--timeout', $TimeoutSeconds, '--quiet') }
        # socat answers the first peer only and cannot count: -T ends it after 5 s of silence.
        'socat' { @($script:Config.Socat, '-T', '5', "UDP4-LISTEN:$Port,bind=127.0.0.1", 'PIPE') }
        'psudp' { Get-PSUdpCommand -Scenario Echo -Port $Port -Count $Count -TimeoutSeconds $TimeoutSeconds -Pipeline $(if ($Server.PSObject.Properties['Pipeline']) { $Server.Pipeline } else { 'MeasureObject' }) }
    }
}

function Invoke-EchoRun {
    param($Server, [int] $Count, [switch] $Pinned)
    $case = if ($Pinned) { '64 B, pinned to one CPU' } else { '64 B, unpinned' }
    $run = New-Run -Section 'Echo' -Case $case -Contender $Server -Unit 'rt/s'
    $port = Get-ClosedUdpPort
    $timeout = [Math]::Min(600, [Math]::Max(20, $Count / 1000))
    $serverRun = Start-BenchProcess (Get-EchoServerCommand $Server $port $Count $timeout) -Pin:$Pinned
    Wait-UdpPort $port $serverRun
    $clientRun = Start-BenchProcess (@($script:Config.Reference) + @('echo-client', '--port', $port, '--count', $Count, '--size', 64, '--timeout', $timeout)) -Pin:$Pinned
    $client = Complete-BenchProcess $clientRun ($timeout + 30)
    $served = Complete-BenchProcess $serverRun 30 -Kill:($Server.Kind -eq 'socat')
    $run.Problem = @($client.Problem, $served.Problem | Where-Object { $_ }) -join '; '
    if ($client.Result) {
        $run.Value = $client.Result.rate
        $run.Delivered = $client.Result.roundTrips
        $run.Lost = $client.Result.lost
        $run.Loss = $client.Result.lost / [Math]::Max($Count, 1)
    }
    Set-CostFigure $run $served.Result ([double]$Count)
    $run
}

# Two C# floods at once through one echo server; the rate is the server's echoes per second.
function Invoke-EchoFloodRun {
    param($Server, [int] $Count)
    $run = New-Run -Section 'Echo flood' -Case '64 B, two senders' -Contender $Server -Unit 'dg/s'
    $port = Get-ClosedUdpPort
    $timeout = [Math]::Min(600, [Math]::Max(20, $Count / 10000))
    $before = Get-UdpCounter
    $serverRun = Start-BenchProcess (Get-EchoServerCommand $Server $port $Count $timeout)
    Wait-UdpPort $port $serverRun
    $floods = 1..2 | ForEach-Object { Start-BenchProcess (Get-FloodCommand -Port $port -Count 1 -UntilClosed (3 * $Count) -TimeoutSeconds $timeout) }
    $senders = @($floods | ForEach-Object { Complete-BenchProcess $_ ($timeout + 30) })
    $served = Complete-BenchProcess $serverRun ($timeout + 30)
    $after = Get-UdpCounter
    $run.Problem = @(@($senders.Problem) + $served.Problem | Where-Object { $_ }) -join '; '
    if (@($senders | Where-Object { -not $_.Result }).Count -or -not ($served.Result -or $served.Summary)) { return $run }
    $start = ($senders.Result.start | Measure-Object -Minimum).Minimum
    switch ($Server.Kind) {
        { $_ -like 'csharp*' } { $echoed = $served.Result.echoed; $end = $served.Result.end }
        'python' { $echoed = $served.Summary.Count; $end = $served.Summary.Last }
        'psudp' {
            $echoed = $served.Result.delivered; $end = $served.Result.end; $run.DroppedByPSUdp = $served.Result.dropped
            # To the last echo: the end is when the last echoed datagram arrived (it was answered then).
            if ($served.Result.ContainsKey('lastEcho') -and $served.Result.lastEcho) { $end = $served.Result.lastEcho }
            # Echoes PSUdp took off the socket but could not send (its refusal warning): must be 0.
            if ($served.Result.ContainsKey('refused')) { $run.Extra['echoes not sent'] = $served.Result.refused }
        }
    }
    $run.Sent = ($senders.Result.sent | Measure-Object -Sum).Sum
    $run.Delivered = $echoed
    $run.Value = $echoed / [Math]::Max($end - $start, 1e-6)
    # Echoes that overflow the floods' own (never read) sockets count here too.
    $run.DroppedByKernel = $after.RcvbufErrors - $before.RcvbufErrors
    Set-CostFigure $run $served.Result ([double]$echoed)
    $run
}

# ---------------------------------------------------------------------------------------------
# Send
# ---------------------------------------------------------------------------------------------

function Get-SendContender {
    [pscustomobject]@{ Name = 'C# SendTo loop'; Kind = 'csharp'; IsReference = $true }
    if ($script:Config.Python) { [pscustomobject]@{ Name = 'Python udp_sender.py'; Kind = 'python' } }
    [pscustomobject]@{ Name = 'strings | Send-UdpDatagram'; Kind = 'psudp'; Target = $true }
    [pscustomobject]@{ Name = 'strings | function with a new UdpClient per message'; Kind = 'psudp-udpclient' }
}

function Invoke-SendRun {
    param($Contender, [int] $Count)
    $run = New-Run -Section 'Send' -Case '64 B strings' -Contender $Contender -Unit 'dg/s'
    # The sink: bound so nothing answers ICMP port unreachable, never read; the kernel drops what
    # overflows its small buffer, which costs the senders least.
    $sink = [System.Net.Sockets.Socket]::new('InterNetwork', 'Dgram', 'Udp')
    try {
        $sink.ReceiveBufferSize = 4096
        $sink.Bind([System.Net.IPEndPoint]::new([System.Net.IPAddress]::Loopback, 0))
        $port = $sink.LocalEndPoint.Port
        $timeout = [Math]::Min(600, [Math]::Max(30, $Count / 5000))
        $command = switch ($Contender.Kind) {
            'csharp' { Get-FloodCommand -Port $port -Count $Count -Size 64 -TimeoutSeconds $timeout }
            'python' { @($script:Config.Python, "$($script:Config.Peers)/udp_sender.py", '127.0.0.1', $port, '--text', ('x' * 64), '--count', $Count, '--quiet') }
            'psudp' { Get-PSUdpCommand -Scenario Send -Port $port -Count $Count -TimeoutSeconds $timeout }
            'psudp-udpclient' { Get-PSUdpCommand -Scenario SendUdpClient -Port $port -Count $Count -TimeoutSeconds $timeout }
        }
        $sent = Complete-BenchProcess (Start-BenchProcess $command) ($timeout + 60)
    }
    finally { $sink.Dispose() }
    $run.Problem = $sent.Problem
    if ($sent.Summary) {
        $run.Value = $sent.Summary.Count / [Math]::Max($sent.Summary.Last - $sent.Summary.First, 1e-6)
        $run.Sent = $sent.Summary.Count
    }
    elseif ($sent.Result) {
        $run.Value = $sent.Result.rate
        $run.Sent = if ($sent.Result.ContainsKey('sent')) { $sent.Result.sent } else { $sent.Result.delivered }
        Set-CostFigure $run $sent.Result ([double]$run.Sent)
    }
    $run
}

# ---------------------------------------------------------------------------------------------
# PowerShell's own floor
# ---------------------------------------------------------------------------------------------

# What PowerShell itself charges, with no PSUdp code in the path: a compiled cmdlet that writes
# new objects into Measure-Object in a fresh process (the listeners' floor: cold, as a listener
# starts), or strings piped into a compiled cmdlet that does nothing (Send's floor).
function Invoke-FloorRun {
    param([ValidateSet('Write', 'Bind')] [string] $Kind, [int] $Count, [switch] $Pinned)
    $name, $case = if ($Kind -eq 'Write') {
        'compiled cmdlet writing new objects | Measure-Object'
        '{0:N0} objects, cold{1}' -f $Count, $(if ($Pinned) { ', pinned to one CPU' } else { '' })
    }
    else { 'strings | compiled cmdlet with one pipeline parameter, empty ProcessRecord'; '64 B strings' }
    $contender = [pscustomobject]@{ Name = $name; Kind = 'floor' }
    $run = New-Run -Section 'PowerShell floor' -Case $case -Contender $contender -Unit 'obj/s'
    $timeout = [Math]::Min(600, [Math]::Max(30, $Count / 5000))
    $done = Complete-BenchProcess (Start-BenchProcess (Get-PSUdpCommand -Scenario "Floor$Kind" -Port 9 -Count $Count -TimeoutSeconds $timeout) -Pin:$Pinned) ($timeout + 60)
    $run.Problem = $done.Problem
    if ($done.Result) {
        $run.Value = $done.Result.rate
        Set-CostFigure $run $done.Result ([double]$Count)
    }
    $run
}

# ---------------------------------------------------------------------------------------------
# Start-up and memory
# ---------------------------------------------------------------------------------------------

# The items, starting with the one at Round (modulo their count): each round starts with another,
# so none always runs right after the same one.
function Get-Rotation([object[]] $Items, [int] $Round) {
    $first = $Round % $Items.Count
    @($Items | Select-Object -Skip $first) + @($Items | Select-Object -First $first)
}

function Invoke-StartupRun {
    param([int] $Count)
    # PowerShell's own floor: the first Import-Module of a session, by name as PSUdp is, of a
    # module with nothing in it, and of a binary module like PSUdp with nothing of its own: one
    # empty cmdlet and a format file. They sit in a folder of their own on PSModulePath.
    $floors = Join-Path $script:Config.Root 'output/bench/modules'
    $empty = Join-Path $floors 'EmptyModule'
    New-Item -ItemType Directory -Force $empty | Out-Null
    Set-Content "$empty/EmptyModule.psd1" "@{ ModuleVersion = '1.0.0'; FunctionsToExport = @(); CmdletsToExport = @(); VariablesToExport = @(); AliasesToExport = @() }"
    $binary = Join-Path $floors 'BinaryModule'
    if (-not (Test-Path "$binary/BinaryModule.dll")) {
        New-Item -ItemType Directory -Force $binary | Out-Null
        Add-Type -OutputAssembly "$binary/BinaryModule.dll" -OutputType Library -TypeDefinition @'
using System.Management.Automation;
namespace BinaryModule
{
    public sealed class Nothing { public int Length { get; set; } }
    [Cmdlet(VerbsCommon.Get, "Nothing")]
    public sealed class GetNothingCommand : PSCmdlet { protected override void EndProcessing() => WriteObject(new Nothing()); }
}
'@
        Set-Content "$binary/BinaryModule.Format.ps1xml" '<Configuration><ViewDefinitions><View><Name>Nothing</Name><ViewSelectedBy><TypeName>BinaryModule.Nothing</TypeName></ViewSelectedBy><TableControl><TableHeaders><TableColumnHeader /></TableHeaders><TableRowEntries><TableRowEntry><TableColumnItems><TableColumnItem><PropertyName>Length</PropertyName></TableColumnItem></TableColumnItems></TableRowEntry></TableRowEntries></TableControl></View></ViewDefinitions></Configuration>'
        Set-Content "$binary/BinaryModule.psd1" "@{ RootModule = 'BinaryModule.dll'; ModuleVersion = '1.0.0'; FormatsToProcess = @('BinaryModule.Format.ps1xml'); FunctionsToExport = @(); CmdletsToExport = @('Get-Nothing'); VariablesToExport = @(); AliasesToExport = @() }"
    }
    # The same module with PSUdp's format file in place of its own: the part of PSUdp's import
    # that is PowerShell reading the views PSUdp's objects need.
    $formatFloor = Join-Path $floors 'BinaryModuleWithPSUdpViews'
    $psudpFormat = Get-ChildItem -Path (Join-Path $script:Config.Root 'output/PSUdp') -Filter 'PSUdp.Format.ps1xml' -Recurse | Select-Object -First 1
    if ($psudpFormat) {
        New-Item -ItemType Directory -Force $formatFloor | Out-Null
        Copy-Item "$binary/BinaryModule.dll" "$formatFloor/BinaryModuleWithPSUdpViews.dll" -Force
        Copy-Item $psudpFormat.FullName "$formatFloor/PSUdp.Format.ps1xml" -Force
        Set-Content "$formatFloor/BinaryModuleWithPSUdpViews.psd1" "@{ RootModule = 'BinaryModuleWithPSUdpViews.dll'; ModuleVersion = '1.0.0'; FormatsToProcess = @('PSUdp.Format.ps1xml'); FunctionsToExport = @(); CmdletsToExport = @('Get-Nothing'); VariablesToExport = @(); AliasesToExport = @() }"
    }
    # The same cmdlet in PSUdp's own shape: its manifest (GUID, editions, gallery data), version
    # folder, help and format file, only the assembly is the one-cmdlet one. Between this and PSUdp
    # is PSUdp's assembly alone.
    $shape = Join-Path $floors 'PSUdpShape'
    $psudpManifest = Get-ChildItem -Path (Join-Path $script:Config.Root 'output/PSUdp') -Filter 'PSUdp.psd1' -Recurse | Select-Object -First 1
    if ($psudpManifest) {
        Remove-Item $shape -Recurse -Force -ErrorAction Ignore
        $shapeVersion = Join-Path $shape $psudpManifest.Directory.Name
        New-Item -ItemType Directory -Force $shapeVersion | Out-Null
        Copy-Item "$($psudpManifest.DirectoryName)/*" $shapeVersion -Recurse -Force
        Copy-Item "$binary/BinaryModule.dll" "$shapeVersion/PSUdp.dll" -Force
        Remove-Item "$shapeVersion/PSUdp.psd1", "$shapeVersion/PSUdp.xml" -Force -ErrorAction Ignore
        (Get-Content -Raw $psudpManifest.FullName) -replace "CmdletsToExport\s*=\s*@\([^)]*\)", "CmdletsToExport = @('Get-Nothing')" | Set-Content "$shapeVersion/PSUdpShape.psd1"
    }
    # pwsh replays the startup JIT profile that the pwsh before it wrote (StartupProfileData-
    # NonInteractive in its cache folder). With one folder for all, each process of alternating
    # runs replayed another module's profile, and a module's figure depended on which ran before
    # it (PSUdp's import measured 1.34x the one-cmdlet module's in such a run). Each contender has
    # a cache folder of its own, so each starts as a pwsh that started the same way the last time.
    $cache = Join-Path $script:Config.Root 'output/bench/startup-cache'
    Remove-Item $cache -Recurse -Force -ErrorAction Ignore
    $start = {
        param([string] $Folder, [string] $Script)
        $environment = @{ PSModulePath = "$floors$([IO.Path]::PathSeparator)$($script:Config.ModulePath)"; XDG_CACHE_HOME = (Join-Path $cache $Folder) }
        Complete-BenchProcess (Start-BenchProcess (@($script:Config.Pwsh) + @('-NoProfile', '-NonInteractive', '-Command', $Script)) -Environment $environment) 60 -Kill:$false
    }
    $cases = @(
        [pscustomobject]@{ Name = 'pwsh -NoProfile -c exit'; Kind = 'pwsh'; IsReference = $true; Script = 'exit'; Folder = 'exit' }
        [pscustomobject]@{ Name = 'pwsh -NoProfile -c "Import-Module <an empty manifest module>; exit"'; Kind = 'floor'; Script = 'Import-Module EmptyModule; exit'; Folder = 'EmptyModule' }
        [pscustomobject]@{ Name = 'pwsh -NoProfile -c "Import-Module <one empty cmdlet and a format file>; exit"'; Kind = 'floor'; Script = 'Import-Module BinaryModule; exit'; Folder = 'BinaryModule' }
        [pscustomobject]@{ Name = 'pwsh -NoProfile -c "Import-Module PSUdp; exit"'; Kind = 'psudp'; Target = $true; Script = 'Import-Module PSUdp; exit'; Folder = 'PSUdp' }
    )
    # One uncounted run of each first, so each finds the files in the page cache and its own
    # startup profile (the imports alone below have folders of their own, primed the same way).
    foreach ($case in $cases) { [void](& $start $case.Folder $case.Script) }
    for ($i = 0; $i -lt $Count; $i++) {
        foreach ($case in Get-Rotation $cases $i) {
            $run = New-Run -Section 'Start-up' -Case 'wall time' -Contender $case -Unit 'ms'
            $clock = [System.Diagnostics.Stopwatch]::StartNew()
            $done = & $start $case.Folder $case.Script
            $clock.Stop()
            $run.Problem = if ($done.Error.Trim()) { $done.Error.Trim() }
            $run.Value = $clock.Elapsed.TotalMilliseconds
            $run
        }
    }
    # The import alone, timed inside the process, in processes of their own (so the stopwatch costs
    # the wall times above nothing): what the module itself adds to PowerShell's import machinery.
    $imports = @(
        [pscustomobject]@{ Name = 'Import-Module <an empty manifest module>'; Kind = 'floor'; Module = 'EmptyModule' }
        [pscustomobject]@{ Name = 'Import-Module <one empty cmdlet and a format file>'; Kind = 'floor'; IsReference = $true; Module = 'BinaryModule' }
        if ($psudpFormat) { [pscustomobject]@{ Name = 'Import-Module <one empty cmdlet and PSUdp''s format file>'; Kind = 'floor'; Module = 'BinaryModuleWithPSUdpViews' } }
        if ($psudpManifest) { [pscustomobject]@{ Name = 'Import-Module <one empty cmdlet in PSUdp''s manifest, folders and format file>'; Kind = 'floor'; Module = 'PSUdpShape' } }
        [pscustomobject]@{ Name = 'Import-Module PSUdp'; Kind = 'psudp'; Module = 'PSUdp' }
    )
    foreach ($import in $imports) {
        $import | Add-Member -NotePropertyName Script -NotePropertyValue "`$clock = [System.Diagnostics.Stopwatch]::StartNew(); Import-Module $($import.Module); 'IMPORT {0}' -f `$clock.Elapsed.TotalMilliseconds; exit"
        [void](& $start "$($import.Module)-alone" $import.Script)
    }
    for ($i = 0; $i -lt $Count; $i++) {
        foreach ($import in Get-Rotation $imports $i) {
            $run = New-Run -Section 'Start-up' -Case 'the import alone, timed in the process' -Contender $import -Unit 'ms'
            $done = & $start "$($import.Module)-alone" $import.Script
            $run.Problem = if ($done.Error.Trim()) { $done.Error.Trim() }
            if ("$($done.Output)" -match 'IMPORT (\S+)') { $run.Value = [double]::Parse($Matches[1], [cultureinfo]::InvariantCulture) }
            $run
        }
    }
}

function Invoke-MemoryRun {
    param([int] $Count)
    $contender = [pscustomobject]@{ Name = 'Receive-UdpDatagram | 1 ms per object'; Kind = 'psudp' }
    $run = New-Run -Section 'Memory' -Case ('flood of {0:N0} x 64 B' -f $Count) -Contender $contender -Unit 'MiB'
    $port = Get-ClosedUdpPort
    # The socket is read for this long; then the queue (at most 131,072) drains at 1 ms per object.
    $listen = [Math]::Ceiling($Count / 100000) + 5
    $before = Get-UdpCounter
    $receiver = Start-BenchProcess (Get-PSUdpCommand -Scenario Memory -Port $port -Count 1 -TimeoutSeconds $listen)
    Wait-UdpPort $port $receiver
    $sender = Complete-BenchProcess (Start-BenchProcess (Get-FloodCommand -Port $port -Count $Count -TimeoutSeconds $listen)) ($listen + 30)
    $received = Complete-BenchProcess $receiver ($listen + 300)
    $after = Get-UdpCounter
    $run.Problem = @($sender.Problem, $received.Problem | Where-Object { $_ }) -join '; '
    if (-not $sender.Result -or -not $received.Result) { return $run }
    $run.Sent = $sender.Result.sent
    $run.Delivered = $received.Result.delivered
    $run.DroppedByPSUdp = $received.Result.dropped
    $run.DroppedByKernel = $after.RcvbufErrors - $before.RcvbufErrors
    $run.NoPorts = $after.NoPorts - $before.NoPorts
    $run.Unaccounted = $run.Sent - $run.Delivered - $run.DroppedByPSUdp - $run.DroppedByKernel - $run.NoPorts
    $run.Loss = ($run.DroppedByPSUdp + $run.DroppedByKernel) / [Math]::Max($run.Sent, 1)
    $run.WorkingSetMiB = $received.Result.workingSetBefore / 1MB
    $run.PeakWorkingSetMiB = $received.Result.peakWorkingSet / 1MB
    $run.Value = $run.PeakWorkingSetMiB
    $run
}

# ---------------------------------------------------------------------------------------------
# Summary
# ---------------------------------------------------------------------------------------------

function Get-Median([double[]] $Values) {
    $sorted = @($Values | Sort-Object)
    if (-not $sorted.Count) { return $null }
    $middle = [Math]::Floor($sorted.Count / 2)
    if ($sorted.Count % 2) { $sorted[$middle] } else { ($sorted[$middle - 1] + $sorted[$middle]) / 2 }
}

function Format-Figure {
    param($Value, [string] $Unit, [switch] $Bare)
    if ($null -eq $Value) { return 'n/a' }
    $number = if ($Unit -eq 'MiB' -or $Unit -eq 'us') { '{0:N1}' -f $Value } elseif ($Unit -eq 's') { '{0:N2}' -f $Value } else { '{0:N0}' -f $Value }
    if ($Bare) { $number } elseif ($Unit -in 'ms', 'MiB') { "$number $Unit" } else { "$number $Unit" }
}

# One row per section, case and contender: median, min, max, ratio to the section's reference.
function Get-BenchmarkSummary {
    param([object[]] $Run)
    # Groups in the order the runs came (Group-Object would sort them).
    $groups = [ordered]@{}
    foreach ($item in $Run) {
        $key = "$($item.Section)|$($item.Case)|$($item.Contender)"
        if (-not $groups.Contains($key)) { $groups[$key] = [System.Collections.Generic.List[object]]::new() }
        $groups[$key].Add($item)
    }
    $rows = foreach ($members in $groups.Values) {
        $group = [pscustomobject]@{ Group = $members }
        $first = $group.Group[0]
        $values = @($group.Group | Where-Object { $null -ne $_.Value } | ForEach-Object Value)
        $loss = @($group.Group | Where-Object { $null -ne $_.Loss } | ForEach-Object Loss)
        $detail = [System.Collections.Generic.List[string]]::new()
        $cpu = @($group.Group | Where-Object { $null -ne $_.CpuMicroseconds } | ForEach-Object CpuMicroseconds)
        if ($cpu.Count) { $detail.Add(('CPU {0:N2} us' -f (Get-Median $cpu))) }
        $allocated = @($group.Group | Where-Object { $null -ne $_.AllocatedBytes } | ForEach-Object AllocatedBytes)
        if ($allocated.Count) { $detail.Add(('{0:N0} B allocated' -f (Get-Median $allocated))) }
        $dropped = @($group.Group | Where-Object { $null -ne $_.DroppedByPSUdp } | ForEach-Object DroppedByPSUdp)
        if ($dropped.Count -and $first.Kind -like 'psudp*') { $detail.Add(('PSUdp dropped {0:N0}' -f (Get-Median $dropped))) }
        $kernel = @($group.Group | Where-Object { $null -ne $_.DroppedByKernel } | ForEach-Object DroppedByKernel)
        if ($kernel.Count) { $detail.Add(('kernel dropped {0:N0}' -f (Get-Median $kernel))) }
        $unaccounted = @($group.Group | Where-Object { $null -ne $_.Unaccounted } | ForEach-Object Unaccounted)
        if ($unaccounted.Count) { $detail.Add(('unaccounted {0}' -f (($unaccounted | ForEach-Object { '{0:N0}' -f $_ }) -join '/'))) }
        $peak = @($group.Group | Where-Object { $null -ne $_.PeakWorkingSetMiB })
        if ($peak.Count) {
            $detail.Add(('idle {0:N0} MiB' -f (Get-Median @($peak | ForEach-Object WorkingSetMiB))))
            $detail.Add(('sent {0:N0}, received {1:N0}, PSUdp dropped {2:N0}, kernel dropped {3:N0}' -f $peak[-1].Sent, $peak[-1].Delivered, $peak[-1].DroppedByPSUdp, $peak[-1].DroppedByKernel))
        }
        $extraMedians = [ordered]@{}
        foreach ($name in @($first.Extra.Keys)) {
            $numbers = @($group.Group | Where-Object { $null -ne $_.Extra[$name] } | ForEach-Object { $_.Extra[$name] })
            if ($numbers.Count) {
                $extraMedians[$name] = Get-Median $numbers
                $format = if ([Math]::Abs($extraMedians[$name]) -lt 10) { '{0} {1:0.###}' } else { '{0} {1:N0}' }
                $detail.Add(($format -f $name, $extraMedians[$name]))
            }
        }
        $problems = @($group.Group | Where-Object { $_.Problem } | ForEach-Object Problem | Select-Object -Unique)
        if ($problems.Count) { $detail.Add("PROBLEM: $($problems -join ' | ')") }
        [pscustomobject]@{
            Section = $first.Section; Case = $first.Case; Contender = $first.Contender; Kind = $first.Kind
            IsReference = $first.IsReference; Unit = $first.Unit; Runs = $values.Count
            Median = Get-Median $values
            Min = if ($values.Count) { ($values | Measure-Object -Minimum).Minimum }
            Max = if ($values.Count) { ($values | Measure-Object -Maximum).Maximum }
            LossMedian = Get-Median $loss
            CpuMedian = if ($cpu.Count) { Get-Median $cpu }
            Loss = if ($loss.Count) { '{0:P2}' -f (Get-Median $loss) } else { '' }
            Ratio = $null; RatioTo = ''
            Extra = $extraMedians
            Detail = $detail -join '; '
        }
    }
    foreach ($row in $rows) {
        $reference = $rows | Where-Object { $_.Section -eq $row.Section -and $_.Case -eq $row.Case -and $_.IsReference } | Select-Object -First 1
        if ($reference -and $reference -ne $row -and $reference.Median -and $null -ne $row.Median) {
            $row.Ratio = $row.Median / $reference.Median
            $row.RatioTo = "of $($reference.Contender)"
        }
    }
    $rows
}

# One row of the targets table. Met is 'yes' or 'NO'; 'n/a' where the run it judges (-Row) was not measured.
function New-BenchmarkTarget {
    param([string] $Name, [string] $Figure, [string] $Goal, [bool] $Met, $Row = $null)
    $mark = if ($Row -and $null -eq $Row.Median) { 'n/a' } elseif ($Met) { 'yes' } else { 'NO' }
    [pscustomobject]@{ Target = $Name; Figure = $Figure; Goal = $Goal; Met = $mark }
}

# The issue's targets, each with the figure of this run and whether it is met.
function Get-BenchmarkTarget {
    param([object[]] $Summary)
    function Find($Section, $Case, $Contender) {
        $Summary | Where-Object { $_.Section -eq $Section -and ($null -eq $Case -or $_.Case -eq $Case) -and $_.Contender -eq $Contender } | Select-Object -First 1
    }

    foreach ($row in $Summary | Where-Object { $_.Section -eq 'Receive' -and $_.Contender -match 'Measure-Object$|Out-Null$' -and $_.Contender -notmatch 'Where-Object' }) {
        $reference = Find 'Receive' $row.Case 'C# ReceiveFrom, 4 MiB buffer'
        $default = Find 'Receive' $row.Case 'C# ReceiveFrom, default buffer'
        if (-not $reference -or $null -eq $row.Ratio) { continue }
        $upFront = Find 'Receive' $row.Case $script:UpFrontJit
        $figure = '{0:0.00}x; loss {1} (C# 4 MiB {2}, default buffer {3})' -f $row.Ratio, $row.Loss, $reference.Loss, $(if ($default) { $default.Loss })
        if ($upFront -and $row.Contender -match 'Measure-Object$') { $figure += "; with TieredCompilation=0 loss $($upFront.Loss)" }
        New-BenchmarkTarget -Name "Receive $($row.Case): $($row.Contender)" -Figure $figure -Goal '>= 0.90x the C# receiver, loss <= the C# receiver with 4 MiB' -Met (
            $row.Ratio -ge 0.9 -and $row.LossMedian -le $reference.LossMedian + 0.0005)
    }
    foreach ($case in '64 B, unpinned', '64 B, pinned to one CPU') {
        $psudp = Find 'Echo' $case 'Start-UdpEcho -MaximumRate 0 | Measure-Object'
        $python = Find 'Echo' $case 'Python udp_echo_server.py'
        if (-not $psudp -or $null -eq $psudp.Ratio) { continue }
        $versusPython = if ($python -and $python.Median) { $psudp.Median / $python.Median } else { $null }
        $figure = '{0:0.00}x the C# server; {1:0.00}x the Python server' -f $psudp.Ratio, $versusPython
        # On one CPU, whatever PowerShell spends writing the echoed objects comes out of the round
        # trips: the C# server's time per round trip plus the floor's CPU per object is the best case.
        $floor = $Summary | Where-Object { $_.Section -eq 'PowerShell floor' -and $_.Case -like '*objects, cold, pinned to one CPU' } | Select-Object -First 1
        $csharp = Find 'Echo' $case 'C# echo server'
        if ($case -eq '64 B, pinned to one CPU' -and $floor -and $floor.CpuMedian -and $csharp -and $csharp.Median) {
            $figure += '; PowerShell''s cold pipeline alone ({0:N1} us per object) caps it at {1:0.00}x' -f $floor.CpuMedian, (1 / (1 + $floor.CpuMedian * 1e-6 * $csharp.Median))
        }
        New-BenchmarkTarget -Name "Echo $case" -Figure $figure -Goal '>= 0.95x the C# echo server, >= 1x the Python server' -Met (
            $psudp.Ratio -ge 0.95 -and ($null -eq $versusPython -or $versusPython -ge 1))
    }
    $send = Find 'Send' $null 'strings | Send-UdpDatagram'
    $udpClient = Find 'Send' $null 'strings | function with a new UdpClient per message'
    if ($send -and $null -ne $send.Ratio) {
        $versusUdpClient = if ($udpClient -and $udpClient.Median) { $send.Median / $udpClient.Median } else { $null }
        $figure = '{0:0.00}x the C# SendTo loop; {1:0.0}x the UdpClient-per-message function' -f $send.Ratio, $versusUdpClient
        # A cmdlet pays PowerShell's cost per record and then the send: the floor's time per record
        # plus the C# loop's time per datagram is the best case.
        $floor = Find 'PowerShell floor' '64 B strings' 'strings | compiled cmdlet with one pipeline parameter, empty ProcessRecord'
        $csharp = Find 'Send' $null 'C# SendTo loop'
        if ($floor -and $floor.Median -and $csharp -and $csharp.Median) {
            $best = 1 / (1 / $floor.Median + 1 / $csharp.Median)
            $figure += '; PowerShell''s {0:N0} records/s and the send cap it at {1:0.00}x the C# loop' -f $floor.Median, ($best / $csharp.Median)
            if ($udpClient -and $udpClient.Median) { $figure += (' and {0:0.0}x the function' -f ($best / $udpClient.Median)) }
        }
        New-BenchmarkTarget -Name 'Send: strings | Send-UdpDatagram' -Figure $figure -Goal '>= 0.5x the C# loop, >= 10x the UdpClient function' -Met (
            $send.Ratio -ge 0.5 -and ($null -eq $versusUdpClient -or $versusUdpClient -ge 10))
    }
    $import = Find 'Start-up' $null 'pwsh -NoProfile -c "Import-Module PSUdp; exit"'
    if ($import -and $null -ne $import.Ratio) {
        $figure = 'adds {0:P1} ({1:N0} ms); an empty module adds {2:P1}, one empty cmdlet with a format file {3:P1}; the import alone takes {4:0.00}x that of the one-cmdlet module' -f ($import.Ratio - 1), ($import.Median - (Find 'Start-up' $null 'pwsh -NoProfile -c exit').Median),
            $(if ($emptyModule = Find 'Start-up' $null 'pwsh -NoProfile -c "Import-Module <an empty manifest module>; exit"') { $emptyModule.Ratio - 1 }),
            $(if ($binaryModule = Find 'Start-up' $null 'pwsh -NoProfile -c "Import-Module <one empty cmdlet and a format file>; exit"') { $binaryModule.Ratio - 1 }),
            $(if ($alone = Find 'Start-up' 'the import alone, timed in the process' 'Import-Module PSUdp') { $alone.Ratio })
        New-BenchmarkTarget -Name 'Start-up: Import-Module PSUdp' -Figure $figure -Goal 'adds < 15 %' -Met ($import.Ratio -lt 1.15)
    }
    $memory = $Summary | Where-Object Section -EQ 'Memory' | Select-Object -First 1
    if ($memory) {
        $figure = 'peak {0:N0} MiB; {1}' -f $memory.Median, $memory.Detail
        New-BenchmarkTarget -Name 'Memory under a slow consumer' -Figure $figure -Goal 'bounded; received + dropped by PSUdp + dropped by the kernel = sent' -Met (
            $memory.Detail -match 'unaccounted (0/?)+;' -and $memory.Detail -notmatch 'PROBLEM')
    }
}

function ConvertTo-BenchmarkMarkdown {
    param($Header, [string[]] $Notes, [object[]] $Summary, [object[]] $Target)
    $lines = [System.Collections.Generic.List[string]]::new()
    foreach ($entry in $Header.GetEnumerator()) { $lines.Add("- $($entry.Key): $($entry.Value)") }
    foreach ($note in $Notes) { $lines.Add("- Note: $note") }
    $lines.Add('')
    $lines.Add('| Section | Case | Contender | Median | Min–max | Ratio | Loss | Detail |')
    $lines.Add('|---|---|---|---:|---:|---:|---:|---|')
    foreach ($row in $Summary) {
        $ratio = if ($null -ne $row.Ratio) { '{0:0.00}×' -f $row.Ratio } else { '' }
        $range = '{0}–{1}' -f (Format-Figure $row.Min $row.Unit -Bare), (Format-Figure $row.Max $row.Unit -Bare)
        $lines.Add("| $($row.Section) | $($row.Case) | $($row.Contender -replace '\|', '\|') | $(Format-Figure $row.Median $row.Unit) | $range | $ratio | $($row.Loss) | $($row.Detail -replace '\|', '\|') |")
    }
    $lines.Add('')
    $lines.Add('| Target | Figure | Goal | Met |')
    $lines.Add('|---|---|---|---|')
    foreach ($row in $Target) { $lines.Add("| $($row.Target -replace '\|', '\|') | $($row.Figure -replace '\|', '\|') | $($row.Goal) | $($row.Met) |") }
    $lines -join "`n"
}

# The configuration, for the scenarios of bench/Scenarios.psm1.
function Get-BenchConfig { $script:Config }

Export-ModuleMember -Function Initialize-Benchmark, Get-BenchConfig, Start-BenchProcess, Complete-BenchProcess, Wait-UdpPort,
    Get-UdpCounter, New-Run, Get-PSUdpCommand, Get-Rotation, Get-FloodCommand, Set-CostFigure, Get-Median, Get-ReceiveContender, Invoke-ReceiveRun,
    Get-EchoServer, Invoke-EchoRun, Invoke-EchoFloodRun, Get-SendContender, Invoke-SendRun, Invoke-FloorRun, Invoke-StartupRun,
    Invoke-MemoryRun, Get-BenchmarkSummary, New-BenchmarkTarget, Get-BenchmarkTarget, Format-Figure, ConvertTo-BenchmarkMarkdown
