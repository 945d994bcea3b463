using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net;
using System.Net.NetworkInformation;
using System.Security.Cryptography;
using System.Threading;
using PSUdp.Engine.Sockets;

namespace PSUdp.Engine.Probes;

/// <summary>One host and port to probe, with what to send.</summary>
/// <param name="ComputerName">The host as it was given: a name or an address.</param>
/// <param name="EndPoint">The address and port to probe.</param>
/// <param name="Payload">What to send.</param>
internal sealed record ProbeTarget(string ComputerName, IPEndPoint EndPoint, ProbePayload Payload);

/// <summary>
/// Probes one target on a socket of its own: a verdict after up to 1 + retries attempts, or a
/// series of probes with a summary. What it finds goes to <c>emit</c>: <see cref="UdpProbeResult"/>s
/// and a <see cref="UdpProbeSummary"/>.
/// </summary>
internal static class PortProber
{
    /// <summary>
    /// nmap's verdict for one target: the first reply (Open) or ICMP error (Closed, Filtered) ends it;
    /// silence after every attempt is OpenOrFiltered. Each attempt waits what the host's round trips
    /// so far say (<see cref="HostRoundTrip"/>, learnt from every target of the sweep on that host,
    /// also while it waits), as nmap's probes do: the whole timeout until the host has answered,
    /// then its round-trip timeout. An answer to an earlier attempt that comes during a later one
    /// still counts, with its own round trip.
    /// </summary>
    /// <remarks>
    /// On this host, a sweep meets its own probe sockets: the system gives them ports from the
    /// range being swept, and one that holds another target's port for that target's attempts
    /// catches every probe meant for it, so the port hears nothing though nobody was asked (and
    /// the holder cannot be relied on to tell: one was seen reading none of what it caught). In a
    /// silent port of this host is therefore probed once more, with a new socket, before it is
    /// called OpenOrFiltered, when another socket of its sweep was open while it was probed
    /// (<see cref="SweepSockets"/>); its own socket never holds the port it probes.
    /// </remarks>
    internal static void Verdict(ProbeTarget target, ProbeSettings settings, CancellationToken token, Action<object> emit)
    {
        int each = settings.Retries + 1;
        if (Attempts(target, settings, 0, token, emit, out bool metOthers))
        {
            return;
        }

        if (metOthers && OnThisHost(target.EndPoint.Address))
        {
            SecondRound(target, settings, token, emit);
            return;
        }

        emit(new UdpProbeResult(target.ComputerName, target.EndPoint, UdpVerdict.OpenOrFiltered, target.Payload.Name, each));
    }

    /// <summary>
    /// A port of this host that was silent through its first round of attempts, probed once more on
    /// a new socket (see <see cref="Verdict"/>); OpenOrFiltered, after both rounds, when it stays silent.
    /// </summary>
    internal static void SecondRound(ProbeTarget target, ProbeSettings settings, CancellationToken token, Action<object> emit)
    {
        int each = settings.Retries + 1;
        if (!Attempts(target, settings, each, token, emit, out _))
        {
            emit(new UdpProbeResult(target.ComputerName, target.EndPoint, UdpVerdict.OpenOrFiltered, target.Payload.Name, 2 * each));
        }
    }

    // Every attempt of one verdict on a socket of its own, numbered after the earlier ones; false
    // when none was answered. metOthers: another socket of the sweep was open meanwhile.
    private static bool Attempts(ProbeTarget target, ProbeSettings settings, int earlierAttempts, CancellationToken token, Action<object> emit, out bool metOthers)
    {
        using var socket = new ProbeSocket(settings.Socket, target.EndPoint, target.Payload.AnswersFromAnotherPort, settings.Encoding);
        SweepSockets.Mark mark = settings.Sockets.Opening();
        try
        {
            return Attempts(socket, target, settings, earlierAttempts, token, emit);
        }
        finally
        {
            metOthers = settings.Sockets.OthersSince(mark);
            settings.Sockets.Closed();
        }
    }

