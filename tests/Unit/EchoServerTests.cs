namespace PSUdp.Tests;

/// <summary>The echo server on the path this system takes.</summary>
public class EchoServerTests
{
    /// <summary>True to read one datagram per receive, the path of systems without recvmmsg.</summary>
    protected virtual bool ReadOneAtATime => false;

    private EchoServer NewServer(int maximumRate) =>
        new(new ListenerOptions { Socket = { LocalAddress = IPAddress.Loopback }, ReadOneAtATime = ReadOneAtATime }, maximumRate);

    [Fact]
    public void EchoesFromItsOwnPortAndQueuesWhatItEchoed()
    {
        using EchoServer echo = NewServer(0);
        echo.Start();
        using Socket client = Loopback.Bind(IPAddress.Loopback);
        client.SendTo(new byte[] { 1, 2, 3 }, echo.LocalEndPoint);

        Assert.Equal(new byte[] { 1, 2, 3 }, client.ReceiveOne(out EndPoint from));
        Assert.Equal(echo.LocalEndPoint, from);
        Assert.True(echo.Queue.TryTake(out UdpDatagram? d, 5000, CancellationToken.None));
        Assert.Equal(client.EndPoint().Port, d!.RemotePort);
    }

    [Fact]
    public void CountsWhatTheGuardRefuses()
    {
        using EchoServer echo = NewServer(1);
        echo.Start();
        using Socket client = Loopback.Bind(IPAddress.Loopback);
        for (int i = 0; i < 3; i++)
        {
            client.SendTo(new[] { (byte)i }, echo.LocalEndPoint);
        }

        Assert.Equal(new byte[] { 0 }, client.ReceiveOne(out _));
        SpinWait.SpinUntil(() => echo.Refused == 2, 5000);
        Assert.Equal(2, echo.Refused);
        Assert.Contains("more than 1", echo.LastRefusal);
        Assert.Equal(1, echo.Received);
        ListenerOutcome outcome = echo.Outcome();
        Assert.Equal(ListenerRole.Echo, outcome.Role);
        Assert.Equal(2, outcome.Echo!.Refused);
        Assert.Equal(echo.LastRefusal, outcome.Echo.LastReason);
    }
}

/// <summary>The same tests on the path of systems without recvmmsg.</summary>
public class EchoServerOneAtATimeTests : EchoServerTests
{
    protected override bool ReadOneAtATime => true;
}
