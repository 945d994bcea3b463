namespace PSUdp.Engine.Probes;

/// <summary>
/// DNS (RFC 1035), port 53: asks for the CHAOS-class TXT record "version.bind", the server-status
/// query BIND, dnsmasq, Unbound and others answer (or refuse); it changes nothing and asks for no
/// recursion. Any DNS response with the query's id is recognised, whatever its response code.
/// </summary>
internal sealed class DnsProbe() : DnsQueryProbe("Dns", 53,
    "DNS query for the CHAOS TXT record version.bind (RFC 1035), no recursion.",
    "version.bind", Txt, Chaos)
{
    private const ushort Txt = 16;
    private const ushort Chaos = 3;

    private protected override string Summarize(byte[] reply, DnsMessage.Reply response)
    {
        string summary = $"DNS answer {DnsMessage.ResponseCodeName(response.ResponseCode)}";
        foreach (DnsMessage.Record record in response.Answers)
        {
            if (record.Type == Txt)
            {
                return summary + $": {record.Name} \"{DnsMessage.FirstText(reply, record)}\"";
            }
        }

        return summary;
    }
}
