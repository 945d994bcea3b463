using System.Collections.Generic;

namespace PSUdp.Engine.Probes;

/// <summary>
/// Multicast DNS and DNS-SD (RFC 6762, RFC 6763), port 5353, sent to one host: a PTR query for
/// "_services._dns-sd._udp.local" (which service types the host offers) with the unicast-response
/// bit. A query from a port other than 5353 is a "legacy unicast" one (RFC 6762 §6.7): the
/// responder answers to the sender with the query's id.
/// </summary>
internal sealed class MdnsProbe() : DnsQueryProbe("Mdns", 5353,
    "mDNS/DNS-SD PTR query for _services._dns-sd._udp.local, unicast response (RFC 6762, RFC 6763).",
    "_services._dns-sd._udp.local", Ptr, UnicastResponseIn)
{
    private const ushort Ptr = 12;
    private const ushort UnicastResponseIn = 0x8001; // QU bit + class IN

    private protected override string Summarize(byte[] reply, DnsMessage.Reply response)
    {
        var services = new List<string>();
        foreach (DnsMessage.Record record in response.Answers)
        {
            int at = record.DataOffset;
            if (record.Type == Ptr && DnsMessage.ReadName(reply, ref at) is { } service)
            {
                services.Add(service);
            }
        }

        return services.Count == 0
            ? $"mDNS answer {DnsMessage.ResponseCodeName(response.ResponseCode)}, {response.Answers.Count} records"
            : $"mDNS answer: {string.Join(", ", services)}";
    }
}
