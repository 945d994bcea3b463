using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Threading;
using PSUdp.Engine.Icmp;
using PSUdp.Engine.IPLevel;
using PSUdp.Engine.Probes;
using PSUdp.Engine.Sockets;

namespace PSUdp.Engine.Trace;

/// <summary>
/// Traces the path to one host and port with UDP probes of growing TTL (hop limit), on ONE socket,
/// so every probe has the same source and destination address and port and routers that balance
/// by flow send them all one way (paris-traceroute's principle); with
/// <see cref="TraceSettings.VaryPort"/> each probe goes to the next destination port instead
/// (classic traceroute). Each ICMP error is matched to its probe by what it quotes of the original
/// datagram: its destination port with VaryPort, else its payload, which carries the probe's
/// number (a protocol probe's transaction id, or the echo line's sequence). Hops are probed
/// <see cref="TraceSettings.ProbesInFlight"/> probes' worth at a time, a hop's probes in a row,
/// and each hop is handed to <c>emit</c>, in order, as soon as it and every hop before it is
/// settled. The trace ends at the destination's answer, at an unreachable, or at MaxHops.
/// </summary>
internal sealed class PathTracer
{
    private const int MaxShrinks = 16;

    private readonly ProbeTarget target;
    private readonly TraceSettings settings;
    private readonly ProbePayload payload;
    private readonly ProbeKey session = new(0, PortProber.NewNonce());
    private readonly List<SentProbe> probes = new();
    private readonly Dictionary<int, HopState> hops = new();
    private readonly IPAddress targetAddress;
    private readonly long timeout;
    private readonly HostPacer pacing = new();
    private int nextHop = 1;
    private int written;
    private int endHop = int.MaxValue;
    private int shrinks;
    private int size;

    private PathTracer(ProbeTarget target, TraceSettings settings)
    {
        this.target = target;
        this.settings = settings;
        payload = target.Payload;
        targetAddress = Addresses.Normalize(target.EndPoint.Address);
        timeout = PortProber.Ticks(settings.Timeout);
        // Probes of one flow that all carry the same bytes cannot be told apart: one hop at a time.
        Window = settings.DiscoverMtu || (!payload.CarriesKey && !settings.VaryPort) ? 1 : Math.Max(1, TraceSettings.ProbesInFlight / settings.Count);
        size = settings.DiscoverMtu ? 65535 : 0;
    }

    /// <summary>Hops probed at once.</summary>
    internal int Window { get; }

    /// <summary>
    /// Traces the path; each hop goes to <paramref name="emit"/> as soon as it is known. Throws
    /// OperationCanceledException when cancelled (the socket is closed first) and UdpException
    /// when the system cannot send at all.
    /// </summary>
    internal static void Trace(ProbeTarget target, TraceSettings settings, CancellationToken token, Action<UdpTraceHop> emit) =>
        new PathTracer(target, settings).Run(token, emit);

