using System;
using System.Net;

namespace PSUdp.Engine.Capture;

/// <summary>What one captured packet turned out to be.</summary>
internal enum PacketKind
{
    /// <summary>A whole UDP datagram (or its first bytes, when the capture cut the packet).</summary>
    Udp,

    /// <summary>Another protocol: TCP, ICMP, ARP and the like.</summary>
    NotUdp,

    /// <summary>A fragment of an IP packet; PSUdp reports fragments and does not reassemble them.</summary>
    Fragment,

    /// <summary>Headers that contradict themselves or end too early.</summary>
    Unreadable,

    /// <summary>A link type PSUdp does not read.</summary>
    OtherLinkType,
}

/// <summary>The UDP datagram found in a packet: addresses, ports and where its payload is.</summary>
/// <param name="Source">The IP source address.</param>
/// <param name="SourcePort">The UDP source port.</param>
/// <param name="Destination">The IP destination address.</param>
/// <param name="DestinationPort">The UDP destination port.</param>
/// <param name="PayloadOffset">Where the payload starts in the frame's buffer.</param>
/// <param name="PayloadLength">The payload bytes the capture kept.</param>
/// <param name="Truncated">The capture kept fewer bytes than the datagram had (a snapshot length).</param>
/// <param name="TimeToLive">The IPv4 TTL or IPv6 hop limit in the packet.</param>
/// <param name="TrafficClass">The IPv4 TOS byte or IPv6 traffic class (DSCP and ECN) in the packet.</param>
internal readonly record struct DecodedUdp(IPAddress Source, int SourcePort, IPAddress Destination, int DestinationPort,
    int PayloadOffset, int PayloadLength, bool Truncated, int TimeToLive, int TrafficClass);

/// <summary>
/// Finds the UDP datagram in a captured frame: link layer (Ethernet with 802.1Q/802.1ad tags,
/// raw IP, Linux cooked v1 and v2, BSD loopback), then IPv4 or IPv6 (extension headers skipped),
/// then UDP. Every read is bounded by the captured length, so no input throws.
/// </summary>
internal static class PacketDecoder
{
    private const int EtherTypeIPv4 = 0x0800;
    private const int EtherTypeIPv6 = 0x86DD;
    private const int ProtocolUdp = 17;

    /// <summary>Decodes the frame in <c>data[offset..offset+length)</c> of link type <paramref name="linkType"/>.</summary>
    internal static PacketKind Decode(int linkType, byte[] data, int offset, int length, out DecodedUdp udp)
    {
        udp = default;
        int end = offset + length;
        switch (linkType)
        {
            case LinkType.Ethernet:
                return length < 14 ? PacketKind.Unreadable : EtherType(ByteOrder.Net16(data, offset + 12), data, offset + 14, end, out udp);
            case LinkType.Raw:
            case LinkType.RawBsd12:
            case LinkType.RawBsd14:
                return ByVersion(data, offset, end, out udp);
            case LinkType.IPv4:
                return IPv4(data, offset, end, out udp);
            case LinkType.IPv6:
                return IPv6(data, offset, end, out udp);
            case LinkType.LinuxSll:
                return length < 16 ? PacketKind.Unreadable : EtherType(ByteOrder.Net16(data, offset + 14), data, offset + 16, end, out udp);
            case LinkType.LinuxSll2:
                return length < 20 ? PacketKind.Unreadable : EtherType(ByteOrder.Net16(data, offset), data, offset + 20, end, out udp);
            case LinkType.Null:
            case LinkType.Loop:
                return length < 4 ? PacketKind.Unreadable : Loopback(data, offset, end, out udp);
            default:
                return PacketKind.OtherLinkType;
        }
    }

    private static PacketKind EtherType(int type, byte[] data, int at, int end, out DecodedUdp udp)
    {
        udp = default;

        // 802.1Q, 802.1ad and the older QinQ tag: four bytes each, the real type after them.
        for (int tags = 0; type is 0x8100 or 0x88A8 or 0x9100; tags++)
        {
            if (tags == 8 || at + 4 > end)
            {
                return PacketKind.Unreadable;
            }

            type = ByteOrder.Net16(data, at + 2);
            at += 4;
        }

        return type switch
        {
            EtherTypeIPv4 => IPv4(data, at, end, out udp),
            EtherTypeIPv6 => IPv6(data, at, end, out udp),
            _ => PacketKind.NotUdp,
        };
    }

    // BSD loopback: the address family in the capturing host's byte order (2 = AF_INET; the
    // BSDs, macOS and Linux number AF_INET6 24, 28, 30 and 10).
    private static PacketKind Loopback(byte[] data, int at, int end, out DecodedUdp udp)
    {
        udp = default;
        uint little = ByteOrder.U32(data, at, false);
        uint big = ByteOrder.U32(data, at, true);
        if (little == 2 || big == 2)
        {
            return IPv4(data, at + 4, end, out udp);
        }

        return little is 10 or 24 or 28 or 30 || big is 10 or 24 or 28 or 30 ? IPv6(data, at + 4, end, out udp) : PacketKind.NotUdp;
    }

