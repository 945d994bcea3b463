using System;
using System.Globalization;
using System.Linq;
using System.Net;

namespace PSUdp;

/// <summary>One hop of Test-UdpConnection -Traceroute: who answered the probes with this TTL (hop limit), how, and how fast.</summary>
public sealed class UdpTraceHop
{
    internal UdpTraceHop(string computerName, IPEndPoint target, int hop, string probe, IPAddress?[] responders, TimeSpan?[] roundTripTimes,
        UdpTraceStatus status, IcmpReport? icmp, UdpDatagram? reply, bool reached, UdpVerdict? verdict, int? mtu, int? pathMtu)
    {
        ComputerName = computerName;
        RemoteAddress = Engine.Addresses.Normalize(target.Address);
        Port = target.Port;
        Hop = hop;
        Probe = probe;
        Responders = responders;
        RoundTripTimes = roundTripTimes;
        Status = status;
        Icmp = icmp;
        Reply = reply;
        Reached = reached;
        Verdict = verdict;
        Mtu = mtu;
        PathMtu = pathMtu;
        Address = responders.FirstOrDefault(a => a is not null);
        DisplayAddress = Address is null ? "*" : string.Join(", ", responders.Where(a => a is not null).Select(a => a!.ToString()).Distinct());
        RoundTrips = string.Join("  ", roundTripTimes.Select(t => t is { } span
            ? string.Format(CultureInfo.InvariantCulture, "{0:0.000} ms", span.TotalMilliseconds)
            : "*"));
    }

    /// <summary>The destination as it was given: a name or an address.</summary>
    public string ComputerName { get; }

    /// <summary>The destination's address.</summary>
    public IPAddress RemoteAddress { get; }

    /// <summary>The destination UDP port of the hop's first probe (with -VaryPort each probe has its own).</summary>
    public int Port { get; }

    /// <summary>The hop's number: the TTL (hop limit) its probes were sent with.</summary>
    public int Hop { get; }

    /// <summary>The router or host that answered the hop's first answered probe; null when none answered (traceroute's *).</summary>
    public IPAddress? Address { get; }

    /// <summary>Who answered each probe of the hop, in the order they were sent; null for a probe without answer.</summary>
    public IPAddress?[] Responders { get; }

    /// <summary>The round trip of each probe of the hop, in the order they were sent; null for a probe without answer.</summary>
    public TimeSpan?[] RoundTripTimes { get; }

    /// <summary>What the hop answered: TimeExceeded from a router on the way, the destination's Reply or PortUnreachable, an unreachable that ends the trace, or NoReply.</summary>
    public UdpTraceStatus Status { get; }

    /// <summary>The ICMP error of the hop's first answered probe, or null.</summary>
    public IcmpReport? Icmp { get; }

    /// <summary>The ICMP type (11 time exceeded, 3 destination unreachable; ICMPv6 3, 1), or null.</summary>
    public int? IcmpType => Icmp?.Type;

    /// <summary>The ICMP code within the type, or null.</summary>
    public int? IcmpCode => Icmp?.Code;

    /// <summary>The destination's UDP reply, when the hop is the destination and it answered.</summary>
    public UdpDatagram? Reply { get; }

    /// <summary>True when the destination itself answered at this hop.</summary>
    public bool Reached { get; }

    /// <summary>On the trace's last hop: the destination's verdict as Test-UdpConnection gives it (Open, Closed, Filtered, OpenOrFiltered); null on the others.</summary>
    public UdpVerdict? Verdict { get; }

    /// <summary>The MTU a router reported while this hop was probed (ICMP fragmentation needed, ICMPv6 packet too big): where the path MTU drops; null elsewhere.</summary>
    public int? Mtu { get; }

    /// <summary>With -DiscoverMtu: the size in bytes (IP header included) of the don't-fragment probes that got through to this hop, the path MTU so far; the last hop's is the path's.</summary>
    public int? PathMtu { get; }

    /// <summary>The payload the probes carried: a probe's name (Dns, Echo...) or Custom.</summary>
    public string Probe { get; }

    /// <summary>The answering addresses for the table: "*" when none answered, several when probes of one hop took different paths.</summary>
    public string DisplayAddress { get; }

    /// <summary>The round trips as traceroute prints them: "0.412 ms  0.301 ms  *".</summary>
    public string RoundTrips { get; }

    /// <summary>The hop, address and status, as in a log line.</summary>
    public override string ToString() => string.Format(CultureInfo.InvariantCulture, "{0,2}  {1}  {2}  {3}", Hop, DisplayAddress, RoundTrips, Status);
}

/// <summary>What a hop of a trace answered.</summary>
public enum UdpTraceStatus
{
    /// <summary>A router on the way answered ICMP time exceeded (ICMPv6 3): the TTL ran out there.</summary>
    TimeExceeded,

    /// <summary>The destination answered with UDP: the port is open.</summary>
    Reply,

    /// <summary>The destination answered ICMP port unreachable: it was reached and nothing listens on the port.</summary>
    PortUnreachable,

    /// <summary>A firewall answered administratively prohibited (ICMP 3/9, 3/10, 3/13; ICMPv6 1/1): the trace ends there.</summary>
    AdministrativelyProhibited,

    /// <summary>Host unreachable: the trace ends there.</summary>
    HostUnreachable,

    /// <summary>Network unreachable (no route): the trace ends there.</summary>
    NetworkUnreachable,

    /// <summary>Protocol unreachable: the trace ends there.</summary>
    ProtocolUnreachable,

    /// <summary>Destination unreachable of another code: the trace ends there.</summary>
    OtherUnreachable,

    /// <summary>Fragmentation needed (ICMPv6 packet too big): a don't-fragment probe was larger than the next link's MTU (see Mtu).</summary>
    FragmentationNeeded,

    /// <summary>No probe of the hop was answered within the timeout (traceroute's *).</summary>
    NoReply,

    /// <summary>Another ICMP error (parameter problem).</summary>
    Other,
}
