namespace PSUdp;

/// <summary>
/// What a relay did in one direction: Start-UdpRelay writes one for each direction when it ends,
/// and a relay job shows them while it runs. Every copy that left is in Forwarded, so
/// Forwarded + Discarded + Failed = Received − Lost − QueueFull − Refused + Duplicated.
/// </summary>
public sealed class UdpRelaySummary
{
    internal UdpRelaySummary(RelayDirection direction, string localEndPoint, string target, long seed, long received, long forwarded,
        long lost, long queueFull, long duplicated, long reordered, long corrupted, long discarded, long failed, long refused, int flows,
        Engine.Relay.Impairment impairment)
    {
        Direction = direction;
        LocalEndPoint = localEndPoint;
        Target = target;
        Seed = seed;
        Received = received;
        Forwarded = forwarded;
        Lost = lost;
        QueueFull = queueFull;
        Duplicated = duplicated;
        Reordered = reordered;
        Corrupted = corrupted;
        Discarded = discarded;
        Failed = failed;
        Refused = refused;
        Flows = flows;
        LossPercent = impairment.LossPercent;
        DelayMilliseconds = impairment.DelayMilliseconds;
        JitterMilliseconds = impairment.JitterMilliseconds;
    }

    /// <summary>ToTarget (from the clients) or ToClient (the target's answers).</summary>
    public RelayDirection Direction { get; }

    /// <summary>The relay's own endpoint, where clients send.</summary>
    public string LocalEndPoint { get; }

    /// <summary>The one endpoint the relay forwards to.</summary>
    public string Target { get; }

    /// <summary>The seed of the relay's decisions: give it to -Seed to repeat them.</summary>
    public long Seed { get; }

    /// <summary>Datagrams that came in this direction.</summary>
    public long Received { get; }

    /// <summary>Datagrams sent on, each copy of a duplicate counted.</summary>
    public long Forwarded { get; }

    /// <summary>Datagrams dropped on purpose (-LossPercent).</summary>
    public long Lost { get; }

    /// <summary>Datagrams dropped at the tail of the full queue.</summary>
    public long QueueFull { get; }

    /// <summary>Datagrams sent twice.</summary>
    public long Duplicated { get; }

    /// <summary>Datagrams sent after a later datagram of their flow.</summary>
    public long Reordered { get; }

    /// <summary>Datagrams sent with one payload bit flipped.</summary>
    public long Corrupted { get; }

    /// <summary>Copies still held when the relay stopped, never sent.</summary>
    public long Discarded { get; }

    /// <summary>Copies the system could not send (the destination unreachable, an ICMP error).</summary>
    public long Failed { get; }

    /// <summary>Datagrams from clients beyond -MaximumFlows, not relayed (ToTarget only).</summary>
    public long Refused { get; }

    /// <summary>Flows (clients with their own upstream socket) opened so far.</summary>
    public int Flows { get; }

    /// <summary>The loss asked for in this direction, in percent.</summary>
    public double LossPercent { get; }

    /// <summary>The mean delay asked for in this direction, in milliseconds.</summary>
    public double DelayMilliseconds { get; }

    /// <summary>The jitter asked for in this direction, in milliseconds.</summary>
    public double JitterMilliseconds { get; }
}
