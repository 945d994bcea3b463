using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using PSUdp.Engine.Icmp;
using PSUdp.Engine.Receive;
using PSUdp.Engine.Sockets;

namespace PSUdp.Engine.Send;

/// <summary>
/// Waits for the replies to a datagram on the socket that sent it: either from the address the
/// datagram went to (a request and its answer) or from any address (a broadcast or a multicast
/// group, where every host's answer counts). Each wait is one call; nothing carries over.
/// </summary>
internal sealed class ReplyWait : IDisposable
{
    // How often a wait wakes to look at the cancellation token.
    private const int WakeMilliseconds = 100;

    private readonly Socket socket;
    private readonly Encoding encoding;
    private readonly ReplyReader reader;
    private readonly SendStamps? stamps;

    internal ReplyWait(Socket socket, Encoding encoding, SendStamps? stamps = null)
    {
        this.socket = socket;
        this.stamps = stamps;
        this.encoding = encoding;
        reader = new ReplyReader(socket);
    }

    /// <summary>
    /// Yields <paramref name="count"/> replies from the address of <paramref name="target"/>. Throws
    /// PortUnreachable when ICMP says nothing listens there, and ReplyTimeout when fewer replies came
    /// in time. Datagrams from any other address are not replies; they go to
    /// <paramref name="fromOtherAddresses"/>, so the caller can say that they came.
    /// </summary>
    /// <remarks>
    /// Each reply's RoundTripTime runs from the kernel's stamp of send <paramref name="sendNumber"/>
    /// to the kernel's receive stamp of the reply, where the system gave both (<see cref="SendStamps"/>);
    /// else from <paramref name="sentAt"/> (Stopwatch ticks), or from the start of the wait when it
    /// is 0, to the reply's arrival: its kernel receive stamp where the reader has it
    /// (<see cref="RoundTripClock"/>), else the moment the read returned. An ICMP error (from the error queue where the system
    /// has one) becomes the failure it means, with the report on the exception
    /// (<see cref="IcmpFailures.From"/>); one about a datagram to another endpoint (an
    /// earlier one of the pipeline) does not end the wait.
    /// </remarks>
    internal IEnumerable<UdpDatagram> FromTarget(IPEndPoint target, int count, TimeSpan timeout, CancellationToken token,
        ICollection<UdpDatagram>? fromOtherAddresses = null, long sentAt = 0, int sendNumber = -1)
    {
        IPAddress expected = Addresses.Normalize(target.Address);
        var clock = Stopwatch.StartNew();
        long since = sentAt != 0 ? sentAt : Stopwatch.GetTimestamp();
        int got = 0;
        UdpDatagram? firstOther = null;
        int others = 0;
        while (got < count)
        {
            if (!TimeLeft(clock, timeout, token, out TimeSpan remaining))
            {
                stamps?.Drain();
                throw Timeout(target, count, got, timeout, firstOther, others);
            }

            // Errors that came off the queue while a reply looked for its send stamp.
            if (stamps is { HasErrors: true } && IcmpErrorQueue.Pick(stamps.TakeErrors(), target) is { } held && !IcmpFailures.IsAboutAnother(held, target))
            {
                throw IcmpFailures.From(held, target, 0);
            }

            UdpDatagram? reply;
            try
            {
                reply = TryRead(remaining, since, sendNumber);
            }
            catch (SocketException e) when ((IcmpErrorQueue.Explain(socket, e.SocketErrorCode, target, stamps)
                ?? IcmpErrorQueue.FromSocketError(e.SocketErrorCode, target)) is { } icmp)
            {
                if (IcmpFailures.IsAboutAnother(icmp, target))
                {
                    continue;
                }

                throw IcmpFailures.From(icmp, target, 0, e);
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
    internal IEnumerable<UdpDatagram> FromAnyAddress(int most, TimeSpan timeout, CancellationToken token, long sentAt = 0, int sendNumber = -1)
    {
        var clock = Stopwatch.StartNew();
        long since = sentAt != 0 ? sentAt : Stopwatch.GetTimestamp();
        int got = 0;
        while (got < most)
        {
            if (!TimeLeft(clock, timeout, token, out TimeSpan remaining))
            {
                stamps?.Drain();
                stamps?.TakeErrors(); // one host's ICMP error says nothing about the others
                yield break;
            }

            UdpDatagram? reply;
            try
            {
                reply = TryRead(remaining, since, sendNumber);
            }
            catch (SocketException e) when (IcmpErrorQueue.Explain(socket, e.SocketErrorCode, null, stamps) is not null || IsRefusal(e)
                || IcmpFailures.IsIcmpError(e.SocketErrorCode))
            {
                // One host's ICMP error says nothing about the others (Explain read the error queue, which clears it).
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
    private UdpDatagram? TryRead(TimeSpan remaining, long since, int sendNumber)
    {
        socket.ReceiveTimeout = Math.Max(1, (int)Math.Ceiling(Math.Min(remaining.TotalMilliseconds, WakeMilliseconds)));
        try
        {
            if (!reader.TryRead(out DatagramView view))
            {
                return null;
            }

            long kernel = reader.KernelTime(view);
            UdpDatagram reply = view.ToDatagram(encoding);
            reply.RoundTripTime = kernel != 0 && stamps is not null && stamps.TryGet(sendNumber, out long sentUtcTicks) && kernel >= sentUtcTicks
                ? TimeSpan.FromTicks(kernel - sentUtcTicks)
                : RoundTripClock.Between(since, RoundTripClock.Arrived(kernel));
            return reply;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut || e.SocketErrorCode == SocketError.WouldBlock)
        {
            return null;
        }
    }

    private static bool IsRefusal(SocketException e) =>
        e.SocketErrorCode == SocketError.ConnectionRefused || e.SocketErrorCode == SocketError.ConnectionReset;

    /// <summary>Frees the reader's buffers; the socket is its sender's.</summary>
    public void Dispose() => reader.Dispose();
}
