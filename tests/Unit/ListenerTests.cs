using System;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using PSUdp.Engine;
using Xunit;

namespace PSUdp.Tests;

public class DatagramReceiverTests
{
    private static DatagramReceiver Start(ListenerOptions options)
    {
        var receiver = new DatagramReceiver(options);
        receiver.Start();
        return receiver;
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
        using var receiver = Start(new ListenerOptions { BufferLength = 16, Socket = { LocalAddress = IPAddress.Loopback } });
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
        using Socket peer = Loopback.Bind(IPAddress.Loopback);
        var target = new IPEndPoint(IPAddress.Loopback, receiver.LocalEndPoint.Port);
        for (int i = 0; i < 3; i++)
        {
            peer.SendTo(new[] { (byte)i }, target);
        }

        var got = receiver.Queue.Drain(new CancellationTokenSource(5000).Token).ToList();
        Assert.Equal(2, got.Count);
        Assert.Equal(2, receiver.Received);
        using Socket again = Loopback.Bind(IPAddress.Loopback, target.Port);
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
        // The best of five runs, so a busy machine cannot fail it; before the fix every run slept
        // its full 100 ms wake-up before seeing the deadline.
        long best = long.MaxValue;
        for (int run = 0; run < 5; run++)
        {
            using var receiver = new DatagramReceiver(new ListenerOptions { Duration = TimeSpan.FromMilliseconds(20) });
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
        using Socket peer = Loopback.Bind(IPAddress.Loopback);
        var target = new IPEndPoint(IPAddress.Loopback, receiver.LocalEndPoint.Port);
        for (int i = 0; i < 50; i++)
        {
            peer.SendTo(new[] { (byte)i }, target);
        }

        SpinWait.SpinUntil(() => receiver.Received == 50, 5000);
        Assert.Equal(50, receiver.Received);
        Assert.Equal(10, receiver.Queue.Count);
        Assert.Equal(40, receiver.Queue.Dropped);
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

public class DatagramSenderTests
{
    [Fact]
    public void SendsFromOneSocketToBothFamilies()
    {
        using var sender = new DatagramSender(new SocketOptions(), EncodingResolver.Default);
        using Socket v4 = Loopback.Bind(IPAddress.Loopback);
        using Socket v6 = Loopback.Bind(IPAddress.IPv6Loopback);

        UdpDatagram sent = sender.Send(v4.EndPoint(), new byte[] { 1, 2, 3 });
        sender.Send(v6.EndPoint(), new byte[] { 4 });

        Assert.Equal(new byte[] { 1, 2, 3 }, v4.ReceiveOne(out EndPoint from4));
        Assert.Equal(new byte[] { 4 }, v6.ReceiveOne(out EndPoint from6));
        Assert.Equal(((IPEndPoint)from4).Port, ((IPEndPoint)from6).Port);
        Assert.Equal(DatagramDirection.Sent, sent.Direction);
        Assert.Equal(IPAddress.Loopback, sent.RemoteAddress);
        Assert.Equal(sender.LocalEndPoint.Port, sent.LocalPort);
    }

    [Fact]
    public void WaitsForTheReply()
    {
        using var sender = new DatagramSender(new SocketOptions(), EncodingResolver.Default);
        using Socket echo = Loopback.Bind(IPAddress.Loopback);
        var thread = new Thread(() =>
        {
            byte[] request = echo.ReceiveOne(out EndPoint from);
            echo.SendTo(request, from);
        });
        thread.Start();

        sender.Send(echo.EndPoint(), Encoding.UTF8.GetBytes("ping"));
        UdpDatagram reply = sender.ReceiveReplies(echo.EndPoint(), 1, TimeSpan.FromSeconds(5), CancellationToken.None).Single();
        Assert.Equal("ping", reply.Text);
        Assert.Equal(echo.EndPoint().Port, reply.RemotePort);
        thread.Join();
    }

    [Fact]
    public void ClosedPortIsPortUnreachable()
    {
        using var sender = new DatagramSender(new SocketOptions(), EncodingResolver.Default);
        var target = new IPEndPoint(IPAddress.Loopback, Loopback.ClosedPort());
        sender.Send(target, new byte[] { 1 });
        var e = Assert.Throws<UdpException>(() => sender.ReceiveReplies(target, 1, TimeSpan.FromSeconds(5), CancellationToken.None).ToList());
        Assert.Equal(UdpErrorKind.PortUnreachable, e.Kind);
    }

    [Fact]
    public void SilentPeerIsReplyTimeout()
    {
        using var sender = new DatagramSender(new SocketOptions(), EncodingResolver.Default);
        using Socket silent = Loopback.Bind(IPAddress.Loopback);
        sender.Send(silent.EndPoint(), new byte[] { 1 });
        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<UdpException>(() => sender.ReceiveReplies(silent.EndPoint(), 1, TimeSpan.FromMilliseconds(300), CancellationToken.None).ToList());
        Assert.Equal(UdpErrorKind.ReplyTimeout, e.Kind);
        Assert.InRange(clock.ElapsedMilliseconds, 250, 2000);
    }

    [Fact]
    public void ALaterSendReportsAnEarlierRefusalAndStillSends()
    {
        using var sender = new DatagramSender(new SocketOptions { LocalAddress = IPAddress.Loopback }, EncodingResolver.Default);
        using Socket open = Loopback.Bind(IPAddress.Loopback);
        var closed = new IPEndPoint(IPAddress.Loopback, Loopback.ClosedPort());
        sender.Send(closed, new byte[] { 1 });
        Thread.Sleep(50);
        sender.Send(open.EndPoint(), new byte[] { 2 });
        Assert.Equal(new byte[] { 2 }, open.ReceiveOne(out _));
        Assert.Equal(closed, sender.EarlierRefusal);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public void OneTargetSendsInOrderFromTheSamePort(string address)
    {
        using var sender = new DatagramSender(new SocketOptions(), EncodingResolver.Default) { OneTarget = true };
        using Socket peer = Loopback.Bind(IPAddress.Parse(address));
        for (byte i = 0; i < 5; i++)
        {
            sender.Transmit(peer.EndPoint(), new[] { i });
        }

        for (byte i = 0; i < 5; i++)
        {
            Assert.Equal(new[] { i }, peer.ReceiveOne(out EndPoint from));
            Assert.Equal(sender.LocalEndPoint.Port, ((IPEndPoint)from).Port);
        }
    }

    [Fact]
    public void OneTargetReportsRefusalsAndGoesOn()
    {
        using var sender = new DatagramSender(new SocketOptions { LocalAddress = IPAddress.Loopback }, EncodingResolver.Default) { OneTarget = true };
        var closed = new IPEndPoint(IPAddress.Loopback, Loopback.ClosedPort());
        for (int i = 0; i < 3; i++)
        {
            sender.Transmit(closed, new byte[] { 1 });
            Thread.Sleep(50);
        }

        Assert.Equal(closed, sender.EarlierRefusal);
        sender.EarlierRefusal = null;
        sender.Transmit(closed, new byte[] { 1 });
        Assert.Equal(closed, sender.EarlierRefusal);
    }

    [Fact]
    public void OneTargetStillDeliversToAnotherTarget()
    {
        using var sender = new DatagramSender(new SocketOptions(), EncodingResolver.Default) { OneTarget = true };
        using Socket first = Loopback.Bind(IPAddress.Loopback);
        using Socket second = Loopback.Bind(IPAddress.Loopback);
        sender.Transmit(first.EndPoint(), new byte[] { 1 });
        sender.Transmit(second.EndPoint(), new byte[] { 2 });
        sender.Transmit(first.EndPoint(), new byte[] { 3 });
        Assert.Equal(new byte[] { 1 }, first.ReceiveOne(out _));
        Assert.Equal(new byte[] { 2 }, second.ReceiveOne(out _));
        Assert.Equal(new byte[] { 3 }, first.ReceiveOne(out _));
    }

    [Fact]
    public void OneTargetThatCannotBeConnectedFailsAsAnUnconnectedSend()
    {
        using var sender = new DatagramSender(new SocketOptions { Family = AddressFamilyChoice.IPv4 }, EncodingResolver.Default) { OneTarget = true };
        // Without SO_BROADCAST the system refuses both to connect to and to send to the broadcast address.
        var e = Assert.Throws<UdpException>(() => sender.Transmit(new IPEndPoint(IPAddress.Broadcast, 9), new byte[1]));
        Assert.Equal(UdpErrorKind.AccessDenied, e.Kind);
    }

    [Fact]
    public void RejectsOversizeAndMismatchedTargetsBeforeSending()
    {
        using var sender = new DatagramSender(new SocketOptions { Family = AddressFamilyChoice.IPv4 }, EncodingResolver.Default);
        var tooBig = Assert.Throws<UdpException>(() => sender.Send(new IPEndPoint(IPAddress.Loopback, 9), new byte[DatagramLimits.MaxIPv4Payload + 1]));
        Assert.Equal(UdpErrorKind.PayloadTooLarge, tooBig.Kind);
        var v6 = Assert.Throws<UdpException>(() => sender.Send(new IPEndPoint(IPAddress.IPv6Loopback, 9), new byte[1]));
        Assert.Equal(UdpErrorKind.AddressFamilyMismatch, v6.Kind);
    }
}
