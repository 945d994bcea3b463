using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Net;
using System.Runtime.CompilerServices;
using System.Threading;

namespace PSUdp.Engine.Probes;

/// <summary>
/// Probes many targets at once, at most <see cref="ProbeSettings.ThrottleLimit"/> at a time, and
/// hands back what they find in the order the targets were given (host, then port): a target's
/// results come as soon as every earlier target is done, and the first target's as they happen.
/// For verdicts, the ports of one host share a socket (<see cref="HostSweep"/>) where the system
/// tells which port each ICMP error is about; every other target (a series, a payload answered from
/// another port, a host with one port) is probed on a thread and socket of its own. A failure to
/// send to one target (no route) is handed back in its place as the <see cref="UdpException"/>.
/// </summary>
internal sealed class ProbeSweep : IDisposable
{
    private readonly IReadOnlyList<ProbeTarget> targets;
    private readonly ProbeSettings settings;
    private readonly Slot[] slots;
    private readonly List<int[]> work = new();
    private readonly SemaphoreSlim budget;
    private readonly CancellationTokenSource cancellation = new();
    // Set by the workers at every change; the reader waits on it only once it has caught up, with
    // little spinning: a reader spinning for each target takes the core a worker needs.
    private readonly ManualResetEventSlim changed = new(false, spinCount: 1);
    private readonly List<Thread> workers = new();
    private int next = -1;
    private int done;
    private int open;
    private int closed;
    private int filtered;
    private int silent;

    internal ProbeSweep(IReadOnlyList<ProbeTarget> targets, ProbeSettings settings)
    {
        this.targets = targets;
        this.settings = settings;
        slots = new Slot[targets.Count];
        for (int i = 0; i < slots.Length; i++)
        {
            slots[i] = new Slot();
        }

        budget = new SemaphoreSlim(Math.Max(1, settings.ThrottleLimit));
        Plan();
    }

    /// <summary>Targets in all.</summary>
    internal int Total => targets.Count;

    /// <summary>Targets finished.</summary>
    internal int Done => Volatile.Read(ref done);

    /// <summary>Verdicts so far, for progress: open, closed, filtered, open|filtered.</summary>
    internal (int Open, int Closed, int Filtered, int OpenOrFiltered) Verdicts =>
        (Volatile.Read(ref open), Volatile.Read(ref closed), Volatile.Read(ref filtered), Volatile.Read(ref silent));

    /// <summary>Starts the worker threads.</summary>
    internal void Start()
    {
        int count = Math.Max(1, Math.Min(settings.ThrottleLimit, work.Count));
        for (int i = 0; i < count; i++)
        {
            var thread = new Thread(Work) { IsBackground = true, Name = "PSUdp probe" };
            workers.Add(thread);
            thread.Start();
        }
    }

    /// <summary>
    /// Results (<see cref="UdpProbeResult"/>, <see cref="UdpProbeSummary"/>, <see cref="UdpException"/>)
    /// in target order; ends when every target is done. Waits wake at <paramref name="wake"/>, so the
    /// caller can report progress, and throw OperationCanceledException when <paramref name="token"/> is cancelled.
    /// </summary>
    internal IEnumerable<object?> Results(CancellationToken token, TimeSpan wake)
    {
        int head = 0;
        bool flowing = false;
        while (head < slots.Length)
        {
            Slot slot = slots[head];
            bool complete = slot.Complete; // read before draining: what was queued before completion is then drained
            while (slot.TryTake(out object? item))
            {
                flowing = true;
                yield return item;
            }

            if (complete)
            {
                head++;
                continue;
            }

            if (flowing)
            {
                // Results are coming (a sweep of closed ports on loopback: one every few tens of
                // microseconds): the next ones are taken a millisecond from now, all at once, rather
                // than each waking this thread, which costs the workers a system call apiece.
                flowing = false;
                token.WaitHandle.WaitOne(1);
                continue;
            }

            changed.Reset();
            if (slot.Complete || slot.HasItems)
            {
                continue; // changed since it was looked at
            }

            if (!changed.Wait(wake, token))
            {
                yield return null; // a wake with nothing new: time to show progress
            }
        }
    }

    /// <summary>Stops every worker (Ctrl+C) and waits for them to close their sockets.</summary>
    internal void Stop()
    {
        cancellation.Cancel();
        foreach (Thread worker in workers)
        {
            worker.Join(TimeSpan.FromSeconds(2));
        }
    }

    public void Dispose()
    {
        Stop();
        cancellation.Dispose();
        changed.Dispose();
        budget.Dispose();
    }

