using System.Management.Automation;
using PSUdp.Engine;
using PSUdp.Jobs;
using PSUdp.Engine.Receive;

namespace PSUdp.Commands;

/// <summary>Binds a UDP port and writes each datagram that arrives.</summary>
[Cmdlet(VerbsCommunications.Receive, "UdpDatagram")]
[OutputType(typeof(UdpDatagram))]
[OutputType(typeof(UdpListenerJob))]
public sealed class ReceiveUdpDatagramCommand : UdpListenerCmdlet
{
    private protected override string JobName => "UdpReceive";

    private protected override DatagramListener CreateListener(ListenerOptions options) => new DatagramReceiver(options);
}
