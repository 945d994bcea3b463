using System.Management.Automation;
using PSUdp.Engine;
using PSUdp.Jobs;
using PSUdp.Engine.Echo;
using PSUdp.Engine.Receive;

namespace PSUdp.Commands;

/// <summary>Runs an echo server: every datagram goes back to its sender from the bound port.</summary>
[Cmdlet(VerbsLifecycle.Start, "UdpEcho")]
[OutputType(typeof(UdpDatagram))]
[OutputType(typeof(UdpListenerJob))]
public sealed class StartUdpEchoCommand : UdpListenerCmdlet
{
    /// <summary>Echoes per second allowed to one peer (address and port); 0 for no limit.</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int MaximumRate { get; set; } = DefaultMaximumRate;

    /// <summary>Enough for any interactive or scripted use, far below a loop at full speed.</summary>
    internal const int DefaultMaximumRate = 1000;

    private protected override string JobName => "UdpEcho";

    private protected override DatagramListener CreateListener(ListenerOptions options) => new EchoServer(options, MaximumRate);
}
