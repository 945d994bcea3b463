using System.Diagnostics;

namespace PSUdp.Tests;

/// <summary>The reply wait's round-trip times and its ICMP evidence (the error queue's facts on the exception).</summary>
public class ReplyWaitIcmpTests
{
    private static DatagramSender NewSender() => new(new SocketOptions { LocalAddress = IPAddress.Loopback }, EncodingResolver.Default);

    private static Thread EchoAfter(Socket echo, int delayMs)
    {
        var thread = new Thread(() =>
        {
            byte[] request = echo.ReceiveOne(out EndPoint from);
            Thread.Sleep(delayMs);
            echo.SendTo(request, from);
        }) { IsBackground = true };
        thread.Start();
        return thread;
    }

    [Fact]
    public void AReplyHasItsRoundTripTime_FromTheSend()
    {
        using DatagramSender sender = NewSender();
        using Socket echo = Loopback.Bind(IPAddress.Loopback);
        Thread thread = EchoAfter(echo, 100);
        sender.Send(echo.EndPoint(), new byte[] { 1 });
        UdpDatagram reply = sender.Replies.FromTarget(echo.EndPoint(), 1, TimeSpan.FromSeconds(5), CancellationToken.None, sentAt: sender.LastSentAt).Single();
        Assert.NotNull(reply.RoundTripTime);
        Assert.InRange(reply.RoundTripTime!.Value.TotalMilliseconds, 90, 5000);
        thread.Join();
    }

    [Fact]
    public void PortUnreachable_CarriesTheIcmpReport()
    {
        using DatagramSender sender = NewSender();
        var target = new IPEndPoint(IPAddress.Loopback, Loopback.ClosedPort());
        sender.Send(target, new byte[] { 1 });
        var e = Assert.Throws<UdpException>(() => sender.Replies.FromTarget(target, 1, TimeSpan.FromSeconds(5), CancellationToken.None).ToList());
        Assert.Equal(UdpErrorKind.PortUnreachable, e.Kind);
        Assert.NotNull(e.Icmp);
        Assert.Equal(3, e.Icmp!.Type);
        Assert.Equal(3, e.Icmp.Code);
        Assert.Equal(IPAddress.Loopback, e.Icmp.Source);
        Assert.Equal(target, e.Icmp.OriginalDestination);
    }

    [Fact]
    public void AnIcmpErrorForAnEarlierDatagramToAnotherPort_DoesNotEndTheWait()
    {
        using DatagramSender sender = NewSender();
        using Socket echo = Loopback.Bind(IPAddress.Loopback);
        Thread thread = EchoAfter(echo, 200);
        var closed = new IPEndPoint(IPAddress.Loopback, Loopback.ClosedPort());
        sender.Send(echo.EndPoint(), new byte[] { 1 });
        long sentAt = sender.LastSentAt;
        sender.Send(closed, new byte[] { 2 }); // its port unreachable arrives while the wait below runs
        UdpDatagram reply = sender.Replies.FromTarget(echo.EndPoint(), 1, TimeSpan.FromSeconds(5), CancellationToken.None, sentAt: sentAt).Single();
        Assert.Equal(new byte[] { 1 }, reply.Payload);
        thread.Join();
    }

    [Theory]
    [InlineData(IcmpOrigin.Icmp, 3, 13, UdpErrorKind.IcmpUnreachable, "198.51.100.1 refused the datagram to 198.51.100.20:161 on the way (ICMP destination unreachable: communication administratively prohibited (type 3, code 13)).")]
    [InlineData(IcmpOrigin.Icmp, 3, 1, UdpErrorKind.IcmpUnreachable, "198.51.100.1 refused the datagram to 198.51.100.20:161 on the way (ICMP destination unreachable: host unreachable (type 3, code 1)).")]
    [InlineData(IcmpOrigin.Icmp, 11, 0, UdpErrorKind.TimeExceeded, "The datagram to 198.51.100.20:161 ran out of hops on the way: 198.51.100.1 sent ICMP time exceeded (ICMP time exceeded: time to live exceeded in transit (type 11, code 0)).")]
    [InlineData(IcmpOrigin.Icmp, 3, 4, UdpErrorKind.MessageTooLong, "The datagram to 198.51.100.20:161 is larger than the path carries (MTU 1400 bytes): 198.51.100.1 sent (ICMP destination unreachable: fragmentation needed and DF set (type 3, code 4, next-hop MTU 1400)).")]
    [InlineData(IcmpOrigin.Icmp, 12, 0, UdpErrorKind.IcmpError, "198.51.100.1 answered the datagram to 198.51.100.20:161 with an ICMP error (ICMP parameter problem: an ICMP error (type 12, code 0)).")]
    public void OtherIcmpErrorsGetTheirOwnKind_NamingTypeCodeAndSender(IcmpOrigin origin, int type, int code, UdpErrorKind kind, string message)
    {
        var target = new IPEndPoint(IPAddress.Parse("198.51.100.20"), 161);
        var report = new IcmpReport(origin, type, code, IPAddress.Parse("198.51.100.1"), target, 1400, 113);
        UdpException e = IcmpFailures.ForReply(report, target);
        Assert.Equal(kind, e.Kind);
        Assert.Equal(message, e.Message);
        Assert.Same(report, e.Icmp);
    }

    [Fact]
    public void WhereTheSystemTellsLess_TheMessageSaysSo()
    {
        var target = new IPEndPoint(IPAddress.Loopback, 9);
        UdpException e = IcmpFailures.ForReply(IcmpErrorQueue.FromSocketError(SocketError.ConnectionReset, target)!, target);
        Assert.Equal(UdpErrorKind.PortUnreachable, e.Kind);
        Assert.Contains("this system does not tell the ICMP type, code or sender", e.Message);
        UdpException host = IcmpFailures.ForReply(IcmpErrorQueue.FromSocketError(SocketError.HostUnreachable, target)!, target);
        Assert.Equal(UdpErrorKind.IcmpUnreachable, host.Kind);
        Assert.Contains("this system does not tell which", host.Message);
    }
}
