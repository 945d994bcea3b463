using System.Runtime.InteropServices;
using PSUdp.Engine.IPLevel;
using PSUdp.Engine.Linux;

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
        using var client = new Socket(to.AddressFamily, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 20000 };
        client.Connect(new IPEndPoint(to, echo.LocalEndPoint.Port));
        client.Send(new byte[] { 4, 2 });
        var buffer = new byte[16];
        Assert.Equal(2, client.Receive(buffer)); // a connected socket drops an answer from any other address
        Assert.True(echo.Queue.TryTake(out UdpDatagram? d, 20000, CancellationToken.None));
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
        using Socket socket = Loopback.EngineSocketFor(peerAddress, dualMode);
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

public class SenderIPLevelTests
{
    [Theory]
    [InlineData("EF", 46)]
    [InlineData("af11", 10)]
    [InlineData("AF43", 38)]
    [InlineData("CS0", 0)]
    [InlineData("CS7", 56)]
    [InlineData(" 34 ", 34)]
    public void DscpNamesAreTheirCodePoints(string name, int expected) => Assert.Equal(expected, DscpNames.Resolve(name));

    [Theory]
    [InlineData("AF44")]
    [InlineData("fast")]
    [InlineData("")]
    public void AnUnknownDscpNameIsInvalidDscp(string name) =>
        Assert.Equal(UdpErrorKind.InvalidDscp, Assert.Throws<UdpException>(() => DscpNames.Resolve(name)).Kind);

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public void RouteSourceGivesTheAddressARouteLeavesFrom(string target)
    {
        var sources = new RouteSource();
        IPAddress bound = target.Contains(':') ? IPAddress.IPv6Any : IPAddress.Any;
        Assert.Equal(IPAddress.Parse(target), sources.For(new IPEndPoint(IPAddress.Parse(target), 9), bound, null));
        Assert.Equal(IPAddress.Parse("127.0.0.5"), sources.For(new IPEndPoint(IPAddress.Loopback, 9), IPAddress.Parse("127.0.0.5"), null));
    }

    [LinuxFact("IP_MTU is Linux's")]
    public void PathMtuOfLoopbackIsItsLinkMtu()
    {
        int? mtu = PathMtu.Learned(new IPEndPoint(IPAddress.Loopback, 9));
        Assert.NotNull(mtu);
        Assert.Equal(mtu!.Value - 28, PathMtu.LargestPayload(mtu.Value, AddressFamily.InterNetwork));
    }

    [Fact]
    public void MessageTooLongNamesTheMtuAndThePayloadThatFits()
    {
        UdpException e = IcmpFailures.TooLong(new IPEndPoint(IPAddress.Parse("2001:db8::2"), 9), 1400, 1280, IPAddress.Parse("2001:db8::1"));
        Assert.Equal(UdpErrorKind.MessageTooLong, e.Kind);
        Assert.Contains("1,280", e.Message.Replace('\u00a0', ','));
        Assert.Contains("1,232", e.Message.Replace('\u00a0', ','));
        Assert.Contains("2001:db8::1", e.Message);
    }

    [LinuxFact("the options are set through setsockopt on Linux")]
    public void TheFactoryAppliesTtlDscpAndDontFragmentToBothFamiliesOfADualModeSocket()
    {
        using Socket socket = UdpSocketFactory.Create(new SocketOptions { TimeToLive = 5, Dscp = 46, DontFragment = true });
        var handle = LinuxNative.HandleOf(socket)!;
        Assert.Equal(5, LinuxNative.GetInt(handle, LinuxNative.SolIP, LinuxNative.IPTtl));
        Assert.Equal(5, LinuxNative.GetInt(handle, LinuxNative.SolIP, LinuxNative.IPMulticastTtl));
        Assert.Equal(5, LinuxNative.GetInt(handle, LinuxNative.SolIPv6, LinuxNative.IPv6UnicastHops));
        Assert.Equal(5, LinuxNative.GetInt(handle, LinuxNative.SolIPv6, LinuxNative.IPv6MulticastHops));
        Assert.Equal(0xB8, LinuxNative.GetInt(handle, LinuxNative.SolIP, LinuxNative.IPTos));
        Assert.Equal(0xB8, LinuxNative.GetInt(handle, LinuxNative.SolIPv6, LinuxNative.IPv6TClass));
        Assert.Equal(LinuxNative.IPPmtuDiscDo, LinuxNative.GetInt(handle, LinuxNative.SolIP, LinuxNative.IPMtuDiscover));
        Assert.Equal(1, LinuxNative.GetInt(handle, LinuxNative.SolIPv6, LinuxNative.IPv6DontFrag));
    }
}

public class ArrivalFactsCostTests
{
    // The receive thread's part of every datagram: the batch read with all its control messages
    // (packet information, TTL, TOS, kernel time, drop count). It allocates nothing per datagram
    // once the peer's address objects exist. (The queue's blocks are its own, reused, cost.)
    [LinuxFact("recvmmsg and its control messages are Linux only")]
    public void ReadingTheArrivalFactsAllocatesNothingPerDatagram()
    {
        using var socket = UdpSocketFactory.Create(new SocketOptions { LocalAddress = IPAddress.Loopback, KernelReceiveBufferSize = 4 * 1024 * 1024 });
        socket.ReceiveTimeout = 5000;
        using DatagramBatchReader reader = DatagramBatchReader.TryCreate(socket, 128)!;
        using Socket peer = UdpSocketFactory.Create(new SocketOptions { LocalAddress = IPAddress.Loopback, Dscp = 46 });
        var target = (IPEndPoint)socket.LocalEndPoint!;
        var payload = new byte[64];
        long allocated = 0;
        int read = 0;
        for (int round = 0; round < 200; round++)
        {
            for (int i = 0; i < 16; i++)
            {
                peer.SendTo(payload, target);
            }

            for (int got = 0; got < 16;)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                int n = reader.Read(16 - got);
                for (int i = 0; i < n; i++)
                {
                    Assert.True(reader.TryGet(i, out DatagramView view));
                    if (view.Facts.TrafficClass >> 2 != 46 || view.Facts.TimeToLive != 64 || view.InterfaceIndex == 0)
                    {
                        Assert.Fail("the facts did not come");
                    }
                }

                if (round > 0)
                {
                    allocated += GC.GetAllocatedBytesForCurrentThread() - before; // the first round makes the address objects
                }

                got += n;
                read += n;
            }
        }

        Assert.Equal(3200, read);
        Assert.Equal(0, allocated);
    }
}
