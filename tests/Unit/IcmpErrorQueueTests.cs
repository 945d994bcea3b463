using System.Diagnostics;
using System.Runtime.InteropServices;

namespace PSUdp.Tests;

public class IcmpErrorQueueTests
{
    private static bool Linux => RuntimeInformation.IsOSPlatform(OSPlatform.Linux);

    // The ICMP answer to a loopback datagram comes back within the send on Linux, but a loaded
    // machine may take longer: look for a bounded while.
    private static IcmpReport WaitForReport(Socket socket)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            if (IcmpErrorQueue.TryRead(socket) is { } report)
            {
                return report;
            }

            Thread.Sleep(10);
        }

        throw new TimeoutException("no ICMP error queued within 5 s");
    }

    [Theory]
    [InlineData("127.0.0.1", IcmpOrigin.Icmp, 3, 3, "IPv4")]
    [InlineData("::1", IcmpOrigin.Icmp6, 1, 4, "IPv6")]
    [InlineData("127.0.0.1", IcmpOrigin.Icmp, 3, 3, "Any")] // a dual-mode socket to an IPv4 peer
    public void AClosedLoopbackPortIsPortUnreachable_WithTypeCodeSourceAndDestination(string address, IcmpOrigin origin, int type, int code, string family)
    {
        Assert.True(Linux, "the error queue is Linux's");
        IPAddress loopback = IPAddress.Parse(address);
        using Socket socket = UdpSocketFactory.Create(new SocketOptions { Family = Enum.Parse<AddressFamilyChoice>(family) });
        int port = Loopback.ClosedPort(loopback);
        socket.SendTo(new byte[] { 0xC0, 0xFF, 0xEE }, new IPEndPoint(loopback, port));

        IcmpReport report = WaitForReport(socket);
        Assert.Equal(origin, report.Origin);
        Assert.Equal(type, report.Type);
        Assert.Equal(code, report.Code);
        Assert.Equal(IcmpKind.PortUnreachable, report.Kind);
        Assert.Equal(loopback, report.Source);
        Assert.Equal(new IPEndPoint(loopback, port), report.OriginalDestination);
        Assert.Equal(111, report.ErrorNumber); // ECONNREFUSED
        Assert.Equal(new byte[] { 0xC0, 0xFF, 0xEE }, report.OriginalPayload);
        Assert.True(report.IsDetailed);
        Assert.Contains("port unreachable", report.Description);
        Assert.Contains($"type {type}, code {code}", report.Description);
    }

    [Fact]
    public void AnEmptyQueueGivesNothingAtOnce()
    {
        using Socket socket = UdpSocketFactory.Create(new SocketOptions { LocalAddress = IPAddress.Loopback });
        var clock = Stopwatch.StartNew();
        Assert.Null(IcmpErrorQueue.TryRead(socket));
        Assert.Empty(IcmpErrorQueue.ReadAll(socket));
        Assert.True(clock.ElapsedMilliseconds < 1000);
    }

    [Fact]
    public void ReadingTheQueueClearsThePendingError_SoTheNextReceiveWaits()
    {
        using Socket socket = UdpSocketFactory.Create(new SocketOptions { LocalAddress = IPAddress.Loopback });
        socket.SendTo(new byte[] { 1 }, new IPEndPoint(IPAddress.Loopback, Loopback.ClosedPort()));
        WaitForReport(socket);
        socket.ReceiveTimeout = 200;
        var e = Assert.Throws<SocketException>(() => socket.Receive(new byte[16]));
        Assert.Equal(SocketError.TimedOut, e.SocketErrorCode);
    }

    [Fact]
    public void EachReportNamesItsOwnDatagram()
    {
        using Socket socket = UdpSocketFactory.Create(new SocketOptions { LocalAddress = IPAddress.Loopback });
        int first = Loopback.ClosedPort(IPAddress.Loopback);
        socket.SendTo(new byte[] { 1 }, new IPEndPoint(IPAddress.Loopback, first));
        Assert.Equal(first, WaitForReport(socket).OriginalDestination!.Port);
        int second = Loopback.ClosedPort(IPAddress.Loopback);
        socket.SendTo(new byte[] { 2 }, new IPEndPoint(IPAddress.Loopback, second));
        IcmpReport report = WaitForReport(socket);
        Assert.Equal(second, report.OriginalDestination!.Port);
        Assert.Equal(new byte[] { 2 }, report.OriginalPayload);
    }

    // Entries the loopback cannot produce, as the kernel lays them out (LP64): cmsghdr, then
    // sock_extended_err, then the offender's sockaddr.
    private static byte[] Entry(int level, int type, int errno, byte origin, byte icmpType, byte icmpCode, uint info, byte[] offender)
    {
        int header = IntPtr.Size == 8 ? 16 : 12;
        byte[] control = new byte[header + 16 + offender.Length];
        if (IntPtr.Size == 8)
        {
            BitConverter.GetBytes((long)control.Length).CopyTo(control, 0);
        }
        else
        {
            BitConverter.GetBytes(control.Length).CopyTo(control, 0);
        }

        BitConverter.GetBytes(level).CopyTo(control, IntPtr.Size);
        BitConverter.GetBytes(type).CopyTo(control, IntPtr.Size + 4);
        BitConverter.GetBytes(errno).CopyTo(control, header);
        control[header + 4] = origin;
        control[header + 5] = icmpType;
        control[header + 6] = icmpCode;
        BitConverter.GetBytes(info).CopyTo(control, header + 8);
        offender.CopyTo(control, header + 16);
        return control;
    }

    // sockaddr_in (AF_INET 2, 16 bytes, the address at 4) or sockaddr_in6 (AF_INET6 10, 28 bytes,
    // the address at 8), by the address's family; the port in network order either way.
    private static byte[] Sockaddr(string address, int port)
    {
        IPAddress ip = IPAddress.Parse(address);
        bool v6 = ip.AddressFamily == AddressFamily.InterNetworkV6;
        byte[] s = new byte[v6 ? 28 : 16];
        BitConverter.GetBytes((ushort)(v6 ? 10 : 2)).CopyTo(s, 0);
        s[2] = (byte)(port >> 8);
        s[3] = (byte)port;
        ip.GetAddressBytes().CopyTo(s, v6 ? 8 : 4);
        return s;
    }

    private static IcmpReport Parse(byte[] control, byte[] name) =>
        IcmpErrorQueue.Parse(control, control.Length, name, name.Length, Array.Empty<byte>(), 0)!;

    [Fact]
    public void FragmentationNeeded_CarriesTheMtu()
    {
        IcmpReport r = Parse(Entry(0, 11, 90, 2, 3, 4, 1400, Sockaddr("198.51.100.1", 0)), Sockaddr("198.51.100.20", 5000));
        Assert.Equal(IcmpKind.FragmentationNeeded, r.Kind);
        Assert.Equal(1400u, r.Info);
        Assert.Equal(IPAddress.Parse("198.51.100.1"), r.Source);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("198.51.100.20"), 5000), r.OriginalDestination);
        Assert.Equal("ICMP destination unreachable: fragmentation needed and DF set (type 3, code 4, next-hop MTU 1400)", r.Description);
    }

    [Theory]
    [InlineData(0, 11, 2, 11, 0, IcmpKind.TimeExceeded, "ICMP time exceeded: time to live exceeded in transit (type 11, code 0)")]
    [InlineData(0, 11, 2, 3, 13, IcmpKind.AdministrativelyProhibited, "ICMP destination unreachable: communication administratively prohibited (type 3, code 13)")]
    [InlineData(0, 11, 2, 3, 1, IcmpKind.HostUnreachable, "ICMP destination unreachable: host unreachable (type 3, code 1)")]
    [InlineData(0, 11, 2, 3, 0, IcmpKind.NetworkUnreachable, "ICMP destination unreachable: network unreachable (type 3, code 0)")]
    [InlineData(0, 11, 2, 3, 2, IcmpKind.ProtocolUnreachable, "ICMP destination unreachable: protocol unreachable (type 3, code 2)")]
    [InlineData(0, 11, 2, 3, 10, IcmpKind.AdministrativelyProhibited, "ICMP destination unreachable: host administratively prohibited (type 3, code 10)")]
    [InlineData(0, 11, 2, 12, 0, IcmpKind.Other, "ICMP parameter problem: an ICMP error (type 12, code 0)")]
    public void Icmp4Kinds(int level, int type, byte origin, byte icmpType, byte icmpCode, IcmpKind kind, string description)
    {
        IcmpReport r = Parse(Entry(level, type, 113, origin, icmpType, icmpCode, 0, Sockaddr("198.51.100.1", 0)), Sockaddr("198.51.100.20", 161));
        Assert.Equal(kind, r.Kind);
        Assert.Equal(description, r.Description);
        Assert.Equal(IcmpOrigin.Icmp, r.Origin);
    }

    [Theory]
    [InlineData(1, 1, IcmpKind.AdministrativelyProhibited)]
    [InlineData(1, 3, IcmpKind.HostUnreachable)]
    [InlineData(1, 0, IcmpKind.NetworkUnreachable)]
    [InlineData(1, 4, IcmpKind.PortUnreachable)]
    [InlineData(1, 6, IcmpKind.AdministrativelyProhibited)]
    [InlineData(3, 0, IcmpKind.TimeExceeded)]
    [InlineData(2, 0, IcmpKind.FragmentationNeeded)]
    public void Icmp6Kinds(byte icmpType, byte icmpCode, IcmpKind kind)
    {
        IcmpReport r = Parse(Entry(41, 25, 113, 3, icmpType, icmpCode, 1280, Sockaddr("2001:db8::1", 0)), Sockaddr("2001:db8::20", 161));
        Assert.Equal(kind, r.Kind);
        Assert.Equal(IPAddress.Parse("2001:db8::1"), r.Source);
        Assert.Equal(IcmpOrigin.Icmp6, r.Origin);
    }

    [Fact]
    public void AnIcmp4ErrorOnAnIPv6Socket_HasItsAddressesNormalised()
    {
        IcmpReport r = Parse(Entry(41, 25, 111, 2, 3, 3, 0, Sockaddr("::ffff:127.0.0.1", 0)), Sockaddr("::ffff:127.0.0.1", 9));
        Assert.Equal(IPAddress.Loopback, r.Source);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 9), r.OriginalDestination);
    }

    [Fact]
    public void ALocalError_HasNoSourceButItsMtu()
    {
        byte[] unspecified = new byte[16];
        IcmpReport r = Parse(Entry(0, 11, 90, 1, 0, 0, 1500, unspecified), Sockaddr("198.51.100.20", 161));
        Assert.Equal(IcmpOrigin.Local, r.Origin);
        Assert.Equal(IcmpKind.FragmentationNeeded, r.Kind);
        Assert.Null(r.Source);
        Assert.Null(r.Type);
        Assert.Equal(1500u, r.Info);
    }

    [Fact]
    public void OtherControlMessagesAreSkipped()
    {
        byte[] pktinfo = new byte[IntPtr.Size == 8 ? 32 : 24];
        BitConverter.GetBytes(IntPtr.Size == 8 ? 28L : 24).CopyTo(pktinfo, 0); // cmsg_len of IP_PKTINFO, padded
        if (IntPtr.Size != 8)
        {
            BitConverter.GetBytes(24).CopyTo(pktinfo, 0);
        }

        BitConverter.GetBytes(0).CopyTo(pktinfo, IntPtr.Size);
        BitConverter.GetBytes(8).CopyTo(pktinfo, IntPtr.Size + 4);
        byte[] error = Entry(0, 11, 111, 2, 3, 3, 0, Sockaddr("127.0.0.1", 0));
        byte[] both = new byte[pktinfo.Length + error.Length];
        pktinfo.CopyTo(both, 0);
        error.CopyTo(both, pktinfo.Length);
        Assert.Equal(IcmpKind.PortUnreachable, Parse(both, Sockaddr("127.0.0.1", 9)).Kind);
        Assert.Null(IcmpErrorQueue.Parse(pktinfo, pktinfo.Length, new byte[0], 0, new byte[0], 0));
    }

    [Theory]
    [InlineData(SocketError.ConnectionRefused, IcmpKind.PortUnreachable)]
    [InlineData(SocketError.ConnectionReset, IcmpKind.PortUnreachable)]
    [InlineData(SocketError.HostUnreachable, IcmpKind.HostUnreachable)]
    [InlineData(SocketError.NetworkUnreachable, IcmpKind.NetworkUnreachable)]
    public void WithoutTheQueue_TheErrorCodeAloneSaysLess(SocketError error, IcmpKind kind)
    {
        IcmpReport r = IcmpErrorQueue.FromSocketError(error, new IPEndPoint(IPAddress.Loopback, 9))!;
        Assert.Equal(kind, r.Kind);
        Assert.False(r.IsDetailed);
        Assert.Null(r.Source);
        Assert.Contains("does not tell the ICMP type, code or sender", r.Description);
        Assert.Null(IcmpErrorQueue.FromSocketError(SocketError.TimedOut, null));
    }
}
