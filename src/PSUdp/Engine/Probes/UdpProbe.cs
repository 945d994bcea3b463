using System.Net;

namespace PSUdp.Engine.Probes;

/// <summary>
/// One safe request for a well-known UDP service, written from the protocol's specification: it
/// asks for status and changes nothing. It builds the request's bytes around a
/// <see cref="ProbeKey"/> (a transaction id the reply repeats, where the protocol has one) and
/// recognises the protocol's answer, so a result says "a DNS answer", not only "some bytes".
/// A probe names its facts once, to this constructor; it writes only its request and its reading.
/// </summary>
internal abstract class UdpProbe(string name, int port, string description, bool matchesReplies = true, bool answersFromAnotherPort = false)
{
    /// <summary>The name users give to choose the probe (tab completion lists these).</summary>
    internal string Name { get; } = name;

    /// <summary>The port the probe is sent to unless another is given.</summary>
    internal int Port { get; } = port;

    /// <summary>What is sent, in one line, with the specification it follows.</summary>
    internal string Description { get; } = description;

    /// <summary>
    /// True when the reply repeats the key's id, so replies are matched to their requests (a late
    /// reply is not counted for a later request; duplicates are recognised).
    /// </summary>
    internal bool MatchesReplies { get; } = matchesReplies;

    /// <summary>True when the service answers from a port other than the one asked (TFTP's new transfer id).</summary>
    internal bool AnswersFromAnotherPort { get; } = answersFromAnotherPort;

    /// <summary>The request's bytes for <paramref name="target"/>, carrying <paramref name="key"/>.</summary>
    internal abstract byte[] Build(ProbeKey key, IPEndPoint target);

    /// <summary>
    /// The protocol's answer to one of this session's requests (its id, where the protocol has
    /// one, and what it says), or null when <paramref name="reply"/> is not such an answer.
    /// </summary>
    internal abstract ProbeAnswer? Read(byte[] reply, ProbeKey session);
}

/// <summary>
/// What ties a request to its reply: a 16-bit id that counts the requests of a session, and a
/// random nonce for the session, which protocols with room for more (STUN, NTP, SNMP, CoAP, echo)
/// carry too, so a stray reply from another program's request does not count.
/// </summary>
internal readonly struct ProbeKey(ushort id, ulong nonce)
{
    /// <summary>The request's id within its session.</summary>
    internal ushort Id { get; } = id;

    /// <summary>The session's random number.</summary>
    internal ulong Nonce { get; } = nonce;

    /// <summary>The same session's key for another request.</summary>
    internal ProbeKey WithId(ushort id) => new(id, Nonce);

    /// <summary>
    /// The key as <paramref name="length"/> bytes (2 to 12) for a protocol's opaque id field: the id,
    /// high byte first, then the nonce, low byte first, as far as it fits, then zeros.
    /// </summary>
    internal byte[] ToBytes(int length)
    {
        byte[] bytes = new byte[length];
        bytes[0] = (byte)(Id >> 8);
        bytes[1] = (byte)Id;
        for (int i = 2; i < length && i < 10; i++)
        {
            bytes[i] = (byte)(Nonce >> (8 * (i - 2)));
        }

        return bytes;
    }

    /// <summary>
    /// The id in the <paramref name="length"/> bytes at <paramref name="offset"/> when they are
    /// this session's <see cref="ToBytes"/> (whatever the id), else null.
    /// </summary>
    internal ushort? IdIn(byte[] bytes, int offset, int length)
    {
        byte[] expected = ToBytes(length);
        for (int i = 2; i < length; i++)
        {
            if (bytes[offset + i] != expected[i])
            {
                return null;
            }
        }

        return ByteOrder.Net16(bytes, offset);
    }

    /// <summary>The key as a positive 31-bit number, for a protocol's integer id (SNMP): 15 bits of the nonce above the id.</summary>
    internal long ToInt31() => ((long)(Nonce & 0x7FFF) << 16) | Id;

    /// <summary>The id in <paramref name="value"/> when it is this session's <see cref="ToInt31"/> (whatever the id), else null.</summary>
    internal ushort? IdIn(long value) => (value >> 16) == (long)(Nonce & 0x7FFF) ? (ushort)value : null;
}

/// <summary>A reply recognised as the protocol's answer.</summary>
internal sealed class ProbeAnswer(ushort? id, string summary)
{
    /// <summary>The id of the request it answers, or null for a protocol without one.</summary>
    internal ushort? Id { get; } = id;

    /// <summary>What the answer says, in a line: "DNS answer NOERROR: version.bind TXT \"dnsmasq-2.90\"".</summary>
    internal string Summary { get; } = summary;
}
