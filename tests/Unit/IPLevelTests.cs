using System;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;
using PSUdp.Engine;
using PSUdp.Engine.IPLevel;
using Xunit;

namespace PSUdp.Tests;

public class AnswerSourceTests
{
    // A wildcard echo answers from the address each datagram was sent to, so a connected client
    // (which the kernel gives only datagrams from the address it connected to) sees the answer.
    [LinuxTheory("answering from the destination address uses sendmsg with packet information, Linux only")]
    [InlineData("127.0.0.2", "0.0.0.0")]
    [InlineData("127.0.0.2", "::")]      // IPv4-mapped traffic on the dual-mode socket
    [InlineData("127.0.0.1", "::")]
    [InlineData("::1", "::")]
    public void AnEchoOnTheWildcardAnswersFromTheAddressItWasSentTo(string destination, string bound)
    {
        using var echo = new EchoServer(new ListenerOptions { Socket = { LocalAddress = IPAddress.Parse(bound) } }, 0);
        echo.Start();
        IPAddress to = IPAddress.Parse(destination);
        using var client = new Socket(to.AddressFamily, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 5000 };
        client.Connect(new IPEndPoint(to, echo.LocalEndPoint.Port));
        client.Send(new byte[] { 4, 2 });
        var buffer = new byte[16];
        Assert.Equal(2, client.Receive(buffer)); // a connected socket drops an answer from any other address
        Assert.True(echo.Queue.TryTake(out UdpDatagram? d, 5000, CancellationToken.None));
        Assert.Equal(to, d!.LocalAddress);
        Assert.Equal("lo", d.InterfaceName);
    }
}

public class ArrivalFactsTests
{
    [LinuxTheory("recvmmsg and its control messages are Linux only")]
    [InlineData("127.0.0.1", false)]
    [InlineData("127.0.0.1", true)]
    [InlineData("::1", false)]
    public void TheBatchReaderTellsTtlTrafficClassInterfaceAndKernelTime(string address, bool dualMode)
    {
        IPAddress peerAddress = IPAddress.Parse(address);
        using var socket = dualMode
            ? UdpSocketFactory.Create(new SocketOptions())
            : UdpSocketFactory.Create(new SocketOptions { LocalAddress = peerAddress });
        socket.ReceiveTimeout = 5000;
        using DatagramBatchReader reader = DatagramBatchReader.TryCreate(socket, 64)!;
        using Socket peer = UdpSocketFactory.Create(new SocketOptions { LocalAddress = peerAddress, TimeToLive = 7, Dscp = 46 });
        DateTime before = DateTime.UtcNow;
        peer.SendTo(new byte[] { 1 }, new IPEndPoint(peerAddress, ((IPEndPoint)socket.LocalEndPoint!).Port));
        Assert.Equal(1, reader.Read(1));
        Assert.True(reader.TryGet(0, out DatagramView view));
        UdpDatagram d = view.ToDatagram(EncodingResolver.Default);
        Assert.Equal(7, d.TimeToLive);
        Assert.Equal(46, d.Dscp);
        Assert.Equal(0, d.Ecn);
        Assert.Equal("lo", d.InterfaceName);
        Assert.InRange(d.Timestamp.UtcDateTime, before.AddSeconds(-1), DateTime.UtcNow);
        Assert.Equal(0, reader.ReadKernelDropped());
    }

    [Fact]
    public void TheOneAtATimeReaderTellsTheInterfaceAndNothingItDoesNotKnow()
    {
        using var socket = UdpSocketFactory.Create(new SocketOptions { LocalAddress = IPAddress.Loopback });
        socket.ReceiveTimeout = 5000;
        var reader = new DatagramReader(socket);
        using Socket peer = Loopback.Bind(IPAddress.Loopback);
        peer.SendTo(new byte[] { 1 }, socket.LocalEndPoint!);
        UdpDatagram d = reader.Read().ToDatagram(EncodingResolver.Default);
        Assert.Null(d.TimeToLive);
        Assert.Null(d.Dscp);
        Assert.Null(d.Ecn);
        // ReceiveMessageFrom's packet information: .NET on Linux gives interface 0 (not known) here.
        Assert.Contains(d.InterfaceName, new[] { null, "lo" });
    }
}
