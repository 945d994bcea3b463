using System.Diagnostics;
using PSUdp.Engine.Probes;

namespace PSUdp.Tests;

public class ProberTests
{
    private static ProbeSettings Fast(int count = 0) => new()
    {
        Timeout = TimeSpan.FromMilliseconds(300),
        Count = count,
        Interval = TimeSpan.FromMilliseconds(20),
    };

    private static List<object> Run(ProbeSettings settings, params ProbeTarget[] targets)
    {
        using var sweep = new ProbeSweep(targets, settings);
        sweep.Start();
        return sweep.Results(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token, TimeSpan.FromMilliseconds(100))
            .Where(r => r is not null).Cast<object>().ToList();
    }

    private static ProbeTarget Target(IPAddress address, int port, ProbePayload? payload = null) =>
        new(address.ToString(), new IPEndPoint(address, port), payload ?? ProbePayload.ForPort(port));

    // An echo peer on its own thread: answers every datagram, except those <paramref name="drop"/> picks.
    private static (Socket Socket, Thread Thread) Echo(IPAddress address, Func<int, bool>? drop = null, Func<int, int>? delayMs = null,
        System.Collections.Concurrent.ConcurrentQueue<EndPoint>? saw = null)
    {
        Socket socket = Loopback.Bind(address);
        socket.ReceiveTimeout = 0;
        var thread = new Thread(() =>
        {
            int n = 0;
            try
            {
                while (true)
                {
                    byte[] request = socket.ReceiveOne(out EndPoint from);
                    saw?.Enqueue(from);
                    int i = n++;
                    if (drop?.Invoke(i) == true)
                    {
                        continue;
                    }

                    if (delayMs?.Invoke(i) is int ms and > 0)
                    {
                        Thread.Sleep(ms);
                    }

                    socket.SendTo(request, from);
                }
            }
            catch (Exception)
            {
                // closed by the test
            }
        }) { IsBackground = true };
        thread.Start();
        return (socket, thread);
    }

    [Theory]
    [InlineData("127.0.0.1", 3, 3)]
    [InlineData("::1", 1, 4)]
    public void AClosedPortIsClosed_WithTheIcmpEvidence(string address, int type, int code)
    {
        IPAddress loopback = IPAddress.Parse(address);
        int port = Loopback.ClosedPort(loopback);
        var result = Assert.IsType<UdpProbeResult>(Run(Fast(), Target(loopback, port)).Single());
        Assert.Equal(UdpVerdict.Closed, result.Verdict);
        Assert.Equal("port-unreach", result.Reason);
        Assert.Equal(type, result.IcmpType);
        Assert.Equal(code, result.IcmpCode);
        Assert.Equal(loopback, result.IcmpSource);
        Assert.Equal(1, result.Attempts);
        Assert.NotNull(result.RoundTripTime);
        Assert.Equal("Empty", result.Probe);
    }

    [Fact]
    public void AnEchoIsOpen_AndItsProbeRecognised()
    {
        var (socket, thread) = Echo(IPAddress.Loopback);
        using (socket)
        {
            int port = socket.EndPoint().Port;
            var result = Assert.IsType<UdpProbeResult>(Run(Fast(), Target(IPAddress.Loopback, port, ProbePayload.Of(new EchoProbe()))).Single());
            Assert.Equal(UdpVerdict.Open, result.Verdict);
            Assert.Equal("udp-response", result.Reason);
            Assert.True(result.Recognized);
            Assert.Equal("echo of the probe", result.Answer);
            Assert.Equal(port, result.Reply!.RemotePort);
            Assert.Equal(result.RoundTripTime, result.Reply.RoundTripTime);
            Assert.True(result.RoundTripTime > TimeSpan.Zero);
            Assert.Null(result.Icmp);
        }
    }

    [Fact]
    public void AnUnrecognisedReplyIsStillOpen()
    {
        var (socket, _) = Echo(IPAddress.Loopback);
        using (socket)
        {
            var result = (UdpProbeResult)Run(Fast(), Target(IPAddress.Loopback, socket.EndPoint().Port, ProbePayload.Of(new DnsProbe()))).Single();
            Assert.Equal(UdpVerdict.Open, result.Verdict);
            Assert.False(result.Recognized); // an echoed query is not a DNS answer
            Assert.Contains("not recognised as Dns", result.Evidence);
        }
    }

