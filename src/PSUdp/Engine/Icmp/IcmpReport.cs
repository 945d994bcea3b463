using System.Net;
using PSUdp.Engine;
using PSUdp.Engine.Icmp;

namespace PSUdp;

/// <summary>
/// One ICMP error that came back for a datagram PSUdp sent, as the system reported it: on Linux
/// from the socket's error queue (IP_RECVERR / IPV6_RECVERR: type, code, the address that sent
/// it, the datagram's original destination); elsewhere only the error the socket call returned,
/// and then <see cref="Type"/>, <see cref="Code"/> and <see cref="Source"/> are null.
/// </summary>
public sealed class IcmpReport
{
    internal IcmpReport(IcmpOrigin origin, int? type, int? code, IPAddress? source, IPEndPoint? originalDestination,
        uint info, int errorNumber, IcmpKind? kind = null, byte[]? originalPayload = null)
    {
        Origin = origin;
        Type = type;
        Code = code;
        Source = source is null ? null : Addresses.Normalize(source);
        OriginalDestination = originalDestination is null
            ? null
            : new IPEndPoint(Addresses.Normalize(originalDestination.Address), originalDestination.Port);
        Info = info;
        ErrorNumber = errorNumber;
        Kind = kind ?? IcmpKinds.Classify(origin, type, code);
        OriginalPayload = originalPayload ?? System.Array.Empty<byte>();
    }

    /// <summary>When the ICMP message arrived by the kernel's clock (UTC ticks), or 0 where the system does not tell.</summary>
    internal long ArrivedUtcTicks { get; set; }

    /// <summary>Who reported the error: an ICMP or ICMPv6 message, this host's own stack, or the platform without detail.</summary>
    public IcmpOrigin Origin { get; }

    /// <summary>The ICMP type (3 destination unreachable, 11 time exceeded; ICMPv6 1, 2, 3), or null where the platform does not tell.</summary>
    public int? Type { get; }

    /// <summary>The ICMP code within the type (3 port unreachable, 13 administratively prohibited), or null where the platform does not tell.</summary>
    public int? Code { get; }

    /// <summary>The address that sent the ICMP message (the target, or a router or firewall on the way), or null where the platform does not tell.</summary>
    public IPAddress? Source { get; }

    /// <summary>Where the datagram that caused the error was going, or null where the platform does not tell.</summary>
    public IPEndPoint? OriginalDestination { get; }

    /// <summary>The ICMP message's extra figure: the next-hop MTU of "fragmentation needed" and "packet too big"; 0 otherwise.</summary>
    public uint Info { get; }

    /// <summary>What the error means, as a name.</summary>
    public IcmpKind Kind { get; }

    /// <summary>True when the system told the ICMP type, code and source (Linux); false when it gave only an error code.</summary>
    public bool IsDetailed => Type.HasValue;

    /// <summary>The operating system's error number for the error (ECONNREFUSED, EHOSTUNREACH), 0 where unknown.</summary>
    internal int ErrorNumber { get; }

    /// <summary>The start of the datagram that caused the error, as the ICMP message quoted it (Linux), else empty.</summary>
    internal byte[] OriginalPayload { get; }

    /// <summary>Says what happened in words, with the type and code, such as "ICMP destination unreachable: communication administratively prohibited (type 3, code 13)".</summary>
    public string Description => IcmpKinds.Describe(this);

    /// <summary>The description and the sender, as in a log line.</summary>
    public override string ToString() => Source is null ? Description : $"{Description} from {Source}";
}

/// <summary>Who reported an ICMP error.</summary>
public enum IcmpOrigin
{
    /// <summary>The platform reported an error code only: no type, code or source.</summary>
    Unknown,

    /// <summary>This host's own stack (a datagram too large for the path MTU it knows).</summary>
    Local,

    /// <summary>An ICMP (IPv4) message.</summary>
    Icmp,

    /// <summary>An ICMPv6 message.</summary>
    Icmp6,
}

/// <summary>What an ICMP error means for the datagram that caused it.</summary>
public enum IcmpKind
{
    /// <summary>Nothing listens on the UDP port (ICMP 3/3, ICMPv6 1/4): nmap's "closed".</summary>
    PortUnreachable,

    /// <summary>The host cannot be reached (ICMP 3/1, 3/7, 3/8, 3/12; ICMPv6 1/3).</summary>
    HostUnreachable,

    /// <summary>The network cannot be reached (ICMP 3/0, 3/6, 3/11; ICMPv6 1/0, 1/2).</summary>
    NetworkUnreachable,

    /// <summary>The host does not speak UDP (ICMP 3/2).</summary>
    ProtocolUnreachable,

    /// <summary>A firewall or policy refused the datagram (ICMP 3/9, 3/10, 3/13, 3/14, 3/15; ICMPv6 1/1, 1/5, 1/6).</summary>
    AdministrativelyProhibited,

    /// <summary>The datagram needs fragmenting but may not be (ICMP 3/4), or is too big for a link (ICMPv6 2); <see cref="IcmpReport.Info"/> is the MTU.</summary>
    FragmentationNeeded,

    /// <summary>Destination unreachable of another code (source route failed, ICMPv6 1/7).</summary>
    OtherUnreachable,

    /// <summary>The time to live (hop limit) ran out on the way (ICMP 11, ICMPv6 3).</summary>
    TimeExceeded,

    /// <summary>Any other ICMP error (parameter problem), or one the platform did not describe.</summary>
    Other,
}
