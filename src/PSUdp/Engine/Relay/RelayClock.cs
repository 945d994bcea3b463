using System.Collections.Generic;
using System.Diagnostics;
using System.Net;
using System.Threading;
using PSUdp.Engine.Load;

namespace PSUdp.Engine.Relay;

/// <summary>A datagram a relay holds until its departure.</summary>
internal sealed class HeldDatagram(RelayFlow flow, RelayLine line, byte[] payload, int length, int copies, RelayAction action, long arrived, UdpDatagram? record)
{
    internal RelayFlow Flow { get; } = flow;

    internal RelayLine Line { get; } = line;

    /// <summary>A copy of the payload in an array of the relay's pool, with the corrupted bit already flipped: its first <see cref="Length"/> bytes.</summary>
    internal byte[] Payload { get; } = payload;

    internal int Length { get; } = length;

    /// <summary>2 for a duplicated datagram.</summary>
    internal int Copies { get; } = copies;

    internal RelayAction Action { get; } = action;

    /// <summary>When it arrived, in Stopwatch ticks.</summary>
    internal long Arrived { get; } = arrived;

    /// <summary>What is written with -PassThru, or null.</summary>
    internal UdpDatagram? Record { get; } = record;

    /// <summary>When it leaves, in Stopwatch ticks.</summary>
    internal long Due { get; set; }

    /// <summary>True while it waits behind the next datagram of its flow (Due is then the longest it waits).</summary>
    internal bool HeldForReorder { get; set; }

    /// <summary>The datagram held back for reordering that leaves right after this one, or null.</summary>
    internal HeldDatagram? Behind { get; init; }

    /// <summary>Set once it has left, or was given up.</summary>
    internal bool Done { get; set; }

    /// <summary>The order it was added in: ties of Due leave in arrival order.</summary>
    internal long Order { get; set; }
}

/// <summary>
/// The relay's clock: one thread that sends each held datagram at its due time, in the order of
/// their due times (a binary heap). Due times are absolute Stopwatch ticks, so no wait adds to the
/// next (no drift); it waits with the monitor while more than 2 ms are left, then with
/// <see cref="FineClock"/>, which sleeps and spins the last 100 us.
/// </summary>
internal sealed class RelayClock
{
    private static readonly long MonitorWaitTicks = 2 * FineClock.TicksPerMillisecond;

    private readonly List<HeldDatagram> heap = new();
    private readonly object gate = new();
    private readonly System.Action<HeldDatagram> fire;
    private readonly Thread thread;
    private volatile bool stopped;
    private long order;
    private long latestDue;

    internal RelayClock(System.Action<HeldDatagram> fire, IPEndPoint localEndPoint)
    {
        this.fire = fire;
        thread = new Thread(Run) { IsBackground = true, Name = $"PSUdp relay clock {Addresses.Format(localEndPoint)}" };
    }

    /// <summary>Datagrams waiting.</summary>
    internal int Count
    {
        get
        {
            lock (gate)
            {
                return heap.Count;
            }
        }
    }

    /// <summary>The latest due time ever added, in Stopwatch ticks.</summary>
    internal long LatestDue => Interlocked.Read(ref latestDue);

    internal void Start() => thread.Start();

    internal void Add(HeldDatagram held)
    {
        lock (gate)
        {
            held.Order = order++;
            if (held.Due > latestDue)
            {
                Interlocked.Exchange(ref latestDue, held.Due);
            }

            heap.Add(held);
            int i = heap.Count - 1;
            while (i > 0)
            {
                int parent = (i - 1) / 2;
                if (!Earlier(heap[i], heap[parent]))
                {
                    break;
                }

                (heap[i], heap[parent]) = (heap[parent], heap[i]);
                i = parent;
            }

            if (i == 0)
            {
                Monitor.Pulse(gate); // a new first: the clock may be waiting for a later one
            }
        }
    }

    /// <summary>Stops the thread and returns what was still waiting; nothing is sent after this returns.</summary>
    internal List<HeldDatagram> Stop()
    {
        stopped = true;
        lock (gate)
        {
            Monitor.PulseAll(gate);
        }

        if (thread.IsAlive && thread != Thread.CurrentThread)
        {
            thread.Join();
        }

        lock (gate)
        {
            var left = new List<HeldDatagram>(heap);
            heap.Clear();
            return left;
        }
    }

    private void Run()
    {
        while (!stopped)
        {
            long due;
            lock (gate)
            {
                if (heap.Count == 0)
                {
                    Monitor.Wait(gate, 100);
                    continue;
                }

                due = heap[0].Due;
                long left = due - Stopwatch.GetTimestamp();
                if (left > MonitorWaitTicks)
                {
                    Monitor.Wait(gate, (int)((left - FineClock.TicksPerMillisecond) / FineClock.TicksPerMillisecond));
                    continue;
                }
            }

            FineClock.WaitUntil(due);
            HeldDatagram next;
            lock (gate)
            {
                if (stopped || heap.Count == 0 || heap[0].Due > Stopwatch.GetTimestamp())
                {
                    continue;
                }

                next = Pop();
            }

            fire(next);
        }
    }

    private HeldDatagram Pop()
    {
        HeldDatagram first = heap[0];
        int last = heap.Count - 1;
        heap[0] = heap[last];
        heap.RemoveAt(last);
        int i = 0;
        while (true)
        {
            int left = (2 * i) + 1;
            if (left >= heap.Count)
            {
                break;
            }

            int child = left + 1 < heap.Count && Earlier(heap[left + 1], heap[left]) ? left + 1 : left;
            if (!Earlier(heap[child], heap[i]))
            {
                break;
            }

            (heap[i], heap[child]) = (heap[child], heap[i]);
            i = child;
        }

        return first;
    }

    private static bool Earlier(HeldDatagram a, HeldDatagram b) => a.Due < b.Due || (a.Due == b.Due && a.Order < b.Order);
}