    [Fact]
    public void SilenceIsOpenOrFiltered_AfterEveryRetry()
    {
        using Socket silent = Loopback.Bind(IPAddress.Loopback);
        var result = (UdpProbeResult)Run(Fast(), Target(IPAddress.Loopback, silent.EndPoint().Port)).Single();
        Assert.Equal(UdpVerdict.OpenOrFiltered, result.Verdict);
        Assert.Equal("no-response", result.Reason);
        Assert.Equal(3, result.Attempts);
        Assert.Equal(3, CountWaiting(silent)); // three empty datagrams
    }

    [Fact]
    public void OnceTheHostHasAnswered_EveryAttemptWaitsItsRoundTripTimeout_TheLastToo()
    {
        // The closed port's ICMP error teaches the sweep the host's round trip (tens of
        // microseconds on loopback), so each of the silent port's attempts waits the floor, 0.1 s,
        // and not the 5 s ceiling; before that answer they would wait the ceiling. The two ports
        // share the sweep's one socket, so the silent one met no other socket: three attempts.
        using Socket silent = Loopback.Bind(IPAddress.Loopback);
        ProbeSettings settings = Fast();
        settings.Timeout = TimeSpan.FromSeconds(5);
        settings.ThrottleLimit = 1;
        var clock = Stopwatch.StartNew();
        List<object> results = Run(settings, Target(IPAddress.Loopback, Loopback.ClosedPort()), Target(IPAddress.Loopback, silent.EndPoint().Port));
        TimeSpan took = clock.Elapsed;

        Assert.Equal(new[] { UdpVerdict.Closed, UdpVerdict.OpenOrFiltered }, results.Cast<UdpProbeResult>().Select(r => r.Verdict));
        Assert.Equal(3, ((UdpProbeResult)results[1]).Attempts);
        Assert.Equal(3, CountWaiting(silent));
        Assert.True(took < settings.Timeout, $"the sweep took {took.TotalSeconds:F2} s: an attempt waited the ceiling");
        Assert.True(took >= TimeSpan.FromMilliseconds(3 * HostRoundTrip.Floor.TotalMilliseconds * 0.95), $"the sweep took {took.TotalSeconds:F2} s: the attempts waited less than the floor");
    }

    [Fact]
    public void ThePortsOfOneHostShareOneSocket_EachAnswerToldToItsPort()
    {
        // Two echo peers hear the probes of the same socket; each reply and each ICMP error still
        // goes to its own target, by the port it came from or the port the error quotes.
        var sawA = new System.Collections.Concurrent.ConcurrentQueue<EndPoint>();
        var sawB = new System.Collections.Concurrent.ConcurrentQueue<EndPoint>();
        var (a, _) = Echo(IPAddress.Loopback, saw: sawA);
        var (b, _) = Echo(IPAddress.Loopback, saw: sawB);
        using Socket silent = Loopback.Bind(IPAddress.Loopback);
        using (a)
        using (b)
        {
            ProbeTarget[] targets =
            {
                Target(IPAddress.Loopback, Loopback.ClosedPort()),
                Target(IPAddress.Loopback, a.EndPoint().Port, ProbePayload.Of(new EchoProbe())),
                Target(IPAddress.Loopback, silent.EndPoint().Port),
                Target(IPAddress.Loopback, b.EndPoint().Port, ProbePayload.Of(new EchoProbe())),
                Target(IPAddress.Loopback, Loopback.ClosedPort()),
            };
            List<UdpProbeResult> results = Run(Fast(), targets).Cast<UdpProbeResult>().ToList();

            Assert.Equal(new[] { UdpVerdict.Closed, UdpVerdict.Open, UdpVerdict.OpenOrFiltered, UdpVerdict.Open, UdpVerdict.Closed },
                results.Select(r => r.Verdict));
            Assert.Equal(targets.Select(t => t.EndPoint.Port), results.Select(r => r.Port));
            Assert.Equal(a.EndPoint().Port, results[1].Reply!.RemotePort);
            Assert.Equal(b.EndPoint().Port, results[3].Reply!.RemotePort);
            Assert.True(results[1].Recognized && results[3].Recognized);
            Assert.Equal(targets[0].EndPoint.Port, results[0].Icmp!.OriginalDestination!.Port);
            Assert.Equal(targets[4].EndPoint.Port, results[4].Icmp!.OriginalDestination!.Port);
            Assert.Equal(3, results[2].Attempts);
            Assert.All(results.Where(r => r.Verdict != UdpVerdict.OpenOrFiltered), r => Assert.True(r.RoundTripTime > TimeSpan.Zero));
            int from = Assert.Single(sawA.Select(e => ((IPEndPoint)e).Port).Distinct());
            Assert.Equal(from, Assert.Single(sawB.Select(e => ((IPEndPoint)e).Port).Distinct()));
        }
    }

