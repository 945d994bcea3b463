using System.Diagnostics;
using System.Runtime.InteropServices;

namespace PSUdp.Tests;

public class SendStampsTests
{
    private static bool Linux => RuntimeInformation.IsOSPlatform(OSPlatform.Linux);

    // A loopback stamp is queued within the send; a loaded machine may take longer: a bounded while.
    private static long WaitForStamp(SendStamps stamps, int number)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            if (stamps.TryGet(number, out long stamp))
            {
                return stamp;
            }

            Thread.Sleep(10);
        }

        throw new TimeoutException($"no transmit stamp for send {number} within 5 s");
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public void EachSendGetsTheKernelsStamp_BetweenTheMomentsAroundItsCall(string address)
    {
        Assert.True(Linux, "transmit stamps are Linux's");
        IPAddress loopback = IPAddress.Parse(address);
        using Socket sink = Loopback.Bind(loopback);
        using Socket socket = Loopback.Bind(loopback);
        SendStamps stamps = SendStamps.TryEnable(socket) ?? throw new InvalidOperationException("SO_TIMESTAMPING refused");

        var around = new List<(long Before, long After)>();
        for (int i = 0; i < 3; i++)
        {
            long before = SendStamps.Now();
            socket.SendTo(new byte[] { (byte)i }, sink.LocalEndPoint!);
            Assert.Equal(i, stamps.Sent(before));
            around.Add((before, DateTime.UtcNow.Ticks));
            Thread.Sleep(2);
        }

        for (int i = 0; i < 3; i++)
        {
            long stamp = WaitForStamp(stamps, i);
            Assert.InRange(stamp, around[i].Before - 20, around[i].After);
        }

        Assert.False(stamps.TryGet(3, out _)); // never sent
        Assert.False(stamps.HasErrors);
    }

    [Fact]
    public void AStampForAnotherSendIsRefused_NotTakenAsThisOnes()
    {
        Assert.True(Linux, "transmit stamps are Linux's");
        using Socket sink = Loopback.Bind(IPAddress.Loopback);
        using Socket socket = Loopback.Bind(IPAddress.Loopback);
        SendStamps stamps = SendStamps.TryEnable(socket)!;

        // The kernel counts two sends, the record one: the record's send 0 was the kernel's send 1
        // (a copy it did not hear of), which left after the moments the record has for send 0.
        long before = SendStamps.Now();
        socket.SendTo(new byte[] { 1 }, sink.LocalEndPoint!);
        stamps.Sent(before);
        Thread.Sleep(5);
        stamps.Add(0, DateTime.UtcNow.Ticks + TimeSpan.FromSeconds(2).Ticks);
        Assert.False(stamps.TryGet(0, out _));
    }

    [Fact]
    public void AnIcmpErrorReadWhileLookingForAStamp_IsKeptForTheOwner()
    {
        Assert.True(Linux, "the error queue is Linux's");
        using Socket socket = UdpSocketFactory.Create(new SocketOptions { LocalAddress = IPAddress.Loopback });
        SendStamps stamps = SendStamps.TryEnable(socket)!;
        int port = Loopback.ClosedPort(IPAddress.Loopback);

        long before = SendStamps.Now();
        socket.SendTo(new byte[] { 0xAB }, new IPEndPoint(IPAddress.Loopback, port));
        stamps.Sent(before);
        WaitForStamp(stamps, 0);
        var clock = Stopwatch.StartNew();
        while (!stamps.HasErrors && clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            stamps.Drain();
            Thread.Sleep(10);
        }

        List<IcmpReport> errors = stamps.TakeErrors();
        IcmpReport report = Assert.Single(errors);
        Assert.Equal(IcmpKind.PortUnreachable, report.Kind);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, port), report.OriginalDestination);
        Assert.False(stamps.HasErrors);
    }

    [Fact]
    public void AStampEntry_ComesBackAsTheSendsNumberAndTime_NotAsAReport()
    {
        // sock_extended_err with origin SO_EE_ORIGIN_TIMESTAMPING (4), errno ENOMSG, ee_data 7,
        // then SCM_TIMESTAMPING: three timespecs, the first the software stamp.
        int header = 16;
        byte[] error = new byte[header + 16];
        BitConverter.GetBytes((long)error.Length).CopyTo(error, 0);
        BitConverter.GetBytes(0).CopyTo(error, 8);   // SOL_IP
        BitConverter.GetBytes(11).CopyTo(error, 12); // IP_RECVERR
        BitConverter.GetBytes(42).CopyTo(error, header); // ENOMSG
        error[header + 4] = 4;
        BitConverter.GetBytes(7u).CopyTo(error, header + 12);
        byte[] stamp = new byte[header + 48];
        BitConverter.GetBytes((long)stamp.Length).CopyTo(stamp, 0);
        BitConverter.GetBytes(1).CopyTo(stamp, 8);   // SOL_SOCKET
        BitConverter.GetBytes(37).CopyTo(stamp, 12); // SCM_TIMESTAMPING
        BitConverter.GetBytes(1_796_000_000L).CopyTo(stamp, header);
        BitConverter.GetBytes(123_456_700L).CopyTo(stamp, header + 8);
        byte[] control = stamp.Concat(error).ToArray();

        IcmpReport? report = IcmpErrorQueue.ParseEntry(control, control.Length, Array.Empty<byte>(), 0, Array.Empty<byte>(), 0, out SendStamp? entry);
        Assert.Null(report);
        Assert.NotNull(entry);
        Assert.Equal(7u, entry!.Value.Id);
        Assert.Equal(DateTime.UnixEpoch.Ticks + (1_796_000_000L * TimeSpan.TicksPerSecond) + 1_234_567, entry.Value.UtcTicks);
        Assert.Null(IcmpErrorQueue.Parse(control, control.Length, Array.Empty<byte>(), 0, Array.Empty<byte>(), 0));
    }
}
