using System.Diagnostics;
using System.IO;
using System.Text;
using PSUdp.Engine.Capture;
using PSUdp.Engine.IPLevel;

namespace PSUdp.Tests;

/// <summary>Capture files made by hand, byte by byte, as other tools write them.</summary>
internal static class Frames
{
    internal static byte[] IPv4Udp(string src, string dst, int sport, int dport, byte[] payload, int fragment = 0, int protocol = 17)
    {
        var d = new UdpDatagram(DatagramDirection.Received, new IPEndPoint(IPAddress.Parse(src), sport), IPAddress.Parse(dst), dport,
            payload, false, Encoding.UTF8, DateTimeOffset.UtcNow);
        var buffer = new byte[UdpPacket.MaxLength];
        int n = UdpPacket.Build(d, buffer);
        byte[] packet = buffer.Take(n).ToArray();
        packet[6] = (byte)(fragment >> 8);
        packet[7] = (byte)fragment;
        packet[9] = (byte)protocol;
        return packet;
    }

    internal static byte[] IPv6Udp(string src, string dst, int sport, int dport, byte[] payload, byte[]? extension = null)
    {
        var d = new UdpDatagram(DatagramDirection.Received, new IPEndPoint(IPAddress.Parse(src), sport), IPAddress.Parse(dst), dport,
            payload, false, Encoding.UTF8, DateTimeOffset.UtcNow);
        var buffer = new byte[UdpPacket.MaxLength];
        int n = UdpPacket.Build(d, buffer);
        byte[] packet = buffer.Take(n).ToArray();
        return extension is null ? packet : Rebuild(packet, extension);
    }

    // extension = the header's bytes, then one byte naming its type (for the IPv6 next-header field).
    private static byte[] Rebuild(byte[] packet, byte[] extension)
    {
        byte[] header = extension.Take(extension.Length - 1).ToArray();
        byte[] result = packet.Take(40).Concat(header).Concat(packet.Skip(40)).ToArray();
        int payloadLength = (packet[4] << 8 | packet[5]) + header.Length;
        result[4] = (byte)(payloadLength >> 8);
        result[5] = (byte)payloadLength;
        result[6] = extension[^1];
        return result;
    }

    internal static byte[] Ethernet(byte[] ip, bool v6, params int[] vlans)
    {
        var frame = new List<byte>(new byte[12]);
        foreach (int vlan in vlans)
        {
            frame.AddRange(new byte[] { 0x81, 0x00, (byte)(vlan >> 8), (byte)vlan });
        }

        frame.AddRange(v6 ? new byte[] { 0x86, 0xDD } : new byte[] { 0x08, 0x00 });
        frame.AddRange(ip);
        while (frame.Count < 60)
        {
            frame.Add(0); // Ethernet's minimum frame: padding after a short IP packet
        }

        return frame.ToArray();
    }

    internal static byte[] Sll(byte[] ip, bool v6) =>
        new byte[] { 0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0 }.Concat(v6 ? new byte[] { 0x86, 0xDD } : new byte[] { 0x08, 0x00 }).Concat(ip).ToArray();

    internal static byte[] Sll2(byte[] ip, bool v6) =>
        (v6 ? new byte[] { 0x86, 0xDD } : new byte[] { 0x08, 0x00 }).Concat(new byte[] { 0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0 }).Concat(ip).ToArray();

    internal static byte[] Null(byte[] ip, bool v6, bool bigEndian)
    {
        uint family = v6 ? 30u : 2u;
        byte[] f = BitConverter.GetBytes(family);
        if (bigEndian)
        {
            Array.Reverse(f);
        }

        return f.Concat(ip).ToArray();
    }

    internal static byte[] Pcap(int linkType, bool bigEndian, bool nano, params (long Seconds, uint Fraction, byte[] Frame)[] records)
    {
        var s = new MemoryStream();
        void U32(uint v) { byte[] b = BitConverter.GetBytes(v); if (bigEndian) Array.Reverse(b); s.Write(b); }
        void U16(ushort v) { byte[] b = BitConverter.GetBytes(v); if (bigEndian) Array.Reverse(b); s.Write(b); }
        U32(nano ? 0xA1B23C4D : 0xA1B2C3D4);
        U16(2);
        U16(4);
        U32(0);
        U32(0);
        U32(65535);
        U32((uint)linkType);
        foreach (var (seconds, fraction, frame) in records)
        {
            U32((uint)seconds);
            U32(fraction);
            U32((uint)frame.Length);
            U32((uint)frame.Length);
            s.Write(frame);
        }

        return s.ToArray();
    }

