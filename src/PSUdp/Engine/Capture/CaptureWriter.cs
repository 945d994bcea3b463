using System;
using System.IO;

namespace PSUdp.Engine.Capture;

/// <summary>
/// Writes datagrams to a file as they come, one at a time through one reused buffer, so memory
/// stays constant however many are written. In the capture formats each datagram becomes a raw
/// IPv4 or IPv6 + UDP packet (link type 101), so one file holds both families and both directions;
/// JSON writes the object's own properties.
/// </summary>
internal abstract class CaptureWriter : IDisposable
{
    /// <summary>The snapshot length the headers declare: every packet is written whole.</summary>
    internal const int SnapLength = 262144;

    private protected const long UnixEpochTicks = 621355968000000000;

    private readonly Stream stream;
    private byte[]? packet;
    private bool disposed;

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
            CaptureWriter writer = format switch
            {
                CaptureFormat.Pcap => PcapWriter.Start(stream, path),
                CaptureFormat.Json => JsonWriter.Start(stream, path),
                _ => PcapngWriter.Start(stream, path),
            };
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

    /// <summary>Writes one datagram.</summary>
    internal void Write(UdpDatagram datagram)
    {
        WriteDatagram(datagram);
        Written++;
    }

    /// <summary>Writes what is buffered to the file.</summary>
    internal void Flush() => stream.Flush();

    /// <summary>Writes what ends the file (the JSON array's bracket) before it is closed; the capture formats need nothing.</summary>
    internal virtual void Finish()
    {
    }

    /// <summary>Ends and closes the file.</summary>
    public void Dispose()
    {
        if (!disposed)
        {
            disposed = true;
            try
            {
                Finish();
            }
            finally
            {
                stream.Dispose();
            }
        }
    }

    /// <summary>Writes the record of one datagram: for the packet formats its header, the packet, padding.</summary>
    private protected abstract void WriteDatagram(UdpDatagram datagram);

    /// <summary>The datagram as an IP + UDP packet in the writer's one buffer; returns its length.</summary>
    private protected int BuildPacket(UdpDatagram datagram, out byte[] buffer)
    {
        buffer = packet ??= new byte[UdpPacket.MaxLength];
        return UdpPacket.Build(datagram, buffer);
    }

    /// <summary>Moves the end of the file back (appending inside a JSON array).</summary>
    private protected void TruncateTo(long length) => stream.SetLength(length);

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
