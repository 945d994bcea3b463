using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;

namespace PSUdp.Engine.Multicast;

/// <summary>
/// Where a sender's datagrams to groups leave: out of each chosen interface in turn
/// (IP_MULTICAST_IF by index / IPV6_MULTICAST_IF), heard by the sending host itself only when
/// asked (IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP, which the kernel turns on by default). An IPv6
/// group without a chosen interface leaves through the host's only IPv6 interface, and is refused
/// (AmbiguousMulticastInterface) when there are several. Datagrams to other hosts are not touched.
/// </summary>
internal sealed class MulticastOutlet
{
    private readonly Socket socket;
    private readonly IReadOnlyList<MulticastInterface> interfaces;
    private IReadOnlyList<MulticastInterface>? onlyIPv6;
    private MulticastInterface? selected;
    private AddressFamily selectedFamily;

    /// <summary>Sets loopback on the socket; <paramref name="interfaces"/> empty for the system's choice.</summary>
    internal MulticastOutlet(Socket socket, IReadOnlyList<MulticastInterface> interfaces, bool loopback)
    {
        this.socket = socket;
        this.interfaces = interfaces;
        bool v6 = socket.AddressFamily == AddressFamily.InterNetworkV6;
        if (!v6 || socket.DualMode)
        {
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastLoopback, loopback);
        }

        if (v6)
        {
            socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.MulticastLoopback, loopback);
        }

        if (interfaces.Count == 1)
        {
            // One way out: chosen once, so every path that sends on the socket (batches too) uses it.
            if (!v6 || socket.DualMode)
            {
                Select(interfaces[0], AddressFamily.InterNetwork);
            }

            if (v6)
            {
                Select(interfaces[0], AddressFamily.InterNetworkV6);
            }
        }
    }

    /// <summary>224.0.0.0/4 or ff00::/8, without allocating (this is asked for every datagram).</summary>
    internal static bool IsGroup(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            return address.IsIPv6Multicast || (address.IsIPv4MappedToIPv6 && IsGroup(address.MapToIPv4()));
        }

#pragma warning disable CS0618 // Address is the one allocation-free view of an IPv4 address here.
        return (address.Address & 0xF0) == 0xE0;
#pragma warning restore CS0618
    }

    /// <summary>
    /// The interfaces a datagram to the group leaves through, one copy each; empty for the
    /// system's choice. Throws AmbiguousMulticastInterface for an IPv6 group that could leave
    /// through several.
    /// </summary>
    internal IReadOnlyList<MulticastInterface> InterfacesFor(IPAddress group)
    {
        if (interfaces.Count > 0 || group.AddressFamily != AddressFamily.InterNetworkV6 || group.IsIPv4MappedToIPv6)
        {
            return interfaces;
        }

        return onlyIPv6 ??= MulticastInterfaces.OnlyIPv6Interface(group.ToString()) is { } only
            ? new[] { only }
            : Array.Empty<MulticastInterface>();
    }

    /// <summary>Makes the next datagram to a group of this family leave through the interface.</summary>
    internal void Select(MulticastInterface outlet, AddressFamily family)
    {
        if (ReferenceEquals(outlet, selected) && family == selectedFamily)
        {
            return;
        }

        string? refusal;
        if (family == AddressFamily.InterNetworkV6)
        {
            try
            {
                socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.MulticastInterface, outlet.Index);
                refusal = null;
            }
            catch (SocketException e)
            {
                refusal = e.Message;
            }
        }
        else
        {
            refusal = MulticastSocketOptions.SetIPv4SendInterface(socket, outlet.Index);
        }

        if (refusal is not null)
        {
            throw new UdpException(UdpErrorKind.SocketFailed,
                $"The system refused to send multicast out of {outlet.Name}: {refusal}.", outlet.Name);
        }

        selected = outlet;
        selectedFamily = family;
    }
}
