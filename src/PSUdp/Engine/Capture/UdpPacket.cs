using System;
using System.Net;
using System.Net.Sockets;

namespace PSUdp.Engine.Capture;

/// <summary>
/// A datagram as the IPv4 or IPv6 + UDP packet that carried it, with correct checksums: what a
/// capture file holds for the raw IP link type. Sent: source = local, destination = remote;
/// received: source = remote, destination = local.
/// </summary>
internal static class UdpPacket
{
    internal const int IPv4HeaderLength = 20;
    internal const int IPv6HeaderLength = 40;
    internal const int UdpHeaderLength = 8;

    /// <summary>The largest packet <see cref="Build"/> writes: an IPv6 header and a full UDP datagram.</summary>
    internal const int MaxLength = IPv6HeaderLength + 65535;

    // The hop limit a packet says when the datagram object does not know it: the usual initial TTL.
    private const byte DefaultHopLimit = 64;

    /// <summary>Writes the packet into <paramref name="buffer"/> (at least <see cref="MaxLength"/> bytes) and returns its length.</summary>
    internal static int Build(UdpDatagram datagram, byte[] buffer)
    {
        bool sent = datagram.Direction == DatagramDirection.Sent;
        IPAddress remote = datagram.RemoteAddress;
        IPAddress local = SameFamily(datagram.LocalAddress, remote.AddressFamily);
        IPAddress source = sent ? local : remote;
        IPAddress destination = sent ? remote : local;
        int sourcePort = sent ? datagram.LocalPort : datagram.RemotePort;
        int destinationPort = sent ? datagram.RemotePort : datagram.LocalPort;
        byte[] payload = datagram.Payload;

        bool v6 = remote.AddressFamily == AddressFamily.InterNetworkV6;
        int ipLength = v6 ? IPv6HeaderLength : IPv4HeaderLength;
        int udpLength = UdpHeaderLength + payload.Length;
        if (udpLength > 65535 || (!v6 && ipLength + udpLength > 65535))
        {
            throw new UdpException(UdpErrorKind.PayloadTooLarge,
                $"A datagram of {payload.Length:N0} bytes does not fit in one {(v6 ? "IPv6" : "IPv4")} packet.", datagram.ToString());
        }

        // What the object knows of the IP header as it arrived; a sent datagram gets the usual defaults.
        byte hopLimit = (byte)(datagram.TimeToLive ?? DefaultHopLimit);
        int trafficClass = ((datagram.Dscp ?? 0) << 2) | (datagram.Ecn ?? 0);
        byte[] src = source.GetAddressBytes();
        byte[] dst = destination.GetAddressBytes();
        Array.Clear(buffer, 0, ipLength + UdpHeaderLength);
        if (v6)
        {
            buffer[0] = (byte)(0x60 | (trafficClass >> 4));
            buffer[1] = (byte)(trafficClass << 4);
            ByteOrder.PutNet16(buffer, 4, udpLength);
            buffer[6] = (byte)ProtocolType.Udp;
            buffer[7] = hopLimit;
            Buffer.BlockCopy(src, 0, buffer, 8, 16);
            Buffer.BlockCopy(dst, 0, buffer, 24, 16);
        }
        else
        {
            buffer[0] = 0x45;
            buffer[1] = (byte)trafficClass;
            ByteOrder.PutNet16(buffer, 2, ipLength + udpLength);
            buffer[8] = hopLimit;
            buffer[9] = (byte)ProtocolType.Udp;
            Buffer.BlockCopy(src, 0, buffer, 12, 4);
            Buffer.BlockCopy(dst, 0, buffer, 16, 4);
            ByteOrder.PutNet16(buffer, 10, (int)(~Sum(buffer, 0, IPv4HeaderLength, 0) & 0xFFFF));
        }

        int udp = ipLength;
        ByteOrder.PutNet16(buffer, udp, sourcePort);
        ByteOrder.PutNet16(buffer, udp + 2, destinationPort);
        ByteOrder.PutNet16(buffer, udp + 4, udpLength);
        Buffer.BlockCopy(payload, 0, buffer, udp + UdpHeaderLength, payload.Length);

        // The pseudo-header: both addresses, the protocol and the UDP length (RFC 768, RFC 8200 8.1).
        uint sum = Sum(src, 0, src.Length, 0);
        sum = Sum(dst, 0, dst.Length, sum);
        sum += (uint)ProtocolType.Udp + (uint)udpLength;
        int checksum = (int)(~Sum(buffer, udp, udpLength, sum) & 0xFFFF);
        ByteOrder.PutNet16(buffer, udp + 6, checksum == 0 ? 0xFFFF : checksum);
        return ipLength + udpLength;
    }

    /// <summary>The one's complement sum of 16-bit words (RFC 1071), folded to 16 bits.</summary>
    internal static uint Sum(byte[] data, int offset, int count, uint start)
    {
        uint sum = start;
        int end = offset + count;
        int i = offset;
        for (; i + 1 < end; i += 2)
        {
            sum += (uint)((data[i] << 8) | data[i + 1]);
        }

        if (i < end)
        {
            sum += (uint)(data[i] << 8);
        }

        return Fold(sum);
    }

    private static uint Fold(uint sum)
    {
        while ((sum >> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return sum;
    }

    // A dual-mode socket's local "::" beside an IPv4 peer is the IPv4 wildcard, and so on.
    private static IPAddress SameFamily(IPAddress local, AddressFamily family)
    {
        if (local.AddressFamily == family)
        {
            return local;
        }

        if (family == AddressFamily.InterNetworkV6)
        {
            return local.MapToIPv6();
        }

        return local.IsIPv4MappedToIPv6 ? local.MapToIPv4() : IPAddress.Any;
    }
}
