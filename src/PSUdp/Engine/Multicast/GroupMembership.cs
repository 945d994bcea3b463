using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Sockets;

namespace PSUdp.Engine.Multicast;

/// <summary>What a listener is asked to join: groups, optionally only from some sources, on some interfaces.</summary>
internal sealed class MulticastRequest
{
    /// <summary>The groups to join; none for a listener that joins nothing.</summary>
    public IReadOnlyList<IPAddress> Groups { get; set; } = Array.Empty<IPAddress>();

    /// <summary>Join source-specifically: datagrams only from these senders; none for any source.</summary>
    public IReadOnlyList<IPAddress> Sources { get; set; } = Array.Empty<IPAddress>();

    /// <summary>Interface names (wildcards allowed) to join on; none for the system's choice.</summary>
    public IReadOnlyList<string> InterfaceNames { get; set; } = Array.Empty<string>();

    /// <summary>True when there is something to join.</summary>
    internal bool IsEmpty => Groups.Count == 0;
}

/// <summary>One membership: a group on an interface, from any source or from one.</summary>
/// <param name="Group">The group joined.</param>
/// <param name="Source">The only sender admitted (source-specific), or null for any source.</param>
/// <param name="Interface">The interface it is joined on.</param>
internal sealed record Membership(IPAddress Group, IPAddress? Source, MulticastInterface Interface)
{
    public override string ToString() =>
        Source is null ? $"{Group} on {Interface}" : $"{Group} from {Source} on {Interface}";
}

/// <summary>
/// The multicast groups one socket has joined. <see cref="Plan"/> checks a request before any
/// socket exists; <see cref="Join"/> makes every membership or, when one fails, undoes those it
/// made and throws, so nothing is left half-joined; <see cref="Leave"/> drops them all (closing the
/// socket would too, but leaving first makes the kernel send its leave reports now, and says
/// so when it cannot). Any-source joins use IP_ADD_MEMBERSHIP (struct ip_mreqn) and
/// IPV6_JOIN_GROUP (struct ipv6_mreq); source-specific ones MCAST_JOIN_SOURCE_GROUP.
/// </summary>
internal sealed class GroupMembership
{
    private readonly Socket socket;
    private readonly List<Membership> joined = new();

    private GroupMembership(Socket socket) => this.socket = socket;

    /// <summary>The memberships held now.</summary>
    internal IReadOnlyList<Membership> Joined => joined;

    /// <summary>
    /// The memberships a request asks for, checked against the local address the socket will bind;
    /// throws NotMulticastGroup, AddressFamilyMismatch, InterfaceNotFound or InterfaceDown.
    /// </summary>
    internal static IReadOnlyList<Membership> Plan(MulticastRequest request, IPAddress? localAddress)
    {
        if (request.IsEmpty)
        {
            return Array.Empty<Membership>();
        }

        List<IPAddress> groups = request.Groups.Select(Addresses.Normalize).Distinct().ToList();
        List<IPAddress> sources = request.Sources.Select(Addresses.Normalize).Distinct().ToList();
        foreach (IPAddress group in groups)
        {
            CheckGroup(group, localAddress, sources);
        }

        foreach (IPAddress source in sources)
        {
            CheckSource(source, groups);
        }

        IReadOnlyList<MulticastInterface> interfaces = request.InterfaceNames.Count == 0
            ? new[] { MulticastInterface.SystemChoice }
            : MulticastInterfaces.Resolve(request.InterfaceNames);
        var plan = new List<Membership>();
        foreach (IPAddress group in groups)
        {
            var from = sources.Where(s => s.AddressFamily == group.AddressFamily).ToList();
            foreach (MulticastInterface on in interfaces)
            {
                if (from.Count == 0)
                {
                    plan.Add(new Membership(group, null, on));
                }
                else
                {
                    plan.AddRange(from.Select(s => new Membership(group, s, on)));
                }
            }
        }

        return plan;
    }

    /// <summary>Makes every planned membership on the socket, or none: throws MulticastJoinRefused.</summary>
    internal static GroupMembership Join(Socket socket, IReadOnlyList<Membership> plan)
    {
        var membership = new GroupMembership(socket);
        foreach (AddressFamily family in plan.Select(m => m.Group.AddressFamily).Distinct())
        {
            MulticastSocketOptions.ReceiveOnlyJoinedGroups(socket, family);
        }

        foreach (Membership m in plan)
        {
            string? refusal = Apply(socket, m, join: true);
            if (refusal is not null)
            {
                membership.Leave();
                throw new UdpException(UdpErrorKind.MulticastJoinRefused,
                    $"The system refused to join {m}: {refusal}.", m.Group.ToString());
            }

            membership.joined.Add(m);
        }

        return membership;
    }

