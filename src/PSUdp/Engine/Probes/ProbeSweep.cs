using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;

namespace PSUdp.Engine.Probes;

/// <summary>
/// Probes many targets at once, at most <see cref="ProbeSettings.ThrottleLimit"/> at a time, each
/// on a thread and socket of its own, and hands back what they find in the order the targets were
/// given (host, then port): a target's results come as soon as every earlier target is done,
/// and the first target's as they happen. A failure to send to one target (no route) is handed
/// back in its place as the <see cref="UdpException"/>.
/// </summary>
internal sealed class ProbeSweep : IDisposable
{
    private readonly IReadOnlyList<ProbeTarget> targets;
    private readonly ProbeSettings settings;
    private readonly Slot[] slots;
    private readonly CancellationTokenSource cancellation = new();
    private readonly SemaphoreSlim changed = new(0);
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
        settings.ManyTargets = targets.Count > 1;
        slots = new Slot[targets.Count];
        for (int i = 0; i < slots.Length; i++)
        {
            slots[i] = new Slot();
        }
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
        int count = Math.Max(1, Math.Min(settings.ThrottleLimit, targets.Count));
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
        while (head < slots.Length)
        {
            Slot slot = slots[head];
            bool complete = slot.Complete; // read before draining: what was queued before completion is then drained
            while (slot.Items.TryDequeue(out object? item))
            {
                yield return item;
            }

            if (complete)
            {
                head++;
                continue;
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
    }

    private void Work()
    {
        CancellationToken token = cancellation.Token;
        int index;
        while (!token.IsCancellationRequested && (index = Interlocked.Increment(ref next)) < targets.Count)
        {
            Slot slot = slots[index];
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
                return;
            }
            catch (UdpException e)
            {
                Add(slot, e);
            }
            catch (Exception e)
            {
                Add(slot, new UdpException(UdpErrorKind.SocketFailed,
                    $"Probing {Addresses.Format(targets[index].EndPoint)} failed: {e.Message}", Addresses.Format(targets[index].EndPoint), e));
            }

            slot.Complete = true;
            Interlocked.Increment(ref done);
            changed.Release();
        }
    }

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

        slot.Items.Enqueue(item);
        changed.Release();
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

    private sealed class Slot
    {
        internal readonly ConcurrentQueue<object> Items = new();
        private volatile bool complete;

        internal bool Complete
        {
            get => complete;
            set => complete = value;
        }
    }
}
