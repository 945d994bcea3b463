using System;

namespace PSUdp;

/// <summary>What went wrong, as a stable name; PSUdp's error ids are these names.</summary>
public enum UdpErrorKind
{
    /// <summary>A host name did not resolve to an address of the wanted family.</summary>
    NameNotResolved,

    /// <summary>The address family of a target does not fit the socket or the -IPv4/-IPv6 choice.</summary>
    AddressFamilyMismatch,

    /// <summary>The payload does not fit in one datagram.</summary>
    PayloadTooLarge,

    /// <summary>A -Hex string is not hexadecimal.</summary>
    InvalidHex,

    /// <summary>An encoding name or code page is not known.</summary>
    UnknownEncoding,

    /// <summary>ICMP said that nothing listens on the target port.</summary>
    PortUnreachable,

    /// <summary>No reply came within the timeout.</summary>
    ReplyTimeout,

    /// <summary>The local port is already in use.</summary>
    AddressInUse,

    /// <summary>The local address is not an address of this computer.</summary>
    AddressNotAvailable,

    /// <summary>The operating system refused the operation (a port below 1024 needs privileges).</summary>
    AccessDenied,

    /// <summary>No network interface has the given name.</summary>
    InterfaceNotFound,

    /// <summary>The network interface is not up.</summary>
    InterfaceDown,

    /// <summary>The network interface has no IPv4 broadcast address.</summary>
    NoBroadcastAddress,

    /// <summary>The address cannot be a destination, such as 0.0.0.42 (the system resolves '42' so).</summary>
    InvalidTarget,

    /// <summary>The network is unreachable from this host.</summary>
    NetworkUnreachable,

    /// <summary>Any other socket failure.</summary>
    SocketFailed,

    /// <summary>The system refused an IP-level socket option (TTL, DSCP, don't-fragment).</summary>
    SocketOptionRefused,

    /// <summary>A don't-fragment datagram is larger than the path MTU allows.</summary>
    MessageTooLong,

    /// <summary>A DSCP name is not known.</summary>
    InvalidDscp,

    /// <summary>A router on the way answered ICMP time exceeded: the TTL (hop limit) ran out before the target.</summary>
    TimeExceeded,

    /// <summary>A router or firewall on the way answered ICMP administratively prohibited.</summary>
    AdministrativelyProhibited,

    /// <summary>An address given as a multicast group is not one (IPv4 224.0.0.0/4, IPv6 ff00::/8).</summary>
    NotMulticastGroup,

    /// <summary>The system refused to join a multicast group (no multicast route, too many memberships).</summary>
    MulticastJoinRefused,

    /// <summary>An IPv6 group could leave through several interfaces, and none was named.</summary>
    AmbiguousMulticastInterface,

    /// <summary>A capture file cannot be opened, read or written.</summary>
    CaptureFileFailed,

    /// <summary>A capture file's format or link type does not fit what is asked of it (appending).</summary>
    CaptureFormatMismatch,

    /// <summary>A capture file ends in the middle of a record; its offset is in the message.</summary>
    CaptureTruncated,

    /// <summary>A capture file is damaged or is not a pcap or pcapng file; the offset is in the message.</summary>
    CaptureCorrupt,

    /// <summary>Test-UdpConnection has no protocol probe of that name.</summary>
    UnknownProbe,
}

/// <summary>
/// A failure of PSUdp's socket engine, with a stable <see cref="UdpErrorKind"/>. The engine's
/// message states the facts in its own terms; the cmdlets' advice is added by
/// <see cref="WithAdvice"/> (Commands/ErrorRecords.cs), so the engine never names a parameter.
/// </summary>
public sealed class UdpException : Exception
{
    internal UdpException(UdpErrorKind kind, string message, object? target = null, Exception? inner = null,
        UdpSetting setting = UdpSetting.None, string? family = null, IcmpReport? icmp = null)
        : base(message, inner)
    {
        Kind = kind;
        Target = target;
        Setting = setting;
        Family = family;
        Icmp = icmp;
    }

    /// <summary>What went wrong; also the PowerShell error id.</summary>
    public UdpErrorKind Kind { get; }

    /// <summary>The value the failure is about: a host name, an endpoint, a port.</summary>
    public object? Target { get; }

    /// <summary>The ICMP error behind the failure (type, code, the address that sent it), when an ICMP message caused it; else null.</summary>
    public IcmpReport? Icmp { get; }

    /// <summary>Which of the caller's engine settings the failure turns on, for advice in the caller's terms.</summary>
    internal UdpSetting Setting { get; }

    /// <summary>The address family in force (IPv4 or IPv6) when that is the fact, else null.</summary>
    internal string? Family { get; }

    /// <summary>The same failure with advice appended to its message.</summary>
    internal UdpException WithAdvice(string advice) =>
        advice.Length == 0 ? this : new UdpException(Kind, $"{Message} {advice}", Target, InnerException, Setting, Family, Icmp);
}

/// <summary>The engine setting a failure turns on; the cmdlets name the parameter behind it.</summary>
internal enum UdpSetting
{
    /// <summary>No setting of the caller's would help.</summary>
    None,

    /// <summary>The local address (SocketOptions.LocalAddress) is not one of this computer's.</summary>
    LocalAddress,

    /// <summary>The local address is not of the family the caller chose; <see cref="UdpException.Family"/> is the chosen one.</summary>
    LocalAddressFamily,

    /// <summary>A name has no address of the family the caller chose; <see cref="UdpException.Family"/> is the chosen one.</summary>
    NameFamily,

    /// <summary>The target does not fit the socket's family (chosen, or set by the local address); <see cref="UdpException.Family"/> is the socket's.</summary>
    SocketFamily,

    /// <summary>The port is held by another socket; sharing it (SocketOptions.ReuseAddress) would bind it.</summary>
    ReuseAddress,

    /// <summary>A reply wait ran out of time; a longer wait might see the reply.</summary>
    ReplyTimeout,

    /// <summary>The socket may not send to broadcast addresses (SocketOptions.Broadcast is off).</summary>
    Broadcast,

    /// <summary>The TTL (SocketOptions.TimeToLive) ran out on the way; a larger one reaches further.</summary>
    TimeToLive,

    /// <summary>Don't-fragment (SocketOptions.DontFragment) is on and the datagram does not fit the path.</summary>
    DontFragment,

    /// <summary>A reply wait ran out of time, and datagrams came from another address than the target's.</summary>
    ReplyFromOtherAddress,

    /// <summary>A multicast source (MulticastRequest.Sources) is not a unicast address, or has no group of its family.</summary>
    MulticastSource,

    /// <summary>A multicast group cannot arrive at the bound local address (another family).</summary>
    MulticastLocalAddress,
}
