using System.Management.Automation;
using PSUdp.Engine;
using PSUdp.Jobs;

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

    /// <summary>Says how many datagrams the loop guard did not answer, and the last reason.</summary>
    private protected override void ReportEnd(DatagramListener ended)
    {
        if (ended is EchoServer { Refused: > 0 } echo)
        {
            WriteWarning(EchoWarning(echo));
        }
    }

    internal static string EchoWarning(EchoServer echo) =>
        $"{echo.Refused:N0} datagrams were not echoed (the last from {echo.LastRefusal}). The echo server does not answer broadcast, multicast or port-0 sources, the ports of looping services (7, 13, 17, 19, 37), itself, or more than -MaximumRate echoes per second to one peer.";
}
