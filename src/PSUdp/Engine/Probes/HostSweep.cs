using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading;
using PSUdp.Engine.Icmp;
using PSUdp.Engine.Send;
using PSUdp.Engine.Sockets;

namespace PSUdp.Engine.Probes;

/// <summary>
/// nmap's verdicts for many ports of one host from one socket, as nmap sends them: the probes of
/// up to as many ports as the sweep's budget allows are out at once, each ICMP error is told to its
/// port by the original destination the system quotes with it (msg_name on the error queue), and a
/// reply by the port it came from. Each attempt waits what the host's round trips say
/// (<see cref="HostRoundTrip"/>), only what is unanswered is sent again, and datagrams to the host
/// are paced (<see cref="HostPacer"/>). It needs the system's error queue (Linux); a payload
/// answered from another port cannot be told apart this way, and is probed on a socket of its own.
/// </summary>
/// <remarks>
/// The socket holds a port of its own, perhaps one of those being swept: a probe to it on this host
/// would arrive at the socket itself, so that port, and a port asked twice, is probed on its own
/// socket once this one is closed. A silent port of this host gets the second round of
/// <see cref="PortProber.SecondRound"/> when another socket of the sweep was open while it was
/// probed (<see cref="SweepSockets"/>: it could have held the port); with this one alone it cannot have met one.
/// </remarks>
internal sealed class HostSweep
{
    private readonly IReadOnlyList<ProbeTarget> targets;
    private readonly IReadOnlyList<int> indices;
    private readonly ProbeSettings settings;
    private readonly SemaphoreSlim budget;
    private readonly Action<int, object> emit;
    private readonly Action<int> complete;
    private readonly IPAddress host;
    private readonly bool onThisHost;
    private readonly Dictionary<int, Pending> active = new();
    private readonly List<IcmpReport> errors = new();
    private readonly List<Pending> due = new();
    // One random draw for the sweep (a system call and a lock of the system's generator each):
    // each target's nonce is it plus its index times an odd constant, so no two are the same.
    private readonly ulong nonce = PortProber.NewNonce();

    private HostSweep(IReadOnlyList<ProbeTarget> targets, IReadOnlyList<int> indices, ProbeSettings settings, SemaphoreSlim budget,
        Action<int, object> emit, Action<int> complete)
    {
        this.targets = targets;
        this.indices = indices;
        this.settings = settings;
        this.budget = budget;
        this.emit = emit;
        this.complete = complete;
        host = targets[indices[0]].EndPoint.Address;
        onThisHost = PortProber.OnThisHost(host);
    }

    /// <summary>True when targets of one host can share a socket here: the system tells each ICMP error's original destination.</summary>
    internal static bool IsAvailable => IcmpErrorQueue.IsAvailable;

    /// <summary>
    /// Probes the targets <paramref name="indices"/> (of <paramref name="targets"/>, all of one
    /// address, in order) and hands each one's result to <paramref name="emit"/> with its index,
    /// then calls <paramref name="complete"/> for it. Each target out takes one place of
    /// <paramref name="budget"/> until its verdict. Throws OperationCanceledException when cancelled and
    /// UdpException when the socket cannot be opened; a target the system cannot send to gets its
    /// UdpException as its result.
    /// </summary>
    internal static void Run(IReadOnlyList<ProbeTarget> targets, IReadOnlyList<int> indices, ProbeSettings settings, SemaphoreSlim budget,
        CancellationToken token, Action<int, object> emit, Action<int> complete) =>
        new HostSweep(targets, indices, settings, budget, emit, complete).Run(token);

