using System.Runtime.InteropServices;
using System.Threading.Tasks;
using PSUdp.Engine.Load;

namespace PSUdp.Tests;

public class LoadGeneratorTests
{
    private static readonly byte[] Payload = { 1, 2, 3, 4, 5, 6, 7, 8 };

    [LinuxFact]
    public void BatchWriterSendsOnePayloadSeveralTimesPerCall()
    {
        using Socket receiver = Receiver();
        using Socket socket = Connected(receiver);
        using DatagramBatchWriter writer = DatagramBatchWriter.TryCreate(socket, capacity: 8)!;
        Assert.Equal(8, writer.SendRepeated(Payload, 20)); // never more than the capacity
        Assert.Equal(3, writer.SendRepeated(Payload, 3));
        for (int i = 0; i < 11; i++)
        {
            Assert.Equal(Payload, receiver.ReceiveOne(out EndPoint from));
            Assert.Equal(socket.LocalEndPoint, from);
        }

        writer.Dispose(); // twice is harmless
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)] // the one-call-per-datagram path of systems without sendmmsg
    public void SendsExactlyTheCount(bool batches)
    {
        using Socket receiver = Receiver();
        using Socket socket = Connected(receiver);
        var target = receiver.EndPoint();
        UdpSendSummary summary = LoadGenerator.Run(socket, target, connected: true, Payload,
            new LoadPlan { Count = 1000, AllowBatches = batches }, CancellationToken.None);

        Assert.Equal(1000, summary.Sent);
        Assert.Equal(0, summary.Refused);
        Assert.Equal(target.Address, summary.RemoteAddress);
        Assert.Equal(Payload.Length, summary.Length);
        Assert.Null(summary.RequestedRate);
        if (batches && RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
        {
            Assert.InRange(summary.SystemCalls, 4, 100); // 256 per call
        }
        else
        {
            Assert.Equal(1000, summary.SystemCalls);
        }

        Assert.Equal(1000, Drain(receiver));
    }

    [Fact]
    public void SendsUnconnectedOneAtATime()
    {
        using Socket receiver = Receiver();
        using Socket socket = UdpSocketFactory.Create(new SocketOptions { LocalAddress = IPAddress.Loopback });
        UdpSendSummary summary = LoadGenerator.Run(socket, receiver.EndPoint(), connected: false, Payload,
            new LoadPlan { Count = 50 }, CancellationToken.None);
        Assert.Equal(50, summary.Sent);
        Assert.Equal(50, summary.SystemCalls);
        Assert.Equal(50, Drain(receiver));
    }

    [Fact]
    public void PacedRunStopsByItselfAtItsCountAndNeverRunsAheadOfTheRate()
    {
        using Socket receiver = Receiver();
        using Socket socket = Connected(receiver);
        var pacer = new SendPacer(2000);
        UdpSendSummary summary = LoadGenerator.Run(socket, receiver.EndPoint(), connected: true, Payload,
            new LoadPlan { Count = 300, Pacer = pacer }, CancellationToken.None);
        Assert.Equal(300, summary.Sent);
        Assert.Equal(2000, summary.RequestedRate);
        // The kth datagram is due k / rate after the first: never more than the schedule allows.
        Assert.True(summary.Sent <= (summary.Elapsed.TotalSeconds * 2000) + 2, $"{summary.Sent} in {summary.Elapsed}");
        Assert.Equal(300, Drain(receiver));
    }

    [Fact]
    public void PacedRunForADurationStopsByItself()
    {
        using Socket receiver = Receiver();
        using Socket socket = Connected(receiver);
        UdpSendSummary summary = LoadGenerator.Run(socket, receiver.EndPoint(), connected: true, Payload,
            new LoadPlan { Duration = TimeSpan.FromSeconds(0.3), Pacer = new SendPacer(1000) }, CancellationToken.None);
        Assert.InRange(summary.Sent, 1, (long)(summary.Elapsed.TotalSeconds * 1000) + 2);
        Assert.Equal(summary.Sent, Drain(receiver));
    }

    [Fact]
    public async Task CancellationEndsAnUnboundedRun()
    {
        using Socket receiver = Receiver();
        using Socket socket = Connected(receiver);
        using var cancel = new CancellationTokenSource();
        var run = Task.Run(() => LoadGenerator.Run(socket, receiver.EndPoint(), connected: true, Payload,
            new LoadPlan { Duration = TimeSpan.FromSeconds(120), Pacer = new SendPacer(500) }, cancel.Token));
        await Task.Delay(200);
        cancel.Cancel();
        Task first = await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(30)));
        Assert.True(ReferenceEquals(first, run), "the run did not end after cancellation");
        Assert.True((await run).Sent > 0);
    }

    [Fact]
    public void RefusalsOfAClosedPortAreCountedAndTheRunGoesOn()
    {
        var target = new IPEndPoint(IPAddress.Loopback, Loopback.ClosedPort());
        using Socket socket = UdpSocketFactory.Create(new SocketOptions { LocalAddress = IPAddress.Loopback });
        socket.Connect(target);
        UdpSendSummary summary = LoadGenerator.Run(socket, target, connected: true, Payload,
            new LoadPlan { Count = 200, Pacer = new SendPacer(5000) }, CancellationToken.None);
        Assert.Equal(200, summary.Sent);
        Assert.True(summary.Refused > 0);
    }

    [Fact]
    public void PacerRefusesARateThatIsNotPositive()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SendPacer(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SendPacer(double.NaN));
    }

    // Room for every datagram a test sends before it reads them.
    private static Socket Receiver()
    {
        Socket receiver = Loopback.Bind(IPAddress.Loopback);
        receiver.ReceiveBufferSize = 4 * 1024 * 1024;
        return receiver;
    }

    private static Socket Connected(Socket receiver)
    {
        Socket socket = UdpSocketFactory.Create(new SocketOptions { LocalAddress = IPAddress.Loopback });
        socket.Connect(receiver.EndPoint());
        return socket;
    }

    private static long Drain(Socket receiver)
    {
        receiver.ReceiveTimeout = 500;
        var buffer = new byte[2048];
        long got = 0;
        try
        {
            while (true)
            {
                receiver.Receive(buffer);
                got++;
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut || e.SocketErrorCode == SocketError.WouldBlock)
        {
            return got;
        }
    }
}