    [Fact]
    public void AReplyIsReadWhileTheSweepIsStillSending_AnsweredAtItsFirstAttempt()
    {
        // Closed loopback ports answer within the send, so the probes of 20,000 of them go out
        // for longer than the learnt wait (0.1 s): the echo's reply, queued meanwhile, must be
        // read between the sends, not once they are all out, or its port is asked again or
        // called silent.
        var (echo, _) = Echo(IPAddress.Loopback);
        using (echo)
        {
            int port = echo.EndPoint().Port;
            var targets = new List<ProbeTarget> { Target(IPAddress.Loopback, port, ProbePayload.Of(new EchoProbe())) };
            targets.AddRange(Enumerable.Range(1, 20000).Where(p => p != port).Select(p => Target(IPAddress.Loopback, p, ProbePayload.Of(new EchoProbe()))));
            ProbeSettings settings = Fast();
            var first = (UdpProbeResult)Run(settings, targets.ToArray()).First();
            Assert.Equal(UdpVerdict.Open, first.Verdict);
            Assert.Equal(1, first.Attempts);
            Assert.True(first.Recognized);
        }
    }

    [Fact]
    public void APortAskedTwiceIsProbedTwice_OnceOnTheSharedSocketAndOnceOnItsOwn()
    {
        var saw = new System.Collections.Concurrent.ConcurrentQueue<EndPoint>();
        var (echo, _) = Echo(IPAddress.Loopback, saw: saw);
        using (echo)
        {
            int port = echo.EndPoint().Port;
            ProbeTarget[] targets =
            {
                Target(IPAddress.Loopback, port, ProbePayload.Of(new EchoProbe())),
                Target(IPAddress.Loopback, Loopback.ClosedPort()),
                Target(IPAddress.Loopback, port, ProbePayload.Of(new EchoProbe())),
            };
            List<UdpProbeResult> results = Run(Fast(), targets).Cast<UdpProbeResult>().ToList();

            Assert.Equal(new[] { UdpVerdict.Open, UdpVerdict.Closed, UdpVerdict.Open }, results.Select(r => r.Verdict));
            Assert.Equal(2, saw.Count);
            Assert.Equal(2, saw.Select(e => ((IPEndPoint)e).Port).Distinct().Count());
        }
    }

    private static int CountWaiting(Socket socket)
    {
        socket.ReceiveTimeout = 200;
        int n = 0;
        try
        {
            while (true)
            {
                socket.ReceiveOne(out _);
                n++;
            }
        }
        catch (SocketException)
        {
            return n;
        }
    }

    [Fact]
    public void ResultsComeInTheOrderTheTargetsWereGiven()
    {
        var (echo, _) = Echo(IPAddress.Loopback, delayMs: _ => 150);
        using Socket silent = Loopback.Bind(IPAddress.Loopback);
        using (echo)
        {
            ProbeTarget[] targets =
            {
                Target(IPAddress.Loopback, silent.EndPoint().Port),
                Target(IPAddress.Loopback, echo.EndPoint().Port, ProbePayload.Of(new EchoProbe())),
                Target(IPAddress.Loopback, Loopback.ClosedPort()),
            };
            List<object> results = Run(Fast(), targets);
            Assert.Equal(new[] { UdpVerdict.OpenOrFiltered, UdpVerdict.Open, UdpVerdict.Closed },
                results.Cast<UdpProbeResult>().Select(r => r.Verdict));
            Assert.Equal(targets.Select(t => t.EndPoint.Port), results.Cast<UdpProbeResult>().Select(r => r.Port));
        }
    }

