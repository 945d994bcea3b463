namespace PSUdp.Engine.IPLevel;

/// <summary>
/// What the kernel told about a datagram's arrival besides its addresses, read from the control
/// messages of the receive: -1 (0 for the interface) where it told nothing. Mutable, so the
/// reader fills it in one control message at a time.
/// </summary>
/// <param name="InterfaceIndex">The index of the interface it arrived on; 0 when not known.</param>
/// <param name="TimeToLive">The IPv4 TTL or IPv6 hop limit as it arrived; -1 when not known.</param>
/// <param name="TrafficClass">The IPv4 TOS byte or IPv6 traffic class (DSCP and ECN); -1 when not known.</param>
/// <param name="UtcTicks">When it arrived (the kernel's time where it tells, else when it was read), in UTC ticks.</param>
internal record struct ArrivalFacts(int InterfaceIndex, int TimeToLive, int TrafficClass, long UtcTicks);