    // The work, in the order of each item's first target: each host's ports that can share a
    // socket as one item, every other target as an item of its own.
    private void Plan()
    {
        var items = new List<List<int>>();
        var hosts = new Dictionary<(string, IPAddress), List<int>>();
        bool share = settings.Count == 0 && targets.Count > 1 && HostSweep.IsAvailable;
        for (int i = 0; i < targets.Count; i++)
        {
            if (!share || targets[i].Payload.AnswersFromAnotherPort)
            {
                items.Add(new List<int> { i });
                continue;
            }

            // By name too: two names of one address (localhost, 127.0.0.1) each ask for every port.
            var host = (targets[i].ComputerName, Addresses.Normalize(targets[i].EndPoint.Address));
            if (!hosts.TryGetValue(host, out List<int>? ports))
            {
                ports = new List<int>();
                hosts[host] = ports;
                items.Add(ports);
            }

            ports.Add(i);
        }

        foreach (List<int> item in items)
        {
            work.Add(item.ToArray());
        }
    }

    private void Work()
    {
        CancellationToken token = cancellation.Token;
        int index;
        while (!token.IsCancellationRequested && (index = Interlocked.Increment(ref next)) < work.Count)
        {
            int[] item = work[index];
            if (item.Length > 1)
            {
                Share(item, token);
            }
            else if (!Probe(item[0], token))
            {
                return;
            }
        }
    }

    // One target on a thread and socket of its own, in a place of the budget; false when cancelled.
    private bool Probe(int index, CancellationToken token)
    {
        Slot slot = slots[index];
        try
        {
            budget.Wait(token);
        }
        catch (OperationCanceledException)
        {
            return false;
        }

        try
        {
            if (settings.Count > 0)
            {
                PortProber.Series(targets[index], settings, token, item => Add(slot, item));
            }
            else
            {
                PortProber.Verdict(targets[index], settings, token, item => Add(slot, item));
            }
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (UdpException e)
        {
            Add(slot, e);
        }
        catch (Exception e)
        {
            Add(slot, Failed(index, e));
        }
        finally
        {
            budget.Release();
        }

        Complete(index);
        return true;
    }

    // The ports of one host on one socket; when the socket fails, each target not done gets the failure.
    private void Share(int[] indices, CancellationToken token)
    {
        try
        {
            HostSweep.Run(targets, indices, settings, budget, token, (index, item) => Add(slots[index], item), Complete);
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e)
        {
            foreach (int index in indices)
            {
                if (!slots[index].Complete)
                {
                    Add(slots[index], e as UdpException ?? Failed(index, e));
                    Complete(index);
                }
            }
        }
    }

    private UdpException Failed(int index, Exception e) =>
        new(UdpErrorKind.SocketFailed, $"Probing {Addresses.Format(targets[index].EndPoint)} failed: {e.Message}", Addresses.Format(targets[index].EndPoint), e);

    private void Complete(int index)
    {
        slots[index].Complete = true;
        Interlocked.Increment(ref done);
        changed.Set();
    }

    [MethodImpl(HotPath.Optimized)]
    private void Add(Slot slot, object item)
    {
        if (item is UdpProbeResult { Sequence: null } result)
        {
            Count(result.Verdict);
        }
        else if (item is UdpProbeSummary summary)
        {
            Count(summary.Verdict);
        }

        slot.Add(item);
        changed.Set();
    }

    private void Count(UdpVerdict verdict)
    {
        switch (verdict)
        {
            case UdpVerdict.Open: Interlocked.Increment(ref open); break;
            case UdpVerdict.Closed: Interlocked.Increment(ref closed); break;
            case UdpVerdict.Filtered: Interlocked.Increment(ref filtered); break;
            default: Interlocked.Increment(ref silent); break;
        }
    }

    // One target's results, in order, from one worker to the reader. Most targets have one: it
    // takes no queue (a sweep of all ports has 65,535 slots, and a queue apiece, a kilobyte, took
    // a third of a second to make); a queue is made for the results after the first.
    private sealed class Slot
    {
        private object? first;
        private bool firstAdded; // the worker's
        private bool firstTaken; // the reader's
        private ConcurrentQueue<object>? more;
        private volatile bool complete;

        internal bool Complete
        {
            get => complete;
            set => complete = value;
        }

        internal bool HasItems => (!firstTaken && Volatile.Read(ref first) is not null) || Volatile.Read(ref more) is { IsEmpty: false };

        // The worker's: the first result, then the queue (published before anything goes into it).
        internal void Add(object item)
        {
            if (!firstAdded)
            {
                firstAdded = true;
                Volatile.Write(ref first, item);
                return;
            }

            if (more is null)
            {
                Volatile.Write(ref more, new ConcurrentQueue<object>());
            }

            more!.Enqueue(item);
        }

        // The reader's: the first result before any in the queue.
        internal bool TryTake(out object? item)
        {
            if (!firstTaken)
            {
                item = Volatile.Read(ref first);
                if (item is null)
                {
                    return false;
                }

                firstTaken = true;
                first = null;
                return true;
            }

            item = null;
            return Volatile.Read(ref more) is { } queue && queue.TryDequeue(out item);
        }
    }
}
