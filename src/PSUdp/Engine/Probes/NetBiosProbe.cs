using System.Collections.Generic;
using System.Text;

namespace PSUdp.Engine.Probes;

/// <summary>
/// NetBIOS name service (RFC 1002 §4.2.17), port 137: a NODE STATUS REQUEST for the name "*",
/// what `nbtstat -A` sends. The response repeats the transaction id and lists the host's
/// registered names.
/// </summary>
internal sealed class NetBiosProbe() : DnsQueryProbe("NetBios", 137,
    "NetBIOS name service NODE STATUS request for \"*\" (RFC 1002 §4.2.17).",
    WildcardName(), NodeStatus, 1)
{
    private const ushort NodeStatus = 0x21;

    private protected override string Summarize(byte[] reply, DnsMessage.Reply response)
    {
        var names = new List<string>();
        foreach (DnsMessage.Record record in response.Answers)
        {
            if (record.Type != NodeStatus || record.DataLength < 1)
            {
                continue;
            }

            int count = reply[record.DataOffset];
            for (int i = 0, at = record.DataOffset + 1; i < count && at + 18 <= record.DataOffset + record.DataLength; i++, at += 18)
            {
                string nbName = Encoding.ASCII.GetString(reply, at, 15).TrimEnd(' ', '\0');
                names.Add($"{nbName}<{reply[at + 15]:X2}>");
            }
        }

        return names.Count == 0 ? "NetBIOS name service answer" : $"NetBIOS names: {string.Join(", ", names)}";
    }

    // The wildcard name "*" padded with zeros to 16 bytes, in first-level encoding (RFC 1001 §14.1): each nibble + 'A'.
    private static string WildcardName()
    {
        var name = new StringBuilder(32);
        for (int i = 0; i < 16; i++)
        {
            byte b = i == 0 ? (byte)'*' : (byte)0;
            name.Append((char)('A' + (b >> 4))).Append((char)('A' + (b & 0xF)));
        }

        return name.ToString();
    }
}
