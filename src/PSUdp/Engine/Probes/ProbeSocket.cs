using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading;
using PSUdp.Engine.Icmp;
using PSUdp.Engine.IPLevel;
using PSUdp.Engine.Receive;
using PSUdp.Engine.Send;
using PSUdp.Engine.Sockets;

namespace PSUdp.Engine.Probes;

/// <summary>
/// One socket of its own for probing one host and port: each ICMP error on it is about that
/// target, and a reply from anywhere else is ignored. Its waits wake every tenth of a second to
/// look at the cancellation token; they poll the socket, so a wait ends within the poll's
/// precision (tens of microseconds), not the kernel's tick. Where the kernel stamps what the socket sends
/// (<see cref="SendStamps"/>) and what it receives, a round trip is the time between those two
/// stamps (<see cref="RoundTrip(long, ProbeEvent)"/>); elsewhere it is taken by the clock right
/// before the send call and when the read returned.
/// </summary>
internal sealed class ProbeSocket : IDisposable
{
    private const int WakeMilliseconds = 100;

    private readonly Socket socket;
    private readonly ReplyReader reader;
    private readonly IPEndPoint target;
    private readonly IPAddress targetAddress;
    private readonly bool anyPort;
    private readonly Encoding encoding;
    private readonly SendStamps? stamps;
    private readonly Dictionary<long, int> sendNumbers = new();