    [MethodImpl(HotPath.Optimized)]
    private void Run(CancellationToken token)
    {
        var later = new List<int>();
        var silent = new List<int>();
        int held = 0;
        bool opened = false;
        try
        {
            using (var socket = new ProbeSocket(settings.Socket, targets[indices[0]].EndPoint, answersFromAnotherPort: true, settings.Encoding))
            {
                settings.Sockets.Opening();
                opened = true;
                int own = socket.LocalPort;
                int next = 0;
                long slice = Stopwatch.Frequency / 50;
                while (next < indices.Count || active.Count > 0)
                {
                    token.ThrowIfCancellationRequested();
                    long now = Stopwatch.GetTimestamp();
                    long wake = now + slice; // the learnt wait shortens as other answers come: looked at again every 20 ms
                    long wait = PortProber.Ticks(settings.RoundTrips.Wait(host, settings.Timeout));

                    // Attempts whose wait is over: sent again, or the port is silent.
                    due.Clear();
                    foreach (Pending pending in active.Values)
                    {
                        long deadline = pending.SentAt[pending.SentAt.Count - 1] + wait;
                        if (now >= deadline)
                        {
                            due.Add(pending);
                        }
                        else
                        {
                            wake = Math.Min(wake, deadline);
                        }
                    }

                    foreach (Pending pending in due)
                    {
                        if (!active.ContainsKey(pending.Target.EndPoint.Port))
                        {
                            continue; // answered while an earlier one was sent again
                        }

                        if (pending.SentAt.Count > settings.Retries)
                        {
                            Finish(pending, ref held);
                            if (onThisHost && settings.Sockets.OthersSince(pending.Mark))
                            {
                                silent.Add(pending.Index);
                            }
                            else
                            {
                                Done(pending.Index, new UdpProbeResult(pending.Target.ComputerName, pending.Target.EndPoint, UdpVerdict.OpenOrFiltered,
                                    pending.Target.Payload.Name, pending.SentAt.Count));
                            }
                        }
                        else if (settings.Pacer.TryTake(host, out long readyAt))
                        {
                            Send(socket, pending, ref held);
                        }
                        else
                        {
                            wake = Math.Min(wake, readyAt);
                        }
                    }

                    // New targets, as far as the budget and the host's pacing allow, until an
                    // attempt is due again (closed ports on loopback answer within the send, so
                    // the budget alone would keep this loop going to the end of the sweep).
                    long burstEnd = Math.Min(wake, now + (Stopwatch.Frequency / 1000)); // replies are read at least every millisecond
                    bool heldBack = false; // by the budget or the pacing: nothing more to send before wake
                    while (next < indices.Count && Stopwatch.GetTimestamp() < burstEnd)
                    {
                        token.ThrowIfCancellationRequested();
                        int index = indices[next];
                        ProbeTarget target = targets[index];
                        if ((onThisHost && target.EndPoint.Port == own) || active.ContainsKey(target.EndPoint.Port))
                        {
                            later.Add(index);
                            next++;
                            continue;
                        }

                        if (!budget.Wait(0))
                        {
                            wake = Math.Min(wake, now + (Stopwatch.Frequency / 1000)); // the others' places: looked for again in 1 ms
                            heldBack = true;
                            break;
                        }

                        if (!settings.Pacer.TryTake(host, out long readyAt))
                        {
                            budget.Release();
                            wake = Math.Min(wake, readyAt);
                            heldBack = true;
                            break;
                        }

                        held++;
                        next++;
                        var pending = new Pending(index, target, new ProbeKey(0, nonce + ((ulong)index * 0x9E3779B97F4A7C15)), settings.Sockets.Now());
                        active[target.EndPoint.Port] = pending;
                        Send(socket, pending, ref held);
                    }

                    if (next >= indices.Count && active.Count == 0)
                    {
                        break;
                    }

                    // What came while the probes went out: when there is more to send now, read
                    // without waiting; else wait until the next thing to do. The rest of what
                    // came is read without waiting.
                    long until = next < indices.Count && !heldBack ? 0 : wake;
                    for (ProbeEvent? answer = socket.WaitAll(until, token, lookOnce: true); answer is not null; answer = socket.WaitAll(0, token, lookOnce: true))
                    {
                        if (answer.Reply is { } reply)
                        {
                            Answered(socket, reply, answer, ref held);
                        }
                        else
                        {
                            Refused(socket, answer.Errors, ref held);
                        }
                    }
                }
            }
        }
        finally
        {
            if (opened)
            {
                settings.Sockets.Closed();
            }

            if (held > 0)
            {
                budget.Release(held);
            }
        }

        // After the shared socket is closed: the ports it could not probe, then the second rounds.
        foreach (int index in later)
        {
            Alone(index, target => PortProber.Verdict(target, settings, token, item => emit(index, item)), token);
        }

        foreach (int index in silent)
        {
            Alone(index, target => PortProber.SecondRound(target, settings, token, item => emit(index, item)), token);
        }
    }

    // One target on a socket of its own, in a place of the budget; its send failure is its result.
    private void Alone(int index, Action<ProbeTarget> probe, CancellationToken token)
    {
        budget.Wait(token);
        try
        {
            probe(targets[index]);
        }
        catch (UdpException e)
        {
            emit(index, e);
        }
        finally
        {
            budget.Release();
        }

        complete(index);
    }

