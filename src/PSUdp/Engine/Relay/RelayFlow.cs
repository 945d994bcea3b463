using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;

namespace PSUdp.Engine.Relay;

/// <summary>
/// One client of a relay, as a NAT keeps it: the client's endpoint and the relay's own upstream
/// socket for it, connected to the target, so the target's answers on that socket go back to that
/// client only, and nothing but the target can answer on it.
/// </summary>
internal sealed class RelayFlow : IDisposable
{
    private long lastActive;
    private int inFlight;
    private HeldDatagram? heldToTarget;
    private HeldDatagram? heldToClient;

    internal RelayFlow(IPEndPoint client, Socket upstream, long now)
    {
        Client = client;
        Upstream = upstream;
        UpstreamLocal = (IPEndPoint)upstream.LocalEndPoint!;
        lastActive = now;
        Receive = new SocketAsyncEventArgs { UserToken = this };
        Receive.SetBuffer(new byte[DatagramLimits.MaxDatagramLength], 0, DatagramLimits.MaxDatagramLength);
    }

    internal IPEndPoint Client { get; }

    internal Socket Upstream { get; }

    /// <summary>The upstream socket's own endpoint: where the target sees this client come from.</summary>
    internal IPEndPoint UpstreamLocal { get; }

    /// <summary>The upstream socket's pending receive.</summary>
    internal SocketAsyncEventArgs Receive { get; }

    internal volatile bool Closed;

    /// <summary>When a datagram last went through, either way (Stopwatch ticks).</summary>
    internal long LastActive => Interlocked.Read(ref lastActive);

    /// <summary>Datagrams of this flow the relay holds; a flow with some does not expire.</summary>
    internal int InFlight => Volatile.Read(ref inFlight);

    internal void Touch(long now) => Interlocked.Exchange(ref lastActive, now);

    internal void Holding() => Interlocked.Increment(ref inFlight);

    internal void Released() => Interlocked.Decrement(ref inFlight);

    internal void HoldBack(RelayDirection direction, HeldDatagram held) =>
        Volatile.Write(ref direction == RelayDirection.ToTarget ? ref heldToTarget : ref heldToClient, held);

    /// <summary>Takes the datagram held back in <paramref name="direction"/>, leaving none.</summary>
    internal HeldDatagram? TakeHeldBack(RelayDirection direction) =>
        Interlocked.Exchange(ref direction == RelayDirection.ToTarget ? ref heldToTarget : ref heldToClient, null);

    /// <summary>Takes <paramref name="held"/> if it is still the one held back; false when the next datagram took it first.</summary>
    internal bool TakeHeldBack(RelayDirection direction, HeldDatagram held) =>
        ReferenceEquals(Interlocked.CompareExchange(ref direction == RelayDirection.ToTarget ? ref heldToTarget : ref heldToClient, null, held), held);

    public void Dispose()
    {
        Closed = true;
        Upstream.Dispose();
    }
}
