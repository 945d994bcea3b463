namespace PSUdp.Engine.Probes;

/// <summary>nmap -sU's rules: what an answer, an ICMP error or silence makes of a port.</summary>
internal static class Verdicts
{
    /// <summary>Closed for port unreachable (whoever sent it, as nmap does); Filtered for every other ICMP error.</summary>
    internal static UdpVerdict FromIcmp(IcmpReport report) =>
        report.Kind == IcmpKind.PortUnreachable ? UdpVerdict.Closed : UdpVerdict.Filtered;

    /// <summary>The reason as nmap's --reason and -oX name it.</summary>
    internal static string Reason(UdpVerdict verdict, IcmpReport? icmp)
    {
        if (verdict == UdpVerdict.Open)
        {
            return "udp-response";
        }

        if (icmp is null)
        {
            return "no-response";
        }

        return (icmp.Origin, icmp.Type, icmp.Code) switch
        {
            (IcmpOrigin.Icmp, 3, 9) => "net-prohibited",
            (IcmpOrigin.Icmp, 3, 10) => "host-prohibited",
            (IcmpOrigin.Icmp, 3, 13) or (IcmpOrigin.Icmp6, 1, 1) => "admin-prohibited",
            _ => icmp.Kind switch
            {
                IcmpKind.PortUnreachable => "port-unreach",
                IcmpKind.HostUnreachable => "host-unreach",
                IcmpKind.NetworkUnreachable => "net-unreach",
                IcmpKind.ProtocolUnreachable => "proto-unreach",
                IcmpKind.AdministrativelyProhibited => "admin-prohibited",
                IcmpKind.FragmentationNeeded => "frag-needed",
                IcmpKind.TimeExceeded => "time-exceeded",
                _ => "icmp-error",
            },
        };
    }

    internal static string Evidence(UdpProbeResult result)
    {
        if (result.Verdict == UdpVerdict.Open)
        {
            return result.Answer ?? $"{result.Reply?.Length ?? 0}-byte reply, not recognised as {result.Probe}";
        }

        if (result.Icmp is { } icmp)
        {
            return icmp.ToString();
        }

        return result.Attempts == 1 ? "no reply to 1 probe" : $"no reply to {result.Attempts} probes";
    }
}