    [MethodImpl(HotPath.Optimized)]
    private void Send(ProbeSocket socket, Pending pending, ref int held)
    {
        ProbeTarget target = pending.Target;
        int attempt = pending.SentAt.Count;
        byte[] bytes = target.Payload.Build(attempt, pending.Session.WithId((ushort)attempt), target.EndPoint);
        errors.Clear();
        long sentAt;
        try
        {
            sentAt = socket.Send(bytes, target.EndPoint, errors);
            if (sentAt < 0)
            {
                throw SendFailures.From(new SocketException((int)SocketError.MessageSize), target.EndPoint, bytes.Length);
            }
        }
        catch (UdpException e)
        {
            Finish(pending, ref held);
            Done(pending.Index, e);
            Refused(socket, errors, ref held);
            return;
        }

        pending.SentAt.Add(sentAt);
        // What is queued now (on loopback the answer already is) is read before the next send, which it would fail.
        socket.TakeErrors(errors);
        Refused(socket, errors, ref held);
    }

    // ICMP errors, each for the port it quotes: the answer to that port's latest attempt.
    [MethodImpl(HotPath.Optimized)]
    private void Refused(ProbeSocket socket, IReadOnlyList<IcmpReport> reports, ref int held)
    {
        foreach (IcmpReport report in reports)
        {
            if (report.OriginalDestination is not { } destination || !Addresses.Normalize(destination.Address).Equals(Addresses.Normalize(host))
                || !active.TryGetValue(destination.Port, out Pending? pending) || pending.SentAt.Count == 0)
            {
                continue;
            }

            int attempt = pending.SentAt.Count - 1;
            TimeSpan roundTrip = socket.RoundTrip(pending.SentAt[attempt], report.ArrivedUtcTicks, RoundTripClock.Arrived(report.ArrivedUtcTicks));
            if (attempt == 0)
            {
                settings.RoundTrips.Add(host, roundTrip);
            }

            Finish(pending, ref held);
            Done(pending.Index, PortProber.IcmpResult(pending.Target, pending.Target.Payload, attempt + 1, report, roundTrip, null));
        }
    }

    // A reply, for the port it came from.
    [MethodImpl(HotPath.Optimized)]
    private void Answered(ProbeSocket socket, UdpDatagram reply, ProbeEvent answer, ref int held)
    {
        if (!active.TryGetValue(reply.RemotePort, out Pending? pending))
        {
            return; // a port not asked, or one already answered
        }

        ProbePayload payload = pending.Target.Payload;
        int attempt = pending.SentAt.Count - 1;
        ProbeAnswer? recognised = payload.Read(reply.Payload, pending.Session, out _);
        // A reply to an earlier attempt, when the protocol says which: its own round trip.
        int answered = recognised?.Id is { } id && id < pending.SentAt.Count ? id : attempt;
        reply.RoundTripTime = socket.RoundTrip(pending.SentAt[answered], answer);
        if (answered == 0 && (attempt == 0 || recognised?.Id is not null))
        {
            settings.RoundTrips.Add(host, reply.RoundTripTime.Value);
        }

        Finish(pending, ref held);
        Done(pending.Index, new UdpProbeResult(pending.Target.ComputerName, pending.Target.EndPoint, UdpVerdict.Open, payload.Name, attempt + 1,
            reply, reply.RoundTripTime, recognised is not null, recognised?.Summary));
    }

    private void Finish(Pending pending, ref int held)
    {
        active.Remove(pending.Target.EndPoint.Port);
        budget.Release();
        held--;
    }

    private void Done(int index, object result)
    {
        emit(index, result);
        complete(index);
    }

    private sealed class Pending
    {
        internal Pending(int index, ProbeTarget target, ProbeKey session, SweepSockets.Mark mark)
        {
            Index = index;
            Target = target;
            Session = session;
            Mark = mark;
        }

        /// <summary>The sweep's sockets when its first attempt left.</summary>
        internal SweepSockets.Mark Mark { get; }

        internal int Index { get; }

        internal ProbeTarget Target { get; }

        internal ProbeKey Session { get; }

        /// <summary>When each attempt left, in Stopwatch ticks.</summary>
        internal List<long> SentAt { get; } = new(3);
    }
}
