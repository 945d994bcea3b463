using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using PSUdp.Engine.IPLevel;
using PSUdp.Engine.Receive;
using PSUdp.Engine.Sockets;

namespace PSUdp.Engine.Relay;

/// <summary>
/// A UDP relay that forwards every datagram of its clients to one target and the target's answers
/// back, impairing each direction as asked. Each client gets its own upstream socket, connected
/// to the target (as a NAT keeps a mapping), so answers reach the right client from the relay's
/// port. The clients' socket is read on the relay's own thread (in batches where recvmmsg
/// exists); the upstream sockets complete asynchronously. A datagram that is not held leaves on
/// the thread that read it; held ones (delay, jitter, rate, reordering) leave on the
/// <see cref="RelayClock"/>. It stops at <see cref="RelayOptions.Count"/> (letting what it holds
/// leave first), after <see cref="RelayOptions.Duration"/> or at <see cref="Stop"/> (discarding
/// what it holds), and then closes every socket.
/// </summary>
internal sealed class UdpRelay : IDisposable
{
    private const int WakeMilliseconds = 100;
    private const int UpstreamReceiveBufferSize = 4 * 1024 * 1024;
    private const int RecordCapacity = DatagramLimits.QueueCapacity;

    private readonly RelayOptions options;
    private readonly Socket listen;
    private readonly RelayLine toTarget;
    private readonly RelayLine toClient;
    private readonly RelayClock clock;
    private readonly PayloadPool payloads = new();
    private readonly Thread thread;
    private readonly Dictionary<(IPAddress Address, int Port), RelayFlow> flows = new();
    private readonly BlockingCollection<RelayedDatagram> records = new(new ConcurrentQueue<RelayedDatagram>(), RecordCapacity);
    private readonly ManualResetEventSlim ended = new(false);
    private readonly object shutdownGate = new();
    private readonly long reorderHoldTicks = (long)(Impairment.ReorderHold.TotalSeconds * Stopwatch.Frequency);
    private RelayFlow? lastFlow;
    private volatile bool stopping;
    private volatile bool accepting = true;
    private bool shutDown;
    private int started;
    private int flowCount;
    private int flowsOpened;
    private long total;
    private long notWritten;
    private long targetErrors;

    internal UdpRelay(RelayOptions options)
    {
        if ((options.ToTarget.Problem() ?? options.ToClient.Problem()) is { } problem)
        {
            throw new ArgumentException(problem, nameof(options));
        }

        this.options = options;
        Target = new IPEndPoint(Addresses.Normalize(options.Target.Address), options.Target.Port);
        options.Socket.IgnoreIcmpErrors = true;
        listen = UdpSocketFactory.Create(options.Socket);
        listen.ReceiveTimeout = WakeMilliseconds;
        LocalEndPoint = (IPEndPoint)listen.LocalEndPoint!;
        int targetHeaders = HeaderBytes(Target.AddressFamily);
        toTarget = new RelayLine(RelayDirection.ToTarget, options.ToTarget, options.Seed, targetHeaders);
        toClient = new RelayLine(RelayDirection.ToClient, options.ToClient, options.Seed, HeaderBytes(LocalEndPoint.AddressFamily));
        clock = new RelayClock(Fire, LocalEndPoint);
        thread = new Thread(Run) { IsBackground = true, Name = $"PSUdp relay {Addresses.Format(LocalEndPoint)}" };
    }

    /// <summary>Where clients send; the real port when 0 was asked for.</summary>
    internal IPEndPoint LocalEndPoint { get; }

    /// <summary>The one endpoint the relay forwards to.</summary>
    internal IPEndPoint Target { get; }

    /// <summary>The seed of the relay's decisions.</summary>
    internal long Seed => options.Seed;

    /// <summary>The datagrams with what was done to them, when recorded; completes when the relay has stopped.</summary>
    internal BlockingCollection<RelayedDatagram> Records => records;

    /// <summary>Recorded datagrams dropped because nobody took them fast enough.</summary>
    internal long NotWritten => Interlocked.Read(ref notWritten);

