using System;
using System.Net;
using System.Text;

namespace PSUdp.Engine.Probes;

/// <summary>
/// SSDP (UPnP Device Architecture 2.0 §1.3.2), port 1900: a unicast M-SEARCH for "ssdp:all" to
/// the one host, whose HOST header names that host (not the multicast group) and which has no MX,
/// as the unicast form requires. SSDP has no transaction id, so a reply is recognised by its
/// "HTTP/1.1 200" status line and matched by the host it comes from.
/// </summary>
internal sealed class SsdpProbe() : UdpProbe("Ssdp", 1900,
    "SSDP unicast M-SEARCH for ssdp:all (UPnP Device Architecture 2.0).", matchesReplies: false)
{
    internal override byte[] Build(ProbeKey key, IPEndPoint target) =>
        Encoding.ASCII.GetBytes(
            "M-SEARCH * HTTP/1.1\r\n" +
            $"HOST: {Addresses.Format(target)}\r\n" +
            "MAN: \"ssdp:discover\"\r\n" +
            "ST: ssdp:all\r\n" +
            "USER-AGENT: PSUdp/1 UPnP/2.0 PSUdp/1\r\n\r\n");

    internal override ProbeAnswer? Read(byte[] reply, ProbeKey session)
    {
        string text = Encoding.ASCII.GetString(reply);
        if (!text.StartsWith("HTTP/1.1 200", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        string summary = "SSDP answer";
        foreach (string line in text.Split(new[] { "\r\n" }, StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.StartsWith("SERVER:", StringComparison.OrdinalIgnoreCase) || line.StartsWith("ST:", StringComparison.OrdinalIgnoreCase))
            {
                summary += ", " + line.Trim();
            }
        }

        return new ProbeAnswer(null, summary);
    }
}
