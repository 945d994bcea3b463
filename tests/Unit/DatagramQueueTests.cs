using System.Runtime.InteropServices;
using PSUdp.Engine.IPLevel;

namespace PSUdp.Tests;

public class DatagramQueueTests
{
    [Fact]
    public void WakesAWaitingConsumerAtOnceAndEndsWhenCompleted()
    {
        using var queue = new DatagramQueue(EncodingResolver.Default, capacity: 4);
        var producer = new Thread(() =>
        {
            for (byte i = 0; i < 20; i++)
            {
                Thread.Sleep(i % 5 == 0 ? 20 : 0); // let the consumer fall asleep now and then
                while (!queue.TryAdd(View(new[] { i })))
                {
                    Thread.Sleep(1);
                }
            }

            queue.Complete();
        });
        producer.Start();
        var got = queue.Drain(new CancellationTokenSource(5000).Token).Select(d => d.Payload[0]).ToList();
        producer.Join();
        Assert.Equal(Enumerable.Range(0, 20).Select(i => (byte)i), got);
        Assert.Equal(0, queue.Count);
        Assert.True(queue.IsFinished);
    }

    [Fact]
    public void DropsAndCountsPastItsCapacity()
    {
        using var queue = new DatagramQueue(EncodingResolver.Default, capacity: 2, byteCapacity: 3);
        Assert.True(queue.TryAdd(View(new byte[1])));
        Assert.False(queue.TryAdd(View(new byte[3]))); // bytes
        Assert.True(queue.TryAdd(View(new byte[2])));
        Assert.False(queue.TryAdd(View(new byte[0]))); // count
        Assert.Equal(2, queue.Dropped);
        Assert.Equal(2, queue.Count);
    }

    [Fact]
    public void KeepsEveryDatagramAcrossItsBlocksInOrder()
    {
        // More datagrams, and more bytes, than one block holds, written while a consumer takes
        // them: each comes out once, in order, whole, with its own source and time.
        const int total = 20000;
        long epoch = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;
        using var queue = new DatagramQueue(EncodingResolver.Default, capacity: 3000, byteCapacity: 2_000_000);
        var producer = new Thread(() =>
        {
            var buffer = new byte[1500];
            for (int i = 0; i < total; i++)
            {
                int length = i % 1500;
                for (int j = 0; j < length; j++)
                {
                    buffer[j] = (byte)(i + j);
                }

                var view = new DatagramView(IPAddress.Loopback, i % 65536, IPAddress.IPv6Loopback, 7, buffer, 0, length, i % 3 == 0, new ArrivalFacts(0, -1, -1, epoch + i));
                while (!queue.TryAdd(view))
                {
                    Thread.Yield();
                }
            }

            queue.Complete();
        });
        producer.Start();
        int next = 0;
        foreach (UdpDatagram d in queue.Drain(new CancellationTokenSource(30000).Token))
        {
            Assert.Equal(next % 1500, d.Length);
            Assert.Equal(Enumerable.Range(0, d.Length).Select(j => (byte)(next + j)), d.Payload);
            Assert.Equal(next % 65536, d.RemotePort);
            Assert.Equal(next % 3 == 0, d.Truncated);
            Assert.Equal(new DateTimeOffset(epoch + next, TimeSpan.Zero), d.Timestamp.ToUniversalTime());
            next++;
        }

        producer.Join();
        Assert.Equal(total, next);
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public void KeepsEveryDatagramWhenTheStreamChangesSize()
    {
        // A backlog of small datagrams (small blocks), then larger ones (those blocks, spare now,
        // are too small and are not reused), one larger than any block (a segment of its own), and
        // small ones again: taken after all were queued, each comes out once, in order, whole.
        var lengths = Enumerable.Repeat(64, 5000).Concat(Enumerable.Repeat(1400, 3000)).Append(300 * 1024)
            .Concat(Enumerable.Repeat(0, 10)).Concat(Enumerable.Repeat(64, 3000)).ToArray();
        using var queue = new DatagramQueue(EncodingResolver.Default, capacity: 6000, byteCapacity: 64_000_000);
        var buffer = new byte[300 * 1024];
        int taken = 0;
        int next = 0;
        for (int round = 0; round < 3; round++)
        {
            // Queue up to 6,000, then take them all: the emptied segments become the spares.
            for (; next < lengths.Length && queue.Count < queue.Capacity; next++)
            {
                for (int j = 0; j < lengths[next]; j++)
                {
                    buffer[j] = (byte)(next + j);
                }

                Assert.True(queue.TryAdd(new DatagramView(IPAddress.Loopback, next % 65536, IPAddress.Loopback, 9, buffer, 0, lengths[next], false, new ArrivalFacts(0, -1, -1, next))));
            }

            while (queue.TryTake(out UdpDatagram? d, 1000, CancellationToken.None))
            {
                Assert.Equal(lengths[taken], d!.Length);
                Assert.Equal(taken % 65536, d.RemotePort);
                Assert.Equal(Enumerable.Range(0, d.Length).Select(j => (byte)(taken + j)), d.Payload);
                taken++;
                if (queue.Count == 0)
                {
                    break;
                }
            }
        }

        Assert.Equal(lengths.Length, next);
        Assert.Equal(lengths.Length, taken);
        Assert.Equal(0, queue.Dropped);
    }

    private static DatagramView View(byte[] payload) =>
        new(IPAddress.Loopback, 9, IPAddress.Loopback, 9, payload, 0, payload.Length, false, new ArrivalFacts(0, -1, -1, DateTime.UtcNow.Ticks));
}
