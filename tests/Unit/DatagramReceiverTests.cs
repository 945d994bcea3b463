using System.Diagnostics;
using System.Text;

namespace PSUdp.Tests;

/// <summary>The receiver on the path this system takes (recvmmsg batches on Linux).</summary>
public class DatagramReceiverTests
{
    /// <summary>True to read one datagram per receive, the path of systems without recvmmsg.</summary>
    protected virtual bool ReadOneAtATime => false;

    private DatagramReceiver Start(ListenerOptions options)
    {
        options.ReadOneAtATime = ReadOneAtATime;
        var receiver = new DatagramReceiver(options);
        receiver.Start();
        return receiver;
    }

    // Sends datagrams 0, 1, 2, ... of one byte each to the receiver from a loopback peer, which it returns.
    private static Socket SendNumbered(DatagramReceiver receiver, int count)
    {
        Socket peer = Loopback.Bind(IPAddress.Loopback);
        var target = new IPEndPoint(IPAddress.Loopback, receiver.LocalEndPoint.Port);
        for (int i = 0; i < count; i++)
        {
            peer.SendTo(new[] { (byte)i }, target);
        }

        return peer;
    }

    private static UdpDatagram Take(DatagramReceiver receiver)
    {
        Assert.True(receiver.Queue.TryTake(out UdpDatagram? d, 5000, CancellationToken.None), "no datagram within 5 s");
        return d!;
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public void Receives_WithBothEndpointsAndTheExactBytes(string address)
    {
        IPAddress loopback = IPAddress.Parse(address);
        using var receiver = Start(new ListenerOptions());
        using Socket peer = Loopback.Bind(loopback);
        byte[] payload = Encoding.UTF8.GetBytes("请输入要发送的数据");
        peer.SendTo(payload, new IPEndPoint(loopback, receiver.LocalEndPoint.Port));

        UdpDatagram d = Take(receiver);
        Assert.Equal(DatagramDirection.Received, d.Direction);
        Assert.Equal(payload, d.Payload);
        Assert.Equal("请输入要发送的数据", d.Text);
        Assert.Equal(loopback, d.RemoteAddress);
        Assert.Equal(peer.EndPoint().Port, d.RemotePort);
        Assert.Equal(loopback, d.LocalAddress); // from packet information, not the wildcard bind
        Assert.Equal(receiver.LocalEndPoint.Port, d.LocalPort);
        Assert.False(d.Truncated);
        Assert.InRange(d.Timestamp, DateTimeOffset.Now.AddSeconds(-10), DateTimeOffset.Now.AddSeconds(1));
    }

    [Fact]
    public void Receives_EmptyAndLargestDatagrams()
    {
        using var receiver = Start(new ListenerOptions { Socket = { LocalAddress = IPAddress.Loopback } });
        using Socket peer = Loopback.Bind(IPAddress.Loopback);
        var target = new IPEndPoint(IPAddress.Loopback, receiver.LocalEndPoint.Port);
        byte[] large = Enumerable.Range(0, DatagramLimits.MaxIPv4Payload).Select(i => (byte)i).ToArray();
        peer.SendTo(Array.Empty<byte>(), target);
        peer.SendTo(large, target);

        Assert.Equal(0, Take(receiver).Length);
        UdpDatagram big = Take(receiver);
        Assert.Equal(large, big.Payload);
        Assert.False(big.Truncated);
    }

    [Fact]
    public void MarksDatagramsLargerThanTheBufferAsTruncated()
    {
        using var receiver = Start(new ListenerOptions { MaxDatagramLength = 16, Socket = { LocalAddress = IPAddress.Loopback } });
        using Socket peer = Loopback.Bind(IPAddress.Loopback);
        peer.SendTo(new byte[100], new IPEndPoint(IPAddress.Loopback, receiver.LocalEndPoint.Port));

        UdpDatagram d = Take(receiver);
        Assert.True(d.Truncated);
        Assert.Equal(16, d.Length);
    }

    [Fact]
    public void StopsAtCountAndClosesThePort()
    {
        using var receiver = Start(new ListenerOptions { Count = 2, Socket = { LocalAddress = IPAddress.Loopback } });
        using Socket peer = SendNumbered(receiver, 3);

        var got = receiver.Queue.Drain(new CancellationTokenSource(5000).Token).ToList();
        Assert.Equal(2, got.Count);
        Assert.Equal(2, receiver.Received);
        using Socket again = Loopback.Bind(IPAddress.Loopback, receiver.LocalEndPoint.Port);
    }

    [Fact]
    public void StopsAfterItsDuration()
    {
        var clock = Stopwatch.StartNew();
        using var receiver = Start(new ListenerOptions { Duration = TimeSpan.FromMilliseconds(300) });
        Assert.Empty(receiver.Queue.Drain(new CancellationTokenSource(5000).Token));
        Assert.InRange(clock.ElapsedMilliseconds, 250, 1500);
    }

    [Fact]
    public void EndsAShortDurationOnTime()
    {
        // The best of five runs, so a busy machine cannot fail it; a loop that slept its full
        // 100 ms wake-up before looking at the deadline would fail every run.
        long best = long.MaxValue;
        for (int run = 0; run < 5; run++)
        {
            using var receiver = new DatagramReceiver(new ListenerOptions { Duration = TimeSpan.FromMilliseconds(20), ReadOneAtATime = ReadOneAtATime });
            var clock = Stopwatch.StartNew();
            receiver.Start();
            Assert.Empty(receiver.Queue.Drain(new CancellationTokenSource(5000).Token));
            best = Math.Min(best, clock.ElapsedMilliseconds);
        }

        Assert.InRange(best, 15, 99);
    }

    [Fact]
    public void StopEndsTheLoopWithinASecondAndFreesThePort()
    {
        var receiver = Start(new ListenerOptions { Socket = { LocalAddress = IPAddress.Loopback } });
        int port = receiver.LocalEndPoint.Port;
        Thread.Sleep(50);
        var clock = Stopwatch.StartNew();
        receiver.Dispose();
        Assert.True(clock.ElapsedMilliseconds < 1000, $"took {clock.ElapsedMilliseconds} ms");
        using Socket again = Loopback.Bind(IPAddress.Loopback, port);
    }

    [Fact]
    public void CountsWhatAFullQueueDrops()
    {
        using var receiver = Start(new ListenerOptions { QueueCapacity = 10, Socket = { LocalAddress = IPAddress.Loopback } });
        using Socket peer = SendNumbered(receiver, 50);

        SpinWait.SpinUntil(() => receiver.Received == 50, 5000);
        Assert.Equal(50, receiver.Received);
        Assert.Equal(10, receiver.Queue.Count);
        Assert.Equal(40, receiver.Queue.Dropped);
    }

    [Fact]
    public void ItsOutcomeSaysWhatItReceivedAndDropped()
    {
        using var receiver = Start(new ListenerOptions { QueueCapacity = 2, Count = 5, Socket = { LocalAddress = IPAddress.Loopback } });
        using Socket peer = SendNumbered(receiver, 5);

        Assert.Empty(receiver.Queue.Drain(new CancellationTokenSource(10000).Token).Skip(5));
        ListenerOutcome outcome = receiver.Outcome();
        Assert.Equal(ListenerRole.Receiver, outcome.Role);
        Assert.Equal(receiver.LocalEndPoint, outcome.LocalEndPoint);
        Assert.Equal(5, outcome.Received);
        Assert.Equal(receiver.Queue.Dropped, outcome.Dropped);
        Assert.Null(outcome.Echo);
        Assert.Null(outcome.Fault);
    }

    [Fact]
    public void KeepsListeningAfterAnIcmpErrorOfItsOwnSend()
    {
        using var receiver = Start(new ListenerOptions { Socket = { LocalAddress = IPAddress.Loopback } });
        using Socket peer = Loopback.Bind(IPAddress.Loopback);
        // Provoke a port unreachable on the listener's own socket, as an echo to a vanished client would.
        using (Socket listenerSide = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            listenerSide.SendTo(new byte[1], new IPEndPoint(IPAddress.Loopback, Loopback.ClosedPort()));
        }

        peer.SendTo(new byte[] { 42 }, new IPEndPoint(IPAddress.Loopback, receiver.LocalEndPoint.Port));
        Assert.Equal(new byte[] { 42 }, Take(receiver).Payload);
    }
}

/// <summary>The same tests on the path of systems without recvmmsg (PSUDP_FORCE_PORTABLE=1 in the Pester runs).</summary>
public class DatagramReceiverOneAtATimeTests : DatagramReceiverTests
{
    protected override bool ReadOneAtATime => true;
}