    /// <summary>A pcapng block in the chosen byte order; the body is padded to 4.</summary>
    internal static byte[] Block(uint type, byte[] body, bool bigEndian = false)
    {
        byte[] padded = body.Concat(new byte[(4 - body.Length % 4) % 4]).ToArray();
        uint total = (uint)(12 + padded.Length);
        return U32(type, bigEndian).Concat(U32(total, bigEndian)).Concat(padded).Concat(U32(total, bigEndian)).ToArray();
    }

    internal static byte[] U32(uint v, bool bigEndian = false)
    {
        byte[] b = BitConverter.GetBytes(v);
        if (bigEndian)
        {
            Array.Reverse(b);
        }

        return b;
    }

    internal static byte[] U16(ushort v, bool bigEndian = false)
    {
        byte[] b = BitConverter.GetBytes(v);
        if (bigEndian)
        {
            Array.Reverse(b);
        }

        return b;
    }

    internal static byte[] Shb(bool bigEndian = false) =>
        Block(0x0A0D0D0A, U32(0x1A2B3C4D, bigEndian).Concat(U16(1, bigEndian)).Concat(U16(0, bigEndian)).Concat(Enumerable.Repeat((byte)0xFF, 8)).ToArray(), bigEndian);

    internal static byte[] Idb(int linkType, byte? tsresol, bool bigEndian = false, long? tsoffset = null)
    {
        var body = U16((ushort)linkType, bigEndian).Concat(U16(0, bigEndian)).Concat(U32(0, bigEndian)).ToList();
        if (tsresol is { } r)
        {
            body.AddRange(U16(9, bigEndian).Concat(U16(1, bigEndian)).Concat(new byte[] { r, 0, 0, 0 }));
        }

        if (tsoffset is { } o)
        {
            byte[] v = BitConverter.GetBytes(o);
            if (bigEndian)
            {
                Array.Reverse(v);
            }

            body.AddRange(U16(14, bigEndian).Concat(U16(8, bigEndian)).Concat(v));
        }

        body.AddRange(new byte[4]);
        return Block(1, body.ToArray(), bigEndian);
    }

    internal static byte[] Epb(int iface, ulong units, byte[] frame, bool bigEndian = false) =>
        Block(6, U32((uint)iface, bigEndian).Concat(U32((uint)(units >> 32), bigEndian)).Concat(U32((uint)units, bigEndian))
            .Concat(U32((uint)frame.Length, bigEndian)).Concat(U32((uint)frame.Length, bigEndian)).Concat(frame).ToArray(), bigEndian);

    internal static byte[] Spb(byte[] frame, bool bigEndian = false) =>
        Block(3, U32((uint)frame.Length, bigEndian).Concat(frame).ToArray(), bigEndian);

    internal static List<UdpDatagram> ReadAll(byte[] file, out CaptureCounts counts)
    {
        using CaptureReader reader = CaptureReader.Start(new MemoryStream(file), "test", Encoding.UTF8);
        var all = new List<UdpDatagram>();
        while (reader.Next() is { } d)
        {
            all.Add(d);
        }

        counts = reader.Counts;
        return all;
    }
}

