using System.Collections.Generic;
using System.Text;

namespace PSUdp.Engine.Probes;

/// <summary>
/// Just enough of the DNS message format (RFC 1035 §4) for the DNS, mDNS and NetBIOS probes: a
/// one-question query, and a reply's header and first answer records.
/// </summary>
internal static class DnsMessage
{
    /// <summary>A query: header with <paramref name="flags"/> and one question.</summary>
    internal static byte[] Query(ushort id, ushort flags, string name, ushort type, ushort @class)
    {
        var bytes = new List<byte>(64);
        Put16(bytes, id);
        Put16(bytes, flags);
        Put16(bytes, 1); // QDCOUNT
        Put16(bytes, 0);
        Put16(bytes, 0);
        Put16(bytes, 0);
        foreach (string label in name.Split('.'))
        {
            bytes.Add((byte)label.Length);
            bytes.AddRange(Encoding.ASCII.GetBytes(label));
        }

        bytes.Add(0);
        Put16(bytes, type);
        Put16(bytes, @class);
        return bytes.ToArray();
    }

    /// <summary>The parts of a reply the probes look at.</summary>
    internal sealed class Reply
    {
        internal ushort Id { get; set; }
        internal ushort Flags { get; set; }
        internal int ResponseCode => Flags & 0xF;
        internal List<Record> Answers { get; } = new();
    }

    /// <summary>One resource record: its owner name, type, class and data.</summary>
    internal sealed class Record
    {
        internal string Name { get; set; } = string.Empty;
        internal ushort Type { get; set; }
        internal ushort Class { get; set; }
        internal int DataOffset { get; set; }
        internal int DataLength { get; set; }
    }

    /// <summary>A response (QR set) with its answers, or null when the bytes are not one.</summary>
    internal static Reply? ReadResponse(byte[] bytes)
    {
        if (bytes.Length < 12)
        {
            return null;
        }

        var reply = new Reply { Id = ByteOrder.Net16(bytes, 0), Flags = ByteOrder.Net16(bytes, 2) };
        if ((reply.Flags & 0x8000) == 0)
        {
            return null; // a query, not a response
        }

        int questions = ByteOrder.Net16(bytes, 4);
        int answers = ByteOrder.Net16(bytes, 6);
        int offset = 12;
        for (int i = 0; i < questions; i++)
        {
            if (ReadName(bytes, ref offset) is null || offset + 4 > bytes.Length)
            {
                return null;
            }

            offset += 4;
        }

        for (int i = 0; i < answers && i < 32; i++)
        {
            string? name = ReadName(bytes, ref offset);
            if (name is null || offset + 10 > bytes.Length)
            {
                return null;
            }

            int length = ByteOrder.Net16(bytes, offset + 8);
            if (offset + 10 + length > bytes.Length)
            {
                return null;
            }

            reply.Answers.Add(new Record
            {
                Name = name,
                Type = ByteOrder.Net16(bytes, offset),
                Class = (ushort)(ByteOrder.Net16(bytes, offset + 2) & 0x7FFF), // mDNS's cache-flush bit
                DataOffset = offset + 10,
                DataLength = length,
            });
            offset += 10 + length;
        }

        return reply;
    }

    /// <summary>A name, following compression pointers; null when malformed.</summary>
    internal static string? ReadName(byte[] bytes, ref int offset)
    {
        var labels = new List<string>();
        int at = offset;
        int jumps = 0;
        bool jumped = false;
        while (true)
        {
            if (at >= bytes.Length)
            {
                return null;
            }

            int length = bytes[at];
            if (length == 0)
            {
                at++;
                break;
            }

            if ((length & 0xC0) == 0xC0)
            {
                if (at + 1 >= bytes.Length || ++jumps > 16)
                {
                    return null;
                }

                if (!jumped)
                {
                    offset = at + 2;
                }

                jumped = true;
                at = ((length & 0x3F) << 8) | bytes[at + 1];
                continue;
            }

            if (at + 1 + length > bytes.Length)
            {
                return null;
            }

            labels.Add(Encoding.ASCII.GetString(bytes, at + 1, length));
            at += 1 + length;
        }

        if (!jumped)
        {
            offset = at;
        }

        return string.Join(".", labels);
    }

    /// <summary>The first character-string of a TXT record's data.</summary>
    internal static string FirstText(byte[] bytes, Record record)
    {
        if (record.DataLength == 0)
        {
            return string.Empty;
        }

        int length = System.Math.Min(bytes[record.DataOffset], record.DataLength - 1);
        return Encoding.UTF8.GetString(bytes, record.DataOffset + 1, length);
    }

    /// <summary>The mnemonic of a response code (RFC 1035 §4.1.1, RFC 2136).</summary>
    internal static string ResponseCodeName(int code) => code switch
    {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        _ => $"RCODE {code}",
    };

    private static void Put16(List<byte> bytes, ushort value)
    {
        bytes.Add((byte)(value >> 8));
        bytes.Add((byte)value);
    }
}