    private static bool Attempts(ProbeSocket socket, ProbeTarget target, ProbeSettings settings, int earlierAttempts, CancellationToken token, Action<object> emit)
    {
        ProbePayload payload = target.Payload;
        var session = new ProbeKey(0, NewNonce());
        IPAddress host = target.EndPoint.Address;
        var sentAt = new List<long>();
        for (int attempt = 0; attempt <= settings.Retries; attempt++)
        {
            settings.Pacer.Wait(host, token);
            byte[] bytes = payload.Build(attempt, session.WithId((ushort)attempt), target.EndPoint);
            sentAt.Add(socket.Send(bytes, out IcmpReport? earlier));
            if (earlier is not null)
            {
                emit(IcmpResult(target, payload, earlierAttempts + attempt + 1, earlier, null, null));
                return true;
            }

            if (WaitForAnswer(socket, sentAt[attempt], () => settings.RoundTrips.Wait(host, settings.Timeout), token) is not { } answer)
            {
                continue;
            }

            if (answer.Icmp is { } icmp)
            {
                TimeSpan icmpRoundTrip = socket.RoundTrip(sentAt[attempt], answer);
                if (attempt == 0)
                {
                    settings.RoundTrips.Add(host, icmpRoundTrip);
                }

                emit(IcmpResult(target, payload, earlierAttempts + attempt + 1, icmp, icmpRoundTrip, null));
                return true;
            }

            UdpDatagram reply = answer.Reply!;
            ProbeAnswer? recognised = payload.Read(reply.Payload, session, out _);
            // A reply to an earlier attempt, when the protocol says which: its own round trip.
            int answered = recognised?.Id is { } id && id < sentAt.Count ? id : attempt;
            reply.RoundTripTime = socket.RoundTrip(sentAt[answered], answer);
            if (answered == 0 && (attempt == 0 || recognised?.Id is not null))
            {
                settings.RoundTrips.Add(host, reply.RoundTripTime.Value);
            }

            emit(new UdpProbeResult(target.ComputerName, target.EndPoint, UdpVerdict.Open, payload.Name, earlierAttempts + attempt + 1,
                reply, reply.RoundTripTime, recognised is not null, recognised?.Summary));
            return true;
        }

        return false;
    }

    /// <summary>
    /// A ping-like series of <see cref="ProbeSettings.Count"/> probes, one per interval, each
    /// matched to its reply by the id the protocol repeats; then the summary.
    /// </summary>
    internal static void Series(ProbeTarget target, ProbeSettings settings, CancellationToken token, Action<object> emit)
    {
        ProbePayload payload = target.Payload;
        var session = new ProbeKey(0, NewNonce());
        using var socket = new ProbeSocket(settings.Socket, target.EndPoint, payload.AnswersFromAnotherPort, settings.Encoding);
        int count = settings.Count;
        long timeout = Ticks(settings.Timeout);
        long interval = Ticks(settings.Interval);
        long[] sentAt = new long[count];
        var state = new byte[count]; // 0 waiting, 1 answered, 2 lost (timed out), 3 refused, 4 answered late
        var roundTrips = new SortedDictionary<int, TimeSpan>();
        int sent = 0, duplicates = 0, reordered = 0, late = 0, refused = 0, highest = -1, settled = 0;
        bool answeredOnce = false;
        long pacedUntil = 0;
        IcmpReport? lastIcmp = null;
        long start = Stopwatch.GetTimestamp();
        while (settled < count)
        {
            token.ThrowIfCancellationRequested();
            long now = Stopwatch.GetTimestamp();
            // Spaced for the host's ICMP rate limit until the port has answered (an answered port's
            // probes cost the host no ICMP error, so they go at the series' interval); the replies
            // are read while a probe waits for its turn.
            if (sent < count && now >= Math.Max(start + (sent * interval), pacedUntil)
                && (answeredOnce || settings.Pacer.TryTake(target.EndPoint.Address, out pacedUntil)))
            {
                // A probe that waited its turn (or a loop that fell behind) does not bring the ones
                // after it all at once: they keep the interval from this one, as ping's do.
                if (now - (start + (sent * interval)) > interval)
                {
                    start = now - (sent * interval);
                }

                sentAt[sent] = socket.Send(payload.Build(0, session.WithId((ushort)sent), target.EndPoint), out IcmpReport? earlier);
                sent++;
                if (earlier is not null)
                {
                    Refuse(sent - 2, earlier);
                }

                continue;
            }

            // Probes whose time is up are lost.
            for (int i = settled; i < sent; i++)
            {
                if (state[i] == 0 && now > sentAt[i] + timeout)
                {
                    state[i] = 2;
                    if (settings.Detailed)
                    {
                        emit(new UdpProbeResult(target.ComputerName, target.EndPoint, UdpVerdict.OpenOrFiltered, payload.Name, 1, sequence: i));
                    }
                }
            }

            while (settled < sent && state[settled] != 0)
            {
                settled++;
            }

            if (settled >= count)
            {
                break;
            }

            long nextSend = sent < count ? Math.Max(start + (sent * interval), pacedUntil) : long.MaxValue;
            long nextLoss = settled < sent ? sentAt[settled] + timeout + 1 : long.MaxValue;
            long until = Math.Min(nextSend, nextLoss);
            if (until == long.MaxValue || socket.Wait(until, token) is not { } answer)
            {
                continue;
            }

            if (answer.Icmp is { } icmp)
            {
                Refuse(sent - 1, icmp); // the error names no sequence: it is taken as the answer to the latest probe
                continue;
            }

            UdpDatagram reply = answer.Reply!;
            if (payload.Read(reply.Payload, session, out _) is not { Id: { } id } recognised)
            {
                continue; // not an answer to this series
            }

            int sequence = Sequence(id, sent);
            if (sequence < 0)
            {
                continue;
            }

            if (state[sequence] is 1 or 3 or 4)
            {
                duplicates++;
                continue;
            }

            if (state[sequence] == 2)
            {
                late++;
                state[sequence] = 4;
                continue;
            }

            TimeSpan roundTrip = socket.RoundTrip(sentAt[sequence], answer);
            reply.RoundTripTime = roundTrip;

            state[sequence] = 1;
            answeredOnce = true;
            pacedUntil = 0;
            roundTrips[sequence] = roundTrip;
            if (sequence < highest)
            {
                reordered++;
            }

            highest = Math.Max(highest, sequence);
            if (settings.Detailed)
            {
                emit(new UdpProbeResult(target.ComputerName, target.EndPoint, UdpVerdict.Open, payload.Name, 1,
                    reply, roundTrip, true, recognised.Summary, sequence: sequence));
            }
        }

        // In the order the probes were sent, which jitter's "successive" means.
        emit(new UdpProbeSummary(target.ComputerName, target.EndPoint, payload.Name, sent, new List<TimeSpan>(roundTrips.Values),
            duplicates, reordered, late, refused, lastIcmp));

        void Refuse(int sequence, IcmpReport icmp)
        {
            lastIcmp = icmp;
            if (sequence < 0 || state[sequence] != 0)
            {
                return;
            }

            state[sequence] = 3;
            refused++;
            if (settings.Detailed)
            {
                emit(IcmpResult(target, payload, 1, icmp, socket.RoundTrip(sentAt[sequence], icmp.ArrivedUtcTicks, RoundTripClock.Arrived(icmp.ArrivedUtcTicks)), sequence));
            }
        }
    }

