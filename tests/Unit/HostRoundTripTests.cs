using PSUdp.Engine.Probes;

namespace PSUdp.Tests;

public class HostRoundTripTests
{
    private static readonly IPAddress Host = IPAddress.Parse("192.0.2.7");
    private static readonly TimeSpan Ceiling = TimeSpan.FromSeconds(2);

    [Fact]
    public void BeforeAnyAnswer_AProbeWaitsTheCeiling()
    {
        Assert.Equal(Ceiling, new HostRoundTrip().Wait(Host, Ceiling));
    }

    [Fact]
    public void TheWaitIsRfc6298sTimeout_SmoothedPlusFourTimesTheVariation()
    {
        var roundTrips = new HostRoundTrip();
        roundTrips.Add(Host, TimeSpan.FromMilliseconds(200)); // srtt 200, rttvar 100
        Assert.Equal(600, roundTrips.Wait(Host, Ceiling).TotalMilliseconds, 6);
        roundTrips.Add(Host, TimeSpan.FromMilliseconds(300)); // rttvar 0.75*100 + 0.25*100 = 100; srtt 0.875*200 + 0.125*300 = 212.5
        Assert.Equal(612.5, roundTrips.Wait(Host, Ceiling).TotalMilliseconds, 6);
    }

    [Fact]
    public void TheWaitIsAtLeastTheFloorAndAtMostTheCeiling()
    {
        var roundTrips = new HostRoundTrip();
        roundTrips.Add(Host, TimeSpan.FromTicks(200)); // 20 us, loopback
        Assert.Equal(HostRoundTrip.Floor, roundTrips.Wait(Host, Ceiling));
        Assert.Equal(TimeSpan.FromMilliseconds(50), roundTrips.Wait(Host, TimeSpan.FromMilliseconds(50)));
        roundTrips.Add(Host, TimeSpan.FromSeconds(5));
        Assert.Equal(Ceiling, roundTrips.Wait(Host, Ceiling));
    }

    [Fact]
    public void EachHostHasItsOwnEstimate()
    {
        var roundTrips = new HostRoundTrip();
        roundTrips.Add(Host, TimeSpan.FromMilliseconds(200));
        Assert.Equal(Ceiling, roundTrips.Wait(IPAddress.Parse("192.0.2.8"), Ceiling));
    }
}
