using System;
using System.Net;
using System.Text;
using PSUdp.Engine.IPLevel;

namespace PSUdp.Engine.Receive;

/// <summary>
/// A datagram just read, still in its reader's buffer (a ref struct, so it cannot outlive the read): what the receive thread handles (an echo
/// answers it from here) and hands to the <see cref="DatagramQueue"/>, which keeps a copy of the
/// bytes. Valid until the reader's next read; the <see cref="UdpDatagram"/> is made only when the
/// consumer takes it.
/// </summary>
internal readonly ref struct DatagramView(IPAddress remoteAddress, int remotePort, IPAddress localAddress, int localPort,
    byte[] buffer, int offset, int length, bool truncated, ArrivalFacts facts)
{
    /// <summary>The sender, normalised (an IPv4 peer of a dual-mode socket shows as IPv4).</summary>
    internal IPAddress RemoteAddress { get; } = remoteAddress;

    internal int RemotePort { get; } = remotePort;

    /// <summary>The address the datagram was sent to, normalised.</summary>
    internal IPAddress LocalAddress { get; } = localAddress;

    internal int LocalPort { get; } = localPort;

    /// <summary>The reader's buffer, which holds the payload at <see cref="Offset"/>.</summary>
    internal byte[] Buffer { get; } = buffer;

    internal int Offset { get; } = offset;

    /// <summary>The number of payload bytes.</summary>
    internal int Length { get; } = length;

    internal bool Truncated { get; } = truncated;

    /// <summary>The arrival interface, TTL, traffic class and time, as far as the platform told them.</summary>
    internal ArrivalFacts Facts { get; } = facts;

    /// <summary>The index of the interface it arrived on; 0 when not known.</summary>
    internal int InterfaceIndex => Facts.InterfaceIndex;

    /// <summary>The received datagram as its own object, with a copy of the payload.</summary>
    internal UdpDatagram ToDatagram(Encoding encoding)
    {
        byte[] payload = Length == 0 ? Array.Empty<byte>() : new byte[Length];
        System.Buffer.BlockCopy(Buffer, Offset, payload, 0, Length);
        return new UdpDatagram(DatagramDirection.Received, RemoteAddress, RemotePort, LocalAddress, LocalPort,
            payload, Truncated, encoding, Facts);
    }
}
