using System.Net;

namespace PSUdp.Engine.Probes;

/// <summary>
/// A probe that asks one question in the DNS message format (DNS, mDNS, the NetBIOS name service),
/// without recursion, and recognises any response with the query's id, whatever its response code.
/// </summary>
internal abstract class DnsQueryProbe(string name, int port, string description, string question, ushort type, ushort @class)
    : UdpProbe(name, port, description)
{
    internal sealed override byte[] Build(ProbeKey key, IPEndPoint target) => DnsMessage.Query(key.Id, 0x0000, question, type, @class);

    internal sealed override ProbeAnswer? Read(byte[] reply, ProbeKey session) =>
        DnsMessage.ReadResponse(reply) is { } response ? new ProbeAnswer(response.Id, Summarize(reply, response)) : null;

    /// <summary>What the response says, in a line.</summary>
    private protected abstract string Summarize(byte[] reply, DnsMessage.Reply response);
}
