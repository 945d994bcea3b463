using System.Diagnostics;
using System.Text;

namespace PSUdp.Tests;

public class ReplyWaitTests
{
    // The wait reads on the socket that sent, so each test sends from a DatagramSender.
    private static DatagramSender NewSender(SocketOptions options) => new(options, EncodingResolver.Default);

    [Fact]
    public void WaitsForTheReply()
    {
        using DatagramSender sender = NewSender(new SocketOptions());
        using Socket echo = Loopback.Bind(IPAddress.Loopback);
        var thread = new Thread(() =>
        {
            byte[] request = echo.ReceiveOne(out EndPoint from);
            echo.SendTo(request, from);
        });
        thread.Start();

        sender.Send(echo.EndPoint(), Encoding.UTF8.GetBytes("ping"));
        UdpDatagram reply = sender.Replies.FromTarget(echo.EndPoint(), 1, TimeSpan.FromSeconds(5), CancellationToken.None).Single();
        Assert.Equal("ping", reply.Text);
        Assert.Equal(echo.EndPoint().Port, reply.RemotePort);
        thread.Join();
    }

    [Fact]
    public void ClosedPortIsPortUnreachable()
    {
        using DatagramSender sender = NewSender(new SocketOptions());
        var target = new IPEndPoint(IPAddress.Loopback, Loopback.ClosedPort());
        sender.Send(target, new byte[] { 1 });
        var e = Assert.Throws<UdpException>(() => sender.Replies.FromTarget(target, 1, TimeSpan.FromSeconds(5), CancellationToken.None).ToList());
        Assert.Equal(UdpErrorKind.PortUnreachable, e.Kind);
    }

    [Fact]
    public void SilentPeerIsReplyTimeout()
    {
        using DatagramSender sender = NewSender(new SocketOptions());
        using Socket silent = Loopback.Bind(IPAddress.Loopback);
        sender.Send(silent.EndPoint(), new byte[] { 1 });
        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<UdpException>(() => sender.Replies.FromTarget(silent.EndPoint(), 1, TimeSpan.FromMilliseconds(300), CancellationToken.None).ToList());
        Assert.Equal(UdpErrorKind.ReplyTimeout, e.Kind);
        Assert.InRange(clock.ElapsedMilliseconds, 250, 2000);
    }

    [Fact]
    public void DatagramsFromAnotherAddressAreNotRepliesButAreKept()
    {
        using DatagramSender sender = NewSender(new SocketOptions());
        using Socket target = Loopback.Bind(IPAddress.Loopback);
        using Socket stranger = Loopback.Bind(IPAddress.IPv6Loopback);
        sender.Send(target.EndPoint(), new byte[] { 1 });
        stranger.SendTo(new byte[] { 9 }, new IPEndPoint(IPAddress.IPv6Loopback, sender.LocalEndPoint.Port));
        var others = new List<UdpDatagram>();

        var e = Assert.Throws<UdpException>(() => sender.Replies.FromTarget(target.EndPoint(), 1, TimeSpan.FromMilliseconds(500), CancellationToken.None, others).ToList());

        Assert.Equal(UdpErrorKind.ReplyTimeout, e.Kind);
        Assert.Equal(UdpSetting.ReplyFromOtherAddress, e.Setting); // the timeout names who answered instead
        Assert.Contains($"[::1]:{stranger.EndPoint().Port}", e.Message);
        UdpDatagram other = Assert.Single(others);
        Assert.Equal(new byte[] { 9 }, other.Payload);
        Assert.Equal(IPAddress.IPv6Loopback, other.RemoteAddress);
    }

    [Fact]
    public void FromAnyAddressCollectsEveryHostUntilTheTimeout()
    {
        using DatagramSender sender = NewSender(new SocketOptions());
        using Socket a = Loopback.Bind(IPAddress.Loopback);
        using Socket b = Loopback.Bind(IPAddress.IPv6Loopback);
        a.SendTo(new byte[] { 1 }, new IPEndPoint(IPAddress.Loopback, sender.LocalEndPoint.Port));
        b.SendTo(new byte[] { 2 }, new IPEndPoint(IPAddress.IPv6Loopback, sender.LocalEndPoint.Port));

        var got = sender.Replies.FromAnyAddress(int.MaxValue, TimeSpan.FromMilliseconds(500), CancellationToken.None).ToList();

        Assert.Equal(new byte[] { 1, 2 }, got.Select(d => d.Payload[0]).OrderBy(x => x).ToArray());
    }

    [Fact]
    public void FromAnyAddressStopsAtTheCountAndIgnoresRefusals()
    {
        using DatagramSender sender = NewSender(new SocketOptions { LocalAddress = IPAddress.Loopback });
        sender.Send(new IPEndPoint(IPAddress.Loopback, Loopback.ClosedPort()), new byte[] { 1 });
        using Socket a = Loopback.Bind(IPAddress.Loopback);
        a.SendTo(new byte[] { 1 }, sender.LocalEndPoint);
        a.SendTo(new byte[] { 2 }, sender.LocalEndPoint);

        var got = sender.Replies.FromAnyAddress(1, TimeSpan.FromSeconds(5), CancellationToken.None).ToList();

        Assert.Equal(new byte[] { 1 }, Assert.Single(got).Payload);
    }

    [Fact]
    public void ACancelledWaitEnds()
    {
        using DatagramSender sender = NewSender(new SocketOptions());
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.Throws<OperationCanceledException>(() => sender.Replies.FromTarget(new IPEndPoint(IPAddress.Loopback, 9), 1, TimeSpan.FromSeconds(30), cancel.Token).ToList());
        Assert.Throws<OperationCanceledException>(() => sender.Replies.FromAnyAddress(1, TimeSpan.FromSeconds(30), cancel.Token).ToList());
    }
}
