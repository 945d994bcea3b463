using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;

namespace PSUdp.Engine;

/// <summary>
/// One socket that sends every datagram of a pipeline and, when asked, waits for replies on it.
/// The socket is bound at construction, so a bad local address or a busy port fails before
/// anything is sent.
/// </summary>
internal sealed class DatagramSender : IDisposable
{
    // How often a reply wait wakes to look at the cancellation token.
    private const int WakeMilliseconds = 100;

    private readonly Socket socket;
    private readonly Encoding encoding;
    // Read once: Socket.DualMode asks the kernel (getsockopt) on every call.
    private readonly bool dualMode;
    private DatagramReader? reader;
    private IPEndPoint? lastTarget;
    private IPEndPoint? connectedTarget;
    private bool cannotConnect;

    internal DatagramSender(SocketOptions options, Encoding encoding)
    {
        socket = UdpSocketFactory.Create(options);
        this.encoding = encoding;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        dualMode = socket.AddressFamily == AddressFamily.InterNetworkV6 && socket.DualMode;
    }

    /// <summary>The address and port the datagrams leave from.</summary>
    internal IPEndPoint LocalEndPoint { get; }

    /// <summary>
    /// Set by a caller that sends every datagram to one endpoint and reads no replies. The socket
    /// is then connected to that endpoint, so no send passes an address for .NET to serialize and
    /// the system to resolve (a fifth of the cost of a send on loopback); a connected socket still
    /// learns of ICMP port unreachable. Connecting also discards datagrams from any other
    /// endpoint, which is why it is not done for a caller that waits for replies.
    /// </summary>
    internal bool OneTarget { get; set; }

    /// <summary>
    /// Set by <see cref="Send"/> when the system reported that an earlier datagram, to this
    /// endpoint, was refused (ICMP port unreachable); the caller reports it and clears it.
    /// </summary>
    internal IPEndPoint? EarlierRefusal { get; set; }

    /// <summary>Throws unless a datagram to <paramref name="target"/> can leave this socket.</summary>
    internal void CheckTarget(IPEndPoint target, int payloadLength)
    {
        bool targetIsV6 = target.AddressFamily == AddressFamily.InterNetworkV6;
        bool socketIsV6 = socket.AddressFamily == AddressFamily.InterNetworkV6;
        if (targetIsV6 && !socketIsV6)
        {
            throw new UdpException(UdpErrorKind.AddressFamilyMismatch,
                $"{Addresses.Format(target)} is an IPv6 address, but the socket is IPv4 (bound to {Addresses.Format(LocalEndPoint)}). Give an IPv4 target, or an IPv6 -LocalAddress, or leave out -IPv4.",
                Addresses.Format(target));
        }

        if (!targetIsV6 && socketIsV6 && !dualMode)
        {
            throw new UdpException(UdpErrorKind.AddressFamilyMismatch,
                $"{Addresses.Format(target)} is an IPv4 address, but the socket is IPv6 only (bound to {Addresses.Format(LocalEndPoint)}). Give an IPv6 target, or an IPv4 -LocalAddress, or leave out -IPv6.",
                Addresses.Format(target));
        }

        // The target is formatted for the error only: a pipeline of a million datagrams would
        // otherwise make two strings per datagram.
        if (payloadLength > DatagramLimits.MaxPayload(target.AddressFamily))
        {
            DatagramLimits.Check(payloadLength, target.AddressFamily, Addresses.Format(target));
        }
    }

    /// <summary>Sends one datagram and describes it; throws <see cref="UdpException"/> when it cannot leave.</summary>
    internal UdpDatagram Send(IPEndPoint target, byte[] payload)
    {
        Transmit(target, payload);
        IPAddress local = LocalEndPoint.Address;
        if (local.Equals(IPAddress.IPv6Any) && target.AddressFamily == AddressFamily.InterNetwork)
        {
            local = IPAddress.Any;
        }

        return new UdpDatagram(DatagramDirection.Sent, target, local, LocalEndPoint.Port, payload, truncated: false, encoding);
    }

    /// <summary>Sends one datagram, for callers that do not write it; throws <see cref="UdpException"/> when it cannot leave.</summary>
    internal void Transmit(IPEndPoint target, byte[] payload)
    {
        CheckTarget(target, payload.Length);
        try
        {
            SendOne(target, payload);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused || e.SocketErrorCode == SocketError.ConnectionReset)
        {
            // Linux reports an ICMP error for an earlier datagram on the next call; that call
            // consumed it, so this datagram can go now.
            EarlierRefusal = lastTarget ?? target;
            SendOne(target, payload);
        }

        lastTarget = target;
    }

