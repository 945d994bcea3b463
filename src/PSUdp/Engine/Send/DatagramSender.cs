using System;
using System.Diagnostics;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using PSUdp.Engine.Multicast;
using PSUdp.Engine.Icmp;
using PSUdp.Engine.Sockets;

namespace PSUdp.Engine.Send;

/// <summary>
/// One socket that sends every datagram of a pipeline. The socket is bound at construction, so a
/// bad local address or a busy port fails before anything is sent. Replies are read on the same
/// socket by a <see cref="ReplyWait"/> (<see cref="Replies"/>).
/// </summary>
internal sealed class DatagramSender : IDisposable
{
    private readonly Socket socket;
    private readonly Encoding encoding;
    // Read once: Socket.DualMode asks the kernel (getsockopt) on every call.
    private readonly bool dualMode;
    private readonly bool broadcast;
    private readonly bool dontFragment;
    private readonly IPLevel.RouteSource sources = new();
    private readonly MulticastOutlet? outlet;
    private ReplyWait? replies;
    private SendStamps? stamps;
    private IPEndPoint? lastTarget;
    private IPEndPoint? connectedTarget;
    private bool cannotConnect;

    internal DatagramSender(SocketOptions options, Encoding encoding)
    {
        socket = UdpSocketFactory.Create(options);
        this.encoding = encoding;
        broadcast = options.Broadcast;
        dontFragment = options.DontFragment;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        if (options.MulticastLoopback is { } loopback)
        {
            try
            {
                outlet = new MulticastOutlet(socket, options.MulticastInterfaces, loopback);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        dualMode = socket.AddressFamily == AddressFamily.InterNetworkV6 && socket.DualMode;
    }

    /// <summary>The address and port the datagrams leave from.</summary>
    internal IPEndPoint LocalEndPoint { get; }

    /// <summary>
    /// Set by a caller that sends every datagram to one endpoint and reads no replies: the socket
    /// is then connected to its target, so no send passes an address for .NET to serialize and the
    /// system to resolve (a fifth of the cost of a send on loopback); a connected socket still
    /// learns of ICMP port unreachable. Connecting also discards datagrams from any other
    /// endpoint, which is why it is not done for a caller that waits for replies.
    /// </summary>
    internal bool ConnectToTarget { get; set; }

    /// <summary>When <see cref="Send"/> last sent (Stopwatch ticks): where a reply's round trip starts.</summary>
    internal long LastSentAt { get; private set; }

    /// <summary>The number of the send's first copy among the socket's stamped sends (<see cref="TimeSends"/>); -1 when not stamped.</summary>
    internal int LastSendNumber { get; private set; } = -1;

    /// <summary>
    /// For a caller that waits for replies: from now on the kernel stamps each datagram as it
    /// leaves (<see cref="SendStamps"/>, Linux), and a reply's round trip runs from that stamp to
    /// the reply's receive stamp. Not for a caller that only sends: each stamp is an entry on the
    /// socket's error queue until a reply wait reads it.
    /// </summary>
    internal void TimeSends()
    {
        stamps ??= SendStamps.TryEnable(socket);
        // The reader switches the receive stamps on: before the first send, or a quick first reply comes without one.
        _ = Replies;
    }

    /// <summary>
    /// Set by <see cref="Send"/> when the system reported, on this call, an ICMP error that came
    /// back for an earlier datagram (a router's time exceeded, fragmentation needed) and this
    /// datagram was sent after all; the caller reports it and clears it.
    /// </summary>
    internal UdpException? EarlierFailure { get; set; }

    /// <summary>Waits for replies on this socket, from the address a datagram went to or from any.</summary>
    internal ReplyWait Replies => replies ??= new ReplyWait(socket, encoding, stamps);

    /// <summary>Throws unless a datagram to <paramref name="target"/> can leave this socket.</summary>
    internal void CheckTarget(IPEndPoint target, int payloadLength)
    {
        if (outlet is not null && MulticastOutlet.IsGroup(target.Address))
        {
            // An IPv6 group that could leave through several interfaces fails here, before anything is sent.
            _ = outlet.InterfacesFor(target.Address);
        }

        UdpSocketFactory.CheckFamily(LocalEndPoint, dualMode, target);

        // The target is formatted for the error only: a pipeline of a million datagrams would
        // otherwise make two strings per datagram.
        if (payloadLength > DatagramLimits.MaxPayload(target.AddressFamily))
        {
            DatagramLimits.Check(payloadLength, target.AddressFamily, Addresses.Format(target));
        }
    }

    /// <summary>
    /// Sends one datagram; throws <see cref="UdpException"/> when it cannot leave. Returns the
    /// endpoint that refused an earlier datagram (ICMP port unreachable, which Linux reports on the
    /// next call), or null: this datagram was sent either way.
    /// </summary>
    internal IPEndPoint? Send(IPEndPoint target, byte[] payload)
    {
        CheckTarget(target, payload.Length);
        LastSentAt = Stopwatch.GetTimestamp();
        LastSendNumber = -1;
        IPEndPoint? earlierRefusal = null;
        try
        {
            SendOne(target, payload, icmpErrorsRaw: true);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused || e.SocketErrorCode == SocketError.ConnectionReset)
        {
            // That call consumed the report, so this datagram can go now.
            earlierRefusal = lastTarget ?? target;
            SendOne(target, payload);
        }
        catch (SocketException e) when (IcmpFailures.IsIcmpError(e.SocketErrorCode))
        {
            SendAfterIcmpError(e, target, payload);
        }

        lastTarget = target;
        return earlierRefusal;
    }

    /// <summary>
    /// The datagram <see cref="Send"/> sent, as the object a cmdlet writes; its LocalAddress is
    /// the address it really left from (a wildcard bind asks the route, see <see cref="IPLevel.RouteSource"/>).
    /// </summary>
    internal UdpDatagram Describe(IPEndPoint target, byte[] payload)
    {
        bool connected = connectedTarget is not null && (ReferenceEquals(target, connectedTarget) || target.Equals(connectedTarget));
        IPAddress local = sources.For(target, LocalEndPoint.Address, connected ? socket : null);
        return new UdpDatagram(DatagramDirection.Sent, target, local, LocalEndPoint.Port, payload, truncated: false, encoding);
    }

    /// <summary>
    /// Sends one payload to one target many times, as the plan says (connected, and in batches,
    /// where it can), until the plan's end or <paramref name="token"/>; see <see cref="Load.LoadGenerator"/>.
    /// </summary>
    internal UdpSendSummary SendRepeatedly(IPEndPoint target, byte[] payload, Load.LoadPlan plan, CancellationToken token, Action<long, TimeSpan>? progress)
    {
        CheckTarget(target, payload.Length);
        UdpSendSummary summary = Load.LoadGenerator.Run(socket, target, IsConnectedTo(target), payload, plan, token, progress);
        lastTarget = target;
        return summary;
    }

    public void Dispose()
    {
        socket.Dispose();
        replies?.Dispose();
    }

    // With ConnectToTarget, connects to the target (again, should the caller send elsewhere after
    // all: not every system lets a connected socket send to another address). A target the system
    // will not connect to is sent to unconnected, so the send's own error says what is wrong.
    private bool IsConnectedTo(IPEndPoint target)
    {
        if (!ConnectToTarget || cannotConnect)
        {
            return false;
        }

        if (connectedTarget is not null && (ReferenceEquals(target, connectedTarget) || target.Equals(connectedTarget)))
        {
            return true;
        }

        try
        {
            socket.Connect(target);
            connectedTarget = target;
            return true;
        }
        catch (SocketException)
        {
            connectedTarget = null;
            cannotConnect = true;
            return false;
        }
    }

    // A send failed with an ICMP error. The error queue tells whether it is this datagram's (the
    // system knows the path MTU and refused it here: MessageTooLong) or an earlier one's that the
    // call only reported (a router's time exceeded or fragmentation needed): then this datagram
    // goes now, and the earlier failure is kept for the caller.
    private void SendAfterIcmpError(SocketException e, IPEndPoint target, byte[] payload)
    {
        IcmpReport? local = null;
        IcmpReport? earlier = null;
        List<IcmpReport> reports = stamps is { HasErrors: true } ? stamps.TakeErrors() : new List<IcmpReport>();
        reports.AddRange(IcmpErrorQueue.ReadAll(socket, stamps: stamps));
        foreach (IcmpReport report in reports)
        {
            if (report.Origin == IcmpOrigin.Local)
            {
                local = report;
            }
            else
            {
                earlier = report;
            }
        }

        if (local is not null || (earlier is null && e.SocketErrorCode == SocketError.MessageSize && dontFragment))
        {
            int? mtu = local?.Info > 0 ? (int)local.Info : IPLevel.PathMtu.Learned(target);
            throw IcmpFailures.TooLong(target, payload.Length, mtu, earlier?.Source, e);
        }

        if (earlier is null)
        {
            throw SendFailures.From(e, target, payload.Length, broadcast);
        }

        EarlierFailure = IcmpFailures.From(earlier, lastTarget ?? target, 0, e);
        try
        {
            SendOne(target, payload, icmpErrorsRaw: true);
        }
        catch (SocketException again) when (again.SocketErrorCode != SocketError.MessageSize)
        {
            EarlierFailure = null;
            throw SendFailures.From(again, target, payload.Length, broadcast);
        }
        catch (SocketException again)
        {
            // The earlier datagram taught the path MTU, and this one does not fit it either.
            int? mtu = IPLevel.PathMtu.Learned(target);
            EarlierFailure = null;
            throw IcmpFailures.TooLong(target, payload.Length, mtu, earlier.Source, again);
        }
    }

    // A datagram to a group goes out of each chosen interface in turn; any other, once. With
    // icmpErrorsRaw, the errors an ICMP error causes stay SocketExceptions, for the caller to look
    // at the error queue; every other failure becomes the engine's own.
    private void SendOne(IPEndPoint target, byte[] payload, bool icmpErrorsRaw = false)
    {
        IReadOnlyList<MulticastInterface>? outlets = outlet is not null && MulticastOutlet.IsGroup(target.Address)
            ? outlet.InterfacesFor(target.Address)
            : null;
        if (outlets is null || outlets.Count == 0)
        {
            SendCopy(target, payload, icmpErrorsRaw);
            return;
        }

        AddressFamily family = Addresses.Normalize(target.Address).AddressFamily;
        foreach (MulticastInterface way in outlets)
        {
            outlet!.Select(way, family);
            SendCopy(target, payload, icmpErrorsRaw);
        }
    }

    private void SendCopy(IPEndPoint target, byte[] payload, bool icmpErrorsRaw)
    {
        try
        {
            long utc = stamps is null ? 0 : SendStamps.Now();
            if (IsConnectedTo(target))
            {
                socket.Send(payload);
            }
            else
            {
                socket.SendTo(payload, target);
            }

            if (stamps is not null)
            {
                int number = stamps.Sent(utc);
                LastSendNumber = LastSendNumber < 0 ? number : LastSendNumber;
            }
        }
        catch (SocketException e) when (e.SocketErrorCode != SocketError.ConnectionRefused && e.SocketErrorCode != SocketError.ConnectionReset
            && !(icmpErrorsRaw && IcmpFailures.IsIcmpError(e.SocketErrorCode)))
        {
            throw SendFailures.From(e, target, payload.Length, broadcast);
        }
    }
}
