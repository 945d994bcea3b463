using System;
using System.Globalization;
using System.Net;
using System.Text;

namespace PSUdp.Engine.Probes;

/// <summary>
/// The echo service (RFC 862), port 7, and any echo server (Start-UdpEcho) on another port: a short
/// ASCII line that carries the request's sequence and the session's nonce, "PSUdp echo 00042
/// 1a2b3c4d5e6f7788". An echo sends it back unchanged; the sequence in it matches the reply.
/// </summary>
internal sealed class EchoProbe() : UdpProbe("Echo", 7,
    "Echo (RFC 862): a line with the sequence number and a session nonce; the reply must be the same bytes.")
{
    private const string Prefix = "PSUdp echo ";

    internal override byte[] Build(ProbeKey key, IPEndPoint target) => Encoding.ASCII.GetBytes(Text(key));

    internal override ProbeAnswer? Read(byte[] reply, ProbeKey session)
    {
        string text = Encoding.ASCII.GetString(reply);
        string nonce = session.Nonce.ToString("x16", CultureInfo.InvariantCulture);
        if (text.Length != Prefix.Length + 5 + 1 + 16 || !text.StartsWith(Prefix, StringComparison.Ordinal)
            || !text.EndsWith(" " + nonce, StringComparison.Ordinal)
            || !ushort.TryParse(text.Substring(Prefix.Length, 5), NumberStyles.None, CultureInfo.InvariantCulture, out ushort id))
        {
            return null;
        }

        return new ProbeAnswer(id, "echo of the probe");
    }

    private static string Text(ProbeKey key) =>
        string.Format(CultureInfo.InvariantCulture, "{0}{1:D5} {2:x16}", Prefix, key.Id, key.Nonce);
}
