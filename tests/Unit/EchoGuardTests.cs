namespace PSUdp.Tests;

public class EchoGuardTests
{
    private static readonly IPEndPoint Own = new(IPAddress.Loopback, 40000);

    // Source, port, the address the datagram came to, and whether a server bound to 127.0.0.1:40000 refuses to answer it.
    [Theory]
    [InlineData("127.0.0.1", 0, "127.0.0.1", true)] // source port 0
    [InlineData("127.0.0.1", 7, "127.0.0.1", true)] // services that answer every datagram
    [InlineData("127.0.0.1", 13, "127.0.0.1", true)]
    [InlineData("127.0.0.1", 17, "127.0.0.1", true)]
    [InlineData("127.0.0.1", 19, "127.0.0.1", true)]
    [InlineData("127.0.0.1", 37, "127.0.0.1", true)]
    [InlineData("255.255.255.255", 5000, "127.0.0.1", true)] // sources that cannot be answered
    [InlineData("224.0.0.1", 5000, "127.0.0.1", true)]
    [InlineData("ff02::1", 5000, "127.0.0.1", true)]
    [InlineData("0.0.0.0", 5000, "127.0.0.1", true)]
    [InlineData("127.0.0.1", 40000, "127.0.0.1", true)] // the server itself
    [InlineData("198.51.100.255", 5000, "198.51.100.255", true)] // a directed broadcast source
    [InlineData("127.0.0.2", 40000, "127.0.0.1", false)] // a specific server answers the same port on another address
    [InlineData("127.0.0.1", 5000, "127.0.0.1", false)] // ordinary clients
    [InlineData("::1", 5000, "127.0.0.1", false)]
    [InlineData("198.51.100.12", 1024, "127.0.0.1", false)]
    public void RefusesWhatMustNotBeAnsweredAndAnswersTheRest(string address, int port, string arrivedAt, bool refused)
    {
        string? reason = new EchoGuard(Own, 0).Refuse(IPAddress.Parse(address), port, IPAddress.Parse(arrivedAt));
        if (refused)
        {
            Assert.NotNull(reason);
        }
        else
        {
            Assert.Null(reason);
        }
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    public void AWildcardServerRefusesItsPortOnTheAddressTheDatagramCameTo(string bound)
    {
        var guard = new EchoGuard(new IPEndPoint(IPAddress.Parse(bound), 40000), 0);
        var self = IPAddress.Parse("198.51.100.12");
        Assert.Equal("the server's own endpoint", guard.Refuse(self, 40000, self));
        Assert.Equal("the server's own endpoint", guard.Refuse(IPAddress.Parse("127.0.0.2"), 40000, self));
        Assert.Null(guard.Refuse(IPAddress.Parse("198.51.100.13"), 40000, self)); // another host's server
    }

    [Fact]
    public void LimitsTheRatePerPeer()
    {
        var guard = new EchoGuard(Own, 5);
        var peer = IPAddress.Loopback;
        int answered = Enumerable.Range(0, 20).Count(_ => guard.Refuse(peer, 5000, peer) is null);
        Assert.Equal(5, answered);
        Assert.Contains("more than 5", guard.Refuse(peer, 5000, peer));
        Assert.Null(guard.Refuse(peer, 5001, peer)); // another peer has its own allowance
        Thread.Sleep(300);
        Assert.Null(guard.Refuse(peer, 5000, peer)); // the allowance refills
    }
}
