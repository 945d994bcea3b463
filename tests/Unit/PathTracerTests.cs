using PSUdp.Engine.Probes;
using PSUdp.Engine.Trace;

namespace PSUdp.Tests;

/// <summary>The path trace on loopback, where the destination is the first hop: its verdicts, the matching of errors and replies to probes, and its end.</summary>
public class PathTracerTests
{
    private static List<UdpTraceHop> Trace(IPEndPoint target, TraceSettings settings, ProbePayload? payload = null)
    {
        var hops = new List<UdpTraceHop>();
        PathTracer.Trace(new ProbeTarget(target.Address.ToString(), target, payload ?? ProbePayload.ForTrace(target.Port)), settings, CancellationToken.None, hops.Add);
        return hops;
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public void AClosedPort_IsOneHop_PortUnreachable_EveryProbeAnswered(string address)
    {
        IPAddress ip = IPAddress.Parse(address);
        var target = new IPEndPoint(ip, Loopback.ClosedPort(ip));
        UdpTraceHop hop = Assert.Single(Trace(target, new TraceSettings()));
        Assert.Equal(1, hop.Hop);
        Assert.Equal(UdpTraceStatus.PortUnreachable, hop.Status);
        Assert.Equal(UdpVerdict.Closed, hop.Verdict);
        Assert.True(hop.Reached);
        Assert.Equal(new[] { ip, ip, ip }, hop.Responders);
        Assert.All(hop.RoundTripTimes, t => Assert.NotNull(t));
        Assert.Equal("Echo", hop.Probe);
    }

    [Fact]
    public void AnEcho_IsOneHop_Reply_Open_EachReplyMatchedToItsProbe()
    {
        using Socket echo = Loopback.Bind(IPAddress.Loopback);
        var received = new List<byte[]>();
        var thread = new Thread(() =>
        {
            for (int i = 0; i < 3; i++)
            {
                byte[] request = echo.ReceiveOne(out EndPoint from);
                received.Add(request);
                echo.SendTo(request, from);
            }
        }) { IsBackground = true };
        thread.Start();
        UdpTraceHop hop = Assert.Single(Trace(echo.EndPoint(), new TraceSettings()));
        thread.Join(TimeSpan.FromSeconds(5));
        Assert.Equal(UdpTraceStatus.Reply, hop.Status);
        Assert.Equal(UdpVerdict.Open, hop.Verdict);
        Assert.NotNull(hop.Reply);
        Assert.All(hop.RoundTripTimes, t => Assert.NotNull(t));
        Assert.Equal(3, received.Select(Convert.ToBase64String).Distinct().Count()); // each probe carries its own number
    }

    [Fact]
    public void VaryPort_SendsEachProbeToTheNextPort_AndMatchesErrorsByPort()
    {
        int port = Loopback.ClosedPort();
        UdpTraceHop hop = Assert.Single(Trace(new IPEndPoint(IPAddress.Loopback, port), new TraceSettings { VaryPort = true, Count = 2 }));
        Assert.Equal(port, hop.Port);
        Assert.Equal(UdpTraceStatus.PortUnreachable, hop.Status);
        Assert.All(hop.Responders, r => Assert.Equal(IPAddress.Loopback, r));
    }

    [Fact]
    public void SilenceToMaxHops_IsNoReply_AndTheLastHopIsOpenOrFiltered()
    {
        using Socket silent = Loopback.Bind(IPAddress.Loopback);
        List<UdpTraceHop> hops = Trace(silent.EndPoint(), new TraceSettings { MaxHops = 2, Count = 1, Timeout = TimeSpan.FromMilliseconds(200) });
        Assert.Equal(new[] { 1, 2 }, hops.Select(h => h.Hop));
        Assert.All(hops, h => Assert.Equal(UdpTraceStatus.NoReply, h.Status));
        Assert.All(hops, h => Assert.Null(h.Address));
        Assert.Null(hops[0].Verdict);
        Assert.Equal(UdpVerdict.OpenOrFiltered, hops[1].Verdict);
        Assert.Equal("*", hops[1].DisplayAddress);
        Assert.Equal("*", hops[1].RoundTrips);
    }

    [Fact]
    public void APayloadOfYourOwn_IsSentAsItIs_OneHopAtATime()
    {
        using Socket sink = Loopback.Bind(IPAddress.Loopback);
        var settings = new TraceSettings { MaxHops = 1, Count = 1, Timeout = TimeSpan.FromMilliseconds(200) };
        Trace(sink.EndPoint(), settings, ProbePayload.Custom(new byte[] { 0xDE, 0xAD }));
        Assert.Equal(new byte[] { 0xDE, 0xAD }, sink.ReceiveOne(out _));
    }

    [Fact]
    public void ATrace_SendsThePortsOwnProbe_OrTheEchoLineForAPortWithout()
    {
        Assert.Equal("Dns", ProbePayload.ForTrace(53).Name);
        Assert.Equal("Echo", ProbePayload.ForTrace(Loopback.ClosedPort()).Name);
        Assert.True(ProbePayload.ForTrace(53).CarriesKey);
        Assert.False(ProbePayload.Custom(new byte[] { 1 }).CarriesKey);
    }

    [Fact]
    public void Pick_PrefersTheLatestReportAboutTheTarget()
    {
        var target = new IPEndPoint(IPAddress.Loopback, 1000);
        IcmpReport about = new(IcmpOrigin.Icmp, 3, 3, IPAddress.Loopback, target, 0, 111);
        IcmpReport other = new(IcmpOrigin.Icmp, 3, 3, IPAddress.Loopback, new IPEndPoint(IPAddress.Loopback, 2000), 0, 111);
        Assert.Same(about, IcmpErrorQueue.Pick(new[] { about, other }, target));
        Assert.Same(other, IcmpErrorQueue.Pick(new[] { about, other }, null));
        Assert.Null(IcmpErrorQueue.Pick(Array.Empty<IcmpReport>(), target));
    }
}