    /// <summary>ICMP errors the target's side reported for forwarded datagrams (nothing listening there, say).</summary>
    internal long TargetErrors => Interlocked.Read(ref targetErrors);

    /// <summary>The last of those, such as ConnectionRefused.</summary>
    internal SocketError LastTargetError { get; private set; }

    /// <summary>Why the relay ended early, if it failed.</summary>
    internal UdpException? Fault { get; private set; }

    /// <summary>Set once the relay has stopped and closed its sockets.</summary>
    internal WaitHandle Ended => ended.WaitHandle;

    /// <summary>True once the relay has stopped.</summary>
    internal bool HasEnded => ended.IsSet;

    /// <summary>What each direction did so far: ToTarget, then ToClient.</summary>
    internal UdpRelaySummary[] Summaries()
    {
        string local = Addresses.Format(LocalEndPoint);
        string target = Addresses.Format(Target);
        int opened = Volatile.Read(ref flowsOpened);
        return new[] { toTarget.Summary(target, local, Seed, opened), toClient.Summary(target, local, Seed, opened) };
    }

    /// <summary>Starts relaying.</summary>
    internal void Start()
    {
        if (Interlocked.Exchange(ref started, 1) == 0)
        {
            clock.Start();
            thread.Start();
        }
    }

    /// <summary>Stops at once: what is held is discarded, every socket closed.</summary>
    internal void Stop()
    {
        stopping = true;
        accepting = false;
        listen.Dispose();
        if (Interlocked.Exchange(ref started, 1) == 1 && thread.IsAlive && thread != Thread.CurrentThread)
        {
            thread.Join(2000);
        }

        Shutdown();
    }

    public void Dispose()
    {
        Stop();
        ended.Dispose();
    }

    private static int HeaderBytes(AddressFamily family) => family == AddressFamily.InterNetworkV6 ? 48 : 28;

    // The clients' side: reads the relay's socket until the count, the deadline or a stop.
    private void Run()
    {
        long deadline = options.Duration is { } d ? Stopwatch.GetTimestamp() + (long)(d.TotalSeconds * Stopwatch.Frequency) : long.MaxValue;
        long sweepEvery = Stopwatch.Frequency;
        long nextSweep = Stopwatch.GetTimestamp() + sweepEvery;
        DatagramBatchReader? batch = null;
        try
        {
            batch = Platform.Current.ForcePortable ? null : DatagramBatchReader.TryCreate(listen, DatagramLimits.MaxDatagramLength);
            var reader = batch is null ? new DatagramReader(listen) : null;
            while (accepting)
            {
                long now = Stopwatch.GetTimestamp();
                if (now >= deadline)
                {
                    break;
                }

                if (now >= nextSweep)
                {
                    Sweep(now);
                    nextSweep = now + sweepEvery;
                }

                long leftMilliseconds = (deadline - now) * 1000 / Stopwatch.Frequency;
                if (leftMilliseconds < WakeMilliseconds)
                {
                    listen.ReceiveTimeout = (int)Math.Max(1, leftMilliseconds);
                }

                try
                {
                    if (batch is null)
                    {
                        DatagramView one = reader!.Read();
                        FromClient(one);
                        continue;
                    }

                    int got = batch.Read(batch.Capacity);
                    for (int i = 0; i < got && accepting; i++)
                    {
                        if (batch.TryGet(i, out DatagramView datagram))
                        {
                            FromClient(datagram);
                        }
                    }
                }
                catch (SocketException e) when (DatagramListener.IsTransient(e.SocketErrorCode))
                {
                    // Idle, or an ICMP error from a client that went away.
                }
            }

            // -Count reached: what is held still leaves, then the relay ends.
            while (!stopping && clock.Count > 0 && Stopwatch.GetTimestamp() < clock.LatestDue + reorderHoldTicks)
            {
                Thread.Sleep(1);
            }
        }
        catch (Exception e) when (stopping && (e is ObjectDisposedException || e is SocketException))
        {
            // Stop closed the socket under the receive.
        }
        catch (Exception e)
        {
            Fault = e as UdpException ?? new UdpException(UdpErrorKind.SocketFailed,
                $"Relaying on {Addresses.Format(LocalEndPoint)} failed: {e.Message}", Addresses.Format(LocalEndPoint), e);
        }
        finally
        {
            batch?.Dispose();
            Shutdown();
        }
    }