public class UdpPacketTests
{
    [Theory]
    [InlineData("192.0.2.1", "198.51.100.7")]
    [InlineData("2001:db8::1", "2001:db8::2")]
    public void Build_WritesHeadersWithValidChecksums(string remote, string local)
    {
        byte[] payload = Encoding.ASCII.GetBytes("checksum me, odd length");
        var d = new UdpDatagram(DatagramDirection.Received, new IPEndPoint(IPAddress.Parse(remote), 5353), IPAddress.Parse(local), 53,
            payload, false, Encoding.UTF8, DateTimeOffset.UtcNow);
        var buffer = new byte[UdpPacket.MaxLength];
        int n = UdpPacket.Build(d, buffer);
        bool v6 = remote.Contains(':');
        int ip = v6 ? 40 : 20;
        Assert.Equal(ip + 8 + payload.Length, n);
        if (!v6)
        {
            Assert.Equal(0xFFFFu, UdpPacket.Sum(buffer, 0, 20, 0));
        }

        // The UDP checksum over the pseudo-header and the datagram sums to all ones.
        byte[] src = IPAddress.Parse(remote).GetAddressBytes();
        byte[] dst = IPAddress.Parse(local).GetAddressBytes();
        uint sum = UdpPacket.Sum(src, 0, src.Length, 0);
        sum = UdpPacket.Sum(dst, 0, dst.Length, sum);
        sum += 17u + (uint)(8 + payload.Length);
        Assert.Equal(0xFFFFu, UdpPacket.Sum(buffer, ip, 8 + payload.Length, sum));

        Assert.Equal(PacketKind.Udp, PacketDecoder.Decode(LinkType.Raw, buffer, 0, n, out DecodedUdp udp));
        Assert.Equal(IPAddress.Parse(remote), udp.Source);
        Assert.Equal(5353, udp.SourcePort);
        Assert.Equal(IPAddress.Parse(local), udp.Destination);
        Assert.Equal(53, udp.DestinationPort);
        Assert.Equal(payload, buffer.Skip(udp.PayloadOffset).Take(udp.PayloadLength).ToArray());
    }

    [Theory]
    [InlineData("192.0.2.1", "198.51.100.7")]
    [InlineData("2001:db8::1", "2001:db8::2")]
    public void Build_WritesTheArrivalFactsTheDatagramKnows(string remote, string local)
    {
        // TTL 5, DSCP EF (46) and ECN ECT(1), as a receive with the arrival facts found them.
        var d = new UdpDatagram(DatagramDirection.Received, IPAddress.Parse(remote), 1, IPAddress.Parse(local), 2,
            new byte[] { 7 }, false, Encoding.UTF8, new ArrivalFacts(0, 5, (46 << 2) | 1, DateTimeOffset.UtcNow.UtcTicks));
        var buffer = new byte[UdpPacket.MaxLength];
        int n = UdpPacket.Build(d, buffer);
        List<UdpDatagram> back = Frames.ReadAll(Frames.Pcap(LinkType.Raw, false, false, (1, 0, buffer.Take(n).ToArray())), out _);
        UdpDatagram b = Assert.Single(back);
        Assert.Equal(5, b.TimeToLive);
        Assert.Equal(46, b.Dscp);
        Assert.Equal(1, b.Ecn);
        if (!remote.Contains(':'))
        {
            Assert.Equal(0xFFFFu, UdpPacket.Sum(buffer, 0, 20, 0));
        }
    }

    [Fact]
    public void Build_SentDatagramGoesFromLocalToRemote()
    {
        var d = new UdpDatagram(DatagramDirection.Sent, new IPEndPoint(IPAddress.Parse("192.0.2.9"), 514), IPAddress.IPv6Any, 40000,
            new byte[] { 1 }, false, Encoding.UTF8, DateTimeOffset.UtcNow);
        var buffer = new byte[UdpPacket.MaxLength];
        int n = UdpPacket.Build(d, buffer);
        Assert.Equal(PacketKind.Udp, PacketDecoder.Decode(LinkType.Raw, buffer, 0, n, out DecodedUdp udp));
        Assert.Equal(IPAddress.Any, udp.Source); // a dual-mode socket's "::" beside an IPv4 peer
        Assert.Equal(40000, udp.SourcePort);
        Assert.Equal(IPAddress.Parse("192.0.2.9"), udp.Destination);
        Assert.Equal(514, udp.DestinationPort);
    }
}

public class CaptureRoundTripTests
{
    private static List<UdpDatagram> Sample()
    {
        var t = new DateTimeOffset(2026, 12, 1, 6, 0, 0, TimeSpan.Zero).AddTicks(1234567);
        return new List<UdpDatagram>
        {
            new(DatagramDirection.Received, new IPEndPoint(IPAddress.Parse("127.0.0.1"), 40001), IPAddress.Parse("127.0.0.2"), 53,
                Encoding.ASCII.GetBytes("one"), false, Encoding.UTF8, t),
            new(DatagramDirection.Sent, new IPEndPoint(IPAddress.Parse("::1"), 7), IPAddress.Parse("::1"), 40002,
                Enumerable.Range(0, 256).Select(i => (byte)i).ToArray(), false, Encoding.UTF8, t.AddTicks(1)),
            new(DatagramDirection.Received, new IPEndPoint(IPAddress.Parse("198.51.100.1"), 9), IPAddress.Parse("198.51.100.2"), 9,
                Array.Empty<byte>(), false, Encoding.UTF8, t.AddSeconds(1)),
            new(DatagramDirection.Received, new IPEndPoint(IPAddress.Parse("198.51.100.1"), 9), IPAddress.Parse("198.51.100.2"), 9,
                new byte[65507], false, Encoding.UTF8, t.AddSeconds(2)),
        };
    }

