namespace PSUdp.Tests;

public class UdpSocketFactoryTests
{
    [Fact]
    public void Create_DefaultIsDualModeOnAnyPort()
    {
        using Socket s = UdpSocketFactory.Create(new SocketOptions());
        Assert.Equal(AddressFamily.InterNetworkV6, s.AddressFamily);
        Assert.True(s.DualMode);
        Assert.NotEqual(0, s.EndPoint().Port);
    }

    [Fact]
    public void Create_IPv4WhenAskedOrWhenTheLocalAddressIsIPv4()
    {
        using Socket a = UdpSocketFactory.Create(new SocketOptions { Family = AddressFamilyChoice.IPv4 });
        using Socket b = UdpSocketFactory.Create(new SocketOptions { LocalAddress = IPAddress.Loopback });
        Assert.Equal(AddressFamily.InterNetwork, a.AddressFamily);
        Assert.Equal(IPAddress.Loopback, b.EndPoint().Address);
    }

    [Fact]
    public void Create_BusyPortIsAddressInUse()
    {
        using Socket holder = Loopback.Bind(IPAddress.Loopback);
        var e = Assert.Throws<UdpException>(() => UdpSocketFactory.Create(new SocketOptions { LocalAddress = IPAddress.Loopback, LocalPort = holder.EndPoint().Port }));
        Assert.Equal(UdpErrorKind.AddressInUse, e.Kind);
        Assert.Contains(holder.EndPoint().Port.ToString(), e.Message);
    }

    [Fact]
    public void Create_ReuseAddressSharesAPort()
    {
        using Socket first = UdpSocketFactory.Create(new SocketOptions { LocalAddress = IPAddress.Loopback, ReuseAddress = true });
        using Socket second = UdpSocketFactory.Create(new SocketOptions { LocalAddress = IPAddress.Loopback, LocalPort = first.EndPoint().Port, ReuseAddress = true });
        Assert.Equal(first.EndPoint().Port, second.EndPoint().Port);
    }

    [Fact]
    public void Create_ForeignLocalAddressIsAddressNotAvailable()
    {
        var e = Assert.Throws<UdpException>(() => UdpSocketFactory.Create(new SocketOptions { LocalAddress = IPAddress.Parse("198.51.100.77") }));
        Assert.Equal(UdpErrorKind.AddressNotAvailable, e.Kind);
    }

    [Fact]
    public void Create_SetsTheReceiveBuffer()
    {
        using Socket s = UdpSocketFactory.Create(new SocketOptions { KernelReceiveBufferSize = 1 << 20 });
        // Without root, Linux caps the size at net.core.rmem_max; root lifts the cap (SO_RCVBUFFORCE).
        int expected = System.Environment.UserName == "root" ? 1 << 20 : 4096;
        Assert.True(s.ReceiveBufferSize >= expected, $"got {s.ReceiveBufferSize}");
    }
}
