using System.Collections.Generic;
using System.Net;
using System.Text;

namespace PSUdp.Engine.Probes;

/// <summary>
/// NetBIOS name service (RFC 1002 §4.2.17), port 137: a NODE STATUS REQUEST for the name "*",
/// what `nbtstat -A` sends. The response repeats the transaction id and lists the host's
/// registered names.
/// </summary>
internal sealed class NetBiosProbe : UdpProbe
{
    private const ushort NodeStatus = 0x21;

    internal override string Name => "NetBios";

    internal override int Port => 137;

    internal override string Description => "NetBIOS name service NODE STATUS request for \"*\" (RFC 1002 §4.2.17).";

    internal override byte[] Build(ProbeKey key, IPEndPoint target)
    {
        // The wildcard name "*" padded with zeros to 16 bytes, in first-level encoding (RFC 1001 §14.1): each nibble + 'A'.
        var name = new StringBuilder(32);
        for (int i = 0; i < 16; i++)
        {
            byte b = i == 0 ? (byte)'*' : (byte)0;
            name.Append((char)('A' + (b >> 4))).Append((char)('A' + (b & 0xF)));
        }

        return DnsMessage.Query(key.Id, 0x0000, name.ToString(), NodeStatus, 1);
    }

    internal override ProbeAnswer? Read(byte[] reply, ProbeKey session)
    {
        if (DnsMessage.ReadResponse(reply) is not { } response)
        {
            return null;
        }

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

        string summary = names.Count == 0 ? "NetBIOS name service answer" : $"NetBIOS names: {string.Join(", ", names)}";
        return new ProbeAnswer(response.Id, summary);
    }
}
