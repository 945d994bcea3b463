using System.Net;
using PSUdp.Engine.Text;

namespace PSUdp.Engine.Probes;

/// <summary>
/// SNMPv3 engine discovery (RFC 3414 §4, RFC 3412 §6): a reportable, unauthenticated GetRequest
/// with an empty engine id and user name and no variable bindings. An SNMPv3 agent answers with a
/// Report (usmStatsUnknownEngineIDs) that names its engine id, boots and time; it needs no
/// community or user. The reply's msgID matches the request.
/// </summary>
internal sealed class SnmpV3Probe() : UdpProbe("SnmpV3", 161,
    "SNMPv3 engine-id discovery: an unauthenticated, reportable empty GetRequest (RFC 3414 §4).")
{
    internal override byte[] Build(ProbeKey key, IPEndPoint target)
    {
        long id = key.ToInt31(); // msgID and request-id
        byte[] security = Ber.Tlv(BerTag.Sequence,
            Ber.Octets(), Ber.Int(0), Ber.Int(0), Ber.Octets(), Ber.Octets(), Ber.Octets());
        return Ber.Tlv(BerTag.Sequence,
            Ber.Int(3),
            Ber.Tlv(BerTag.Sequence, Ber.Int(id), Ber.Int(65507), Ber.Octets(0x04), Ber.Int(3)), // reportable, USM
            Ber.Octets(security),
            Ber.Tlv(BerTag.Sequence,
                Ber.Octets(),
                Ber.Octets(),
                Ber.Tlv(BerTag.GetRequest, Ber.Int(id), Ber.Int(0), Ber.Int(0), Ber.Tlv(BerTag.Sequence))));
    }

    internal override ProbeAnswer? Read(byte[] reply, ProbeKey session)
    {
        int offset = 0;
        int end = reply.Length;
        if (!Ber.TryEnter(reply, ref offset, ref end, BerTag.Sequence)
            || !Ber.TryReadInt(reply, ref offset, end, out long version) || version != 3)
        {
            return null;
        }

        int globalEnd = end;
        int global = offset;
        if (!Ber.TryEnter(reply, ref global, ref globalEnd, BerTag.Sequence)
            || !Ber.TryReadInt(reply, ref global, globalEnd, out long messageId)
            || session.IdIn(messageId) is not { } id)
        {
            return null;
        }

        // Skip msgGlobalData, then read the security parameters (an OCTET STRING holding a SEQUENCE).
        if (!Ber.TryRead(reply, ref offset, end, out _, out _, out _)
            || !Ber.TryReadOctets(reply, ref offset, end, out byte[] security))
        {
            return null;
        }

        string summary = "SNMPv3 answer";
        int at = 0;
        int securityEnd = security.Length;
        if (Ber.TryEnter(security, ref at, ref securityEnd, BerTag.Sequence)
            && Ber.TryReadOctets(security, ref at, securityEnd, out byte[] engineId)
            && Ber.TryReadInt(security, ref at, securityEnd, out long boots))
        {
            summary = $"SNMPv3 engine {HexFormat.ToHex(engineId)}, boots {boots}";
        }

        bool isReport = offset < end && FindPdu(reply, offset, end) == BerTag.Report;
        return new ProbeAnswer(id, isReport ? summary : summary + " (not a report)");
    }

    // The PDU tag inside the (plaintext) ScopedPDU.
    private static BerTag? FindPdu(byte[] reply, int offset, int end)
    {
        if (!Ber.TryEnter(reply, ref offset, ref end, BerTag.Sequence)
            || !Ber.TryReadOctets(reply, ref offset, end, out _)
            || !Ber.TryReadOctets(reply, ref offset, end, out _)
            || offset >= end)
        {
            return null;
        }

        return (BerTag)reply[offset];
    }
}