    // Ends once: nothing held survives it (each copy is counted Discarded), every socket is closed,
    // and the records complete.
    private void Shutdown()
    {
        lock (shutdownGate)
        {
            if (shutDown)
            {
                return;
            }

            shutDown = true;
            accepting = false;
            stopping = true;
            foreach (HeldDatagram left in clock.Stop())
            {
                // A datagram held back behind another is given up with it.
                for (HeldDatagram? held = left; held is { Done: false }; held = held.Behind)
                {
                    held.Done = true;
                    for (int i = 0; i < held.Copies; i++)
                    {
                        held.Line.Released(held.Length);
                        held.Line.Discarded();
                    }

                    held.Flow.Released();
                    Record(held.Record, held.Line.Direction, held.Action | RelayAction.Discarded, TimeSpan.Zero, held.Flow);
                }
            }

            listen.Dispose();
            foreach (RelayFlow flow in flows.Values)
            {
                flow.Dispose();
            }

            records.CompleteAdding();
            ended.Set();
        }
    }

    // Counts a datagram against -Count; false when it is one too many (it arrived as the relay ended).
    private bool Admit()
    {
        if (!accepting)
        {
            return false;
        }

        long n = Interlocked.Increment(ref total);
        if (options.Count > 0)
        {
            if (n > options.Count)
            {
                return false;
            }

            if (n == options.Count)
            {
                accepting = false;
            }
        }

        return true;
    }

    private void FromClient(in DatagramView datagram)
    {
        if (!Admit())
        {
            return;
        }

        // The delay and the link count from the datagram's arrival, the kernel's receive stamp where
        // the reader has it, so the relay's own wake-up and the batch before it are not added to them.
        long now = RoundTripClock.Arrived(datagram.Facts.UtcTicks);
        RelayFlow? flow = Find(datagram.RemoteAddress, datagram.RemotePort, now);
        UdpDatagram? record = options.Record ? datagram.ToDatagram(options.Encoding) : null;
        if (flow is null)
        {
            toTarget.Refused();
            Record(record, RelayDirection.ToTarget, RelayAction.Refused, TimeSpan.Zero, new IPEndPoint(datagram.RemoteAddress, datagram.RemotePort));
            return;
        }

        flow.Touch(now);
        Relay(flow, toTarget, datagram.Buffer, datagram.Offset, datagram.Length, record, now);
    }

    // The flow of a client, opened on its first datagram; null when the table is full.
    private RelayFlow? Find(IPAddress address, int port, long now)
    {
        RelayFlow? last = lastFlow;
        if (last is not null && !last.Closed && last.Client.Port == port && last.Client.Address.Equals(address))
        {
            return last;
        }

        if (flows.TryGetValue((address, port), out RelayFlow? flow))
        {
            return lastFlow = flow;
        }

        if (flows.Count >= options.MaximumFlows)
        {
            Sweep(now);
            if (flows.Count >= options.MaximumFlows)
            {
                return null;
            }
        }

        Socket upstream = UdpSocketFactory.Create(new SocketOptions
        {
            Family = Target.AddressFamily == AddressFamily.InterNetworkV6 ? AddressFamilyChoice.IPv6 : AddressFamilyChoice.IPv4,
            KernelReceiveBufferSize = UpstreamReceiveBufferSize,
        });
        try
        {
            upstream.Connect(Target);
        }
        catch
        {
            upstream.Dispose();
            throw;
        }

        flow = new RelayFlow(new IPEndPoint(address, port), upstream, now);
        flow.Receive.Completed += UpstreamCompleted;
        flows[(address, port)] = flow;
        Volatile.Write(ref flowCount, flows.Count);
        Interlocked.Increment(ref flowsOpened);
        ReceiveUpstream(flow);
        return lastFlow = flow;
    }

