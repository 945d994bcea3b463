namespace PSUdp.Engine;

/// <summary>The meaning of ICMP and ICMPv6 error types and codes (RFC 792, RFC 1812, RFC 4443), in names and words.</summary>
internal static class IcmpKinds
{
    /// <summary>ICMP destination unreachable.</summary>
    internal const int DestinationUnreachable = 3;

    /// <summary>ICMP time exceeded.</summary>
    internal const int TimeExceeded = 11;

    /// <summary>ICMPv6 destination unreachable.</summary>
    internal const int DestinationUnreachable6 = 1;

    /// <summary>ICMPv6 packet too big.</summary>
    internal const int PacketTooBig6 = 2;

    /// <summary>ICMPv6 time exceeded.</summary>
    internal const int TimeExceeded6 = 3;

    internal static IcmpKind Classify(IcmpOrigin origin, int? type, int? code)
    {
        if (type is not { } t || code is not { } c)
        {
            return IcmpKind.Other;
        }

        return origin switch
        {
            IcmpOrigin.Icmp => t switch
            {
                DestinationUnreachable => c switch
                {
                    0 or 6 or 11 => IcmpKind.NetworkUnreachable,
                    1 or 7 or 8 or 12 => IcmpKind.HostUnreachable,
                    2 => IcmpKind.ProtocolUnreachable,
                    3 => IcmpKind.PortUnreachable,
                    4 => IcmpKind.FragmentationNeeded,
                    9 or 10 or 13 or 14 or 15 => IcmpKind.AdministrativelyProhibited,
                    _ => IcmpKind.OtherUnreachable,
                },
                TimeExceeded => IcmpKind.TimeExceeded,
                _ => IcmpKind.Other,
            },
            IcmpOrigin.Icmp6 => t switch
            {
                DestinationUnreachable6 => c switch
                {
                    0 or 2 => IcmpKind.NetworkUnreachable,
                    1 or 5 or 6 => IcmpKind.AdministrativelyProhibited,
                    3 => IcmpKind.HostUnreachable,
                    4 => IcmpKind.PortUnreachable,
                    _ => IcmpKind.OtherUnreachable,
                },
                PacketTooBig6 => IcmpKind.FragmentationNeeded,
                TimeExceeded6 => IcmpKind.TimeExceeded,
                _ => IcmpKind.Other,
            },
            _ => IcmpKind.Other,
        };
    }

    /// <summary>True for the kinds nmap calls "filtered": destination unreachable other than port unreachable.</summary>
    internal static bool IsFiltering(IcmpKind kind) => kind is IcmpKind.HostUnreachable or IcmpKind.NetworkUnreachable
        or IcmpKind.ProtocolUnreachable or IcmpKind.AdministrativelyProhibited or IcmpKind.OtherUnreachable;

    internal static string Describe(IcmpReport report)
    {
        if (report.Origin == IcmpOrigin.Local)
        {
            return report.Info > 0
                ? $"This host refused the datagram: larger than the path MTU of {report.Info} bytes"
                : "This host refused the datagram";
        }

        if (!report.IsDetailed)
        {
            return $"{Words(report.Kind)} (this system does not tell the ICMP type, code or sender)";
        }

        string family = report.Origin == IcmpOrigin.Icmp6 ? "ICMPv6" : "ICMP";
        string mtu = report.Kind == IcmpKind.FragmentationNeeded && report.Info > 0 ? $", next-hop MTU {report.Info}" : string.Empty;
        return $"{family} {TypeWords(report)}: {CodeWords(report)} (type {report.Type}, code {report.Code}{mtu})";
    }

    private static string Words(IcmpKind kind) => kind switch
    {
        IcmpKind.PortUnreachable => "port unreachable",
        IcmpKind.HostUnreachable => "host unreachable",
        IcmpKind.NetworkUnreachable => "network unreachable",
        IcmpKind.ProtocolUnreachable => "protocol unreachable",
        IcmpKind.AdministrativelyProhibited => "administratively prohibited",
        IcmpKind.FragmentationNeeded => "fragmentation needed",
        IcmpKind.OtherUnreachable => "destination unreachable",
        IcmpKind.TimeExceeded => "time exceeded",
        _ => "an ICMP error",
    };