    /// <summary>Leaves every group, last joined first; the caller holds off closing the socket meanwhile.</summary>
    internal void Leave()
    {
        for (int i = joined.Count - 1; i >= 0; i--)
        {
            // A refusal here (the interface went away) changes nothing: closing the socket leaves too.
            Apply(socket, joined[i], join: false);
        }

        joined.Clear();
    }

    private static string? Apply(Socket socket, Membership m, bool join)
    {
        if (m.Source is { } source)
        {
            return join
                ? MulticastSocketOptions.JoinSource(socket, m.Group, source, m.Interface.Index)
                : MulticastSocketOptions.LeaveSource(socket, m.Group, source, m.Interface.Index);
        }

        try
        {
            if (m.Group.AddressFamily == AddressFamily.InterNetworkV6)
            {
                socket.SetSocketOption(SocketOptionLevel.IPv6, join ? SocketOptionName.AddMembership : SocketOptionName.DropMembership,
                    new IPv6MulticastOption(m.Group, m.Interface.Index));
            }
            else
            {
                socket.SetSocketOption(SocketOptionLevel.IP, join ? SocketOptionName.AddMembership : SocketOptionName.DropMembership,
                    new MulticastOption(m.Group, m.Interface.Index));
            }

            return null;
        }
        catch (SocketException e)
        {
            return e.Message;
        }
        catch (ObjectDisposedException)
        {
            return "the socket is closed";
        }
    }

    private static void CheckGroup(IPAddress group, IPAddress? localAddress, List<IPAddress> sources)
    {
        bool isV6 = group.AddressFamily == AddressFamily.InterNetworkV6;
        if (!IsMulticast(group))
        {
            throw new UdpException(UdpErrorKind.NotMulticastGroup,
                $"{group} is not a multicast group: IPv4 groups are 224.0.0.0 to 239.255.255.255, IPv6 groups start with ff.",
                group.ToString());
        }

        if (localAddress is { } local)
        {
            local = Addresses.Normalize(local);
            bool localIsV6 = local.AddressFamily == AddressFamily.InterNetworkV6;
            // Only the IPv6 wildcard is dual-mode; any other IPv6 address receives IPv6 only.
            bool receivesGroupFamily = isV6 ? localIsV6 : !localIsV6 || local.Equals(IPAddress.IPv6Any);
            if (!receivesGroupFamily)
            {
                throw new UdpException(UdpErrorKind.AddressFamilyMismatch,
                    $"The group {group} is an {(isV6 ? "IPv6" : "IPv4")} group, but the socket is bound to {local}, which receives {(localIsV6 ? "IPv6" : "IPv4")} only.",
                    group.ToString(), setting: UdpSetting.MulticastLocalAddress);
            }
        }

        if (sources.Count > 0 && !sources.Any(s => s.AddressFamily == group.AddressFamily))
        {
            throw new UdpException(UdpErrorKind.AddressFamilyMismatch,
                $"The group {group} is an {(isV6 ? "IPv6" : "IPv4")} group, but no source of that family was given, so it cannot be joined source-specifically.",
                group.ToString(), setting: UdpSetting.MulticastSource);
        }
    }

    private static void CheckSource(IPAddress source, List<IPAddress> groups)
    {
        if (IsMulticast(source) || source.Equals(IPAddress.Any) || source.Equals(IPAddress.IPv6Any))
        {
            throw new UdpException(UdpErrorKind.InvalidTarget,
                $"{source} cannot be the source of a datagram: a source is a host's unicast address.",
                source.ToString(), setting: UdpSetting.MulticastSource);
        }

        if (!groups.Any(g => g.AddressFamily == source.AddressFamily))
        {
            throw new UdpException(UdpErrorKind.AddressFamilyMismatch,
                $"The source {source} is an {(source.AddressFamily == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4")} address, but no group of that family was given.",
                source.ToString(), setting: UdpSetting.MulticastSource);
        }
    }

    /// <summary>224.0.0.0/4 or ff00::/8 (an IPv4-mapped address counts as IPv4).</summary>
    internal static bool IsMulticast(IPAddress address)
    {
        address = Addresses.Normalize(address);
        return address.AddressFamily == AddressFamily.InterNetworkV6
            ? address.IsIPv6Multicast
            : (address.GetAddressBytes()[0] & 0xF0) == 0xE0;
    }
}
