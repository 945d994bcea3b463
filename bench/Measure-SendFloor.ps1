#Requires -Version 7.0
<#
.SYNOPSIS
    Where the time of `$strings | Send-UdpDatagram` goes: PowerShell's own cost per record (the
    floor), the cost of Send-UdpDatagram's parameter layout, and PSUdp's own work.

.DESCRIPTION
    In one pwsh that imports the built PSUdp, compiles (Add-Type) cmdlets that each add one layer
    and pipes the same strings into each, after a warm-up of 10,000:

      C# loops              no PowerShell: UTF-8 GetBytes and a send per string: SendTo on an
                            IPv4 socket (as bench/UdpReference's flood), and Send on a connected
                            dual-mode socket (what Send-UdpDatagram binds by default, connected
                            as it is for one target)
      floor                 a cmdlet with one ValueFromPipeline string parameter and an empty
                            ProcessRecord: what PowerShell costs per record, whatever a cmdlet does
      floor + ShouldProcess ShouldProcess(target, action), which formats its message on every
                            call, and ShouldProcess(description, null, null) with a description made once
      layout                Send-UdpDatagram's parameters exactly (its real base class UdpSendCmdlet,
                            and the parameters it declares itself, read from its type with their
                            sets, pipeline attributes and validation), empty ProcessRecord
      layout + work         + GetBytes and ShouldProcess(description), then + a Send on a connected
                            dual-mode socket: the least a cmdlet with this layout and socket can cost
      Send-UdpDatagram      the real thing

    Per layer: median wall and CPU microseconds per record and bytes allocated per record
    ([GC]::GetTotalAllocatedBytes). Loopback only: the strings go to a bound socket that is never
    read, so the kernel drops what overflows its small buffer.

.EXAMPLE
    dotnet pwsh ./build.ps1 -Task Assemble
    $env:PSModulePath = "$PWD/output"; dotnet pwsh -NoProfile -c "./bench/Measure-SendFloor.ps1 | Format-Table"
