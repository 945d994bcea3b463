using System;
using System.Collections.Generic;
using System.Text;

namespace PSUdp.Engine.Probes;

/// <summary>The BER tags SNMP messages are made of: ASN.1's universal types (X.680) and SNMP's PDUs (RFC 3416 §3, RFC 3412).</summary>
internal enum BerTag : byte
{
    Integer = 0x02,
    OctetString = 0x04,
    Null = 0x05,
    ObjectId = 0x06,
    Sequence = 0x30,
    GetRequest = 0xA0,
    GetResponse = 0xA2,
    Report = 0xA8,
}

/// <summary>The little of ASN.1 BER (X.690) that SNMP requests and replies need: definite lengths, integers, strings, OIDs.</summary>
internal static class Ber
{
    /// <summary>One tag-length-value.</summary>
    internal static byte[] Tlv(BerTag tag, params byte[][] contents)
    {
        int length = 0;
        foreach (byte[] part in contents)
        {
            length += part.Length;
        }

        var bytes = new List<byte>(length + 6) { (byte)tag };
        if (length < 0x80)
        {
            bytes.Add((byte)length);
        }
        else if (length < 0x100)
        {
            bytes.Add(0x81);
            bytes.Add((byte)length);
        }
        else
        {
            bytes.Add(0x82);
            bytes.Add((byte)(length >> 8));
            bytes.Add((byte)length);
        }

        foreach (byte[] part in contents)
        {
            bytes.AddRange(part);
        }

        return bytes.ToArray();
    }

    /// <summary>A non-negative INTEGER in its shortest form.</summary>
    internal static byte[] Int(long value)
    {
        var digits = new List<byte>();
        do
        {
            digits.Insert(0, (byte)value);
            value >>= 8;
        }
        while (value > 0);

        if ((digits[0] & 0x80) != 0)
        {
            digits.Insert(0, 0);
        }

        return Tlv(BerTag.Integer, digits.ToArray());
    }

    internal static byte[] Text(string value) => Tlv(BerTag.OctetString, Encoding.ASCII.GetBytes(value));

    internal static byte[] Octets(params byte[] value) => Tlv(BerTag.OctetString, value);

    /// <summary>An OBJECT IDENTIFIER from its dotted numbers (every arc below 2^28).</summary>
    internal static byte[] Oid(string dotted)
    {
        string[] arcs = dotted.Split('.');
        var bytes = new List<byte> { (byte)((int.Parse(arcs[0]) * 40) + int.Parse(arcs[1])) };
        for (int i = 2; i < arcs.Length; i++)
        {
            int arc = int.Parse(arcs[i]);
            var base128 = new List<byte> { (byte)(arc & 0x7F) };
            for (arc >>= 7; arc > 0; arc >>= 7)
            {
                base128.Insert(0, (byte)(0x80 | (arc & 0x7F)));
            }

            bytes.AddRange(base128);
        }

        return Tlv(BerTag.ObjectId, bytes.ToArray());
    }

    /// <summary>Reads one tag-length-value at <paramref name="offset"/>; false when the bytes are not one.</summary>
    internal static bool TryRead(byte[] bytes, ref int offset, int end, out BerTag tag, out int contentStart, out int contentLength)
    {
        tag = 0;
        contentStart = 0;
        contentLength = 0;
        if (offset + 2 > end)
        {
            return false;
        }

        tag = (BerTag)bytes[offset];
        int length = bytes[offset + 1];
        int at = offset + 2;
        if (length >= 0x80)
        {
            int count = length & 0x7F;
            if (count is 0 or > 3 || at + count > end)
            {
                return false;
            }

            length = 0;
            for (int i = 0; i < count; i++)
            {
                length = (length << 8) | bytes[at++];
            }
        }

        if (at + length > end)
        {
            return false;
        }

        contentStart = at;
        contentLength = length;
        offset = at + length;
        return true;
    }

    /// <summary>Reads an INTEGER's value (up to 8 bytes, two's complement).</summary>
    internal static bool TryReadInt(byte[] bytes, ref int offset, int end, out long value)
    {
        value = 0;
        if (!TryRead(bytes, ref offset, end, out BerTag tag, out int start, out int length) || tag != BerTag.Integer || length is 0 or > 8)
        {
            return false;
        }

        value = (sbyte)bytes[start];
        for (int i = 1; i < length; i++)
        {
            value = (value << 8) | bytes[start + i];
        }

        return true;
    }

    /// <summary>Reads an OCTET STRING's bytes.</summary>
    internal static bool TryReadOctets(byte[] bytes, ref int offset, int end, out byte[] value)
    {
        value = Array.Empty<byte>();
        if (!TryRead(bytes, ref offset, end, out BerTag tag, out int start, out int length) || tag != BerTag.OctetString)
        {
            return false;
        }

        value = new byte[length];
        Buffer.BlockCopy(bytes, start, value, 0, length);
        return true;
    }

    /// <summary>Enters a constructed value of the given tag: <paramref name="offset"/> moves to its first content byte, <paramref name="end"/> is its end.</summary>
    internal static bool TryEnter(byte[] bytes, ref int offset, ref int end, BerTag expectedTag)
    {
        int at = offset;
        if (!TryRead(bytes, ref at, end, out BerTag tag, out int start, out int length) || tag != expectedTag)
        {
            return false;
        }

        offset = start;
        end = start + length;
        return true;
    }
}
