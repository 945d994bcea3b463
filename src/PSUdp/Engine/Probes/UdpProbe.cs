using System.Net;

namespace PSUdp.Engine.Probes;

/// <summary>
/// One safe request for a well-known UDP service, written from the protocol's specification: it
/// asks for status and changes nothing. It builds the request's bytes around a
/// <see cref="ProbeKey"/> (a transaction id the reply repeats, where the protocol has one) and
/// recognises the protocol's answer, so a result says "a DNS answer", not only "some bytes".
/// </summary>
internal abstract class UdpProbe
{
    /// <summary>The name users give to choose the probe (tab completion lists these).</summary>
    internal abstract string Name { get; }

    /// <summary>The port the probe is sent to unless another is given.</summary>
    internal abstract int Port { get; }

    /// <summary>What is sent, in one line, with the specification it follows.</summary>
    internal abstract string Description { get; }

    /// <summary>
    /// True when the reply repeats the key's id, so replies are matched to their requests (a late
    /// reply is not counted for a later request; duplicates are recognised).
    /// </summary>
    internal virtual bool MatchesReplies => true;

    /// <summary>True when the service answers from a port other than the one asked (TFTP's new transfer id).</summary>
    internal virtual bool AnswersFromAnotherPort => false;

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
/// random nonce for the session, which protocols with room for more (STUN, NTP, SNMP, echo) carry
/// too, so a stray reply from another program's request does not count.
/// </summary>
internal readonly struct ProbeKey
{
    internal ProbeKey(ushort id, ulong nonce)
    {
        Id = id;
        Nonce = nonce;
    }

    /// <summary>The request's id within its session.</summary>
    internal ushort Id { get; }

    /// <summary>The session's random number.</summary>
    internal ulong Nonce { get; }

    /// <summary>The same session's key for another request.</summary>
    internal ProbeKey WithId(ushort id) => new(id, Nonce);
}

/// <summary>A reply recognised as the protocol's answer.</summary>
internal sealed class ProbeAnswer
{
    internal ProbeAnswer(ushort? id, string summary)
    {
        Id = id;
        Summary = summary;
    }

    /// <summary>The id of the request it answers, or null for a protocol without one.</summary>
    internal ushort? Id { get; }

    /// <summary>What the answer says, in a line: "DNS answer NOERROR: version.bind TXT \"dnsmasq-2.90\"".</summary>
    internal string Summary { get; }
}
