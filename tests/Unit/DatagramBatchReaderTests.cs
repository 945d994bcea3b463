using System.Runtime.InteropServices;
using PSUdp.Engine.IPLevel;

namespace PSUdp.Tests;

public class DatagramBatchReaderTests
{
    [LinuxTheory]
    [InlineData("127.0.0.1", false)]
    [InlineData("::1", false)]
    [InlineData("127.0.0.1", true)] // IPv4 peer of a dual-mode socket: addresses come back as IPv4
    public void ReadsSeveralDatagramsPerCallWithBothEndpoints(string address, bool dualMode)
    {
        IPAddress peerAddress = IPAddress.Parse(address);
        using Socket socket = Loopback.EngineSocketFor(peerAddress, dualMode);
        using DatagramBatchReader reader = DatagramBatchReader.TryCreate(socket, 8, capacity: 4)!;
        Assert.NotNull(reader);
        using Socket peer = Loopback.Bind(peerAddress);
        var target = new IPEndPoint(peerAddress, ((IPEndPoint)socket.LocalEndPoint!).Port);
        for (byte i = 0; i < 6; i++)
        {
            peer.SendTo(Enumerable.Repeat(i, i * 2).ToArray(), target); // the last two exceed the 8-byte buffer
        }

        var all = new System.Collections.Generic.List<UdpDatagram>();
        while (all.Count < 6)
        {
            int got = reader.Read(4);
            Assert.InRange(got, 1, 4);
            for (int i = 0; i < got; i++)
            {
                Assert.True(reader.TryGet(i, out DatagramView view));
                all.Add(view.ToDatagram(EncodingResolver.Default));
            }
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
        // One destination, one address object: a dual-mode socket's IPv4 datagram comes with both
        // IPV6_PKTINFO and IP_PKTINFO, and they must not evict each other (an allocation each).
        Assert.Same(all[0].LocalAddress, all[5].LocalAddress);
    }

    [LinuxFact]
    public void ReadTimesOutWithTheSocketsReceiveTimeout()
    {
        using var socket = UdpSocketFactory.Create(new SocketOptions { LocalAddress = IPAddress.Loopback });
        socket.ReceiveTimeout = 50;
        using DatagramBatchReader reader = DatagramBatchReader.TryCreate(socket, 64)!;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var e = Assert.Throws<SocketException>(() => reader.Read(16));
        Assert.Equal(SocketError.TimedOut, e.SocketErrorCode);
        Assert.InRange(clock.ElapsedMilliseconds, 30, 5000); // the upper bound only says the timeout ended the read: a loaded machine adds to it
    }
}
