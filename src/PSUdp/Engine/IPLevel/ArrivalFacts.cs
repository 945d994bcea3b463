namespace PSUdp.Engine.IPLevel;

/// <summary>
/// What the kernel told about a datagram's arrival besides its addresses, read from the control
/// messages of the receive: -1 (0 for the interface) where it told nothing.
/// </summary>
internal struct ArrivalFacts
{
    internal ArrivalFacts(int interfaceIndex, int timeToLive, int trafficClass, long utcTicks)
    {
        InterfaceIndex = interfaceIndex;
        TimeToLive = timeToLive;
        TrafficClass = trafficClass;
        UtcTicks = utcTicks;
    }

    /// <summary>The index of the interface it arrived on; 0 when not known.</summary>
    internal int InterfaceIndex;

    /// <summary>The IPv4 TTL or IPv6 hop limit as it arrived; -1 when not known.</summary>
    internal int TimeToLive;

    /// <summary>The IPv4 TOS byte or IPv6 traffic class (DSCP and ECN); -1 when not known.</summary>
    internal int TrafficClass;

    /// <summary>When it arrived (the kernel's time where it tells, else when it was read), in UTC ticks.</summary>
    internal long UtcTicks;
}