    private static PacketKind ByVersion(byte[] data, int at, int end, out DecodedUdp udp)
    {
        udp = default;
        if (at >= end)
        {
            return PacketKind.Unreadable;
        }

        return (data[at] >> 4) switch
        {
            4 => IPv4(data, at, end, out udp),
            6 => IPv6(data, at, end, out udp),
            _ => PacketKind.Unreadable,
        };
    }

    private static PacketKind IPv4(byte[] data, int at, int end, out DecodedUdp udp)
    {
        udp = default;
        if (end - at < 20 || data[at] >> 4 != 4)
        {
            return PacketKind.Unreadable;
        }

        int headerLength = (data[at] & 0x0F) * 4;
        int totalLength = ByteOrder.Net16(data, at + 2);
        if (headerLength < 20 || end - at < headerLength || (totalLength != 0 && totalLength < headerLength))
        {
            return PacketKind.Unreadable;
        }

        int protocol = data[at + 9];
        int fragment = ByteOrder.Net16(data, at + 6);
        if ((fragment & 0x3FFF) != 0)
        {
            // More fragments (0x2000) or an offset: a piece of a packet, not a datagram.
            return protocol == ProtocolUdp ? PacketKind.Fragment : PacketKind.NotUdp;
        }

        if (protocol != ProtocolUdp)
        {
            return PacketKind.NotUdp;
        }

        // A total length of 0 is what segmentation offload leaves in some captures: use what is there.
        int ipEnd = totalLength == 0 ? int.MaxValue : at + totalLength;
        var source = new IPAddress(Slice(data, at + 12, 4));
        var destination = new IPAddress(Slice(data, at + 16, 4));
        return Udp(data, at + headerLength, ipEnd, end, source, destination, data[at + 8], data[at + 1], out udp);
    }

    private static PacketKind IPv6(byte[] data, int at, int end, out DecodedUdp udp)
    {
        udp = default;
        if (end - at < 40 || data[at] >> 4 != 6)
        {
            return PacketKind.Unreadable;
        }

        int payloadLength = ByteOrder.Net16(data, at + 4);
        int next = data[at + 6];
        var source = new IPAddress(Slice(data, at + 8, 16));
        var destination = new IPAddress(Slice(data, at + 24, 16));
        int ipEnd = payloadLength == 0 ? int.MaxValue : at + 40 + payloadLength;
        int header = at + 40;
        for (int hops = 0; hops < 16; hops++)
        {
            switch (next)
            {
                case ProtocolUdp:
                    return Udp(data, header, ipEnd, end, source, destination, data[at + 7], (ByteOrder.Net16(data, at) >> 4) & 0xFF, out udp);
                case 0:   // hop-by-hop options
                case 43:  // routing
                case 60:  // destination options
                case 51:  // authentication header, whose length counts 4-byte units
                    if (header + 2 > end)
                    {
                        return PacketKind.Unreadable;
                    }

                    int length = next == 51 ? (data[header + 1] + 2) * 4 : (data[header + 1] + 1) * 8;
                    next = data[header];
                    header += length;
                    break;
                case 44:  // fragment
                    if (header + 8 > end)
                    {
                        return PacketKind.Unreadable;
                    }

                    int offsetAndMore = ByteOrder.Net16(data, header + 2);
                    if ((offsetAndMore & 0xFFF9) != 0)
                    {
                        return PacketKind.Fragment;
                    }

                    // An atomic fragment (offset 0, no more): the whole packet after all.
                    next = data[header];
                    header += 8;
                    break;
                default:
                    return PacketKind.NotUdp;
            }
        }

        return PacketKind.Unreadable;
    }

    private static PacketKind Udp(byte[] data, int at, int ipEnd, int end, IPAddress source, IPAddress destination, int timeToLive, int trafficClass, out DecodedUdp udp)
    {
        udp = default;
        if (at + 8 > end || at + 8 > ipEnd)
        {
            return PacketKind.Unreadable;
        }

        int udpLength = ByteOrder.Net16(data, at + 4);
        int declared = udpLength == 0 && ipEnd != int.MaxValue ? ipEnd - at : udpLength;
        if (declared < 8 || (ipEnd != int.MaxValue && at + declared > ipEnd))
        {
            return PacketKind.Unreadable;
        }

        int payloadLength = declared - 8;
        int captured = Math.Min(payloadLength, end - at - 8);
        udp = new DecodedUdp(source, ByteOrder.Net16(data, at), destination, ByteOrder.Net16(data, at + 2),
            at + 8, captured, captured < payloadLength, timeToLive, trafficClass);
        return PacketKind.Udp;
    }

    private static byte[] Slice(byte[] data, int at, int count)
    {
        var bytes = new byte[count];
        Buffer.BlockCopy(data, at, bytes, 0, count);
        return bytes;
    }
}