public class SendPacerTests
{
    // The pacer's own promise, on its own clock: however late a wait wakes, no 10 ms window holds
    // more than its limit, and the run never gets ahead of the schedule. The pacer stamps a send
    // inside Sent(); the test brackets that stamp (read just before and just after), so a thread
    // preempted between the two clocks cannot make sends look closer together than they were:
    // sends i..j are surely inside one window when j's latest stamp minus i's earliest is less.
    [Theory]
    [InlineData(1000)]
    [InlineData(20000)]
    public void NoWindowHoldsMoreThanItsLimitEvenAfterAStall(double rate)
    {
        var pacer = new SendPacer(rate);
        var sends = new System.Collections.Generic.List<(long Before, long After, int Count)>();
        long deadline = System.Diagnostics.Stopwatch.GetTimestamp() + (System.Diagnostics.Stopwatch.Frequency * 3 / 10);
        bool stalled = false;
        while (true)
        {
            int n = pacer.WaitForTurn(256, deadline, CancellationToken.None);
            if (n == 0)
            {
                break;
            }

            long before = System.Diagnostics.Stopwatch.GetTimestamp();
            pacer.Sent(n);
            sends.Add((before, System.Diagnostics.Stopwatch.GetTimestamp(), n));
            if (!stalled && pacer.Count > rate / 20)
            {
                stalled = true;
                Thread.Sleep(50); // a stalled thread: the pacer catches up afterwards, within the window limit
            }
        }

        long window = System.Diagnostics.Stopwatch.Frequency / 100;
        long most = 0;
        long inside = 0;
        int first = 0;
        for (int i = 0; i < sends.Count; i++)
        {
            inside += sends[i].Count;
            while (first <= i && sends[first].Before <= sends[i].After - window)
            {
                inside -= sends[first].Count;
                first++;
            }

            most = Math.Max(most, inside);
        }

        Assert.InRange(most, 1, pacer.WindowLimit);
        Assert.True(pacer.WindowLimit <= rate * 0.015, $"limit {pacer.WindowLimit}");
        Assert.True(pacer.Count > rate / 20, "the run went on after the stall");
    }
}