    /// <summary>
    /// Yields up to <paramref name="count"/> replies from the target's address. Throws PortUnreachable
    /// when ICMP says nothing listens there, and ReplyTimeout when fewer replies came in time.
    /// With <paramref name="fromAnyAddress"/> (a broadcast), every host's reply counts, refusals are
    /// ignored, and the timeout simply ends the collection.
    /// </summary>
    internal IEnumerable<UdpDatagram> ReceiveReplies(IPEndPoint target, int count, TimeSpan timeout, CancellationToken token, bool fromAnyAddress = false)
    {
        reader ??= new DatagramReader(socket);
        IPAddress expected = Addresses.Normalize(target.Address);
        var clock = Stopwatch.StartNew();
        int got = 0;
        while (got < count)
        {
            token.ThrowIfCancellationRequested();
            TimeSpan remaining = timeout - clock.Elapsed;
            if (remaining <= TimeSpan.Zero && fromAnyAddress)
            {
                yield break;
            }

            if (remaining <= TimeSpan.Zero)
            {
                string what = count == 1 ? "No reply" : $"{got} of {count} replies";
                throw new UdpException(UdpErrorKind.ReplyTimeout,
                    $"{what} came from {Addresses.Format(target)} within {timeout.TotalSeconds:0.###} seconds. Check that a service answers on that port and that no firewall drops the traffic, or wait longer with -TimeoutSeconds.",
                    Addresses.Format(target));
            }

            UdpDatagram? reply = TryRead((int)Math.Ceiling(Math.Min(remaining.TotalMilliseconds, WakeMilliseconds)), target, fromAnyAddress);
            if (reply is not null && (fromAnyAddress || reply.RemoteAddress.Equals(expected)))
            {
                got++;
                yield return reply;
            }
        }
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

    public void Dispose() => socket.Dispose();

    private UdpDatagram? TryRead(int timeoutMilliseconds, IPEndPoint target, bool ignoreRefusals)
    {
        socket.ReceiveTimeout = Math.Max(1, timeoutMilliseconds);
        try
        {
            return reader!.Read().ToDatagram(encoding);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut || e.SocketErrorCode == SocketError.WouldBlock)
        {
            return null;
        }
        catch (SocketException e) when (ignoreRefusals && (e.SocketErrorCode == SocketError.ConnectionRefused || e.SocketErrorCode == SocketError.ConnectionReset))
        {
            return null;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused || e.SocketErrorCode == SocketError.ConnectionReset)
        {
            throw new UdpException(UdpErrorKind.PortUnreachable,
                $"{Addresses.Format(target)} answered ICMP port unreachable: nothing listens on UDP port {target.Port} there. Check the port number and that the service runs.",
                Addresses.Format(target), e);
        }
    }

    // With OneTarget, connects to the target (again, should the caller send elsewhere after all:
    // not every system lets a connected socket send to another address). A target the system
    // will not connect to is sent to unconnected, so the send's own error says what is wrong.
    private bool IsConnectedTo(IPEndPoint target)
    {
        if (!OneTarget || cannotConnect)
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

    private void SendOne(IPEndPoint target, byte[] payload)
    {
        try
        {
            if (IsConnectedTo(target))
            {
                socket.Send(payload);
            }
            else
            {
                socket.SendTo(payload, target);
            }
        }
        catch (SocketException e) when (e.SocketErrorCode != SocketError.ConnectionRefused && e.SocketErrorCode != SocketError.ConnectionReset)
        {
            string endPoint = Addresses.Format(target);
            throw e.SocketErrorCode switch
            {
                SocketError.NetworkUnreachable or SocketError.HostUnreachable => new UdpException(UdpErrorKind.NetworkUnreachable,
                    $"{endPoint} cannot be reached from this host ({e.SocketErrorCode}). Check the address, the routes and the network connection.", endPoint, e),
                SocketError.InvalidArgument or SocketError.AddressNotAvailable => new UdpException(UdpErrorKind.InvalidTarget,
                    $"The system cannot send to {endPoint}: that address cannot be a destination. Check the address; note that a bare number such as 42 means 0.0.0.42 to the system's resolver.", endPoint, e),
                SocketError.MessageSize => new UdpException(UdpErrorKind.PayloadTooLarge,
                    $"The system refused a {payload.Length:N0}-byte datagram to {endPoint} as too large. Send smaller datagrams.", endPoint, e),
                SocketError.AccessDenied => new UdpException(UdpErrorKind.AccessDenied,
                    $"The system refused to send to {endPoint} ({e.SocketErrorCode}). Sending to a broadcast address needs Send-UdpBroadcast; a firewall may also refuse it.", endPoint, e),
                _ => new UdpException(UdpErrorKind.SocketFailed,
                    $"Sending to {endPoint} failed: {e.Message} ({e.SocketErrorCode}).", endPoint, e),
            };
        }
    }
}
