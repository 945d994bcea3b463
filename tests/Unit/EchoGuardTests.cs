namespace PSUdp.Tests;

public class EchoGuardTests
{
    private static readonly IPEndPoint Own = new(IPAddress.Loopback, 40000);

    [Theory]
    [InlineData("127.0.0.1", 0)]
    [InlineData("127.0.0.1", 7)]
    [InlineData("127.0.0.1", 13)]
    [InlineData("127.0.0.1", 17)]
    [InlineData("127.0.0.1", 19)]
    [InlineData("127.0.0.1", 37)]
    [InlineData("255.255.255.255", 5000)]
    [InlineData("224.0.0.1", 5000)]
    [InlineData("ff02::1", 5000)]
    [InlineData("0.0.0.0", 5000)]
    [InlineData("127.0.0.1", 40000)]
    public void RefusesWhatMustNotBeAnswered(string address, int port) =>
        Assert.NotNull(new EchoGuard(Own, 0).Refuse(IPAddress.Parse(address), port, IPAddress.Loopback));

    [Fact]
    public void RefusesADirectedBroadcastSource() =>
        Assert.NotNull(new EchoGuard(Own, 0).Refuse(IPAddress.Parse("198.51.100.255"), 5000, IPAddress.Parse("198.51.100.255")));

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
    public void ASpecificServerAnswersTheSamePortOnAnotherAddress() =>
        Assert.Null(new EchoGuard(Own, 0).Refuse(IPAddress.Parse("127.0.0.2"), 40000, IPAddress.Loopback));

    [Theory]
    [InlineData("127.0.0.1", 5000)]
    [InlineData("::1", 5000)]
    [InlineData("198.51.100.12", 1024)]
    public void AnswersOrdinaryClients(string address, int port) =>
        Assert.Null(new EchoGuard(Own, 0).Refuse(IPAddress.Parse(address), port, IPAddress.Loopback));

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
