using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using PSUdp.Engine.IPLevel;
using PSUdp.Engine.Text;

namespace PSUdp.Engine.Capture;

/// <summary>
/// Reads the UDP datagrams of a pcap (either byte order, micro- or nanosecond) or pcapng file
/// (SHB, IDB with if_tsresol and if_tsoffset, EPB, SPB, the obsolete PB; other blocks skipped),
/// one at a time, in constant memory. A file that ends early or is damaged throws a
/// <see cref="UdpException"/> that names the offset; what came before it was already returned.
/// </summary>
internal sealed class CaptureReader : IDisposable
{
    /// <summary>No record is larger than this: a damaged length fails here instead of exhausting memory.</summary>
    internal const int MaxRecordLength = 16 * 1024 * 1024;

    private const long TicksPerSecond = TimeSpan.TicksPerSecond;
    private const long UnixEpochTicks = 621355968000000000;

    private readonly Stream stream;
    private readonly string name;
    private readonly Encoding encoding;
    private readonly List<Interface> interfaces = new();
    private byte[] buffer = new byte[1 << 16];
    private long offset;
    private bool pcapng;
    private bool bigEndian;
    private bool nanoseconds;
    private int pcapLinkType;

    private CaptureReader(Stream stream, string name, Encoding encoding)
    {
        this.stream = stream;
        this.name = name;
        this.encoding = encoding;
    }

    /// <summary>What was read so far.</summary>
    internal CaptureCounts Counts { get; } = new();

    /// <summary>pcapng or pcap, known once the file's first bytes are read.</summary>
    internal CaptureFormat Format => pcapng ? CaptureFormat.Pcapng : CaptureFormat.Pcap;