    // Closes the flows idle for longer than the flow timeout that hold nothing.
    private void Sweep(long now)
    {
        long idle = (long)(options.FlowTimeout.TotalSeconds * Stopwatch.Frequency);
        List<(IPAddress, int)>? expired = null;
        foreach (KeyValuePair<(IPAddress, int), RelayFlow> entry in flows)
        {
            if (now - entry.Value.LastActive > idle && entry.Value.InFlight == 0)
            {
                (expired ??= new List<(IPAddress, int)>()).Add(entry.Key);
            }
        }

        if (expired is null)
        {
            return;
        }

        foreach ((IPAddress, int) key in expired)
        {
            flows[key].Dispose();
            flows.Remove(key);
        }

        lastFlow = null;
        Volatile.Write(ref flowCount, flows.Count);
    }

    // Keeps one receive pending on a flow's upstream socket; completions that came at once are handled here in a loop.
    private void ReceiveUpstream(RelayFlow flow)
    {
        try
        {
            while (!flow.Closed && !flow.Upstream.ReceiveAsync(flow.Receive))
            {
                if (!FromTarget(flow, flow.Receive))
                {
                    return;
                }
            }
        }
        catch (ObjectDisposedException)
        {
            // The flow expired or the relay stopped.
        }
    }

    private void UpstreamCompleted(object? sender, SocketAsyncEventArgs e)
    {
        var flow = (RelayFlow)e.UserToken!;
        if (FromTarget(flow, e))
        {
            ReceiveUpstream(flow);
        }
    }

    // The target's side: one answer on a flow's socket; false when the flow is done.
    private bool FromTarget(RelayFlow flow, SocketAsyncEventArgs e)
    {
        if (flow.Closed || stopping)
        {
            return false;
        }

        switch (e.SocketError)
        {
            case SocketError.Success:
                break;
            case SocketError.ConnectionRefused or SocketError.ConnectionReset or SocketError.NetworkReset or SocketError.HostUnreachable or SocketError.NetworkUnreachable:
                // An ICMP error for a datagram sent to the target: say so, keep the flow.
                Interlocked.Increment(ref targetErrors);
                LastTargetError = e.SocketError;
                return true;
            default:
                return false;
        }

        if (!Admit())
        {
            return false;
        }

        long now = Stopwatch.GetTimestamp();
        flow.Touch(now);
        UdpDatagram? record = null;
        if (options.Record)
        {
            byte[] payload = new byte[e.BytesTransferred];
            Buffer.BlockCopy(e.Buffer!, 0, payload, 0, e.BytesTransferred);
            record = new UdpDatagram(DatagramDirection.Received, Target.Address, Target.Port, flow.UpstreamLocal.Address, flow.UpstreamLocal.Port,
                payload, false, options.Encoding, new ArrivalFacts(0, -1, -1, DateTime.UtcNow.Ticks));
        }

        Relay(flow, toClient, e.Buffer!, 0, e.BytesTransferred, record, now);
        return true;
    }

    // Decides, then sends at once or hands the datagram to the clock.
    private void Relay(RelayFlow flow, RelayLine line, byte[] buffer, int offset, int length, UdpDatagram? record, long now)
    {
        RelayDecision decision = line.Decide(length, now);
        if (decision.Dropped)
        {
            Record(record, line.Direction, decision.Action, TimeSpan.Zero, flow);
            return;
        }

        if (!line.Holds)
        {
            // Nothing waits: flip the bit in the receive buffer (the record kept the original) and send now.
            Flip(buffer, offset, decision.CorruptBit);
            int copies = (decision.Action & RelayAction.Duplicated) != 0 ? 2 : 1;
            RelayAction action = decision.Action;
            for (int i = 0; i < copies; i++)
            {
                if (!Send(flow, line, buffer, offset, length))
                {
                    action |= stopping ? RelayAction.Discarded : RelayAction.Failed;
                }
            }

            Record(record, line.Direction, action, TimeSpan.Zero, flow);
            return;
        }

        byte[] payload = payloads.Rent(length);
        Buffer.BlockCopy(buffer, offset, payload, 0, length);
        Flip(payload, 0, decision.CorruptBit);
        var held = new HeldDatagram(flow, line, payload, length, (decision.Action & RelayAction.Duplicated) != 0 ? 2 : 1, decision.Action, now, record)
        {
            Due = decision.Departure,

            // The datagram held back for reordering leaves right behind this one, the next of its flow.
            Behind = flow.TakeHeldBack(line.Direction),
        };
        if (decision.HoldForReorder)
        {
            held.HeldForReorder = true;
            held.Due = Math.Max(decision.Departure, now) + reorderHoldTicks;
            flow.HoldBack(line.Direction, held);
        }

        flow.Holding();
        clock.Add(held);
    }

