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