    [Fact]
    public void ASeriesCountsLossAndRoundTrips_AgainstAnEchoThatDropsEveryFourth()
    {
        var (echo, _) = Echo(IPAddress.Loopback, drop: i => i % 4 == 3, delayMs: _ => 20);
        using (echo)
        {
            ProbeSettings settings = Fast(count: 12);
            settings.Detailed = true;
            settings.Interval = TimeSpan.FromMilliseconds(50);
            List<object> results = Run(settings, Target(IPAddress.Loopback, echo.EndPoint().Port, ProbePayload.Of(new EchoProbe())));
            var summary = Assert.IsType<UdpProbeSummary>(results.Last());
            Assert.Equal(12, summary.Sent);
            Assert.Equal(9, summary.Received);
            Assert.Equal(25.0, summary.LossPercent);
            Assert.Equal(0, summary.Duplicates);
            Assert.InRange(summary.Minimum!.Value.TotalMilliseconds, 15, 1000);
            Assert.True(summary.Minimum <= summary.P50 && summary.P50 <= summary.P90 && summary.P90 <= summary.P99 && summary.P99 <= summary.Maximum);
            Assert.Equal(UdpVerdict.Open, summary.Verdict);
            var detail = results.OfType<UdpProbeResult>().ToList();
            Assert.Equal(12, detail.Count);
            Assert.Equal(new[] { 3, 7, 11 }, detail.Where(r => r.Verdict == UdpVerdict.OpenOrFiltered).Select(r => r.Sequence!.Value).OrderBy(s => s));
        }
    }

    [Fact]
    public void ASeriesToAClosedPortIsClosed()
    {
        ProbeSettings settings = Fast(count: 3);
        var summary = (UdpProbeSummary)Run(settings, Target(IPAddress.Loopback, Loopback.ClosedPort(), ProbePayload.Of(new EchoProbe()))).Single();
        Assert.Equal(UdpVerdict.Closed, summary.Verdict);
        Assert.Equal(0, summary.Received);
        Assert.Equal(3, summary.Refused);
        Assert.Null(summary.Average);
    }

    [Fact]
    public void StatisticsFollowTheirDefinitions()
    {
        var rtts = new[] { 10, 30, 20, 40 }.Select(ms => TimeSpan.FromMilliseconds(ms)).ToList();
        var s = new UdpProbeSummary("h", new IPEndPoint(IPAddress.Loopback, 7), "Echo", 5, rtts, 1, 1, 0, 0, null);
        Assert.Equal(20.0, s.LossPercent);
        Assert.Equal(25, s.Average!.Value.TotalMilliseconds);
        Assert.Equal(Math.Sqrt(125), s.StandardDeviation!.Value.TotalMilliseconds, 3);
        Assert.Equal((20 + 10 + 20) / 3.0, s.Jitter!.Value.TotalMilliseconds, 3);
        Assert.Equal(20, s.P50!.Value.TotalMilliseconds);
        Assert.Equal(40, s.P90!.Value.TotalMilliseconds);
        Assert.Equal(40, s.P99!.Value.TotalMilliseconds);
    }

    [Fact]
    public void StoppingASweepEndsItAtOnce()
    {
        using Socket silent = Loopback.Bind(IPAddress.Loopback);
        var targets = Enumerable.Range(0, 200).Select(_ => Target(IPAddress.Loopback, silent.EndPoint().Port)).ToArray();
        var settings = Fast();
        settings.Timeout = TimeSpan.FromSeconds(5);
        var sweep = new ProbeSweep(targets, settings);
        sweep.Start();
        Thread.Sleep(200);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        sweep.Dispose();
        Assert.True(clock.ElapsedMilliseconds < 1000, $"took {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public void APacerLetsABurstThroughAndThenSpacesTheRest()
    {
        var pacer = new HostPacer(burst: 3, interval: TimeSpan.FromMilliseconds(200));
        var address = IPAddress.Parse("198.51.100.12");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < 3; i++)
        {
            pacer.Wait(address, CancellationToken.None);
        }

        Assert.True(clock.ElapsedMilliseconds < 150);
        pacer.Wait(address, CancellationToken.None);
        Assert.True(clock.ElapsedMilliseconds >= 150);
        clock.Restart();
        for (int i = 0; i < 10; i++)
        {
            pacer.Wait(IPAddress.Loopback, CancellationToken.None); // loopback: no limit
        }

        Assert.True(clock.ElapsedMilliseconds < 150);
    }
}