    private static string TypeWords(IcmpReport report) => (report.Origin, report.Type) switch
    {
        (IcmpOrigin.Icmp, DestinationUnreachable) or (IcmpOrigin.Icmp6, DestinationUnreachable6) => "destination unreachable",
        (IcmpOrigin.Icmp, TimeExceeded) or (IcmpOrigin.Icmp6, TimeExceeded6) => "time exceeded",
        (IcmpOrigin.Icmp6, PacketTooBig6) => "packet too big",
        (IcmpOrigin.Icmp, 12) or (IcmpOrigin.Icmp6, 4) => "parameter problem",
        _ => "error",
    };

    private static string CodeWords(IcmpReport report) => (report.Origin, report.Type, report.Code) switch
    {
        (IcmpOrigin.Icmp, DestinationUnreachable, 0) => "network unreachable",
        (IcmpOrigin.Icmp, DestinationUnreachable, 1) => "host unreachable",
        (IcmpOrigin.Icmp, DestinationUnreachable, 2) => "protocol unreachable",
        (IcmpOrigin.Icmp, DestinationUnreachable, 3) => "port unreachable",
        (IcmpOrigin.Icmp, DestinationUnreachable, 4) => "fragmentation needed and DF set",
        (IcmpOrigin.Icmp, DestinationUnreachable, 5) => "source route failed",
        (IcmpOrigin.Icmp, DestinationUnreachable, 6) => "destination network unknown",
        (IcmpOrigin.Icmp, DestinationUnreachable, 7) => "destination host unknown",
        (IcmpOrigin.Icmp, DestinationUnreachable, 8) => "source host isolated",
        (IcmpOrigin.Icmp, DestinationUnreachable, 9) => "network administratively prohibited",
        (IcmpOrigin.Icmp, DestinationUnreachable, 10) => "host administratively prohibited",
        (IcmpOrigin.Icmp, DestinationUnreachable, 11) => "network unreachable for the type of service",
        (IcmpOrigin.Icmp, DestinationUnreachable, 12) => "host unreachable for the type of service",
        (IcmpOrigin.Icmp, DestinationUnreachable, 13) => "communication administratively prohibited",
        (IcmpOrigin.Icmp, DestinationUnreachable, 14) => "host precedence violation",
        (IcmpOrigin.Icmp, DestinationUnreachable, 15) => "precedence cutoff in effect",
        (IcmpOrigin.Icmp, TimeExceeded, 0) or (IcmpOrigin.Icmp6, TimeExceeded6, 0) => "time to live exceeded in transit",
        (IcmpOrigin.Icmp, TimeExceeded, 1) or (IcmpOrigin.Icmp6, TimeExceeded6, 1) => "fragment reassembly time exceeded",
        (IcmpOrigin.Icmp6, DestinationUnreachable6, 0) => "no route to destination",
        (IcmpOrigin.Icmp6, DestinationUnreachable6, 1) => "communication administratively prohibited",
        (IcmpOrigin.Icmp6, DestinationUnreachable6, 2) => "beyond the scope of the source address",
        (IcmpOrigin.Icmp6, DestinationUnreachable6, 3) => "address unreachable",
        (IcmpOrigin.Icmp6, DestinationUnreachable6, 4) => "port unreachable",
        (IcmpOrigin.Icmp6, DestinationUnreachable6, 5) => "source address failed ingress/egress policy",
        (IcmpOrigin.Icmp6, DestinationUnreachable6, 6) => "reject route to destination",
        (IcmpOrigin.Icmp6, PacketTooBig6, _) => "larger than the next link's MTU",
        _ => Words(report.Kind),
    };
}
