namespace PSUdp.Tests;

public class BroadcastAddressesTests
{
    [Fact]
    public void LoopbackHasItsDirectedBroadcast()
    {
        BroadcastInterface lo = BroadcastAddresses.Resolve(new[] { "lo" }).Single();
        Assert.Equal(IPAddress.Parse("127.255.255.255"), lo.Broadcast);
        Assert.Equal(IPAddress.Loopback, lo.Address);
    }

    [Fact]
    public void AnUnknownNameIsInterfaceNotFound()
    {
        var e = Assert.Throws<UdpException>(() => BroadcastAddresses.Resolve(new[] { "nosuch0" }));
        Assert.Equal(UdpErrorKind.InterfaceNotFound, e.Kind);
        Assert.Contains("lo", e.Message);
    }

    [Fact]
    public void AWildcardLeavesLoopbackOut()
    {
        var onlyLoopback = System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces().Where(i => i.Name == "lo").ToList();
        var e = Assert.Throws<UdpException>(() => BroadcastAddresses.Resolve(new[] { "*" }, onlyLoopback));
        Assert.Equal(UdpErrorKind.InterfaceNotFound, e.Kind);
    }
}
