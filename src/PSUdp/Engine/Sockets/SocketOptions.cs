using System;
using System.Collections.Generic;
using System.Net;
using PSUdp.Engine.Multicast;

namespace PSUdp.Engine.Sockets;

/// <summary>How <see cref="UdpSocketFactory"/> makes and binds a socket.</summary>
internal sealed class SocketOptions
{
    /// <summary>The address to bind; null binds the wildcard of the chosen family.</summary>
    public IPAddress? LocalAddress { get; set; }

    /// <summary>The port to bind; 0 lets the system choose.</summary>
    public int LocalPort { get; set; }

    /// <summary>The family, when <see cref="LocalAddress"/> does not decide it.</summary>
    public AddressFamilyChoice Family { get; set; }

    /// <summary>Lets other sockets bind the same port (SO_REUSEADDR).</summary>
    public bool ReuseAddress { get; set; }

    /// <summary>Allows sending to broadcast addresses (SO_BROADCAST).</summary>
    public bool Broadcast { get; set; }

    /// <summary>The interface what is sent must leave through (SO_BINDTODEVICE on Linux), or null.</summary>
    public string? Device { get; set; }

    /// <summary>The interfaces a datagram to a multicast group leaves through, one copy each; empty for the system's choice.</summary>
    public IReadOnlyList<MulticastInterface> MulticastInterfaces { get; set; } = Array.Empty<MulticastInterface>();

    /// <summary>
    /// Whether this host hears its own datagrams to groups (IP_MULTICAST_LOOP); null leaves the
    /// socket as the system makes it (on) and leaves <see cref="MulticastInterfaces"/> unused.
    /// </summary>
    public bool? MulticastLoopback { get; set; }

    /// <summary>The kernel's receive buffer for the socket in bytes (SO_RCVBUF); 0 keeps the system's default.</summary>
    public int KernelReceiveBufferSize { get; set; }

    /// <summary>The IPv4 TTL or IPv6 hop limit of what the socket sends, unicast and multicast alike; null keeps the system's.</summary>
    public int? TimeToLive { get; set; }

    /// <summary>The DSCP (0-63) of what the socket sends, in the TOS or traffic class with its ECN bits left as they are; null keeps the system's.</summary>
    public int? Dscp { get; set; }

    /// <summary>Sets IPv4 don't-fragment with path-MTU discovery (IP_PMTUDISC_DO) and IPv6 IPV6_DONTFRAG: too large a datagram fails instead of being fragmented.</summary>
    public bool DontFragment { get; set; }

    /// <summary>
    /// With <see cref="DontFragment"/> on Linux: IP_PMTUDISC_PROBE, which sets DF but ignores the
    /// path MTU the system learned, so a datagram leaves at its size and the router where it does
    /// not fit says so (tracepath's way); only the interface's MTU still refuses it here.
    /// </summary>
    public bool ProbePathMtu { get; set; }

    /// <summary>
    /// True for listeners: an ICMP error caused by one datagram must not end the receive loop
    /// (on Windows it would, unless SIO_UDP_CONNRESET is switched off).
    /// </summary>
    public bool IgnoreIcmpErrors { get; set; }
}
