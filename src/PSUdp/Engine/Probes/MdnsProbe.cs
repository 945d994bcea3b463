using System.Net;

namespace PSUdp.Engine.Probes;

/// <summary>
/// Multicast DNS and DNS-SD (RFC 6762, RFC 6763), port 5353, sent to one host: a PTR query for
/// "_services._dns-sd._udp.local" (which service types the host offers) with the unicast-response
/// bit. A query from a port other than 5353 is a "legacy unicast" one (RFC 6762 §6.7): the
/// responder answers to the sender with the query's id.
/// </summary>
internal sealed class MdnsProbe : UdpProbe
{
    private const ushort Ptr = 12;
    private const ushort UnicastResponseIn = 0x8001; // QU bit + class IN

    internal override string Name => "Mdns";

    internal override int Port => 5353;

    internal override string Description => "mDNS/DNS-SD PTR query for _services._dns-sd._udp.local, unicast response (RFC 6762, RFC 6763).";

    internal override byte[] Build(ProbeKey key, IPEndPoint target) =>
        DnsMessage.Query(key.Id, 0x0000, "_services._dns-sd._udp.local", Ptr, UnicastResponseIn);

    internal override ProbeAnswer? Read(byte[] reply, ProbeKey session)
    {
        if (DnsMessage.ReadResponse(reply) is not { } response)
        {
            return null;
        }

        var services = new System.Collections.Generic.List<string>();
        foreach (DnsMessage.Record record in response.Answers)
        {
            if (record.Type == Ptr)
            {
                int at = record.DataOffset;
                if (DnsMessage.ReadName(reply, ref at) is { } service)
                {
                    services.Add(service);
                }
            }
        }

        string summary = services.Count == 0
            ? $"mDNS answer {DnsMessage.ResponseCodeName(response.ResponseCode)}, {response.Answers.Count} records"
            : $"mDNS answer: {string.Join(", ", services)}";
        return new ProbeAnswer(response.Id, summary);
    }
}
