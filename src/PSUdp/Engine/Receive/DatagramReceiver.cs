namespace PSUdp.Engine.Receive;

/// <summary>A listener that queues every datagram it receives.</summary>
internal sealed class DatagramReceiver : DatagramListener
{
    internal DatagramReceiver(ListenerOptions options)
        : base(options, ListenerRole.Receiver)
    {
    }

    protected override bool GathersBatches => true;

    protected override bool Handle(in DatagramView datagram) => true;
}
