using System.IO;

namespace PSUdp.Engine.Capture;

/// <summary>The classic libpcap format: a 24-byte file header, then a 16-byte header per packet.</summary>
internal sealed class PcapWriter : CaptureWriter
{
    internal const uint MicrosecondMagic = 0xA1B2C3D4;
    internal const uint NanosecondMagic = 0xA1B23C4D;

    private readonly bool bigEndian;
    private readonly bool nanoseconds;
    private readonly byte[] header = new byte[16];

    private PcapWriter(Stream stream, bool bigEndian, bool nanoseconds)
        : base(stream)
    {
        this.bigEndian = bigEndian;
        this.nanoseconds = nanoseconds;
    }

    /// <summary>Writes the file header, or continues a raw-IP pcap file in its own byte order and resolution.</summary>
    internal static PcapWriter Start(Stream stream, string path)
    {
        if (stream.Length == 0)
        {
            var writer = new PcapWriter(stream, bigEndian: false, nanoseconds: false);
            var file = new byte[24];
            ByteOrder.PutLE32(file, 0, MicrosecondMagic);
            ByteOrder.PutLE16(file, 4, 2);
            ByteOrder.PutLE16(file, 6, 4);
            ByteOrder.PutLE32(file, 16, SnapLength);
            ByteOrder.PutLE32(file, 20, LinkType.Raw);
            writer.WriteBytes(file, 0, file.Length);
            return writer;
        }

        byte[] head = ReadHead(stream, 24);
        uint magicLE = head.Length >= 4 ? ByteOrder.U32(head, 0, false) : 0;
        uint magicBE = head.Length >= 4 ? ByteOrder.U32(head, 0, true) : 0;
        if (magicLE == PcapngWriter.SectionHeaderType)
        {
            throw new UdpException(UdpErrorKind.CaptureFormatMismatch,
                $"The capture file '{path}' is a pcapng file, so pcap packets cannot be appended to it.", path);
        }

        bool big = magicBE is MicrosecondMagic or NanosecondMagic;
        uint magic = big ? magicBE : magicLE;
        if (head.Length < 24 || magic is not (MicrosecondMagic or NanosecondMagic))
        {
            throw new UdpException(UdpErrorKind.CaptureFormatMismatch,
                $"The file '{path}' is not a pcap capture file, so nothing can be appended to it.", path);
        }

        int linkType = (int)(ByteOrder.U32(head, 20, big) & 0xFFFF);
        if (linkType != LinkType.Raw)
        {
            throw new UdpException(UdpErrorKind.CaptureFormatMismatch,
                $"The capture file '{path}' has link type {linkType}; PSUdp appends raw IP packets (link type {LinkType.Raw}) only.", path);
        }

        return new PcapWriter(stream, big, magic == NanosecondMagic);
    }

    private protected override void WriteDatagram(UdpDatagram datagram)
    {
        int length = BuildPacket(datagram, out byte[] packet);
        ulong ns = UnixNanoseconds(datagram);
        ByteOrder.Put32(header, 0, (uint)(ns / 1000000000), bigEndian);
        ByteOrder.Put32(header, 4, (uint)(nanoseconds ? ns % 1000000000 : ns % 1000000000 / 1000), bigEndian);
        ByteOrder.Put32(header, 8, (uint)length, bigEndian);
        ByteOrder.Put32(header, 12, (uint)length, bigEndian);
        WriteBytes(header, 0, header.Length);
        WriteBytes(packet, 0, length);
    }
}
