using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;

namespace PSUdp.Engine;

/// <summary>
/// The bounded hand-off from a socket loop to its consumer. The loop never waits: when the queue
/// holds <see cref="Capacity"/> datagrams or <see cref="ByteCapacity"/> payload bytes, the datagram
/// is dropped and counted, so memory stays bounded however slow the consumer is.
/// </summary>
/// <remarks>
/// Lock-free on both sides while datagrams flow: the producer wakes the consumer only when the
/// consumer has said it is about to sleep, and a consumer that has just emptied the queue naps a
/// millisecond instead, so a busy stream costs no wake-up per datagram (BlockingCollection took
/// two semaphore operations for each, and its consumer spun on sched_yield between them).
/// </remarks>
internal sealed class DatagramQueue : IDisposable
{
    // How long a waiting consumer sleeps before it looks again; wake-ups normally come sooner.
    private const int WakeMilliseconds = 100;

    private readonly ConcurrentQueue<UdpDatagram> items = new();
    private readonly SemaphoreSlim wake = new(0);
    private int count;
    private long bytes;
    private long dropped;
    private int consumerWaiting;
    private volatile bool completed;

    internal DatagramQueue(int capacity = 65536, long byteCapacity = 64L * 1024 * 1024)
    {
        Capacity = capacity;
        ByteCapacity = byteCapacity;
    }

    /// <summary>The most datagrams the queue holds.</summary>
    internal int Capacity { get; }

    /// <summary>The most payload bytes the queue holds.</summary>
    internal long ByteCapacity { get; }

    /// <summary>Datagrams dropped because the consumer fell behind.</summary>
    internal long Dropped => Interlocked.Read(ref dropped);

    /// <summary>Datagrams waiting for the consumer.</summary>
    internal int Count => Volatile.Read(ref count);

    /// <summary>True once completed and empty.</summary>
    internal bool IsFinished => completed && items.IsEmpty;

    /// <summary>Queues a datagram, or drops and counts it when the queue is full. Never blocks.</summary>
    [MethodImpl(HotPath.Optimized)]
    internal bool TryAdd(UdpDatagram datagram)
    {
        if (completed)
        {
            return false;
        }

        bool fits = Interlocked.Increment(ref count) <= Capacity;
        if (Interlocked.Add(ref bytes, datagram.Length) > ByteCapacity || !fits)
        {
            Interlocked.Decrement(ref count);
            Interlocked.Add(ref bytes, -datagram.Length);
            Interlocked.Increment(ref dropped);
            return false;
        }

        items.Enqueue(datagram);
        WakeConsumer();
        return true;
    }

    /// <summary>No more datagrams will come; the consumer ends once the queue is empty.</summary>
    internal void Complete()
    {
        completed = true;
        try
        {
            wake.Release();
        }
        catch (ObjectDisposedException)
        {
            // Already torn down: nothing waits on it any more.
        }
    }

    /// <summary>Yields datagrams as they come until the queue is completed and empty; cancellation throws.</summary>
    internal IEnumerable<UdpDatagram> Drain(CancellationToken token)
    {
        while (true)
        {
            bool any = false;
            while (items.TryDequeue(out UdpDatagram? datagram))
            {
                any = true;
                Taken(datagram);
                yield return datagram;
            }

            if (completed && items.IsEmpty)
            {
                yield break;
            }

            if (any)
            {
                // Datagrams are flowing: let the next batch gather for a millisecond rather than
                // be woken for each one (on a busy stream that wake-up cost more than the datagram).
                Thread.Sleep(1);
                continue;
            }

            WaitForMore(WakeMilliseconds, token);
        }
    }

    /// <summary>Takes one datagram if one comes within the timeout.</summary>
    internal bool TryTake(out UdpDatagram? datagram, int millisecondsTimeout, CancellationToken token)
    {
        long deadline = Stopwatch.GetTimestamp() + millisecondsTimeout * Stopwatch.Frequency / 1000;
        while (true)
        {
            if (items.TryDequeue(out datagram))
            {
                Taken(datagram);
                return true;
            }

            long left = (deadline - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency;
            if (left <= 0 || (completed && items.IsEmpty))
            {
                return false;
            }

            WaitForMore((int)Math.Min(left, WakeMilliseconds), token);
        }
    }

    public void Dispose() => wake.Dispose();

    private void Taken(UdpDatagram datagram)
    {
        Interlocked.Decrement(ref count);
        Interlocked.Add(ref bytes, -datagram.Length);
    }

    // Says "about to sleep", looks once more (a datagram queued just before the flag was seen
    // would otherwise wait for the timeout), then sleeps until woken or the timeout.
    private void WaitForMore(int milliseconds, CancellationToken token)
    {
        token.ThrowIfCancellationRequested();
        Interlocked.Exchange(ref consumerWaiting, 1);
        if (items.IsEmpty && !completed)
        {
            wake.Wait(milliseconds, token);
        }

        Interlocked.Exchange(ref consumerWaiting, 0);
    }

    private void WakeConsumer()
    {
        // The interlocked read is a full fence after the enqueue, so either this sees the flag or
        // the consumer's second look sees the datagram.
        if (Interlocked.CompareExchange(ref consumerWaiting, 0, 1) == 1)
        {
            wake.Release();
        }
    }
}
