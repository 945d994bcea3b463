using System.Net;

namespace PSUdp.Engine.Probes;

/// <summary>
/// DNS (RFC 1035), port 53: asks for the CHAOS-class TXT record "version.bind", the server-status
/// query BIND, dnsmasq, Unbound and others answer (or refuse); it changes nothing and asks for no
/// recursion. Any DNS response with the query's id is recognised, whatever its response code.
/// </summary>
internal sealed class DnsProbe : UdpProbe
{
    private const ushort Txt = 16;
    private const ushort Chaos = 3;

    internal override string Name => "Dns";

    internal override int Port => 53;

    internal override string Description => "DNS query for the CHAOS TXT record version.bind (RFC 1035), no recursion.";

    internal override byte[] Build(ProbeKey key, IPEndPoint target) => DnsMessage.Query(key.Id, 0x0000, "version.bind", Txt, Chaos);

    internal override ProbeAnswer? Read(byte[] reply, ProbeKey session)
    {
        if (DnsMessage.ReadResponse(reply) is not { } response)
        {
            return null;
        }

        string summary = $"DNS answer {DnsMessage.ResponseCodeName(response.ResponseCode)}";
        foreach (DnsMessage.Record record in response.Answers)
        {
            if (record.Type == Txt)
            {
                summary += $": {record.Name} \"{DnsMessage.FirstText(reply, record)}\"";
                break;
            }
        }

        return new ProbeAnswer(response.Id, summary);
    }
}
