using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;

namespace PSUdp.Engine.IPLevel;

/// <summary>
/// The address a datagram really leaves from when its socket is bound to the wildcard: the source
/// the system picks for the route to the target. A socket connected to the target tells it by
/// getsockname; for any other target a connected probe socket (which sends nothing) asks the
/// routing table the same question. Remembered per target address.
/// </summary>
internal sealed class RouteSource
{
    private const int MaximumRemembered = 4096;
    private readonly Dictionary<IPAddress, IPAddress> sources = new();

    /// <summary>
    /// The source address for <paramref name="target"/>: <paramref name="bound"/> itself when it is
    /// not a wildcard, else what the system's route gives, else the wildcard of the target's family.
    /// </summary>
    internal IPAddress For(IPEndPoint target, IPAddress bound, Socket? connectedToTarget)
    {
        if (!bound.Equals(IPAddress.Any) && !bound.Equals(IPAddress.IPv6Any))
        {
            return Addresses.Normalize(bound);
        }

        if (connectedToTarget?.LocalEndPoint is IPEndPoint connected && !IsWildcard(connected.Address))
        {
            return Addresses.Normalize(connected.Address);
        }

        IPAddress key = Addresses.Normalize(target.Address);
        if (!sources.TryGetValue(key, out IPAddress? source))
        {
            source = Probe(new IPEndPoint(key, target.Port)) ?? Wildcard(key);
            if (sources.Count < MaximumRemembered)
            {
                sources[key] = source;
            }
        }

        return source;
    }

    private static IPAddress? Probe(IPEndPoint target)
    {
        try
        {
            using var probe = new Socket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            if (target.AddressFamily == AddressFamily.InterNetwork)
            {
                probe.EnableBroadcast = true; // so a broadcast target is a route like any other
            }

            probe.Connect(target);
            return probe.LocalEndPoint is IPEndPoint local && !IsWildcard(local.Address) ? Addresses.Normalize(local.Address) : null;
        }
        catch (SocketException)
        {
            return null; // no route: the send itself says so
        }
    }

    private static bool IsWildcard(IPAddress address) => address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any);

    private static IPAddress Wildcard(IPAddress target) =>
        target.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any;
}