    // The clock's thread: a held datagram is due. One held back for reordering that is due has
    // waited the longest hold with no next datagram of its flow: it leaves in order after all,
    // unless the next one took it meanwhile (it then leaves behind that one).
    private void Fire(HeldDatagram held)
    {
        if (held.Done || (held.HeldForReorder && !held.Flow.TakeHeldBack(held.Line.Direction, held)))
        {
            return;
        }

        Leave(held, reordered: false);
    }

    private void Leave(HeldDatagram held, bool reordered)
    {
        held.Done = true;
        RelayAction action = held.Action;
        for (int i = 0; i < held.Copies; i++)
        {
            held.Line.Released(held.Length);
            if (!Send(held.Flow, held.Line, held.Payload, 0, held.Length))
            {
                action |= stopping || held.Flow.Closed ? RelayAction.Discarded : RelayAction.Failed;
            }
        }

        payloads.Return(held.Payload); // Done: nothing sends it again

        if (reordered)
        {
            held.Line.Reordered();
            action |= RelayAction.Reordered;
        }

        held.Flow.Released();
        long heldTicks = Stopwatch.GetTimestamp() - held.Arrived;
        Record(held.Record, held.Line.Direction, action, TimeSpan.FromTicks(heldTicks * TimeSpan.TicksPerSecond / Stopwatch.Frequency), held.Flow);
        if (held.Behind is { Done: false } behind)
        {
            Leave(behind, reordered: true);
        }
    }

    // One copy out: the client's datagram on its flow's connected socket, an answer from the relay's
    // port to the client. Counted before the call, so that whoever the copy reaches (a client that
    // then stops the relay and reads its summary) finds it counted; a call that fails takes it back.
    private bool Send(RelayFlow flow, RelayLine line, byte[] buffer, int offset, int length)
    {
        line.Forwarded();
        try
        {
            if (line.Direction == RelayDirection.ToTarget)
            {
                flow.Upstream.Send(buffer, offset, length, SocketFlags.None);
            }
            else
            {
                listen.SendTo(buffer, offset, length, SocketFlags.None, flow.Client);
            }

            return true;
        }
        catch (Exception e) when (e is SocketException || e is ObjectDisposedException)
        {
            line.NotForwarded();
            if (stopping || flow.Closed || e is ObjectDisposedException)
            {
                line.Discarded();
            }
            else
            {
                line.Failed();
            }

            return false;
        }
    }

    private static void Flip(byte[] buffer, int offset, int bit)
    {
        if (bit >= 0)
        {
            buffer[offset + (bit >> 3)] ^= (byte)(1 << (bit & 7));
        }
    }

    private void Record(UdpDatagram? record, RelayDirection direction, RelayAction action, TimeSpan held, RelayFlow flow) =>
        Record(record, direction, action, held, flow.Client);

    private void Record(UdpDatagram? record, RelayDirection direction, RelayAction action, TimeSpan held, IPEndPoint client)
    {
        if (record is null)
        {
            return;
        }

        try
        {
            if (!records.TryAdd(new RelayedDatagram(record, direction, action, held, client)))
            {
                Interlocked.Increment(ref notWritten);
            }
        }
        catch (InvalidOperationException)
        {
            // Completed: the relay stopped meanwhile.
        }
    }
}
