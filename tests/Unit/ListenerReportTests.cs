using PSUdp.Commands;

namespace PSUdp.Tests;

public class ListenerReportTests
{
    private static readonly IPEndPoint Bound = new(IPAddress.Loopback, 5000);

    private static ListenerOutcome Outcome(ListenerRole role, long dropped = 0, long? kernel = null, EchoRefusals? echo = null) =>
        new(role, Bound, 10, dropped, kernel, echo, null);

    [Fact]
    public void AReceiverThatDroppedNothingHasNothingToSay()
    {
        Assert.Empty(ListenerReport.Warnings(Outcome(ListenerRole.Receiver), inJob: false));
        Assert.Equal("10 received, 0 dropped", ListenerReport.Status(Outcome(ListenerRole.Receiver)));
    }

    [Fact]
    public void TheDropWarningFitsTheListenerAndWhereItRuns()
    {
        string receiver = Assert.Single(ListenerReport.Warnings(Outcome(ListenerRole.Receiver, dropped: 3), inJob: false));
        Assert.StartsWith("3 of 10 datagrams received on 127.0.0.1:5000 were not written because the pipeline could not keep up.", receiver);
        Assert.DoesNotContain("echo", receiver);
        Assert.Contains("-AsJob", receiver);

        string echo = Assert.Single(ListenerReport.Warnings(Outcome(ListenerRole.Echo, dropped: 3, echo: new EchoRefusals(0, null)), inJob: false));
        Assert.Contains("datagrams echoed on", echo);
        Assert.Contains("The echo server still answered them.", echo);

        string job = Assert.Single(ListenerReport.Warnings(Outcome(ListenerRole.Receiver, dropped: 3), inJob: true));
        Assert.DoesNotContain("-AsJob", job);
        Assert.Contains("Receive-Job", job);
    }

    [Fact]
    public void KernelDropsAndRefusalsFollowInOrder()
    {
        var outcome = Outcome(ListenerRole.Echo, dropped: 1, kernel: 7, echo: new EchoRefusals(2, "127.0.0.1:7: source port 7"));
        string[] warnings = ListenerReport.Warnings(outcome, inJob: true).ToArray();
        Assert.Equal(3, warnings.Length);
        Assert.Contains("not written", warnings[0]);
        Assert.Contains("The system dropped 7 datagrams", warnings[1]);
        Assert.StartsWith("2 datagrams were not echoed (the last from 127.0.0.1:7: source port 7)", warnings[2]);
        Assert.Equal("10 echoed, 2 refused, 1 dropped, 7 dropped by the system", ListenerReport.Status(outcome));
    }
}
