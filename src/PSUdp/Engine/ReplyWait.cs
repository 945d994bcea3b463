using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;

namespace PSUdp.Engine;

/// <summary>
/// Waits for the replies to a datagram on the socket that sent it: either from the address the
/// datagram went to (a request and its answer) or from any address (a broadcast or a multicast
/// group, where every host's answer counts). Each wait is one call; nothing carries over.
/// </summary>
internal sealed class ReplyWait
{
    // How often a wait wakes to look at the cancellation token.
    private const int WakeMilliseconds = 100;

    private readonly Socket socket;
    private readonly Encoding encoding;
    private readonly DatagramReader reader;

    internal ReplyWait(Socket socket, Encoding encoding)
    {
        this.socket = socket;
        this.encoding = encoding;
        reader = new DatagramReader(socket);
    }

    /// <summary>
    /// Yields <paramref name="count"/> replies from the address of <paramref name="target"/>. Throws
    /// PortUnreachable when ICMP says nothing listens there, and ReplyTimeout when fewer replies came
    /// in time. Datagrams from any other address are not replies; they go to
    /// <paramref name="fromOtherAddresses"/>, so the caller can say that they came.
    /// </summary>
    internal IEnumerable<UdpDatagram> FromTarget(IPEndPoint target, int count, TimeSpan timeout, CancellationToken token,
        ICollection<UdpDatagram>? fromOtherAddresses = null)
    {
        IPAddress expected = Addresses.Normalize(target.Address);
        var clock = Stopwatch.StartNew();
        int got = 0;
        UdpDatagram? firstOther = null;
        int others = 0;
        while (got < count)
        {
            if (!TimeLeft(clock, timeout, token, out TimeSpan remaining))
            {
                throw Timeout(target, count, got, timeout, firstOther, others);
            }

            UdpDatagram? reply;
            try
            {
                reply = TryRead(remaining);
            }
            catch (SocketException e) when (IsRefusal(e))
            {
                throw new UdpException(UdpErrorKind.PortUnreachable,
                    $"{Addresses.Format(target)} answered ICMP port unreachable: nothing listens on UDP port {target.Port} there.",
                    Addresses.Format(target), e);
            }
            catch (SocketException e) when (IPLevel.IcmpFailures.IsIcmpError(e.SocketErrorCode))
            {
                // An ICMP error for the datagram (a router's time exceeded, fragmentation needed):
                // the error queue says which, and who sent it.
                throw IPLevel.IcmpFailures.FromQueue(socket, target, 0, e) ?? Load.SendFailures.From(e, target, 0);
            }

            if (reply is null)
            {
                continue;
            }

            if (reply.RemoteAddress.Equals(expected))
            {
                got++;
                yield return reply;
            }
            else
            {
                firstOther ??= reply;
                others++;
                fromOtherAddresses?.Add(reply);
            }
        }
    }

    // ReplyTimeout; when datagrams came from other addresses, it says which (the first) and that
    // they were not taken as replies, rather than suggest that nothing answered.
    private static UdpException Timeout(IPEndPoint target, int count, int got, TimeSpan timeout, UdpDatagram? firstOther, int others)
    {
        string what = count == 1 ? "No reply" : $"{got} of {count} replies";
        string message = $"{what} came from {Addresses.Format(target)} within {timeout.TotalSeconds:0.###} seconds.";
        if (firstOther is null)
        {
            return new UdpException(UdpErrorKind.ReplyTimeout, message, Addresses.Format(target), setting: UdpSetting.ReplyTimeout);
        }

        string more = others > 1 ? $" ({others:N0} datagrams from other addresses in all)" : string.Empty;
        return new UdpException(UdpErrorKind.ReplyTimeout,
            $"{message} A datagram did come from {Addresses.Format(firstOther.RemoteAddress, firstOther.RemotePort)}{more}, which is not the address it was sent to, so it was not taken as the reply.",
            Addresses.Format(target), setting: UdpSetting.ReplyFromOtherAddress);
    }

    /// <summary>
    /// Yields the replies from every address until <paramref name="timeout"/> has passed or
    /// <paramref name="most"/> came. ICMP refusals are ignored: one host's closed port says
    /// nothing about the others.
    /// </summary>
    internal IEnumerable<UdpDatagram> FromAnyAddress(int most, TimeSpan timeout, CancellationToken token)
    {
        var clock = Stopwatch.StartNew();
        int got = 0;
        while (got < most)
        {
            if (!TimeLeft(clock, timeout, token, out TimeSpan remaining))
            {
                yield break;
            }

            UdpDatagram? reply;
            try
            {
                reply = TryRead(remaining);
            }
            catch (SocketException e) when (IsRefusal(e) || IPLevel.IcmpFailures.IsIcmpError(e.SocketErrorCode))
            {
                continue;
            }

            if (reply is not null)
            {
                got++;
                yield return reply;
            }
        }
    }

    // Throws when cancelled; false when the wait is over.
    private static bool TimeLeft(Stopwatch clock, TimeSpan timeout, CancellationToken token, out TimeSpan remaining)
    {
        token.ThrowIfCancellationRequested();
        remaining = timeout - clock.Elapsed;
        return remaining > TimeSpan.Zero;
    }

    // One read of at most the wake interval; null when nothing came in that time.
    private UdpDatagram? TryRead(TimeSpan remaining)
    {
        socket.ReceiveTimeout = Math.Max(1, (int)Math.Ceiling(Math.Min(remaining.TotalMilliseconds, WakeMilliseconds)));
        try
        {
            return reader.Read().ToDatagram(encoding);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut || e.SocketErrorCode == SocketError.WouldBlock)
        {
            return null;
        }
    }

    private static bool IsRefusal(SocketException e) =>
        e.SocketErrorCode == SocketError.ConnectionRefused || e.SocketErrorCode == SocketError.ConnectionReset;
}
