using System;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;
using PSUdp.Engine;
using Xunit;

namespace PSUdp.Tests;

public class DatagramBatchReaderTests
{
    [Theory]
    [InlineData("127.0.0.1", false)]
    [InlineData("::1", false)]
    [InlineData("127.0.0.1", true)] // IPv4 peer of a dual-mode socket: addresses come back as IPv4
    public void ReadsSeveralDatagramsPerCallWithBothEndpoints(string address, bool dualMode)
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
        {
            return; // recvmmsg is Linux only; elsewhere the listener reads one at a time.
        }

        IPAddress peerAddress = IPAddress.Parse(address);
        using var socket = dualMode
            ? UdpSocketFactory.Create(new SocketOptions())
            : UdpSocketFactory.Create(new SocketOptions { LocalAddress = peerAddress });
        socket.ReceiveTimeout = 5000;
        using DatagramBatchReader reader = DatagramBatchReader.TryCreate(socket, EncodingResolver.Default, 8, capacity: 4)!;
        Assert.NotNull(reader);
        using Socket peer = Loopback.Bind(peerAddress);
        var target = new IPEndPoint(peerAddress, ((IPEndPoint)socket.LocalEndPoint!).Port);
        for (byte i = 0; i < 6; i++)
        {
            peer.SendTo(Enumerable.Repeat(i, i * 2).ToArray(), target); // the last two exceed the 8-byte buffer
        }

        var datagrams = new UdpDatagram[4];
        var all = new System.Collections.Generic.List<UdpDatagram>();
        while (all.Count < 6)
        {
            int got = reader.Read(datagrams, 4);
            Assert.InRange(got, 1, 4);
            all.AddRange(datagrams.Take(got));
        }

        for (int i = 0; i < 6; i++)
        {
            UdpDatagram d = all[i];
            Assert.Equal(Enumerable.Repeat((byte)i, Math.Min(i * 2, 8)).ToArray(), d.Payload);
            Assert.Equal(i * 2 > 8, d.Truncated);
            Assert.Equal(peerAddress, d.RemoteAddress);
            Assert.Equal(peer.EndPoint().Port, d.RemotePort);
            Assert.Equal(peerAddress, d.LocalAddress); // from packet information, not the wildcard bind
            Assert.Equal(target.Port, d.LocalPort);
        }

        Assert.Same(all[0].RemoteAddress, all[5].RemoteAddress); // one peer, one address object
    }

    [Fact]
    public void ReadTimesOutWithTheSocketsReceiveTimeout()
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
        {
            return;
        }

        using var socket = UdpSocketFactory.Create(new SocketOptions { LocalAddress = IPAddress.Loopback });
        socket.ReceiveTimeout = 50;
        using DatagramBatchReader reader = DatagramBatchReader.TryCreate(socket, EncodingResolver.Default, 64)!;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var e = Assert.Throws<SocketException>(() => reader.Read(new UdpDatagram[16], 16));
        Assert.Equal(SocketError.TimedOut, e.SocketErrorCode);
        Assert.InRange(clock.ElapsedMilliseconds, 30, 1000);
    }
}

public class DatagramQueueTests
{
    [Fact]
    public void WakesAWaitingConsumerAtOnceAndEndsWhenCompleted()
    {
        using var queue = new DatagramQueue(capacity: 4);
        var sent = new IPEndPoint(IPAddress.Loopback, 9);
        UdpDatagram Make(byte b) => new(DatagramDirection.Received, sent, IPAddress.Loopback, 9, new[] { b }, false, EncodingResolver.Default);
        var producer = new Thread(() =>
        {
            for (byte i = 0; i < 20; i++)
            {
                Thread.Sleep(i % 5 == 0 ? 20 : 0); // let the consumer fall asleep now and then
                while (!queue.TryAdd(Make(i)))
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
        using var queue = new DatagramQueue(capacity: 2, byteCapacity: 3);
        var from = new IPEndPoint(IPAddress.Loopback, 9);
        UdpDatagram Make(int length) => new(DatagramDirection.Received, from, IPAddress.Loopback, 9, new byte[length], false, EncodingResolver.Default);
        Assert.True(queue.TryAdd(Make(1)));
        Assert.False(queue.TryAdd(Make(3))); // bytes
        Assert.True(queue.TryAdd(Make(2)));
        Assert.False(queue.TryAdd(Make(0))); // count
        Assert.Equal(2, queue.Dropped);
        Assert.Equal(2, queue.Count);
    }
}
