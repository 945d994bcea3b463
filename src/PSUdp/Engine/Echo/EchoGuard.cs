using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace PSUdp.Engine.Echo;

/// <summary>
/// Decides whether an echo server may answer a datagram. It refuses what a network admin expects
/// an echo service to refuse: sources that cannot be answered (broadcast, multicast, unspecified
/// addresses, port 0), the ports of the UDP services that answer every datagram (echo 7, daytime
/// 13, qotd 17, chargen 19, time 37: the inetd rule against echo-chargen loops), the server's own
/// endpoint (for a wildcard bind: its port on the address the datagram came to, or on loopback),
/// and more than <see cref="MaximumRate"/> echoes per second to one peer (a token bucket that
/// holds one second's worth). Two echo servers pointed at each other therefore exchange one burst
/// and then one of them refuses the datagram in flight, which ends the loop. Used by one thread only.
/// </summary>
internal sealed class EchoGuard
{
    private static readonly HashSet<int> LoopingServicePorts = new() { 7, 13, 17, 19, 37 };

    // Peers remembered for rate limiting; the table is cleared when it grows past this.
    private const int MaximumPeers = 16384;

    private readonly Dictionary<IPEndPoint, Bucket> buckets = new();
    private readonly IPEndPoint own;

    // The verdict on the last (source, destination) address pair. A receive loop hands over the
    // same address objects while one peer streams, so the address checks run once per peer.
    private IPAddress? lastRemote;
    private IPAddress? lastLocal;
    private bool lastUnanswerable;

    internal EchoGuard(IPEndPoint own, int maximumRate)
    {
        this.own = own;
        MaximumRate = maximumRate;
    }

    /// <summary>Echoes per second allowed to one peer; 0 for no limit.</summary>
    internal int MaximumRate { get; }

    /// <summary>Why a datagram from <paramref name="remote"/> must not be echoed, or null to echo it.</summary>
    [MethodImpl(HotPath.Optimized)]
    internal string? Refuse(IPAddress remote, int port, IPAddress local)
    {
        if (port == 0)
        {
            return "source port 0";
        }

        if (!ReferenceEquals(remote, lastRemote) || !ReferenceEquals(local, lastLocal))
        {
            lastUnanswerable = remote.Equals(IPAddress.Any) || remote.Equals(IPAddress.IPv6Any) || remote.Equals(IPAddress.Broadcast) ||
                IsMulticast(remote) || IsDirectedBroadcastSource(remote, local);
            lastRemote = remote;
            lastLocal = local;
        }

        if (lastUnanswerable)
        {
            return "a source address that cannot be answered";
        }

        if (LoopingServicePorts.Contains(port))
        {
            return $"source port {port}, a service that answers every datagram";
        }

        if (IsOwnEndPoint(remote, port, local))
        {
            return "the server's own endpoint";
        }

        return MaximumRate > 0 && !TakeToken(new IPEndPoint(remote, port)) ? $"more than {MaximumRate} echoes per second to this peer" : null;
    }

    private bool TakeToken(IPEndPoint peer)
    {
        long now = Stopwatch.GetTimestamp();
        if (!buckets.TryGetValue(peer, out Bucket? bucket))
        {
            if (buckets.Count >= MaximumPeers)
            {
                buckets.Clear();
            }

            bucket = new Bucket { Tokens = MaximumRate, Stamp = now };
            buckets[peer] = bucket;
        }

        double refill = (now - bucket.Stamp) * (double)MaximumRate / Stopwatch.Frequency;
        bucket.Tokens = Math.Min(MaximumRate, bucket.Tokens + refill);
        bucket.Stamp = now;
        if (bucket.Tokens < 1)
        {
            return false;
        }

        bucket.Tokens -= 1;
        return true;
    }

    private static bool IsMulticast(IPAddress address) => address.AddressFamily == AddressFamily.InterNetworkV6
        ? address.IsIPv6Multicast
        : (address.GetAddressBytes()[0] & 0xF0) == 0xE0;

    // A source equal to the address the datagram was sent to, when that is a broadcast (x.x.x.255
    // style), is a forged or reflected broadcast: answering it would flood the segment.
    private static bool IsDirectedBroadcastSource(IPAddress remote, IPAddress local) =>
        remote.AddressFamily == AddressFamily.InterNetwork && remote.Equals(local) && remote.GetAddressBytes()[3] == 255;

    // A server bound to a wildcard owns that port on every local address. A source equal to the
    // address the datagram arrived at is one of them, and so is loopback; an echo there would
    // come straight back to this server.
    private bool IsOwnEndPoint(IPAddress remote, int port, IPAddress local) =>
        port == own.Port && (remote.Equals(Addresses.Normalize(own.Address)) ||
            IsWildcard(own.Address) && (remote.Equals(local) || IPAddress.IsLoopback(remote)));

    private static bool IsWildcard(IPAddress address) => address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any);

    private sealed class Bucket
    {
        public double Tokens;
        public long Stamp;
    }
}
