using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading;
using PSUdp.Engine.IPLevel;

namespace PSUdp.Engine.Receive;

/// <summary>
/// The bounded hand-off from a socket loop (the one producer) to its consumer (one at a time).
/// The loop never waits: when the queue holds <see cref="Capacity"/> datagrams or
/// <see cref="ByteCapacity"/> payload bytes, the datagram is dropped and counted, so memory stays
/// bounded however slow the consumer is.
/// </summary>
/// <remarks>
/// <para>
/// Waiting datagrams are not objects: each is a small record and a copy of its bytes in large
/// blocks, and the <see cref="UdpDatagram"/> is made when the consumer takes it. A backlog of
/// objects survived every collection and was copied from generation to generation while the
/// pipeline warmed up, and those pauses stopped the receive thread too: under a loopback flood of
/// 1,400-byte datagrams the queue then overflowed and the kernel buffer with it. Blocks of bytes
/// are never copied by the collector, and the objects the consumer makes die young.
/// </para>
/// <para>
/// Lock-free on both sides while datagrams flow: the producer wakes the consumer only when the
/// consumer has said it is about to sleep, and a consumer that has just emptied the queue naps a
/// millisecond instead, so a busy stream costs no wake-up per datagram.
/// </para>
/// </remarks>
internal sealed class DatagramQueue : IDisposable
{
    // How long a waiting consumer sleeps before it looks again; wake-ups normally come sooner.
    private const int WakeMilliseconds = 100;

    // Emptied segments kept for reuse: enough for the few milliseconds a busy consumer trails the
    // socket (a millisecond's nap, a collection), so a steady stream allocates no blocks.
    private const int Spares = 16;

    private readonly Encoding encoding;
    private readonly SemaphoreSlim wake = new(0);
    private readonly Segment?[] spares = new Segment?[Spares]; // handed over by Interlocked exchange
    private Segment tail;      // the producer's
    private int segmentBlock;  // the producer's: the shape of the segments it makes
    private int segmentEntries;
    private Segment head;      // the consumer's
    private int count;
    private long bytes;
    private long dropped;
    private int consumerWaiting;
    private volatile bool completed;

    internal DatagramQueue(Encoding encoding, int capacity = DatagramLimits.QueueCapacity, long byteCapacity = DatagramLimits.QueueByteCapacity)
    {
        this.encoding = encoding;
        Capacity = capacity;
        ByteCapacity = byteCapacity;
        head = tail = new Segment(Segment.SmallestBlock, Segment.TypicalEntries);
    }

    /// <summary>The most datagrams the queue holds.</summary>
    internal int Capacity { get; }

    /// <summary>The most payload bytes the queue holds.</summary>
    internal long ByteCapacity { get; }

    /// <summary>Datagrams dropped because the consumer fell behind.</summary>
    internal long Dropped => Interlocked.Read(ref dropped);

    /// <summary>Datagrams waiting for the consumer.</summary>
    internal int Count => Volatile.Read(ref count);

    private bool IsEmpty => Volatile.Read(ref count) == 0;