    private static string Write(CaptureFormat format, IEnumerable<UdpDatagram> datagrams, bool append = false, string? path = null)
    {
        path ??= Path.Combine(Path.GetTempPath(), $"psudp-{Guid.NewGuid():N}.{format.ToString().ToLowerInvariant()}");
        using CaptureWriter writer = CaptureWriter.Open(path, format, append);
        foreach (UdpDatagram d in datagrams)
        {
            writer.Write(d);
        }

        return path;
    }

    [Theory]
    [InlineData(CaptureFormat.Pcapng)]
    [InlineData(CaptureFormat.Pcap)]
    public void WrittenDatagramsReadBack(CaptureFormat format)
    {
        List<UdpDatagram> sample = Sample();
        string path = Write(format, sample);
        try
        {
            List<UdpDatagram> back = Frames.ReadAll(File.ReadAllBytes(path), out CaptureCounts counts);
            Assert.Equal(sample.Count, back.Count);
            Assert.Equal(0, counts.Skipped);
            for (int i = 0; i < sample.Count; i++)
            {
                UdpDatagram o = sample[i];
                UdpDatagram b = back[i];
                Assert.Equal(DatagramDirection.Received, b.Direction);
                bool sent = o.Direction == DatagramDirection.Sent;
                Assert.Equal(sent ? o.LocalAddress : o.RemoteAddress, b.RemoteAddress);
                Assert.Equal(sent ? o.LocalPort : o.RemotePort, b.RemotePort);
                Assert.Equal(sent ? o.RemoteAddress : o.LocalAddress, b.LocalAddress);
                Assert.Equal(sent ? o.RemotePort : o.LocalPort, b.LocalPort);
                Assert.Equal(o.Payload, b.Payload);
                Assert.False(b.Truncated);

                // pcapng keeps nanoseconds (all of .NET's 100 ns); pcap keeps microseconds.
                long expected = format == CaptureFormat.Pcapng ? o.Timestamp.UtcTicks : o.Timestamp.UtcTicks / 10 * 10;
                Assert.Equal(expected, b.Timestamp.UtcTicks);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(CaptureFormat.Pcapng)]
    [InlineData(CaptureFormat.Pcap)]
    public void AppendAddsToTheFile(CaptureFormat format)
    {
        List<UdpDatagram> sample = Sample();
        string path = Write(format, sample.Take(2));
        try
        {
            Write(format, sample.Skip(2), append: true, path: path);
            List<UdpDatagram> back = Frames.ReadAll(File.ReadAllBytes(path), out _);
            Assert.Equal(sample.Select(d => d.Hex), back.Select(d => d.Hex));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(CaptureFormat.Pcapng, CaptureFormat.Pcap)]
    [InlineData(CaptureFormat.Pcap, CaptureFormat.Pcapng)]
    public void AppendToTheOtherFormatIsRefused(CaptureFormat existing, CaptureFormat asked)
    {
        string path = Write(existing, Sample().Take(1));
        try
        {
            long length = new FileInfo(path).Length;
            var e = Assert.Throws<UdpException>(() => Write(asked, Sample(), append: true, path: path));
            Assert.Equal(UdpErrorKind.CaptureFormatMismatch, e.Kind);
            Assert.Equal(length, new FileInfo(path).Length);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void AppendToAPcapOfAnotherLinkTypeIsRefused()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, Frames.Pcap(LinkType.Ethernet, false, false));
            var e = Assert.Throws<UdpException>(() => Write(CaptureFormat.Pcap, Sample(), append: true, path: path));
            Assert.Equal(UdpErrorKind.CaptureFormatMismatch, e.Kind);
            Assert.Contains("link type 1", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void PcapngSaysPSUdpWroteIt()
    {
        string path = Write(CaptureFormat.Pcapng, Sample().Take(1));
        try
        {
            string text = Encoding.UTF8.GetString(File.ReadAllBytes(path));
            Assert.Contains("Written by PSUdp", text);
            Assert.Contains("psudp", text);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void WritingAMillionDatagramsKeepsMemoryConstant()
    {
        var d = new UdpDatagram(DatagramDirection.Received, new IPEndPoint(IPAddress.Loopback, 1), IPAddress.Loopback, 2,
            new byte[64], false, Encoding.UTF8, DateTimeOffset.UtcNow);
        string path = Path.GetTempFileName();
        try
        {
            using (CaptureWriter writer = CaptureWriter.Open(path, CaptureFormat.Pcapng, false))
            {
                writer.Write(d);
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 0; i < 1000000; i++)
                {
                    writer.Write(d);
                }

                long perDatagram = (GC.GetAllocatedBytesForCurrentThread() - before) / 1000000;
                Assert.True(perDatagram < 200, $"{perDatagram} bytes allocated per datagram");
            }

            Assert.Equal(1000001, Frames.ReadAll(File.ReadAllBytes(path), out _).Count);
        }
        finally
        {
            File.Delete(path);
        }
    }
}

public class CaptureReaderTests
{
    private static readonly byte[] Hello = Encoding.ASCII.GetBytes("hello");
    private static readonly byte[] V4 = Frames.IPv4Udp("10.1.2.3", "10.4.5.6", 1111, 2222, Hello);
    private static readonly byte[] V6 = Frames.IPv6Udp("fd00::1", "fd00::2", 3333, 4444, Hello);

    private static void AssertHello(UdpDatagram d, bool v6)
    {
        Assert.Equal(IPAddress.Parse(v6 ? "fd00::1" : "10.1.2.3"), d.RemoteAddress);
        Assert.Equal(v6 ? 3333 : 1111, d.RemotePort);
        Assert.Equal(IPAddress.Parse(v6 ? "fd00::2" : "10.4.5.6"), d.LocalAddress);
        Assert.Equal(v6 ? 4444 : 2222, d.LocalPort);
        Assert.Equal("hello", d.Text);
        Assert.Equal(DatagramDirection.Received, d.Direction);
    }

    public static IEnumerable<object[]> LinkTypes()
    {
        foreach (bool v6 in new[] { false, true })
        {
            byte[] ip = v6 ? V6 : V4;
            yield return new object[] { "ethernet", LinkType.Ethernet, Frames.Ethernet(ip, v6), v6 };
            yield return new object[] { "ethernet+vlan", LinkType.Ethernet, Frames.Ethernet(ip, v6, 100), v6 };
            yield return new object[] { "ethernet+qinq", LinkType.Ethernet, Frames.Ethernet(ip, v6, 100, 200), v6 };
            yield return new object[] { "raw", LinkType.Raw, ip, v6 };
            yield return new object[] { "raw12", LinkType.RawBsd12, ip, v6 };
            yield return new object[] { "ipv4/ipv6", v6 ? LinkType.IPv6 : LinkType.IPv4, ip, v6 };
            yield return new object[] { "sll", LinkType.LinuxSll, Frames.Sll(ip, v6), v6 };
            yield return new object[] { "sll2", LinkType.LinuxSll2, Frames.Sll2(ip, v6), v6 };
            yield return new object[] { "null-le", LinkType.Null, Frames.Null(ip, v6, false), v6 };
            yield return new object[] { "loop-be", LinkType.Loop, Frames.Null(ip, v6, true), v6 };
        }
    }

    [Theory]
    [MemberData(nameof(LinkTypes))]
    public void ReadsEveryLinkTypeInEveryPcapFlavour(string name, int linkType, byte[] frame, bool v6)
    {
        foreach (bool big in new[] { false, true })
        {
            foreach (bool nano in new[] { false, true })
            {
                byte[] file = Frames.Pcap(linkType, big, nano, (1764568800, nano ? 123456789u : 123456u, frame));
                List<UdpDatagram> got = Frames.ReadAll(file, out CaptureCounts counts);
                Assert.True(got.Count == 1, $"{name} big={big} nano={nano}");
                AssertHello(got[0], v6);
                long fraction = nano ? 1234567 : 1234560;
                Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1764568800).UtcTicks + fraction, got[0].Timestamp.UtcTicks);
                Assert.Equal(1, counts.Packets);
            }
        }
    }

    [Theory]
    [MemberData(nameof(LinkTypes))]
    public void ReadsEveryLinkTypeInPcapng(string name, int linkType, byte[] frame, bool v6)
    {
        foreach (bool big in new[] { false, true })
        {
            byte[] file = Frames.Shb(big).Concat(Frames.Idb(linkType, 9, big)).Concat(Frames.Epb(0, 1764568800123456789UL, frame, big)).ToArray();
            List<UdpDatagram> got = Frames.ReadAll(file, out _);
            Assert.True(got.Count == 1, $"{name} big={big}");
            AssertHello(got[0], v6);
            Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1764568800).UtcTicks + 1234567, got[0].Timestamp.UtcTicks);
        }
    }

    [Theory]
    [InlineData(null, 1764568800123456UL, 1234560)]        // no if_tsresol: microseconds
    [InlineData((byte)6, 1764568800123456UL, 1234560)]
    [InlineData((byte)9, 1764568800123456789UL, 1234567)]   // what dumpcap writes
    [InlineData((byte)3, 1764568800123UL, 1230000)]
    [InlineData((byte)0x94, (1764568800UL << 20) + 129453, 1234560)] // 2^-20 s units: 129453 of them are 0.1234560128 s
    public void HonoursTheInterfaceTimeResolution(byte? tsresol, ulong units, long fractionTicks)
    {
        byte[] file = Frames.Shb().Concat(Frames.Idb(LinkType.Raw, tsresol)).Concat(Frames.Epb(0, units, V4)).ToArray();
        UdpDatagram d = Assert.Single(Frames.ReadAll(file, out _));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1764568800).UtcTicks + fractionTicks, d.Timestamp.UtcTicks);
    }

