using System.Net;
using System.Text;

namespace PSUdp.Engine.Probes;

/// <summary>
/// NTP (RFC 5905), port 123: one client-mode (mode 3) version-4 packet of 48 bytes, all zero but
/// the transmit timestamp, which carries the key; a server copies it into its reply's origin
/// timestamp (§8), which is how the reply is matched. Nothing else is asked (no control or
/// private mode-6/7 queries).
/// </summary>
internal sealed class NtpProbe() : UdpProbe("Ntp", 123,
    "NTP version 4 client-mode request (RFC 5905); the reply's origin timestamp matches it.")
{
    private const int Length = 48;
    private const int OriginOffset = 24;
    private const int TransmitOffset = 40;
    private const int TimestampLength = 8;

    internal override byte[] Build(ProbeKey key, IPEndPoint target)
    {
        byte[] packet = new byte[Length];
        packet[0] = (0 << 6) | (4 << 3) | 3; // LI 0, VN 4, mode 3 (client)
        key.ToBytes(TimestampLength).CopyTo(packet, TransmitOffset);
        return packet;
    }

    internal override ProbeAnswer? Read(byte[] reply, ProbeKey session)
    {
        int mode = reply.Length >= Length ? reply[0] & 7 : 0;
        int version = reply.Length >= Length ? (reply[0] >> 3) & 7 : 0;

        // The origin timestamp is our transmit timestamp: the id, then the session's nonce.
        if (mode != 4 || version is < 1 or > 4 || session.IdIn(reply, OriginOffset, TimestampLength) is not { } id)
        {
            return null;
        }

        int stratum = reply[1];
        int leap = reply[0] >> 6;
        string reference = stratum <= 1
            ? Encoding.ASCII.GetString(reply, 12, 4).TrimEnd('\0')
            : new IPAddress(new[] { reply[12], reply[13], reply[14], reply[15] }).ToString();
        string summary = stratum == 0
            ? $"NTP server, kiss code {reference}" // RFC 5905 §7.4: stratum 0 carries a kiss-o'-death code
            : $"NTP server, stratum {stratum}, reference {reference}{(leap == 3 ? ", not synchronised" : string.Empty)}";
        return new ProbeAnswer(id, summary);
    }
}
