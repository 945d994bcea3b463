using System.Net;

namespace PSUdp.Engine.Receive;

/// <summary>What kind of listener an outcome is about, for wording that fits it.</summary>
internal enum ListenerRole
{
    /// <summary>A listener that queues what it receives (Receive-UdpDatagram).</summary>
    Receiver,

    /// <summary>A listener that answers what it receives (Start-UdpEcho).</summary>
    Echo,
}

/// <summary>
/// What a listener did, as it says itself (<see cref="DatagramListener.Outcome"/>): the one value
/// that a foreground cmdlet and a job turn into warnings, errors and a status.
/// </summary>
internal sealed class ListenerOutcome(ListenerRole role, IPEndPoint localEndPoint, long received, long dropped,
    long? droppedByKernel, EchoRefusals? echo, UdpException? fault)
{
    /// <summary>The kind of listener.</summary>
    internal ListenerRole Role { get; } = role;

    /// <summary>The bound address and port.</summary>
    internal IPEndPoint LocalEndPoint { get; } = localEndPoint;

    /// <summary>Datagrams taken off the socket and handled (those answered, for an echo server).</summary>
    internal long Received { get; } = received;

    /// <summary>Datagrams PSUdp had to drop because its consumer fell behind.</summary>
    internal long Dropped { get; } = dropped;

    /// <summary>Datagrams the system dropped before PSUdp could read them, where it tells (SO_RXQ_OVFL); null where not counted.</summary>
    internal long? DroppedByKernel { get; } = droppedByKernel;

    /// <summary>An echo server's own part: what its guard did not answer; null for other listeners.</summary>
    internal EchoRefusals? Echo { get; } = echo;

    /// <summary>Why the listener ended early, if it failed.</summary>
    internal UdpException? Fault { get; } = fault;
}

/// <summary>What an echo server's guard did not answer.</summary>
internal sealed class EchoRefusals(long refused, string? lastReason)
{
    /// <summary>Datagrams not answered (and not written).</summary>
    internal long Refused { get; } = refused;

    /// <summary>The source and reason of the last one, such as "127.0.0.1:7: source port 7, a service that answers every datagram".</summary>
    internal string? LastReason { get; } = lastReason;
}
