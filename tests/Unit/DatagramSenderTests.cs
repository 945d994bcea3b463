using System.Diagnostics;
using System.Text;

namespace PSUdp.Tests;

public class DatagramSenderTests
{
    [Fact]
    public void SendsFromOneSocketToBothFamilies()
    {
        using var sender = new DatagramSender(new SocketOptions(), EncodingResolver.Default);
        using Socket v4 = Loopback.Bind(IPAddress.Loopback);
        using Socket v6 = Loopback.Bind(IPAddress.IPv6Loopback);

        sender.Send(v4.EndPoint(), new byte[] { 1, 2, 3 });
        UdpDatagram sent = sender.Describe(v4.EndPoint(), new byte[] { 1, 2, 3 });
        sender.Send(v6.EndPoint(), new byte[] { 4 });

        Assert.Equal(new byte[] { 1, 2, 3 }, v4.ReceiveOne(out EndPoint from4));
        Assert.Equal(new byte[] { 4 }, v6.ReceiveOne(out EndPoint from6));
        Assert.Equal(((IPEndPoint)from4).Port, ((IPEndPoint)from6).Port);
        Assert.Equal(DatagramDirection.Sent, sent.Direction);
        Assert.Equal(IPAddress.Loopback, sent.RemoteAddress);
        Assert.Equal(sender.LocalEndPoint.Port, sent.LocalPort);
    }

    [Fact]
    public void ALaterSendReportsAnEarlierRefusalAndStillSends()
    {
        using var sender = new DatagramSender(new SocketOptions { LocalAddress = IPAddress.Loopback }, EncodingResolver.Default);
        using Socket open = Loopback.Bind(IPAddress.Loopback);
        var closed = new IPEndPoint(IPAddress.Loopback, Loopback.ClosedPort());
        sender.Send(closed, new byte[] { 1 });
        Thread.Sleep(50);
        IPEndPoint? refused = sender.Send(open.EndPoint(), new byte[] { 2 });
        Assert.Equal(new byte[] { 2 }, open.ReceiveOne(out _));
        Assert.Equal(closed, refused);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public void ConnectedToTargetSendsInOrderFromTheSamePort(string address)
    {
        using var sender = new DatagramSender(new SocketOptions(), EncodingResolver.Default) { ConnectToTarget = true };
        using Socket peer = Loopback.Bind(IPAddress.Parse(address));
        for (byte i = 0; i < 5; i++)
        {
            sender.Send(peer.EndPoint(), new[] { i });
        }

        for (byte i = 0; i < 5; i++)
        {
            Assert.Equal(new[] { i }, peer.ReceiveOne(out EndPoint from));
            Assert.Equal(sender.LocalEndPoint.Port, ((IPEndPoint)from).Port);
        }
    }

    [Fact]
    public void ConnectedToTargetReportsRefusalsAndGoesOn()
    {
        using var sender = new DatagramSender(new SocketOptions { LocalAddress = IPAddress.Loopback }, EncodingResolver.Default) { ConnectToTarget = true };
        var closed = new IPEndPoint(IPAddress.Loopback, Loopback.ClosedPort());
        IPEndPoint? refused = null;
        for (int i = 0; i < 3; i++)
        {
            refused = sender.Send(closed, new byte[] { 1 }) ?? refused;
            Thread.Sleep(50);
        }

        Assert.Equal(closed, refused);
        refused = sender.Send(closed, new byte[] { 1 });
        Assert.Equal(closed, refused);
    }

    [Fact]
    public void ConnectedToTargetStillDeliversToAnotherTarget()
    {
        using var sender = new DatagramSender(new SocketOptions(), EncodingResolver.Default) { ConnectToTarget = true };
        using Socket first = Loopback.Bind(IPAddress.Loopback);
        using Socket second = Loopback.Bind(IPAddress.Loopback);
        sender.Send(first.EndPoint(), new byte[] { 1 });
        sender.Send(second.EndPoint(), new byte[] { 2 });
        sender.Send(first.EndPoint(), new byte[] { 3 });
        Assert.Equal(new byte[] { 1 }, first.ReceiveOne(out _));
        Assert.Equal(new byte[] { 2 }, second.ReceiveOne(out _));
        Assert.Equal(new byte[] { 3 }, first.ReceiveOne(out _));
    }

    [Fact]
    public void ConnectedToTargetThatCannotBeConnectedFailsAsAnUnconnectedSend()
    {
        using var sender = new DatagramSender(new SocketOptions { Family = AddressFamilyChoice.IPv4 }, EncodingResolver.Default) { ConnectToTarget = true };
        // Without SO_BROADCAST the system refuses both to connect to and to send to the broadcast address.
        var e = Assert.Throws<UdpException>(() => sender.Send(new IPEndPoint(IPAddress.Broadcast, 9), new byte[1]));
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
