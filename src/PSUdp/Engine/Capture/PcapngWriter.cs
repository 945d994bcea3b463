using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;

namespace PSUdp.Engine.Capture;

/// <summary>
/// pcapng (draft-ietf-opsawg-pcapng): a section header block that says PSUdp wrote it, one
/// interface description block (raw IP, if_tsresol 9 = nanoseconds), then an enhanced packet
/// block per datagram with its direction (epb_flags). Appending starts a new section.
/// </summary>
internal sealed class PcapngWriter : CaptureWriter
{
    internal const uint SectionHeaderType = 0x0A0D0D0A;
    internal const uint InterfaceDescriptionType = 1;
    internal const uint EnhancedPacketType = 6;
    internal const uint ByteOrderMagic = 0x1A2B3C4D;

    private const ushort EndOfOptions = 0;
    private const ushort CommentOption = 1;
    private const ushort ShbHardware = 2;
    private const ushort ShbOs = 3;
    private const ushort ShbUserApplication = 4;
    private const ushort IfName = 2;
    private const ushort IfDescription = 3;
    private const ushort IfTimestampResolution = 9;
    private const ushort EpbFlags = 2;

    // After the packet: the flags option (8), the end of options (4) and the block length (4).
    private const int Options = 16;

    // The block before the packet (28 bytes), and after it up to 3 bytes of padding and the options.
    private readonly byte[] head = new byte[28];
    private readonly byte[] tail = new byte[3 + Options];

    private PcapngWriter(Stream stream)
        : base(stream)
    {
    }

    /// <summary>Writes a new section (header and interface) at the start or at the end of a pcapng file.</summary>
    internal static PcapngWriter Start(Stream stream, string path)
    {
        if (stream.Length > 0)
        {
            byte[] existing = ReadHead(stream, 4);
            if (existing.Length < 4 || ByteOrder.U32(existing, 0, false) != SectionHeaderType)
            {
                bool pcap = existing.Length == 4 && (ByteOrder.U32(existing, 0, false) is PcapWriter.MicrosecondMagic or PcapWriter.NanosecondMagic
                    || ByteOrder.U32(existing, 0, true) is PcapWriter.MicrosecondMagic or PcapWriter.NanosecondMagic);
                throw new UdpException(UdpErrorKind.CaptureFormatMismatch, pcap
                    ? $"The capture file '{path}' is a pcap file, so pcapng blocks cannot be appended to it."
                    : $"The file '{path}' is not a pcapng capture file, so nothing can be appended to it.", path);
            }
        }

        var writer = new PcapngWriter(stream);
        writer.WriteSection();
        return writer;
    }

    private void WriteSection()
    {
        string version = typeof(UdpDatagram).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
        var shb = new MemoryStream();
        Put32(shb, ByteOrderMagic);
        Put16(shb, 1);
        Put16(shb, 0);
        Put32(shb, 0xFFFFFFFF); // section length not given: a streaming writer does not know it
        Put32(shb, 0xFFFFFFFF);
        PutOption(shb, CommentOption, $"Written by PSUdp {version}: UDP datagrams that PSUdp sent and received, as raw IPv4/IPv6 + UDP packets.");
        PutOption(shb, ShbHardware, RuntimeInformation.OSArchitecture.ToString());
        PutOption(shb, ShbOs, RuntimeInformation.OSDescription.Trim());
        PutOption(shb, ShbUserApplication, $"PSUdp {version}");
        PutEnd(shb);
        WriteBlock(SectionHeaderType, shb);

        var idb = new MemoryStream();
        Put16(idb, LinkType.Raw);
        Put16(idb, 0);
        Put32(idb, SnapLength);
        PutOption(idb, IfName, "psudp");
        PutOption(idb, IfDescription, "Datagrams of PSUdp's sockets (raw IP)");
        PutOption(idb, IfTimestampResolution, new byte[] { 9 });
        PutEnd(idb);
        WriteBlock(InterfaceDescriptionType, idb);
    }

    private protected override void WriteDatagram(UdpDatagram datagram)
    {
        int length = BuildPacket(datagram, out byte[] packet);
        int padding = (4 - (length & 3)) & 3;
        int total = head.Length + length + padding + Options;
        ulong ns = UnixNanoseconds(datagram);
        ByteOrder.PutLE32(head, 0, EnhancedPacketType);
        ByteOrder.PutLE32(head, 4, (uint)total);
        ByteOrder.PutLE32(head, 8, 0);
        ByteOrder.PutLE32(head, 12, (uint)(ns >> 32));
        ByteOrder.PutLE32(head, 16, (uint)ns);
        ByteOrder.PutLE32(head, 20, (uint)length);
        ByteOrder.PutLE32(head, 24, (uint)length);
        WriteBytes(head, 0, head.Length);
        WriteBytes(packet, 0, length);

        // tail[0..3) is zero padding; then epb_flags (bits 0-1: 1 inbound, 2 outbound), the end of
        // the options and the block's length again.
        ByteOrder.PutLE16(tail, 3, EpbFlags);
        ByteOrder.PutLE16(tail, 5, 4);
        ByteOrder.PutLE32(tail, 7, datagram.Direction == DatagramDirection.Sent ? 2u : 1u);
        ByteOrder.PutLE32(tail, 15, (uint)total);
        WriteBytes(tail, 3 - padding, padding + Options);
    }

    private void WriteBlock(uint type, MemoryStream body)
    {
        var block = new MemoryStream();
        int total = 12 + (int)body.Length;
        Put32(block, type);
        Put32(block, (uint)total);
        body.WriteTo(block);
        Put32(block, (uint)total);
        WriteBytes(block.ToArray(), 0, (int)block.Length);
    }

    private static void Put16(Stream s, int value)
    {
        s.WriteByte((byte)value);
        s.WriteByte((byte)(value >> 8));
    }

    private static void Put32(Stream s, uint value)
    {
        Put16(s, (int)(value & 0xFFFF));
        Put16(s, (int)(value >> 16));
    }

    private static void PutOption(Stream s, ushort code, string value) => PutOption(s, code, Encoding.UTF8.GetBytes(value));

    private static void PutOption(Stream s, ushort code, byte[] value)
    {
        Put16(s, code);
        Put16(s, value.Length);
        s.Write(value, 0, value.Length);
        for (int i = value.Length; (i & 3) != 0; i++)
        {
            s.WriteByte(0);
        }
    }

    private static void PutEnd(Stream s)
    {
        Put16(s, EndOfOptions);
        Put16(s, 0);
    }
}