    // Waits for an answer to the datagram sent at sentAt until its wait (asked again every 20 ms,
    // as other targets teach the host's round trip) has passed; null when none came.
    private static ProbeEvent? WaitForAnswer(ProbeSocket socket, long sentAt, Func<TimeSpan> wait, CancellationToken token)
    {
        long slice = Stopwatch.Frequency / 50;
        while (true)
        {
            long deadline = sentAt + Ticks(wait());
            long now = Stopwatch.GetTimestamp();
            if (now >= deadline)
            {
                return null;
            }

            if (socket.Wait(Math.Min(deadline, now + slice), token) is { } answer)
            {
                return answer;
            }
        }
    }

    // The latest sequence sent whose low 16 bits are the id (a series longer than 65,536 reuses ids).
    private static int Sequence(ushort id, int sent)
    {
        int candidate = ((sent - 1) & ~0xFFFF) | id;
        if (candidate >= sent)
        {
            candidate -= 0x10000;
        }

        return candidate;
    }

    internal static UdpProbeResult IcmpResult(ProbeTarget target, ProbePayload payload, int attempts, IcmpReport icmp, TimeSpan? roundTrip, int? sequence) =>
        new(target.ComputerName, target.EndPoint, Verdicts.FromIcmp(icmp), payload.Name, Math.Max(1, attempts),
            roundTripTime: roundTrip, icmp: icmp, sequence: sequence);

    // This host: a loopback address or one of its interfaces' (read once; a stale list only
    // costs or spares a silent port its second round).
    internal static bool OnThisHost(IPAddress address) =>
        IPAddress.IsLoopback(address) || HostAddresses.Value.Contains(Addresses.Normalize(address));

    private static readonly Lazy<HashSet<IPAddress>> HostAddresses = new(() =>
    {
        var addresses = new HashSet<IPAddress>();
        try
        {
            foreach (NetworkInterface nic in NetworkInterface.GetAllNetworkInterfaces())
            {
                foreach (UnicastIPAddressInformation unicast in nic.GetIPProperties().UnicastAddresses)
                {
                    addresses.Add(Addresses.Normalize(unicast.Address));
                }
            }
        }
        catch (NetworkInformationException)
        {
            // Not told: loopback alone counts as this host.
        }

        return addresses;
    });

    internal static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    internal static ulong NewNonce()
    {
        byte[] bytes = new byte[8];
        using (var random = RandomNumberGenerator.Create())
        {
            random.GetBytes(bytes);
        }

        return BitConverter.ToUInt64(bytes, 0);
    }
}
