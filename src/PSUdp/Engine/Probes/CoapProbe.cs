using System.Net;
using System.Text;

namespace PSUdp.Engine.Probes;

/// <summary>
/// CoAP (RFC 7252), port 5683: a confirmable GET of /.well-known/core, the resource directory of
/// RFC 6690. The message id and the token carry the key (the token also part of the session's nonce); the answer is an
/// ACK (or RST) with that message id, or a separate response with that token.
/// </summary>
internal sealed class CoapProbe() : UdpProbe("Coap", 5683,
    "CoAP confirmable GET /.well-known/core (RFC 7252, RFC 6690).")
{
    // The token: the id again (a separate response has a message id of its own), then two bytes of the nonce.
    private const int TokenLength = 4;

    internal override byte[] Build(ProbeKey key, IPEndPoint target)
    {
        byte[] wellKnown = Encoding.ASCII.GetBytes(".well-known");
        byte[] core = Encoding.ASCII.GetBytes("core");
        byte[] message = new byte[4 + TokenLength + 1 + wellKnown.Length + 1 + core.Length];
        message[0] = (1 << 6) | (0 << 4) | TokenLength; // version 1, confirmable, token length
        message[1] = 0x01;                               // 0.01 GET
        message[2] = (byte)(key.Id >> 8);
        message[3] = (byte)key.Id;
        key.ToBytes(TokenLength).CopyTo(message, 4);
        int at = 4 + TokenLength;
        message[at++] = (byte)((11 << 4) | wellKnown.Length); // option 11 Uri-Path
        wellKnown.CopyTo(message, at);
        at += wellKnown.Length;
        message[at++] = (byte)((0 << 4) | core.Length);       // Uri-Path again (delta 0)
        core.CopyTo(message, at);
        return message;
    }

    internal override ProbeAnswer? Read(byte[] reply, ProbeKey session)
    {
        if (reply.Length < 4 || reply[0] >> 6 != 1)
        {
            return null;
        }

        int type = (reply[0] >> 4) & 3;
        int tokenLength = reply[0] & 0xF;
        int code = reply[1];
        ushort messageId = ByteOrder.Net16(reply, 2);
        ushort? tokenId = tokenLength == TokenLength && reply.Length >= 4 + TokenLength ? session.IdIn(reply, 4, TokenLength) : null;

        // An empty ACK or an RST answers by message id alone (RFC 7252 §4.2); a piggybacked
        // response (ACK with a code) and a separate one (CON/NON) carry the request's token (§5.3.2).
        ushort? id = (type == 2 && code == 0) || type == 3 ? messageId : tokenId;
        if (id is null)
        {
            return null;
        }

        string summary = type == 3 ? "CoAP reset" : code == 0 ? "CoAP empty acknowledgement" : $"CoAP {code >> 5}.{code & 0x1F:00}";
        int marker = 4 + tokenLength < reply.Length ? System.Array.IndexOf(reply, (byte)0xFF, 4 + tokenLength) : -1;
        if (code != 0 && marker > 0 && marker + 1 < reply.Length)
        {
            summary += ": " + Encoding.UTF8.GetString(reply, marker + 1, System.Math.Min(120, reply.Length - marker - 1));
        }

        return new ProbeAnswer(id, summary);
    }
}
