namespace PSUdp.Tests;

public class AddressesTests
{
    [Fact]
    public void Resolve_Literals()
    {
        Assert.Equal(IPAddress.Loopback, Addresses.Resolve("127.0.0.1", AddressFamilyChoice.Any).Single());
        Assert.Equal(IPAddress.IPv6Loopback, Addresses.Resolve("[::1]", AddressFamilyChoice.Any).Single());
        Assert.Equal(IPAddress.Loopback, Addresses.Resolve("::ffff:127.0.0.1", AddressFamilyChoice.IPv4).Single());
    }

    [Fact]
    public void Resolve_LocalhostPutsIPv4FirstAndHonoursTheFamily()
    {
        var any = Addresses.Resolve("localhost", AddressFamilyChoice.Any);
        Assert.Equal(AddressFamily.InterNetwork, any[0].AddressFamily);
        Assert.All(Addresses.Resolve("localhost", AddressFamilyChoice.IPv4), a => Assert.Equal(AddressFamily.InterNetwork, a.AddressFamily));
    }

    [Fact]
    public void Resolve_InvalidDomainIsNameNotResolved()
    {
        var e = Assert.Throws<UdpException>(() => Addresses.Resolve("no-such-host.invalid", AddressFamilyChoice.Any));
        Assert.Equal(UdpErrorKind.NameNotResolved, e.Kind);
        Assert.Contains("no-such-host.invalid", e.Message);
    }

    [Fact]
    public void Resolve_WrongFamilyIsAddressFamilyMismatch()
    {
        var e = Assert.Throws<UdpException>(() => Addresses.Resolve("::1", AddressFamilyChoice.IPv4));
        Assert.Equal(UdpErrorKind.AddressFamilyMismatch, e.Kind);
    }

    [Fact]
    public void Normalize_MapsIPv4MappedAddresses() =>
        Assert.Equal(IPAddress.Parse("10.0.0.1"), Addresses.Normalize(IPAddress.Parse("::ffff:10.0.0.1")));

    [Fact]
    public void Format_BracketsIPv6() => Assert.Equal("[::1]:9", Addresses.Format(IPAddress.IPv6Loopback, 9));
}

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
