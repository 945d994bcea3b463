using System.Net;
using System.Text;

namespace PSUdp.Engine.Probes;

/// <summary>
/// SNMPv2c (RFC 1901, RFC 3416), port 161: a GetRequest for sysDescr.0 (1.3.6.1.2.1.1.1.0) with
/// the community "public", the read-only default. The reply's request-id matches it. An agent
/// with another community stays silent (RFC 3584 §4.1 says it drops the request), so on port 161
/// retries alternate with <see cref="SnmpV3Probe"/>, which needs no community.
/// </summary>
internal sealed class SnmpProbe() : UdpProbe("Snmp", 161,
    "SNMPv2c GetRequest of sysDescr.0 with community \"public\" (RFC 3416).")
{
    private const string SysDescr = "1.3.6.1.2.1.1.1.0";

    internal override byte[] Build(ProbeKey key, IPEndPoint target) =>
        Ber.Tlv(BerTag.Sequence,
            Ber.Int(1), // version-2c
            Ber.Text("public"),
            Ber.Tlv(BerTag.GetRequest,
                Ber.Int(key.ToInt31()), // request-id
                Ber.Int(0),
                Ber.Int(0),
                Ber.Tlv(BerTag.Sequence, Ber.Tlv(BerTag.Sequence, Ber.Oid(SysDescr), Ber.Tlv(BerTag.Null)))));

    internal override ProbeAnswer? Read(byte[] reply, ProbeKey session)
    {
        int offset = 0;
        int end = reply.Length;
        if (!Ber.TryEnter(reply, ref offset, ref end, BerTag.Sequence)
            || !Ber.TryReadInt(reply, ref offset, end, out long version) || version is not (0 or 1)
            || !Ber.TryReadOctets(reply, ref offset, end, out _)
            || !Ber.TryEnter(reply, ref offset, ref end, BerTag.GetResponse)
            || !Ber.TryReadInt(reply, ref offset, end, out long requestId)
            || !Ber.TryReadInt(reply, ref offset, end, out long errorStatus)
            || !Ber.TryReadInt(reply, ref offset, end, out _)
            || session.IdIn(requestId) is not { } id)
        {
            return null;
        }

        string summary = errorStatus != 0 ? $"SNMP{(version == 0 ? "v1" : "v2c")} error-status {errorStatus}" : $"SNMP{(version == 0 ? "v1" : "v2c")} answer";
        if (errorStatus == 0 && FirstValue(reply, offset, end) is { } value)
        {
            summary += $": sysDescr \"{value}\"";
        }

        return new ProbeAnswer(id, summary);
    }

    // The first variable binding's value, when it is an OCTET STRING.
    private static string? FirstValue(byte[] reply, int offset, int end)
    {
        if (!Ber.TryEnter(reply, ref offset, ref end, BerTag.Sequence) || !Ber.TryEnter(reply, ref offset, ref end, BerTag.Sequence)
            || !Ber.TryRead(reply, ref offset, end, out BerTag oidTag, out _, out _) || oidTag != BerTag.ObjectId
            || !Ber.TryReadOctets(reply, ref offset, end, out byte[] value))
        {
            return null;
        }

        string text = Encoding.UTF8.GetString(value);
        return text.Length > 200 ? text.Substring(0, 200) + "…" : text;
    }
}
