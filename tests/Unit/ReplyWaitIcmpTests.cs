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
    [InlineData(3, 13, UdpErrorKind.AdministrativelyProhibited, "communication administratively prohibited (type 3, code 13) from 198.51.100.1")]
    [InlineData(3, 1, UdpErrorKind.NetworkUnreachable, "host unreachable (type 3, code 1) from 198.51.100.1")]
    [InlineData(11, 0, UdpErrorKind.TimeExceeded, "time to live exceeded in transit (type 11, code 0) from 198.51.100.1")]
    [InlineData(3, 4, UdpErrorKind.MessageTooLong, "the path MTU is 1,400 bytes, reported by 198.51.100.1")]
    [InlineData(3, 3, UdpErrorKind.PortUnreachable, "from 198.51.100.1")]
    public void IcmpErrorsBecomeTheFailureTheyMean_WithTheReport(int type, int code, UdpErrorKind kind, string text)
    {
        var target = new IPEndPoint(IPAddress.Parse("198.51.100.20"), 161);
        var report = new IcmpReport(IcmpOrigin.Icmp, type, code, IPAddress.Parse("198.51.100.1"), target, 1400, 113);
        UdpException e = IcmpFailures.From(report, target, 0);
        Assert.Equal(kind, e.Kind);
        Assert.Contains(text, e.Message);
        Assert.Same(report, e.Icmp);
    }

    [Fact]
    public void WhereTheSystemTellsLess_TheMessageSaysSo()
    {
        var target = new IPEndPoint(IPAddress.Loopback, 9);
        UdpException host = IcmpFailures.From(IcmpErrorQueue.FromSocketError(SocketError.HostUnreachable, target)!, target, 0);
        Assert.Equal(UdpErrorKind.NetworkUnreachable, host.Kind);
        Assert.Contains("this system does not tell the ICMP type, code or sender", host.Message);
        Assert.False(host.Icmp!.IsDetailed);
    }
}
