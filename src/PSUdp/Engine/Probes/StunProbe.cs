using System.Net;
using System.Text;

namespace PSUdp.Engine.Probes;

/// <summary>
/// STUN (RFC 8489, formerly RFC 5389), port 3478: a Binding request without attributes. The
/// reply (success 0x0101 or error 0x0111) repeats the magic cookie and the 96-bit transaction id,
/// which carries the key; a success names the address and port the server saw (XOR-MAPPED-ADDRESS).
/// </summary>
internal sealed class StunProbe() : UdpProbe("Stun", 3478,
    "STUN Binding request (RFC 8489); the reply repeats the transaction id.")
{
    private const uint MagicCookie = 0x2112A442;

    // 12 bytes: the id, the session's nonce, two zero bytes.
    private const int TransactionIdLength = 12;

    internal override byte[] Build(ProbeKey key, IPEndPoint target)
    {
        byte[] message = new byte[20];
        message[1] = 0x01; // Binding request; length 0
        ByteOrder.Put32(message, 4, MagicCookie, bigEndian: true);
        key.ToBytes(TransactionIdLength).CopyTo(message, 8);
        return message;
    }

    internal override ProbeAnswer? Read(byte[] reply, ProbeKey session)
    {
        if (reply.Length < 20 || (reply[0] & 0xC0) != 0 || ByteOrder.U32(reply, 4, bigEndian: true) != MagicCookie)
        {
            return null;
        }

        ushort type = ByteOrder.Net16(reply, 0);
        if (type is not (0x0101 or 0x0111) || session.IdIn(reply, 8, TransactionIdLength) is not { } id)
        {
            return null;
        }

        string summary = type == 0x0111 ? "STUN error response" : "STUN binding success";
        string? mapped = null;
        string? software = null;
        int length = System.Math.Min(ByteOrder.Net16(reply, 2), reply.Length - 20);
        for (int at = 20; at + 4 <= 20 + length;)
        {
            ushort attribute = ByteOrder.Net16(reply, at);
            int valueLength = ByteOrder.Net16(reply, at + 2);
            int value = at + 4;
            if (value + valueLength > reply.Length)
            {
                break;
            }

            if (attribute == 0x0020 || (attribute == 0x0001 && mapped is null))
            {
                mapped = Address(reply, value, valueLength, xor: attribute == 0x0020);
            }
            else if (attribute == 0x8022)
            {
                software = Encoding.UTF8.GetString(reply, value, valueLength).TrimEnd('\0');
            }

            at = value + ((valueLength + 3) & ~3);
        }

        if (mapped is not null)
        {
            summary += $", mapped address {mapped}";
        }

        if (software is not null)
        {
            summary += $", software \"{software}\"";
        }

        return new ProbeAnswer(id, summary);
    }

    // (XOR-)MAPPED-ADDRESS: reserved, family (1 IPv4, 2 IPv6), port, address; XOR with the cookie (and, for IPv6, the transaction id).
    private static string? Address(byte[] reply, int at, int length, bool xor)
    {
        if (length < 8)
        {
            return null;
        }

        int family = reply[at + 1];
        int port = ByteOrder.Net16(reply, at + 2) ^ (xor ? (int)(MagicCookie >> 16) : 0);
        int size = family == 1 ? 4 : family == 2 ? 16 : 0;
        if (size == 0 || length < 4 + size)
        {
            return null;
        }

        byte[] address = new byte[size];
        for (int i = 0; i < size; i++)
        {
            // The cookie and the transaction id are bytes 4..19 of the header.
            address[i] = (byte)(reply[at + 4 + i] ^ (xor ? reply[4 + i] : 0));
        }

        return Addresses.Format(new IPAddress(address), port);
    }
}