    /// <summary>Opens a capture file and reads its header.</summary>
    internal static CaptureReader Open(string path, Encoding encoding)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UdpException(UdpErrorKind.CaptureFileFailed, $"The capture file '{path}' cannot be read: {e.Message}", path, e);
        }

        try
        {
            return Start(stream, path, encoding);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Reads the header of a capture in <paramref name="stream"/>; <paramref name="name"/> names it in messages.</summary>
    internal static CaptureReader Start(Stream stream, string name, Encoding encoding)
    {
        var reader = new CaptureReader(stream, name, encoding);
        reader.ReadFileHeader();
        return reader;
    }

    /// <summary>The next UDP datagram, or null at the end of the file; skipped packets are counted.</summary>
    internal UdpDatagram? Next()
    {
        while (true)
        {
            long start = offset;
            if (!(pcapng ? NextPcapngPacket(start, out Packet packet) : NextPcapPacket(start, out packet)))
            {
                return null;
            }

            Counts.Packets++;
            switch (PacketDecoder.Decode(packet.LinkType, buffer, packet.Offset, packet.Length, out DecodedUdp udp))
            {
                case PacketKind.Udp:
                    Counts.Datagrams++;
                    if (udp.Truncated)
                    {
                        Counts.Truncated++;
                    }

                    byte[] payload = udp.PayloadLength == 0 ? Array.Empty<byte>() : new byte[udp.PayloadLength];
                    Buffer.BlockCopy(buffer, udp.PayloadOffset, payload, 0, udp.PayloadLength);
                    return new UdpDatagram(DatagramDirection.Received, udp.Source, udp.SourcePort, udp.Destination, udp.DestinationPort,
                        payload, udp.Truncated, encoding, new ArrivalFacts(0, udp.TimeToLive, udp.TrafficClass, packet.UtcTicks));
                case PacketKind.NotUdp:
                    Counts.NotUdp++;
                    break;
                case PacketKind.Fragment:
                    Counts.Fragments++;
                    break;
                case PacketKind.OtherLinkType:
                    Counts.OtherLinkType++;
                    break;
                default:
                    Counts.Unreadable++;
                    break;
            }
        }
    }

    /// <summary>Closes the file.</summary>
    public void Dispose() => stream.Dispose();

    private void ReadFileHeader()
    {
        if (!Fill(0, 4, allowEnd: true))
        {
            throw Corrupt(0, "the file is empty, so it is not a pcap or pcapng capture");
        }

        uint little = ByteOrder.U32(buffer, 0, false);
        uint big = ByteOrder.U32(buffer, 0, true);
        if (little == PcapngWriter.SectionHeaderType)
        {
            pcapng = true;
            offset = 0;
            ReadSectionHeader(0, headerRead: 4);
            return;
        }

        if (little is PcapWriter.MicrosecondMagic or PcapWriter.NanosecondMagic)
        {
            bigEndian = false;
        }
        else if (big is PcapWriter.MicrosecondMagic or PcapWriter.NanosecondMagic)
        {
            bigEndian = true;
        }
        else
        {
            throw Corrupt(0, $"its first bytes ({HexFormat.ToHex(Copy(0, 4))}) are neither a pcap nor a pcapng header");
        }

        nanoseconds = (bigEndian ? big : little) == PcapWriter.NanosecondMagic;
        Need(0, 4, 24, "the pcap file header");
        pcapLinkType = (int)(ByteOrder.U32(buffer, 20, bigEndian) & 0xFFFF);
        offset = 24;
    }

    private bool NextPcapPacket(long start, out Packet packet)
    {
        packet = default;
        if (!Fill(0, 16, allowEnd: true, start))
        {
            return false;
        }

        uint seconds = ByteOrder.U32(buffer, 0, bigEndian);
        uint fraction = ByteOrder.U32(buffer, 4, bigEndian);
        uint captured = ByteOrder.U32(buffer, 8, bigEndian);
        uint original = ByteOrder.U32(buffer, 12, bigEndian);
        if (captured > MaxRecordLength)
        {
            throw Corrupt(start, $"the packet record claims {captured:N0} captured bytes");
        }

        if (fraction >= (nanoseconds ? 1000000000u : 1000000u))
        {
            throw Corrupt(start, $"the packet record's fraction of a second ({fraction:N0}) is not below one second");
        }

        Need(start, 16, 16 + (int)captured, "the packet record");
        long ticks = UnixEpochTicks + seconds * TicksPerSecond + (nanoseconds ? fraction / 100 : fraction * 10L);
        packet = new Packet(pcapLinkType, 16, (int)captured, original, ticks);
        offset = start + 16 + captured;
        return true;
    }

    private bool NextPcapngPacket(long start, out Packet packet)
    {
        packet = default;
        while (true)
        {
            start = offset;
            if (!Fill(0, 8, allowEnd: true, start))
            {
                return false;
            }

            uint type = ByteOrder.U32(buffer, 0, bigEndian);
            if (type == PcapngWriter.SectionHeaderType)
            {
                ReadSectionHeader(start, headerRead: 8);
                continue;
            }

            uint total = ByteOrder.U32(buffer, 4, bigEndian);
            if (total < 12 || total % 4 != 0 || total > MaxRecordLength)
            {
                throw Corrupt(start, $"the block length {total:N0} is not a multiple of 4 from 12 to {MaxRecordLength:N0}");
            }

            Need(start, 8, (int)total, $"the block of type {type}");
            if (ByteOrder.U32(buffer, (int)total - 4, bigEndian) != total)
            {
                throw Corrupt(start, $"the block's closing length ({ByteOrder.U32(buffer, (int)total - 4, bigEndian):N0}) differs from its opening length ({total:N0})");
            }

            offset = start + total;
            int body = (int)total - 12;
            switch (type)
            {
                case PcapngWriter.InterfaceDescriptionType:
                    ReadInterface(start, body);
                    break;
                case PcapngWriter.EnhancedPacketType:
                    packet = EnhancedPacket(start, body, obsolete: false);
                    return true;
                case 2: // the obsolete packet block: a 16-bit interface id and a drop count
                    packet = EnhancedPacket(start, body, obsolete: true);
                    return true;
                case 3: // simple packet block: interface 0, no time
                    packet = SimplePacket(start, body);
                    return true;
            }
        }
    }

    // The section header: byte order, version; a new section forgets the interfaces of the last.
    private void ReadSectionHeader(long start, int headerRead)
    {
        Need(start, headerRead, 12, "the section header block");
        uint magic = ByteOrder.U32(buffer, 8, false);
        if (magic == PcapngWriter.ByteOrderMagic)
        {
            bigEndian = false;
        }
        else if (ByteOrder.U32(buffer, 8, true) == PcapngWriter.ByteOrderMagic)
        {
            bigEndian = true;
        }
        else
        {
            throw Corrupt(start + 8, $"the section header's byte-order magic is {magic:X8}, not 1A2B3C4D");
        }

        uint total = ByteOrder.U32(buffer, 4, bigEndian);
        if (total < 28 || total % 4 != 0 || total > MaxRecordLength)
        {
            throw Corrupt(start, $"the section header's length {total:N0} is not a multiple of 4 from 28 to {MaxRecordLength:N0}");
        }

        Need(start, 12, (int)total, "the section header block");
        if (ByteOrder.U32(buffer, (int)total - 4, bigEndian) != total)
        {
            throw Corrupt(start, "the section header's closing length differs from its opening length");
        }

        int major = ByteOrder.U16(buffer, 12, bigEndian);
        if (major != 1)
        {
            throw Corrupt(start + 12, $"the section is pcapng version {major}, and PSUdp reads version 1");
        }

        interfaces.Clear();
        offset = start + total;
    }

    private void ReadInterface(long start, int body)
    {
        if (body < 8)
        {
            throw Corrupt(start, "the interface description block is shorter than its fixed fields");
        }

        var description = new Interface { LinkType = ByteOrder.U16(buffer, 8, bigEndian), SnapLength = ByteOrder.U32(buffer, 12, bigEndian) };
        int at = 16;
        int end = 8 + body;
        while (at + 4 <= end)
        {
            int code = ByteOrder.U16(buffer, at, bigEndian);
            int length = ByteOrder.U16(buffer, at + 2, bigEndian);
            if (code == 0)
            {
                break;
            }

            if (at + 4 + length > end)
            {
                throw Corrupt(start + at, $"option {code} of the interface description runs past the block's end");
            }

            if (code == 9 && length >= 1)
            {
                // if_tsresol: 10^-n seconds, or 2^-n when the top bit is set (dumpcap writes 9).
                int n = buffer[at + 4] & 0x7F;
                bool binary = (buffer[at + 4] & 0x80) != 0;
                if ((binary && n > 62) || (!binary && n > 18))
                {
                    throw Corrupt(start + at, $"the interface's time resolution ({buffer[at + 4]:X2}) is beyond what any clock gives");
                }

                description.UnitsPerSecond = binary ? 1UL << n : Pow10(n);
            }
            else if (code == 14 && length >= 8)
            {
                description.OffsetSeconds = (long)ByteOrder.U64(buffer, at + 4, bigEndian);
            }

            at += 4 + ((length + 3) & ~3);
        }

        interfaces.Add(description);
    }

    private Packet EnhancedPacket(long start, int body, bool obsolete)
    {
        if (body < 20)
        {
            throw Corrupt(start, "the packet block is shorter than its fixed fields");
        }

        int id = obsolete ? ByteOrder.U16(buffer, 8, bigEndian) : (int)Math.Min(int.MaxValue, ByteOrder.U32(buffer, 8, bigEndian));
        Interface description = InterfaceOf(start, id);
        ulong units = ((ulong)ByteOrder.U32(buffer, 12, bigEndian) << 32) | ByteOrder.U32(buffer, 16, bigEndian);
        uint captured = ByteOrder.U32(buffer, 20, bigEndian);
        uint original = ByteOrder.U32(buffer, 24, bigEndian);
        if (captured > body - 20)
        {
            throw Corrupt(start, $"the packet block claims {captured:N0} captured bytes in a block of {body + 12:N0}");
        }

        return new Packet(description.LinkType, 28, (int)captured, original, Ticks(start, description, units));
    }

    private Packet SimplePacket(long start, int body)
    {
        if (body < 4)
        {
            throw Corrupt(start, "the simple packet block is shorter than its fixed field");
        }

        Interface description = InterfaceOf(start, 0);
        uint original = ByteOrder.U32(buffer, 8, bigEndian);
        long captured = Math.Min(original, body - 4);
        if (description.SnapLength != 0)
        {
            captured = Math.Min(captured, description.SnapLength);
        }

        // A simple packet block has no time: such datagrams carry the Unix epoch.
        return new Packet(description.LinkType, 12, (int)captured, original, UnixEpochTicks);
    }

    private Interface InterfaceOf(long start, int id)
    {
        if (id >= interfaces.Count)
        {
            throw Corrupt(start, $"the packet names interface {id}, and the section describes {interfaces.Count}");
        }

        return interfaces[id];
    }

    private long Ticks(long start, Interface description, ulong units)
    {
        ulong perSecond = description.UnitsPerSecond;
        decimal seconds = (decimal)(units / perSecond) + description.OffsetSeconds;
        decimal ticks = UnixEpochTicks + seconds * TicksPerSecond + (decimal)(units % perSecond) * TicksPerSecond / perSecond;
        if (ticks < 0 || ticks > DateTimeOffset.MaxValue.UtcTicks)
        {
            throw Corrupt(start, "the packet's time is outside the years 1 to 9999");
        }

        return (long)ticks;
    }

    private static ulong Pow10(int n)
    {
        ulong value = 1;
        for (int i = 0; i < n; i++)
        {
            value *= 10;
        }

        return value;
    }

    // Reads buffer[from..count) from the file at offset + from; false only at a clean end (nothing read).
    private bool Fill(int from, int count, bool allowEnd, long? recordStart = null)
    {
        if (buffer.Length < count)
        {
            Array.Resize(ref buffer, Math.Max(count, buffer.Length * 2));
        }

        long start = recordStart ?? offset;
        int got = from;
        int n;
        try
        {
            while (got < count && (n = stream.Read(buffer, got, count - got)) > 0)
            {
                got += n;
            }
        }
        catch (IOException e)
        {
            throw new UdpException(UdpErrorKind.CaptureFileFailed, $"The capture file '{name}' cannot be read at offset {start + got}: {e.Message}", name, e);
        }

        if (got == count)
        {
            return true;
        }

        if (allowEnd && got == from && from == 0)
        {
            return false;
        }

        throw Truncated(start, count, got);
    }

    private void Need(long start, int have, int count, string what)
    {
        try
        {
            Fill(have, count, allowEnd: false, start);
        }
        catch (UdpException e) when (e.Kind == UdpErrorKind.CaptureTruncated)
        {
            throw Truncated(start, count, (int)(e.Data["Have"] ?? 0), what);
        }
    }

    private UdpException Truncated(long start, int count, int have, string what = "the record")
    {
        var e = new UdpException(UdpErrorKind.CaptureTruncated,
            $"The capture file '{name}' ends at offset {start + have}, inside {what} that starts at offset {start} and needs {count:N0} bytes. Everything before offset {start} was read.",
            name);
        e.Data["Offset"] = start;
        e.Data["Have"] = have;
        return e;
    }

    private UdpException Corrupt(long at, string what)
    {
        var e = new UdpException(UdpErrorKind.CaptureCorrupt,
            $"The capture file '{name}' is damaged at offset {at}: {what}. Everything before offset {at} was read.", name);
        e.Data["Offset"] = at;
        return e;
    }

    private byte[] Copy(int from, int count)
    {
        var bytes = new byte[count];
        Buffer.BlockCopy(buffer, from, bytes, 0, count);
        return bytes;
    }

    /// <summary>One packet record: where its frame is and what the record says about it.</summary>
    /// <param name="LinkType">The link type of the interface it was captured on.</param>
    /// <param name="Offset">Where the frame starts in the reader's buffer.</param>
    /// <param name="Length">The captured bytes of the frame.</param>
    /// <param name="OriginalLength">The frame's length on the wire, before a snapshot length cut it.</param>
    /// <param name="UtcTicks">When it was captured, in UTC ticks.</param>
    private readonly record struct Packet(int LinkType, int Offset, int Length, uint OriginalLength, long UtcTicks);

    private sealed class Interface
    {
        internal int LinkType { get; set; }

        internal uint SnapLength { get; set; }

        internal ulong UnitsPerSecond { get; set; } = 1000000;

        internal long OffsetSeconds { get; set; }
    }
}