    private void Run(CancellationToken token, Action<UdpTraceHop> emit)
    {
        using var socket = new ProbeSocket(settings.Socket, target.EndPoint, settings.VaryPort || payload.AnswersFromAnotherPort, settings.Encoding);
        var errors = new List<IcmpReport>();
        while (true)
        {
            token.ThrowIfCancellationRequested();
            while (endHop == int.MaxValue && nextHop <= settings.MaxHops && nextHop - (written + 1) < Window)
            {
                hops[nextHop] = new HopState(nextHop, Stopwatch.GetTimestamp());
                nextHop++;
            }

            long now = Stopwatch.GetTimestamp();
            long nextEvent = long.MaxValue;
            foreach (HopState hop in hops.Values.Where(h => h.Number <= endHop && !h.Written).OrderBy(h => h.Number))
            {
                while (hop.Sent < settings.Count && hop.DueAt(hop.Sent, Spacing) <= now)
                {
                    errors.Clear();
                    SendProbe(socket, hop, errors);
                    Handle(socket, errors, Stopwatch.GetTimestamp());
                    now = Stopwatch.GetTimestamp();
                }

                if (hop.Sent < settings.Count)
                {
                    nextEvent = Math.Min(nextEvent, hop.DueAt(hop.Sent, Spacing));
                }

                foreach (SentProbe probe in hop.Probes.Where(p => !p.Settled))
                {
                    if (now >= probe.SentAt + timeout)
                    {
                        probe.Settle(UdpTraceStatus.NoReply, null, null, null, null);
                    }
                    else
                    {
                        nextEvent = Math.Min(nextEvent, probe.SentAt + timeout);
                    }
                }
            }

            while (hops.TryGetValue(written + 1, out HopState? ready) && ready.Complete(settings.Count))
            {
                written++;
                ready.Written = true;
                bool last = written >= endHop || written >= settings.MaxHops;
                emit(Compose(ready, last));
                if (last)
                {
                    return;
                }
            }

            if (nextEvent == long.MaxValue)
            {
                nextEvent = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 100); // nothing due: look again in 10 ms
            }

            ProbeEvent? answer = socket.WaitAll(nextEvent, token);
            if (answer is null)
            {
                continue;
            }

            if (answer.Reply is { } reply)
            {
                HandleReply(socket, reply, answer);
            }
            else
            {
                Handle(socket, answer.Errors, answer.At);
            }
        }
    }

    // Routers answer a host with a burst of 6 ICMP errors and then one a second: a hop's probes
    // beyond the burst are spaced (not to loopback, which has no limit).
    private long Spacing => IPAddress.IsLoopback(targetAddress) ? 0 : PortProber.Ticks(pacing.Interval);

    private void SendProbe(ProbeSocket socket, HopState hop, List<IcmpReport> errors)
    {
        int sequence = probes.Count;
        int port = settings.VaryPort ? ((target.EndPoint.Port - 1 + sequence) % 65535) + 1 : target.EndPoint.Port;
        var to = new IPEndPoint(target.EndPoint.Address, port);
        byte[] bytes = payload.Build(0, session.WithId((ushort)sequence), to);
        if (size > 0)
        {
            int length = Math.Max(bytes.Length, PathMtu.LargestPayload(size, to.AddressFamily));
            Array.Resize(ref bytes, Math.Min(length, DatagramLimits.MaxPayload(to.AddressFamily)));
        }

        socket.SetTimeToLive(hop.Number);
        long sentAt = socket.Send(bytes, to, errors);
        if (sentAt < 0)
        {
            // This host's own interface is smaller: shrink and send again, a fact of this host, not of a hop.
            IcmpReport local = errors[errors.Count - 1];
            errors.RemoveAt(errors.Count - 1);
            if (local.Info > 0 && local.Info < size && shrinks++ < MaxShrinks)
            {
                size = (int)local.Info;
                return;
            }

            throw IcmpFailures.From(local, to, bytes.Length);
        }

        var probe = new SentProbe(hop.Number, hop.Sent, sequence, port, bytes, sentAt, size);
        probes.Add(probe);
        hop.Probes.Add(probe);
        hop.Sent++;
    }

    private void HandleReply(ProbeSocket socket, UdpDatagram reply, ProbeEvent answer)
    {
        ProbeAnswer? recognised = payload.Read(reply.Payload, session, out _);
        SentProbe? probe = recognised?.Id is { } id
            ? probes.FirstOrDefault(p => !p.Settled && p.Sequence == id)
            : Open().FirstOrDefault(p => !settings.VaryPort || p.Port == reply.RemotePort);
        if (probe is null)
        {
            return; // a late or duplicate reply
        }

        reply.RoundTripTime = socket.RoundTrip(probe.SentAt, answer);
        probe.Settle(UdpTraceStatus.Reply, targetAddress, reply.RoundTripTime, null, reply);
        endHop = Math.Min(endHop, probe.Hop);
    }

    private void Handle(ProbeSocket socket, IReadOnlyList<IcmpReport> reports, long at)
    {
        foreach (IcmpReport report in reports)
        {
            if (Match(report) is not { } probe)
            {
                continue; // about a probe already settled (late), or not about this trace
            }

            if (report.Kind == IcmpKind.FragmentationNeeded && settings.DiscoverMtu && report.Info > 0 && report.Info < probe.Size && shrinks++ < MaxShrinks)
            {
                // Too big for the next link: the hop is probed again at the size the router named.
                HopState hop = hops[probe.Hop];
                hop.Mtu ??= (int)report.Info;
                size = Math.Min(size, (int)report.Info);
                foreach (HopState later in hops.Values.Where(h => h.Number >= probe.Hop && !h.Written))
                {
                    later.Restart(Stopwatch.GetTimestamp());
                }

                continue;
            }

            UdpTraceStatus status = StatusOf(report.Kind);
            // Each error's own arrival where the kernel stamped it: errors read together came at different times.
            long arrived = report.ArrivedUtcTicks != 0 ? RoundTripClock.Arrived(report.ArrivedUtcTicks) : at;
            probe.Settle(status, report.Source, socket.RoundTrip(probe.SentAt, report.ArrivedUtcTicks, arrived), report, null);
            if (status == UdpTraceStatus.FragmentationNeeded && report.Info > 0)
            {
                hops[probe.Hop].Mtu ??= (int)report.Info;
            }

            bool ends = status is not (UdpTraceStatus.TimeExceeded or UdpTraceStatus.FragmentationNeeded or UdpTraceStatus.Other)
                || targetAddress.Equals(report.Source);
            if (ends)
            {
                endHop = Math.Min(endHop, probe.Hop);
            }
        }
    }

    // The probe an ICMP error answers: by its destination port when each probe has its own, else
    // the oldest open probe whose bytes begin with what the error quotes.
    private SentProbe? Match(IcmpReport report)
    {
        if (settings.VaryPort && report.OriginalDestination is { } destination)
        {
            return Open().FirstOrDefault(p => p.Port == destination.Port);
        }

        byte[] quoted = report.OriginalPayload;
        return Open().FirstOrDefault(p => p.Begins(quoted));
    }

    private IEnumerable<SentProbe> Open() =>
        hops.Values.Where(h => !h.Written).OrderBy(h => h.Number).SelectMany(h => h.Probes).Where(p => !p.Settled);

    private UdpTraceHop Compose(HopState hop, bool last)
    {
        SentProbe[] sent = hop.Probes.OrderBy(p => p.Index).ToArray();
        SentProbe? first = sent.FirstOrDefault(p => p.Status != UdpTraceStatus.NoReply);
        UdpTraceStatus status = first?.Status ?? UdpTraceStatus.NoReply;
        bool reached = first is not null && (status == UdpTraceStatus.Reply || targetAddress.Equals(first.Responder));
        UdpVerdict? verdict = !last ? null
            : status == UdpTraceStatus.Reply ? UdpVerdict.Open
            : status == UdpTraceStatus.NoReply ? UdpVerdict.OpenOrFiltered
            : first?.Icmp is { } icmp && (reached || hop.Number == endHop) ? Verdicts.FromIcmp(icmp)
            : null;
        var endPoint = new IPEndPoint(targetAddress, sent.Length > 0 ? sent[0].Port : target.EndPoint.Port);
        return new UdpTraceHop(target.ComputerName, endPoint, hop.Number, payload.Name,
            sent.Select(p => p.Responder).ToArray(), sent.Select(p => p.RoundTrip).ToArray(),
            status, first?.Icmp, first?.Reply, reached, verdict, hop.Mtu, settings.DiscoverMtu && sent.Length > 0 ? sent[0].Size : null);
    }

    private static UdpTraceStatus StatusOf(IcmpKind kind) => kind switch
    {
        IcmpKind.TimeExceeded => UdpTraceStatus.TimeExceeded,
        IcmpKind.PortUnreachable => UdpTraceStatus.PortUnreachable,
        IcmpKind.AdministrativelyProhibited => UdpTraceStatus.AdministrativelyProhibited,
        IcmpKind.HostUnreachable => UdpTraceStatus.HostUnreachable,
        IcmpKind.NetworkUnreachable => UdpTraceStatus.NetworkUnreachable,
        IcmpKind.ProtocolUnreachable => UdpTraceStatus.ProtocolUnreachable,
        IcmpKind.OtherUnreachable => UdpTraceStatus.OtherUnreachable,
        IcmpKind.FragmentationNeeded => UdpTraceStatus.FragmentationNeeded,
        _ => UdpTraceStatus.Other,
    };

    /// <summary>One hop's probes, and when each may leave.</summary>
    private sealed class HopState(int number, long openedAt)
    {
        internal int Number { get; } = number;

        internal long OpenedAt { get; private set; } = openedAt;

        internal List<SentProbe> Probes { get; } = new();

        internal int Sent { get; set; }

        internal int? Mtu { get; set; }

        internal bool Written { get; set; }

        internal bool Complete(int count) => Sent >= count && Probes.All(p => p.Settled);

        // The first six of a hop's probes leave at once (a router's burst), the rest one spacing apart.
        internal long DueAt(int index, long spacing) => OpenedAt + (Math.Max(0, index - 5) * spacing);

        internal void Restart(long at)
        {
            OpenedAt = at;
            foreach (SentProbe probe in Probes.Where(p => !p.Settled))
            {
                probe.Settle(UdpTraceStatus.NoReply, null, null, null, null); // answers to the larger probes no longer count
            }

            Probes.Clear();
            Sent = 0;
        }
    }

    /// <summary>One probe sent: its hop, its number, where it went, its bytes and what answered it.</summary>
    private sealed class SentProbe(int hop, int index, int sequence, int port, byte[] bytes, long sentAt, int size)
    {
        internal int Hop { get; } = hop;

        internal int Index { get; } = index;

        internal int Sequence { get; } = sequence;

        internal int Port { get; } = port;

        internal long SentAt { get; } = sentAt;

        internal int Size { get; } = size;

        internal bool Settled { get; private set; }

        internal UdpTraceStatus Status { get; private set; } = UdpTraceStatus.NoReply;

        internal IPAddress? Responder { get; private set; }

        internal TimeSpan? RoundTrip { get; private set; }

        internal IcmpReport? Icmp { get; private set; }

        internal UdpDatagram? Reply { get; private set; }

        // An error quotes the start of the datagram (a minimal router only its UDP header: nothing here).
        internal bool Begins(byte[] quoted)
        {
            int length = Math.Min(Math.Min(quoted.Length, bytes.Length), 64);
            for (int i = 0; i < length; i++)
            {
                if (quoted[i] != bytes[i])
                {
                    return false;
                }
            }

            return true;
        }

        internal void Settle(UdpTraceStatus status, IPAddress? responder, TimeSpan? roundTrip, IcmpReport? icmp, UdpDatagram? reply)
        {
            Settled = true;
            Status = status;
            Responder = responder;
            RoundTrip = roundTrip;
            Icmp = icmp;
            Reply = reply;
        }
    }
}