#>
[CmdletBinding()]
param(
    [ValidateRange(10000, 100000000)]
    [int] $Count = 1000000,

    [ValidateRange(1, 20)]
    [int] $Repeat = 3,

    [ValidateRange(0, 65507)]
    [int] $Size = 64
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
Import-Module PSUdp
$psudp = (Get-Module PSUdp).ImplementingAssembly.Location

$source = @'
using System;
using System.Management.Automation;
using System.Net;
using System.Net.Sockets;
using System.Text;
using PSUdp;
using PSUdp.Commands;

namespace SendFloor
{
    [Cmdlet("Test", "Floor")]
    public sealed class FloorCommand : PSCmdlet
    {
        [Parameter(ValueFromPipeline = true)] public string InputObject { get; set; } = "";
        protected override void ProcessRecord() { }
    }

    [Cmdlet("Test", "FloorShouldProcess", SupportsShouldProcess = true)]
    public sealed class FloorShouldProcessCommand : PSCmdlet
    {
        [Parameter(ValueFromPipeline = true)] public string InputObject { get; set; } = "";
        protected override void ProcessRecord() { ShouldProcess("127.0.0.1:9", "Send a 64-byte UDP datagram"); }
    }

    [Cmdlet("Test", "FloorShouldProcessDescription", SupportsShouldProcess = true)]
    public sealed class FloorShouldProcessDescriptionCommand : PSCmdlet
    {
        [Parameter(ValueFromPipeline = true)] public string InputObject { get; set; } = "";
        protected override void ProcessRecord() { ShouldProcess(Work.Description, null, null); }
    }

    /// Send-UdpDatagram's own parameters (read from its type, below) over its real base class (Message, Payload, Hex, Encoding, ...).
    public abstract class LayoutCommand : UdpSendCmdlet
    {
        // Send-UdpDatagram's declared parameters: filled in below, from its type
    }

    [Cmdlet("Test", "Layout", DefaultParameterSetName = "Message", SupportsShouldProcess = true)]
    public sealed class EmptyLayoutCommand : LayoutCommand
    {
        protected override void ProcessRecord() { }
    }

    [Cmdlet("Test", "LayoutEncode", DefaultParameterSetName = "Message", SupportsShouldProcess = true)]
    public sealed class LayoutEncodeCommand : LayoutCommand
    {
        protected override void ProcessRecord()
        {
            byte[] bytes = Encoding.GetBytes(Message);
            if (ShouldProcess(Work.Description, null, null)) { Work.Bytes += bytes.Length; }
        }
    }

    [Cmdlet("Test", "LayoutSend", DefaultParameterSetName = "Message", SupportsShouldProcess = true)]
    public sealed class LayoutSendCommand : LayoutCommand, IDisposable
    {
        private Socket? socket;
        protected override void BeginProcessing()
        {
            socket = Work.PSUdpLikeSocket();
            socket.Connect(new IPEndPoint(IPAddress.Parse(ComputerName[0]), Port));
        }
        protected override void ProcessRecord()
        {
            byte[] bytes = Encoding.GetBytes(Message);
            if (ShouldProcess(Work.Description, null, null)) { socket!.Send(bytes); }
        }
        public void Dispose() { socket?.Dispose(); }
    }

    public static class Work
    {
        public const string Description = "Performing the operation \"Send a 64-byte UDP datagram\" on target \"127.0.0.1:9\".";
        public static long Bytes;

        // What Send-UdpDatagram binds without -IPv4 or -LocalAddress: one dual-mode socket for both families.
        public static Socket PSUdpLikeSocket()
        {
            var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { DualMode = true };
            socket.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
            return socket;
        }

        public static void Loop(string[] lines, int port, bool connected)
        {
            using Socket socket = connected ? PSUdpLikeSocket() : new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            var target = new IPEndPoint(IPAddress.Loopback, port);
            if (connected) { socket.Connect(target); }
            foreach (string line in lines)
            {
                byte[] bytes = Encoding.UTF8.GetBytes(line);
                if (connected) { socket.Send(bytes); } else { socket.SendTo(bytes, target); }
            }
        }
    }
}
'@
# The parameters Send-UdpDatagram declares itself, as C# properties with the attributes they carry,
# read from its type: the layout is the cmdlet's own, not a copy that could drift from it.
function ConvertTo-Literal([System.Reflection.CustomAttributeTypedArgument] $Argument) {
    $value = $Argument.Value
    if ($value -is [System.Collections.Generic.IEnumerable[System.Reflection.CustomAttributeTypedArgument]]) {
        return "new $($Argument.ArgumentType.GetElementType().FullName)[] { $(@($value | ForEach-Object { ConvertTo-Literal $_ }) -join ', ') }"
    }
    if ($value -is [string]) { return '@"' + $value.Replace('"', '""') + '"' }
    if ($value -is [type]) { return "typeof($($value.FullName.Replace('+', '.')))" }
    if ($value -is [bool]) { return $value.ToString().ToLowerInvariant() }
    "($($Argument.ArgumentType.FullName))($([System.Convert]::ToString($value, [cultureinfo]::InvariantCulture)))"
}
$declared = [PSUdp.Commands.SendUdpDatagramCommand].GetProperties([System.Reflection.BindingFlags] 'Public, Instance, DeclaredOnly') |
    Where-Object { $_.IsDefined([System.Management.Automation.ParameterAttribute], $false) }
$layout = foreach ($property in $declared) {
    foreach ($attribute in $property.CustomAttributes | Where-Object { $_.AttributeType.Namespace -ne 'System.Runtime.CompilerServices' }) {
        $arguments = @($attribute.ConstructorArguments | ForEach-Object { ConvertTo-Literal $_ }) +
            @($attribute.NamedArguments | ForEach-Object { "$($_.MemberName) = $(ConvertTo-Literal $_.TypedValue)" })
        "        [$($attribute.AttributeType.FullName)($($arguments -join ', '))]"
    }
    "        public $($property.PropertyType.FullName.Replace('+', '.')) $($property.Name) { get; set; }"
}
$source = $source.Replace("        // Send-UdpDatagram's declared parameters: filled in below, from its type", ($layout -join [Environment]::NewLine))

$references = @($psudp, [System.Management.Automation.PSCmdlet].Assembly.Location, 'System.Net.Primitives', 'System.Net.Sockets', 'System.Runtime', 'System.Text.Encoding.Extensions', 'netstandard')
# CS1701: PSUdp is built against PowerShellStandard's System.Management.Automation 3.0; 7.x serves it.
$compiled = Add-Type -TypeDefinition $source -ReferencedAssemblies $references -CompilerOptions '-nullable:enable' -IgnoreWarnings -WarningAction Ignore -PassThru
Import-Module ($compiled | Select-Object -First 1).Assembly
# The layout layers stand for Send-UdpDatagram only while the two take the same parameters.
if (((Get-Command Test-Layout -Syntax) -replace 'Test-Layout', 'Send-UdpDatagram') -ne (Get-Command Send-UdpDatagram -Syntax)) {
    throw "Test-Layout's syntax differs from Send-UdpDatagram's: $(Get-Command Test-Layout -Syntax)"
}

$sink = [System.Net.Sockets.Socket]::new('InterNetwork', 'Dgram', 'Udp')
try {
    $sink.ReceiveBufferSize = 4096
    $sink.Bind([System.Net.IPEndPoint]::new([System.Net.IPAddress]::Loopback, 0))
    $port = $sink.LocalEndPoint.Port
    [string[]] $all = @('x' * $Size) * $Count
    $cases = [ordered]@{
        'C# loop: GetBytes + SendTo, IPv4 socket'           = { param($lines) [SendFloor.Work]::Loop($lines, $port, $false) }
        'C# loop: GetBytes + Send, connected dual-mode'     = { param($lines) [SendFloor.Work]::Loop($lines, $port, $true) }
        'floor: minimal cmdlet, empty ProcessRecord'        = { param($lines) $lines | Test-Floor }
        'floor + ShouldProcess(target, action)'             = { param($lines) $lines | Test-FloorShouldProcess }
        'floor + ShouldProcess(description, null, null)'    = { param($lines) $lines | Test-FloorShouldProcessDescription }
        'layout: Send-UdpDatagram parameters, empty'        = { param($lines) $lines | Test-Layout -ComputerName 127.0.0.1 -Port $port }
        'layout + GetBytes + ShouldProcess(description)'    = { param($lines) $lines | Test-LayoutEncode -ComputerName 127.0.0.1 -Port $port }
        'layout + GetBytes + ShouldProcess + Send'          = { param($lines) $lines | Test-LayoutSend -ComputerName 127.0.0.1 -Port $port }
        'Send-UdpDatagram'                                  = { param($lines) $lines | Send-UdpDatagram -ComputerName 127.0.0.1 -Port $port }
    }
    $warmUp = $all[0..9999]
    $process = [System.Diagnostics.Process]::GetCurrentProcess()
    foreach ($name in $cases.Keys) {
        $case = $cases[$name]
        & $case $warmUp
        $runs = foreach ($i in 1..$Repeat) {
            [GC]::Collect()
            $process.Refresh()
            $cpu = $process.TotalProcessorTime.TotalSeconds
            $allocated = [GC]::GetTotalAllocatedBytes($true)
            $clock = [System.Diagnostics.Stopwatch]::StartNew()
            & $case $all
            $wall = $clock.Elapsed.TotalSeconds
            $process.Refresh()
            [pscustomobject]@{
                Wall      = $wall
                Cpu       = $process.TotalProcessorTime.TotalSeconds - $cpu
                Allocated = [GC]::GetTotalAllocatedBytes($true) - $allocated
            }
        }
        $median = { param($values) @($values | Sort-Object)[[int][Math]::Floor($Repeat / 2)] }
        [pscustomobject]@{
            Layer            = $name
            'Wall us/record' = [Math]::Round((& $median $runs.Wall) * 1e6 / $Count, 2)
            'CPU us/record'  = [Math]::Round((& $median $runs.Cpu) * 1e6 / $Count, 2)
            'Bytes/record'   = [Math]::Round((& $median $runs.Allocated) / $Count)
            'Records/s'      = [Math]::Round($Count / (& $median $runs.Wall))
        }
    }
}
finally {
    $sink.Dispose()
}
