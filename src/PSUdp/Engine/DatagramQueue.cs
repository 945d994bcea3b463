using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;

namespace PSUdp.Engine;

/// <summary>
/// The bounded hand-off from a socket loop to its consumer. The loop never waits: when the queue
/// holds <see cref="Capacity"/> datagrams or <see cref="ByteCapacity"/> payload bytes, the datagram
/// is dropped and counted, so memory stays bounded however slow the consumer is.
/// </summary>
internal sealed class DatagramQueue : IDisposable
{
    private readonly BlockingCollection<UdpDatagram> items;
    private long bytes;
    private long dropped;

    internal DatagramQueue(int capacity = 65536, long byteCapacity = 64L * 1024 * 1024)
    {
        Capacity = capacity;
        ByteCapacity = byteCapacity;
        items = new BlockingCollection<UdpDatagram>(new ConcurrentQueue<UdpDatagram>(), capacity);
    }

    /// <summary>The most datagrams the queue holds.</summary>
    internal int Capacity { get; }

    /// <summary>The most payload bytes the queue holds.</summary>
    internal long ByteCapacity { get; }

    /// <summary>Datagrams dropped because the consumer fell behind.</summary>
    internal long Dropped => Interlocked.Read(ref dropped);

    /// <summary>Datagrams waiting for the consumer.</summary>
    internal int Count => items.Count;

    /// <summary>Queues a datagram, or drops and counts it when the queue is full. Never blocks.</summary>
    internal bool TryAdd(UdpDatagram datagram)
    {
        if (Interlocked.Add(ref bytes, datagram.Length) > ByteCapacity || !items.TryAdd(datagram))
        {
            Interlocked.Add(ref bytes, -datagram.Length);
            Interlocked.Increment(ref dropped);
            return false;
        }

        return true;
    }

    /// <summary>No more datagrams will come; the consumer ends once the queue is empty.</summary>
    internal void Complete()
    {
        try
        {
            items.CompleteAdding();
        }
        catch (ObjectDisposedException)
        {
            // Already torn down: nothing waits on it any more.
        }
    }

    /// <summary>Yields datagrams as they come until the queue is completed and empty; cancellation throws.</summary>
    internal IEnumerable<UdpDatagram> Drain(CancellationToken token)
    {
        foreach (UdpDatagram datagram in items.GetConsumingEnumerable(token))
        {
            Interlocked.Add(ref bytes, -datagram.Length);
            yield return datagram;
        }
    }

    /// <summary>Takes one datagram if one comes within the timeout.</summary>
    internal bool TryTake(out UdpDatagram? datagram, int millisecondsTimeout, CancellationToken token)
    {
        if (items.TryTake(out datagram, millisecondsTimeout, token))
        {
            Interlocked.Add(ref bytes, -datagram.Length);
            return true;
        }

        return false;
    }

    /// <summary>True once completed and empty.</summary>
    internal bool IsFinished => items.IsCompleted;

    public void Dispose() => items.Dispose();
}