    /// <summary>Queues a copy of the datagram, or drops and counts it when the queue is full. Never blocks.</summary>
    [MethodImpl(HotPath.Optimized)]
    internal bool TryAdd(in DatagramView datagram)
    {
        if (completed)
        {
            return false;
        }

        int length = datagram.Length;
        if (Volatile.Read(ref count) >= Capacity || Interlocked.Read(ref bytes) + length > ByteCapacity)
        {
            Interlocked.Increment(ref dropped);
            return false;
        }

        Segment segment = tail;
        if (!segment.Fits(length))
        {
            segment = NewSegment(length, segment.AverageLength);
            tail.Next = segment; // published after every entry of the old tail
            tail = segment;
        }

        segment.Write(datagram);
        Interlocked.Add(ref bytes, length);
        Interlocked.Increment(ref count); // a full fence: the entry is visible before it is counted
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
            while (TryDequeue(out UdpDatagram? datagram))
            {
                any = true;
                yield return datagram!;
            }

            if (completed && IsEmpty)
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

    public void Dispose() => wake.Dispose();

    // The count is raised only after an entry is written, so a counted entry is always readable.
    [MethodImpl(HotPath.Optimized)]
    private bool TryDequeue(out UdpDatagram? datagram)
    {
        if (IsEmpty)
        {
            datagram = null;
            return false;
        }

        Segment segment = head;
        if (segment.IsRead)
        {
            // The entry counted is in the next segment; this one is the consumer's alone now.
            head = segment.Next!;
            Recycle(segment);
            segment = head;
        }

        datagram = segment.Read(encoding, out int length);
        Interlocked.Add(ref bytes, -length);
        Interlocked.Decrement(ref count);
        return true;
    }

    // Keeps an emptied segment for the producer; past the spares (after a backlog) it goes to the collector.
    private void Recycle(Segment segment)
    {
        if (!segment.Reset())
        {
            return;
        }

        for (int i = 0; i < spares.Length; i++)
        {
            if (Interlocked.CompareExchange(ref spares[i], segment, null) is null)
            {
                return;
            }
        }
    }

    // Segments only grow (the largest block and the most records any segment needed so far), so a
    // stream whose sizes change settles on one shape and its spares fit again; a spare of an
    // earlier, smaller shape goes to the collector.
    private Segment NewSegment(int length, int averageLength)
    {
        int wanted = Segment.BlockLengthFor(length, averageLength);
        if (wanted > Segment.LargestBlock)
        {
            return new Segment(wanted, Segment.FewestEntries); // one datagram's own
        }

        segmentBlock = Math.Max(segmentBlock, wanted);
        segmentEntries = Math.Max(segmentEntries, Segment.EntriesFor(wanted, Math.Max(length, averageLength)));
        for (int i = 0; i < spares.Length; i++)
        {
            if (Volatile.Read(ref spares[i]) is not null && Interlocked.Exchange(ref spares[i], null) is { } spare &&
                spare.BlockLength >= segmentBlock && spare.EntryCount >= segmentEntries)
            {
                return spare;
            }
        }

        return new Segment(segmentBlock, segmentEntries);
    }

    // Says "about to sleep", looks once more (a datagram queued just before the flag was seen
    // would otherwise wait for the timeout), then sleeps until woken or the timeout.
    private void WaitForMore(int milliseconds, CancellationToken token)
    {
        token.ThrowIfCancellationRequested();
        Interlocked.Exchange(ref consumerWaiting, 1);
        if (IsEmpty && !completed)
        {
            wake.Wait(milliseconds, token);
        }

        Interlocked.Exchange(ref consumerWaiting, 0);
    }

    private void WakeConsumer()
    {
        // The interlocked read is a full fence after the count, so either this sees the flag or
        // the consumer's second look sees the datagram.
        if (Interlocked.CompareExchange(ref consumerWaiting, 0, 1) == 1)
        {
            wake.Release();
        }
    }

    // One datagram's record; its bytes are in the segment's block at Offset.
    private struct Entry
    {
        internal IPAddress RemoteAddress;
        internal IPAddress LocalAddress;
        internal ArrivalFacts Facts;
        internal int Offset;
        internal int Length;
        internal ushort RemotePort;
        internal ushort LocalPort;
        internal bool Truncated;
    }

    /// <summary>
    /// Records and a block of bytes for them, written by the producer only,
    /// then read by the consumer only; a datagram larger than the largest block gets a segment of
    /// its own.
    /// </summary>
    /// <remarks>
    /// The segment is sized for the stream: a block for <see cref="TypicalEntries"/> datagrams of
    /// the size the last segment held on average, between <see cref="SmallestBlock"/> and
    /// <see cref="LargestBlock"/>, and as many records as such datagrams fill it with. One size
    /// for all (1,024 records, 256 KiB) gave a backlog of small datagrams 2.7 times the memory it
    /// needed: 40 MB, not 15, for 131,072 datagrams of 64 B.
    /// </remarks>
    private sealed class Segment
    {
        internal const int TypicalEntries = 1024;
        internal const int FewestEntries = 64;
        private const int MostEntries = 4096;

        // Past the large-object threshold (85,000 bytes), so the collector never moves a block.
        internal const int SmallestBlock = 96 * 1024;
        internal const int LargestBlock = 256 * 1024;

        private readonly Entry[] entries;
        private readonly byte[] block;
        private int written;   // entries written (producer)
        private int used;      // bytes written (producer)
        private int read;      // entries read (consumer)

        internal Segment(int blockLength, int entryCount)
        {
            block = new byte[blockLength];
            entries = new Entry[entryCount];
        }

        internal int BlockLength => block.Length;

        internal int EntryCount => entries.Length;

        /// <summary>The bytes of an entry of this segment on average; 0 while it has none.</summary>
        internal int AverageLength => written == 0 ? 0 : used / written;

        /// <summary>The block for a segment that opens with a datagram of this length.</summary>
        internal static int BlockLengthFor(int length, int averageLength)
        {
            long wanted = (long)Math.Max(length, averageLength) * TypicalEntries;
            return length > LargestBlock ? length : (int)Math.Min(Math.Max(wanted, SmallestBlock), LargestBlock);
        }

        /// <summary>The records for a block that datagrams of this length fill.</summary>
        internal static int EntriesFor(int blockLength, int length) =>
            Math.Min(Math.Max(blockLength / Math.Max(length, 1), FewestEntries), MostEntries);

        /// <summary>The segment after this one, set by the producer after this one's last entry.</summary>
        internal volatile Segment? Next;

        /// <summary>Every entry has been read, and no more will be written (Next is read first).</summary>
        internal bool IsRead => Next is not null && read == Volatile.Read(ref written);

        internal bool Fits(int length) => written < entries.Length && used + length <= block.Length;

        [MethodImpl(HotPath.Optimized)]
        internal void Write(in DatagramView datagram)
        {
            ref Entry entry = ref entries[written];
            entry.RemoteAddress = datagram.RemoteAddress;
            entry.LocalAddress = datagram.LocalAddress;
            entry.Facts = datagram.Facts;
            entry.Offset = used;
            entry.Length = datagram.Length;
            entry.RemotePort = (ushort)datagram.RemotePort;
            entry.LocalPort = (ushort)datagram.LocalPort;
            entry.Truncated = datagram.Truncated;
            Buffer.BlockCopy(datagram.Buffer, datagram.Offset, block, used, datagram.Length);
            used += entry.Length;
            Volatile.Write(ref written, written + 1);
        }

        [MethodImpl(HotPath.Optimized)]
        internal UdpDatagram Read(Encoding encoding, out int length)
        {
            ref Entry entry = ref entries[read++];
            length = entry.Length;
            byte[] payload = length == 0 ? Array.Empty<byte>() : new byte[length];
            Buffer.BlockCopy(block, entry.Offset, payload, 0, length);
            var datagram = new UdpDatagram(DatagramDirection.Received, entry.RemoteAddress, entry.RemotePort,
                entry.LocalAddress, entry.LocalPort, payload, entry.Truncated, encoding, entry.Facts);
            entry = default; // let go of the addresses
            return datagram;
        }

        /// <summary>Empties a segment for reuse; false when its block was one datagram's own.</summary>
        internal bool Reset()
        {
            written = used = read = 0;
            Next = null;
            return block.Length <= LargestBlock;
        }
    }
}
