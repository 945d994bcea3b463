namespace PSUdp.Engine.IPLevel;

/// <summary>
/// What the kernel told about a datagram's arrival besides its addresses, read from the control
/// messages of the receive: -1 (0 for the interface) where it told nothing. Mutable, so the
/// reader fills it in one control message at a time.
/// </summary>
/// <remarks>
/// 16 bytes: a listener's queue keeps one per waiting datagram, so the TTL and the traffic class
/// (each a byte on the wire, or -1) are kept as shorts.
/// </remarks>
internal record struct ArrivalFacts
{
    private short timeToLive;
    private short trafficClass;

    /// <param name="interfaceIndex">The index of the interface it arrived on; 0 when not known.</param>
    /// <param name="timeToLive">The IPv4 TTL or IPv6 hop limit as it arrived; -1 when not known.</param>
    /// <param name="trafficClass">The IPv4 TOS byte or IPv6 traffic class (DSCP and ECN); -1 when not known.</param>
    /// <param name="utcTicks">When it arrived (the kernel's time where it tells, else when it was read), in UTC ticks.</param>
    internal ArrivalFacts(int interfaceIndex, int timeToLive, int trafficClass, long utcTicks)
    {
        InterfaceIndex = interfaceIndex;
        TimeToLive = timeToLive;
        TrafficClass = trafficClass;
        UtcTicks = utcTicks;
    }

    /// <summary>The index of the interface it arrived on; 0 when not known.</summary>
    internal int InterfaceIndex { get; set; }

    /// <summary>The IPv4 TTL or IPv6 hop limit as it arrived (0-255); -1 when not known.</summary>
    internal int TimeToLive
    {
        readonly get => timeToLive;
        set => timeToLive = (short)value;
    }

    /// <summary>The IPv4 TOS byte or IPv6 traffic class (0-255, DSCP and ECN); -1 when not known.</summary>
    internal int TrafficClass
    {
        readonly get => trafficClass;
        set => trafficClass = (short)value;
    }

    /// <summary>When it arrived, in UTC ticks.</summary>
    internal long UtcTicks { get; set; }
}
