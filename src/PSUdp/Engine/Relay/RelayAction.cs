using System;

namespace PSUdp;

/// <summary>What a relay did to a datagram; several at once for one that was, say, delayed and duplicated.</summary>
[Flags]
public enum RelayAction
{
    /// <summary>Nothing yet (never written).</summary>
    None = 0,

    /// <summary>Sent on towards its destination (with its copy, when duplicated).</summary>
    Forwarded = 1,

    /// <summary>Held for the delay, the jitter or the rate before it was sent.</summary>
    Delayed = 2,

    /// <summary>Sent twice.</summary>
    Duplicated = 4,

    /// <summary>Held back and sent after a later datagram of its flow.</summary>
    Reordered = 8,

    /// <summary>Sent with one bit of its payload flipped.</summary>
    Corrupted = 16,

    /// <summary>Dropped on purpose: the loss the relay was asked for.</summary>
    Lost = 32,

    /// <summary>Dropped because the relay's queue was full (tail drop): more came than the rate lets out.</summary>
    QueueFull = 64,

    /// <summary>Dropped because its client would have been one flow more than the relay allows.</summary>
    Refused = 128,

    /// <summary>Still held when the relay stopped, so never sent.</summary>
    Discarded = 256,

    /// <summary>The system could not send it (the destination unreachable, or an ICMP error).</summary>
    Failed = 512,
}

/// <summary>A direction through a relay.</summary>
public enum RelayDirection
{
    /// <summary>Both directions (for -Direction only; each summary names one direction).</summary>
    Both,

    /// <summary>From the clients to the target.</summary>
    ToTarget,

    /// <summary>From the target back to the clients.</summary>
    ToClient,
}