    internal ProbeSocket(SocketOptions options, IPEndPoint target, bool answersFromAnotherPort, Encoding encoding)
    {
        _ = WarmedUp.Value;
        var own = new SocketOptions
        {
            LocalAddress = options.LocalAddress,
            LocalPort = options.LocalPort,
            Family = options.LocalAddress is null
                ? (target.AddressFamily == AddressFamily.InterNetworkV6 ? AddressFamilyChoice.IPv6 : AddressFamilyChoice.IPv4)
                : options.Family,
            Device = options.Device,
            TimeToLive = options.TimeToLive,
            Dscp = options.Dscp,
            DontFragment = options.DontFragment,
            ProbePathMtu = options.ProbePathMtu,
        };
        socket = UdpSocketFactory.Create(own);
        // The system may give the probe socket the very port it probes (a sweep of the ephemeral
        // range on this host meets it about once): the probe would then arrive at its own socket
        // and read as an answer. Another socket, taken while this one still holds the port, cannot.
        for (int tries = 0; own.LocalPort == 0 && tries < 3 && ((IPEndPoint)socket.LocalEndPoint!).Port == target.Port; tries++)
        {
            Socket taken = socket;
            try
            {
                socket = UdpSocketFactory.Create(own);
            }
            finally
            {
                taken.Dispose();
            }
        }

        try
        {
            UdpSocketFactory.CheckFamily((IPEndPoint)socket.LocalEndPoint!,
                socket.AddressFamily == AddressFamily.InterNetworkV6 && socket.DualMode, target);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        reader = new ReplyReader(socket);
        stamps = SendStamps.TryEnable(socket);
        // A read follows a poll that found the socket ready; this only bounds one that finds it empty after all.
        socket.ReceiveTimeout = WakeMilliseconds;
        this.target = target;
        targetAddress = Addresses.Normalize(target.Address);
        anyPort = answersFromAnotherPort;
        this.encoding = encoding;
    }

    /// <summary>Sends one datagram and returns when it left (Stopwatch ticks); an ICMP error pending from an earlier one comes back in <paramref name="earlier"/>.</summary>
    internal long Send(byte[] payload, out IcmpReport? earlier)
    {
        var errors = new List<IcmpReport>();
        long sentAt = Send(payload, target, errors);
        if (sentAt < 0)
        {
            throw SendFailures.From(new SocketException((int)SocketError.MessageSize), target, payload.Length);
        }

        earlier = IcmpErrorQueue.Pick(errors, target);
        return sentAt;
    }

    /// <summary>
    /// Sends one datagram to <paramref name="to"/> (the target's address, any port) and returns when
    /// it left (Stopwatch ticks); every ICMP error pending from earlier datagrams is added to
    /// <paramref name="earlier"/>. A datagram this host refuses as larger than the path MTU it
    /// knows is not sent: the result is -1, and the local report (its MTU) is in <paramref name="earlier"/>.
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    internal long Send(byte[] payload, IPEndPoint to, List<IcmpReport> earlier)
    {
        for (int tries = 0; ; tries++)
        {
            long utc = SendStamps.Now();
            long sentAt = Stopwatch.GetTimestamp();
            try
            {
                socket.SendTo(payload, to);
                if (stamps is not null)
                {
                    sendNumbers[sentAt] = stamps.Sent(utc);
                }

                return sentAt;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.MessageSize && IcmpErrorQueue.IsAvailable
                && Errors(e.SocketErrorCode, to) is { Count: > 0 } reports)
            {
                earlier.AddRange(reports);
                if (reports[reports.Count - 1].Origin == IcmpOrigin.Local)
                {
                    return -1;
                }
            }
            catch (SocketException e) when (tries == 0 && (IcmpErrorQueue.IsAvailable || e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset)
                && Errors(e.SocketErrorCode, to) is { Count: > 0 } reports)
            {
                // The system reports an ICMP error for an earlier datagram on the next call; that call consumed it.
                earlier.AddRange(reports);
            }
            catch (SocketException e)
            {
                throw SendFailures.From(e, to, payload.Length);
            }
        }
    }

    /// <summary>
    /// The round trip from the send that returned <paramref name="sentAt"/> to <paramref name="answer"/>:
    /// between the kernel's two stamps where it gave both, else by the Stopwatch.
    /// </summary>
    internal TimeSpan RoundTrip(long sentAt, ProbeEvent answer) =>
        RoundTrip(sentAt, answer.Reply is not null ? answer.KernelUtcTicks : answer.Icmp?.ArrivedUtcTicks ?? 0, answer.At);

    /// <summary>
    /// The round trip from the send that returned <paramref name="sentAt"/> to an arrival the kernel
    /// stamped at <paramref name="arrivedUtcTicks"/> (0 when it did not) or that was seen at
    /// <paramref name="at"/> (Stopwatch ticks).
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    internal TimeSpan RoundTrip(long sentAt, long arrivedUtcTicks, long at)
    {
        if (arrivedUtcTicks != 0 && stamps is not null && sendNumbers.TryGetValue(sentAt, out int number)
            && stamps.TryGet(number, out long sentUtcTicks) && arrivedUtcTicks >= sentUtcTicks)
        {
            return TimeSpan.FromTicks(arrivedUtcTicks - sentUtcTicks);
        }

        return RoundTripClock.Between(sentAt, at);
    }

    /// <summary>The port the system gave the socket.</summary>
    internal int LocalPort => ((IPEndPoint)socket.LocalEndPoint!).Port;

    /// <summary>
    /// Adds to <paramref name="into"/> every ICMP error queued on the socket now, oldest first, without
    /// waiting (taking the transmit stamps off the queue too), so the next send finds no error
    /// pending: the system would fail that send to report it. Nothing where the system keeps no error queue.
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    internal void TakeErrors(List<IcmpReport> into)
    {
        if (!IcmpErrorQueue.IsAvailable)
        {
            return;
        }

        if (stamps is null)
        {
            into.AddRange(IcmpErrorQueue.ReadAll(socket));
            return;
        }

        stamps.Drain();
        into.AddRange(stamps.TakeErrors());
    }

    /// <summary>Sets the TTL (hop limit) of the datagrams sent from now on.</summary>
    internal void SetTimeToLive(int timeToLive) => IPLevelOptions.Apply(socket, new SocketOptions { TimeToLive = timeToLive });

    /// <summary>
    /// Waits until <paramref name="deadline"/> (Stopwatch ticks) for a reply from the target or an
    /// ICMP error; null when neither came. Throws OperationCanceledException when cancelled. The
    /// event's time is its arrival by the kernel's clock where the system tells it, else the moment
    /// the read returned.
    /// </summary>
    internal ProbeEvent? Wait(long deadline, CancellationToken token)
    {
        ProbeEvent? answer = WaitAll(deadline, token);
        return answer is { Reply: null } ? new ProbeEvent(null, IcmpErrorQueue.Pick(answer.Errors, target), answer.At, 0) : answer;
    }

    /// <summary>
    /// As <see cref="Wait"/>, but an ICMP error brings every error queued at that moment
    /// (<see cref="ProbeEvent.Errors"/>), oldest first, for a caller with several datagrams out at once.
    /// </summary>
    /// <param name="deadline">When to stop waiting, in Stopwatch ticks.</param>
    /// <param name="token">Cancels the wait.</param>
    /// <param name="lookOnce">Look at the socket once even when the deadline has passed: for a caller that reads what came while it was busy sending.</param>
    [MethodImpl(HotPath.Optimized)]
    internal ProbeEvent? WaitAll(long deadline, CancellationToken token, bool lookOnce = false)
    {
        bool looked = false;
        while (true)
        {
            token.ThrowIfCancellationRequested();
            if (stamps is { HasErrors: true })
            {
                // Errors that came off the queue while a round trip looked for its send stamp.
                List<IcmpReport> held = stamps.TakeErrors();
                return new ProbeEvent(null, held[held.Count - 1], RoundTripClock.Arrived(held[held.Count - 1].ArrivedUtcTicks), 0, held);
            }

            long left = deadline - Stopwatch.GetTimestamp();
            if (left <= 0 && (!lookOnce || looked))
            {
                return null;
            }

            looked = true;

            // poll, not the socket's receive timeout: SO_RCVTIMEO counts in the kernel's ticks
            // (4 ms at HZ 250), which would stretch a series' 1 ms interval to 4-8 ms, and setting
            // it is a system call per wait. Transmit stamps make the socket read as ready (its error
            // queue), so they are taken off it first.
            stamps?.Drain();
            if (stamps is { HasErrors: true })
            {
                continue;
            }

            int ms = left <= 0 ? 0 : Math.Max(1, (int)Math.Ceiling(Math.Min(WakeMilliseconds, left * 1000.0 / Stopwatch.Frequency)));
            try
            {
                if (!socket.Poll(ms * 1000, SelectMode.SelectRead))
                {
                    continue;
                }

                if (!reader.TryRead(out DatagramView view))
                {
                    continue;
                }

                if (view.RemoteAddress.Equals(targetAddress) && (anyPort || view.RemotePort == target.Port))
                {
                    long kernel = reader.KernelTime(view);
                    return new ProbeEvent(view.ToDatagram(encoding), null, RoundTripClock.Arrived(kernel), kernel);
                }
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
            {
            }
            catch (SocketException e) when (Errors(e.SocketErrorCode, target) is { Count: > 0 } reports)
            {
                return new ProbeEvent(null, reports[reports.Count - 1], RoundTripClock.Arrived(reports[reports.Count - 1].ArrivedUtcTicks), 0, reports);
            }
        }
    }

    // The first SendTo of a process compiles .NET's send path (milliseconds), which would be inside
    // the first probe's round trip: one datagram between two sockets of its own on 127.0.0.1 pays
    // for it before any probe leaves. Nothing leaves the host.
    private static readonly Lazy<bool> WarmedUp = new(() =>
    {
        try
        {
            using var from = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            using var to = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            to.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            from.SendTo(new byte[1], to.LocalEndPoint!);
            return true;
        }
        catch (SocketException)
        {
            return false; // no loopback: the first probe pays instead
        }
    });

    // What a failed call learnt from the network: the whole error queue where the system keeps one, else what the error code says.
    private List<IcmpReport> Errors(SocketError error, IPEndPoint about)
    {
        if (IcmpErrorQueue.IsAvailable)
        {
            List<IcmpReport> queued = stamps is { HasErrors: true } ? stamps.TakeErrors() : new List<IcmpReport>();
            queued.AddRange(IcmpErrorQueue.ReadAll(socket, stamps: stamps));
            return queued;
        }

        var reports = new List<IcmpReport>();
        if (IcmpErrorQueue.FromSocketError(error, about) is { } report)
        {
            reports.Add(report);
        }

        return reports;
    }

    public void Dispose()
    {
        socket.Dispose();
        reader.Dispose();
    }
}

/// <summary>What came back for a probe: a reply or an ICMP error, and when (Stopwatch ticks).</summary>
/// <param name="Reply">The reply, or null for an ICMP error.</param>
/// <param name="Icmp">The ICMP error, or null for a reply.</param>
/// <param name="At">When it came, in Stopwatch ticks.</param>
/// <param name="KernelUtcTicks">The kernel's receive stamp of the reply (UTC ticks), 0 when it gave none; an ICMP error carries its own.</param>
/// <param name="All">Every ICMP error read at once (<see cref="ProbeSocket.WaitAll"/>), oldest first; null for just <paramref name="Icmp"/>.</param>
internal sealed record ProbeEvent(UdpDatagram? Reply, IcmpReport? Icmp, long At, long KernelUtcTicks, IReadOnlyList<IcmpReport>? All = null)
{
    /// <summary>Every ICMP error that came, oldest first; empty for a reply.</summary>
    internal IReadOnlyList<IcmpReport> Errors => All ?? (Icmp is null ? Array.Empty<IcmpReport>() : new[] { Icmp });
}