    [Fact]
    public void HonoursTheInterfaceTimeOffset()
    {
        byte[] file = Frames.Shb().Concat(Frames.Idb(LinkType.Raw, 6, tsoffset: 100)).Concat(Frames.Epb(0, 1000000, V4)).ToArray();
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(101), Assert.Single(Frames.ReadAll(file, out _)).Timestamp);
    }

    [Fact]
    public void ReadsSimplePacketsSeveralInterfacesAndSections()
    {
        byte[] file = Frames.Shb()
            .Concat(Frames.Idb(LinkType.Ethernet, null))
            .Concat(Frames.Idb(LinkType.Raw, 9))
            .Concat(Frames.Spb(Frames.Ethernet(V4, false)))
            .Concat(Frames.Block(5, new byte[20])) // an interface statistics block: skipped
            .Concat(Frames.Epb(1, 5, V6))
            .Concat(Frames.Shb(bigEndian: true))
            .Concat(Frames.Idb(LinkType.LinuxSll2, null, bigEndian: true))
            .Concat(Frames.Epb(0, 7, Frames.Sll2(V4, false), bigEndian: true))
            .ToArray();
        List<UdpDatagram> got = Frames.ReadAll(file, out CaptureCounts counts);
        Assert.Equal(3, got.Count);
        AssertHello(got[0], false);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(0), got[0].Timestamp); // a simple packet block has no time
        AssertHello(got[1], true);
        AssertHello(got[2], false);
        Assert.Equal(3, counts.Datagrams);
    }

    [Fact]
    public void SkipsAndCountsWhatIsNotAWholeUdpDatagram()
    {
        byte[] tcp = Frames.IPv4Udp("10.1.2.3", "10.4.5.6", 1, 2, Hello, protocol: 6);
        byte[] firstFragment = Frames.IPv4Udp("10.1.2.3", "10.4.5.6", 1, 2, Hello, fragment: 0x2000);
        byte[] laterFragment = Frames.IPv4Udp("10.1.2.3", "10.4.5.6", 1, 2, Hello, fragment: 0x0010);
        byte[] dontFragment = Frames.IPv4Udp("10.1.2.3", "10.4.5.6", 1111, 2222, Hello, fragment: 0x4000);
        byte[] v6Fragment = Frames.IPv6Udp("fd00::1", "fd00::2", 3333, 4444, Hello, new byte[] { 17, 0, 0x00, 0x01, 0, 0, 0, 1, 44 });
        byte[] v6Atomic = Frames.IPv6Udp("fd00::1", "fd00::2", 3333, 4444, Hello, new byte[] { 17, 0, 0x00, 0x00, 0, 0, 0, 1, 44 });
        byte[] v6HopByHop = Frames.IPv6Udp("fd00::1", "fd00::2", 3333, 4444, Hello, new byte[] { 17, 0, 1, 4, 0, 0, 0, 0, 0 });
        byte[] arp = new byte[42];
        arp[12] = 0x08;
        arp[13] = 0x06;
        byte[] file = Frames.Pcap(LinkType.Ethernet, false, false,
            (1, 0, Frames.Ethernet(tcp, false)),
            (2, 0, Frames.Ethernet(firstFragment, false)),
            (3, 0, Frames.Ethernet(laterFragment, false)),
            (4, 0, Frames.Ethernet(dontFragment, false)),
            (5, 0, Frames.Ethernet(v6Fragment, true)),
            (6, 0, Frames.Ethernet(v6Atomic, true)),
            (7, 0, Frames.Ethernet(v6HopByHop, true)),
            (8, 0, arp),
            (9, 0, new byte[5]));
        List<UdpDatagram> got = Frames.ReadAll(file, out CaptureCounts counts);
        Assert.Equal(3, got.Count);
        AssertHello(got[0], false);
        AssertHello(got[1], true);
        AssertHello(got[2], true);
        Assert.Equal(9, counts.Packets);
        Assert.Equal(2, counts.NotUdp);
        Assert.Equal(3, counts.Fragments);
        Assert.Equal(1, counts.Unreadable);
    }

    [Fact]
    public void ACutPacketIsReturnedAsTruncated()
    {
        byte[] cut = V4.Take(V4.Length - 2).ToArray();
        List<UdpDatagram> got = Frames.ReadAll(Frames.Pcap(LinkType.Raw, false, false, (1, 0, cut)), out CaptureCounts counts);
        UdpDatagram d = Assert.Single(got);
        Assert.True(d.Truncated);
        Assert.Equal("hel", d.Text);
        Assert.Equal(1, counts.Truncated);
    }

    [Fact]
    public void AnotherLinkTypeIsCounted()
    {
        Frames.ReadAll(Frames.Pcap(105 /* 802.11 */, false, false, (1, 0, V4)), out CaptureCounts counts);
        Assert.Equal(1, counts.OtherLinkType);
    }

    [Fact]
    public void ATruncatedFileYieldsWhatCameBeforeAndNamesTheOffset()
    {
        byte[] whole = Frames.Pcap(LinkType.Raw, false, false, (1, 0, V4), (2, 0, V4), (3, 0, V4));
        int recordLength = 16 + V4.Length;
        byte[] cut = whole.Take(24 + recordLength * 2 + 10).ToArray();
        using CaptureReader reader = CaptureReader.Start(new MemoryStream(cut), "cut.pcap", Encoding.UTF8);
        Assert.NotNull(reader.Next());
        Assert.NotNull(reader.Next());
        var e = Assert.Throws<UdpException>(() => reader.Next());
        Assert.Equal(UdpErrorKind.CaptureTruncated, e.Kind);
        Assert.Equal((long)(24 + recordLength * 2), e.Data["Offset"]);
        Assert.Contains($"offset {24 + recordLength * 2}", e.Message);
        Assert.Contains("cut.pcap", e.Message);
    }

    [Theory]
    [InlineData(new byte[0], "empty")]
    [InlineData(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }, "neither a pcap nor a pcapng")]
    public void NotACaptureFileIsCorrupt(byte[] file, string message)
    {
        var e = Assert.Throws<UdpException>(() => Frames.ReadAll(file, out _));
        Assert.Equal(UdpErrorKind.CaptureCorrupt, e.Kind);
        Assert.Contains(message, e.Message);
        Assert.Equal(0L, e.Data["Offset"]);
    }

    [Fact]
    public void APacketOfAnUndescribedInterfaceIsCorrupt()
    {
        byte[] file = Frames.Shb().Concat(Frames.Idb(LinkType.Raw, null)).Concat(Frames.Epb(3, 0, V4)).ToArray();
        var e = Assert.Throws<UdpException>(() => Frames.ReadAll(file, out _));
        Assert.Equal(UdpErrorKind.CaptureCorrupt, e.Kind);
        Assert.Contains("interface 3", e.Message);
    }

    [Fact]
    public void EveryCutOfAValidFileEndsCleanlyOrAsTruncated()
    {
        foreach (byte[] whole in ValidFiles())
        {
            for (int length = 0; length < whole.Length; length++)
            {
                byte[] cut = whole.Take(length).ToArray();
                try
                {
                    Frames.ReadAll(cut, out _);
                }
                catch (UdpException e) when (e.Kind is UdpErrorKind.CaptureTruncated or UdpErrorKind.CaptureCorrupt)
                {
                    Assert.True((long)e.Data["Offset"]! <= length);
                }
            }
        }
    }

    /// <summary>2,000 random corruptions of valid files: an error with a kind, or datagrams; never another exception or a hang.</summary>
    [Fact]
    public void FuzzedFilesGiveErrorsWithKindsNeverCrashes()
    {
        var random = new Random(15);
        List<byte[]> valid = ValidFiles().ToList();
        var kinds = new Dictionary<string, int>();
        var clock = Stopwatch.StartNew();
        for (int round = 0; round < 2000; round++)
        {
            byte[] file = (byte[])valid[round % valid.Count].Clone();
            int edits = 1 + random.Next(8);
            for (int e = 0; e < edits; e++)
            {
                switch (random.Next(4))
                {
                    case 0:
                        file[random.Next(file.Length)] = (byte)random.Next(256);
                        break;
                    case 1:
                        file[random.Next(file.Length)] ^= (byte)(1 << random.Next(8));
                        break;
                    case 2:
                        // A length field made huge, zero or odd.
                        int at = random.Next(file.Length - 4) & ~3;
                        BitConverter.GetBytes(random.Next(3) switch { 0 => uint.MaxValue, 1 => 0u, _ => (uint)random.Next(1, 70000) }).CopyTo(file, at);
                        break;
                    default:
                        file = file.Take(random.Next(file.Length)).ToArray();
                        break;
                }

                if (file.Length < 8)
                {
                    break;
                }
            }

            string outcome;
            var one = Stopwatch.StartNew();
            try
            {
                outcome = $"read {Frames.ReadAll(file, out _).Count}".Length > 0 ? "read" : "";
            }
            catch (UdpException e) when (e.Kind is UdpErrorKind.CaptureTruncated or UdpErrorKind.CaptureCorrupt)
            {
                Assert.NotNull(e.Data["Offset"]);
                outcome = e.Kind.ToString();
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException($"round {round}: {e.GetType().Name}: {e.Message}\n{Convert.ToHexString(file)}");
            }

            Assert.True(one.Elapsed < TimeSpan.FromSeconds(10), $"round {round} took {one.Elapsed}");
            kinds[outcome] = kinds.GetValueOrDefault(outcome) + 1;
        }

        // Each outcome happens: the corruptions reach both the structure and the packets.
        Assert.True(kinds.GetValueOrDefault("read") > 0);
        Assert.True(kinds.GetValueOrDefault("CaptureTruncated") > 0);
        Assert.True(kinds.GetValueOrDefault("CaptureCorrupt") > 0);
        Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), $"2,000 rounds took {clock.Elapsed}");
    }

    private static IEnumerable<byte[]> ValidFiles()
    {
        yield return Frames.Pcap(LinkType.Ethernet, false, false, (1, 5, Frames.Ethernet(V4, false, 7)), (2, 6, Frames.Ethernet(V6, true)));
        yield return Frames.Pcap(LinkType.LinuxSll, true, true, (1, 5, Frames.Sll(V4, false)), (2, 6, Frames.Sll(V6, true)));
        yield return Frames.Shb().Concat(Frames.Idb(LinkType.Raw, 9, tsoffset: 3)).Concat(Frames.Epb(0, 5, V4)).Concat(Frames.Spb(V6)).ToArray();
        yield return Frames.Shb(true).Concat(Frames.Idb(LinkType.LinuxSll2, 6, true)).Concat(Frames.Epb(0, 5, Frames.Sll2(V6, true), true)).ToArray();
    }
}
