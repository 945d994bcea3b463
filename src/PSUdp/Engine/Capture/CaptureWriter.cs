using System;
using System.IO;

namespace PSUdp.Engine.Capture;

/// <summary>
/// Writes datagrams to a capture file as they come, one packet at a time through one reused
/// buffer, so memory stays constant however many are written. Each datagram becomes a raw IPv4
/// or IPv6 + UDP packet (link type 101), so one file holds both families and both directions.
/// </summary>
internal abstract class CaptureWriter : IDisposable
{
    /// <summary>The snapshot length the headers declare: every packet is written whole.</summary>
    internal const int SnapLength = 262144;

    private protected const long UnixEpochTicks = 621355968000000000;

    private readonly Stream stream;
    private readonly byte[] packet = new byte[UdpPacket.MaxLength];

    private protected CaptureWriter(Stream stream) => this.stream = stream;

    /// <summary>How many datagrams were written.</summary>
    internal long Written { get; private set; }

    /// <summary>
    /// Opens <paramref name="path"/> for writing: a new file (replacing one that is there), or with
    /// <paramref name="append"/> the end of an existing one, whose format must be <paramref name="format"/>.
    /// </summary>
    internal static CaptureWriter Open(string path, CaptureFormat format, bool append)
    {
        FileStream? stream = null;
        try
        {
            stream = new FileStream(path, append ? FileMode.OpenOrCreate : FileMode.Create, FileAccess.ReadWrite, FileShare.Read, 1 << 16);
            CaptureWriter writer = format == CaptureFormat.Pcap ? PcapWriter.Start(stream, path) : PcapngWriter.Start(stream, path);
            stream = null;
            return writer;
        }
        catch (IOException e)
        {
            throw new UdpException(UdpErrorKind.CaptureFileFailed, $"The capture file '{path}' cannot be written: {e.Message}", path, e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new UdpException(UdpErrorKind.AccessDenied, $"The capture file '{path}' cannot be written: {e.Message}", path, e);
        }
        finally
        {
            stream?.Dispose();
        }
    }

    /// <summary>Writes one datagram as a packet.</summary>
    internal void Write(UdpDatagram datagram)
    {
        int length = UdpPacket.Build(datagram, packet);
        WriteRecord(datagram, packet, length);
        Written++;
    }

    /// <summary>Writes what is buffered to the file.</summary>
    internal void Flush() => stream.Flush();

    /// <summary>Flushes and closes the file.</summary>
    public void Dispose() => stream.Dispose();

    /// <summary>Writes the record of one packet: its header, the packet, padding.</summary>
    private protected abstract void WriteRecord(UdpDatagram datagram, byte[] packet, int length);

    private protected void WriteBytes(byte[] bytes, int offset, int count) => stream.Write(bytes, offset, count);

    /// <summary>Nanoseconds since 1970 (UTC) of the datagram's time.</summary>
    private protected static ulong UnixNanoseconds(UdpDatagram datagram) =>
        (ulong)Math.Max(0, datagram.Timestamp.UtcTicks - UnixEpochTicks) * 100;

    /// <summary>The first bytes of an existing file (fewer at its end), and the stream at its end.</summary>
    private protected static byte[] ReadHead(Stream stream, int count)
    {
        var head = new byte[count];
        int got = 0;
        int n;
        while (got < count && (n = stream.Read(head, got, count - got)) > 0)
        {
            got += n;
        }

        Array.Resize(ref head, got);
        stream.Seek(0, SeekOrigin.End);
        return head;
    }
}
