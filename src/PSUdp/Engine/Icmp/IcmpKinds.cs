namespace PSUdp.Engine.Icmp;

/// <summary>The meaning of ICMP and ICMPv6 error types and codes (RFC 792, RFC 1812, RFC 4443), in names and words.</summary>
internal static class IcmpKinds
{
    /// <summary>The ICMP error messages PSUdp tells apart, whichever family's type number carries them.</summary>
    private enum IcmpMessage
    {
        Other,
        DestinationUnreachable,
        PacketTooBig,
        TimeExceeded,
        ParameterProblem,
    }

    internal static IcmpKind Classify(IcmpOrigin origin, int? type, int? code)
    {
        if (code is not { } c)
        {
            return IcmpKind.Other;
        }

        return (Message(origin, type), origin) switch
        {
            (IcmpMessage.DestinationUnreachable, IcmpOrigin.Icmp) => c switch
            {
                0 or 6 or 11 => IcmpKind.NetworkUnreachable,
                1 or 7 or 8 or 12 => IcmpKind.HostUnreachable,
                2 => IcmpKind.ProtocolUnreachable,
                3 => IcmpKind.PortUnreachable,
                4 => IcmpKind.FragmentationNeeded,
                9 or 10 or 13 or 14 or 15 => IcmpKind.AdministrativelyProhibited,
                _ => IcmpKind.OtherUnreachable,
            },
            (IcmpMessage.DestinationUnreachable, IcmpOrigin.Icmp6) => c switch
            {
                0 or 2 => IcmpKind.NetworkUnreachable,
                1 or 5 or 6 => IcmpKind.AdministrativelyProhibited,
                3 => IcmpKind.HostUnreachable,
                4 => IcmpKind.PortUnreachable,
                _ => IcmpKind.OtherUnreachable,
            },
            (IcmpMessage.PacketTooBig, _) => IcmpKind.FragmentationNeeded,
            (IcmpMessage.TimeExceeded, _) => IcmpKind.TimeExceeded,
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
        IcmpMessage message = Message(report.Origin, report.Type);
        return $"{family} {TypeWords(message)}: {CodeWords(report.Origin, message, report.Code) ?? Words(report.Kind)} (type {report.Type}, code {report.Code}{mtu})";
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

    // RFC 792 and RFC 4443 number the same messages differently.
    private static IcmpMessage Message(IcmpOrigin origin, int? type) => (origin, type) switch
    {
        (IcmpOrigin.Icmp, 3) or (IcmpOrigin.Icmp6, 1) => IcmpMessage.DestinationUnreachable,
        (IcmpOrigin.Icmp6, 2) => IcmpMessage.PacketTooBig,
        (IcmpOrigin.Icmp, 11) or (IcmpOrigin.Icmp6, 3) => IcmpMessage.TimeExceeded,
        (IcmpOrigin.Icmp, 12) or (IcmpOrigin.Icmp6, 4) => IcmpMessage.ParameterProblem,
        _ => IcmpMessage.Other,
    };

    private static string TypeWords(IcmpMessage message) => message switch
    {
        IcmpMessage.DestinationUnreachable => "destination unreachable",
        IcmpMessage.TimeExceeded => "time exceeded",
        IcmpMessage.PacketTooBig => "packet too big",
        IcmpMessage.ParameterProblem => "parameter problem",
        _ => "error",
    };

    private static string? CodeWords(IcmpOrigin origin, IcmpMessage message, int? code) => (origin, message, code) switch
    {
        (IcmpOrigin.Icmp, IcmpMessage.DestinationUnreachable, 0) => "network unreachable",
        (IcmpOrigin.Icmp, IcmpMessage.DestinationUnreachable, 1) => "host unreachable",
        (IcmpOrigin.Icmp, IcmpMessage.DestinationUnreachable, 2) => "protocol unreachable",
        (IcmpOrigin.Icmp, IcmpMessage.DestinationUnreachable, 3) => "port unreachable",
        (IcmpOrigin.Icmp, IcmpMessage.DestinationUnreachable, 4) => "fragmentation needed and DF set",
        (IcmpOrigin.Icmp, IcmpMessage.DestinationUnreachable, 5) => "source route failed",
        (IcmpOrigin.Icmp, IcmpMessage.DestinationUnreachable, 6) => "destination network unknown",
        (IcmpOrigin.Icmp, IcmpMessage.DestinationUnreachable, 7) => "destination host unknown",
        (IcmpOrigin.Icmp, IcmpMessage.DestinationUnreachable, 8) => "source host isolated",
        (IcmpOrigin.Icmp, IcmpMessage.DestinationUnreachable, 9) => "network administratively prohibited",
        (IcmpOrigin.Icmp, IcmpMessage.DestinationUnreachable, 10) => "host administratively prohibited",
        (IcmpOrigin.Icmp, IcmpMessage.DestinationUnreachable, 11) => "network unreachable for the type of service",
        (IcmpOrigin.Icmp, IcmpMessage.DestinationUnreachable, 12) => "host unreachable for the type of service",
        (IcmpOrigin.Icmp, IcmpMessage.DestinationUnreachable, 13) => "communication administratively prohibited",
        (IcmpOrigin.Icmp, IcmpMessage.DestinationUnreachable, 14) => "host precedence violation",
        (IcmpOrigin.Icmp, IcmpMessage.DestinationUnreachable, 15) => "precedence cutoff in effect",
        (IcmpOrigin.Icmp6, IcmpMessage.DestinationUnreachable, 0) => "no route to destination",
        (IcmpOrigin.Icmp6, IcmpMessage.DestinationUnreachable, 1) => "communication administratively prohibited",
        (IcmpOrigin.Icmp6, IcmpMessage.DestinationUnreachable, 2) => "beyond the scope of the source address",
        (IcmpOrigin.Icmp6, IcmpMessage.DestinationUnreachable, 3) => "address unreachable",
        (IcmpOrigin.Icmp6, IcmpMessage.DestinationUnreachable, 4) => "port unreachable",
        (IcmpOrigin.Icmp6, IcmpMessage.DestinationUnreachable, 5) => "source address failed ingress/egress policy",
        (IcmpOrigin.Icmp6, IcmpMessage.DestinationUnreachable, 6) => "reject route to destination",
        (_, IcmpMessage.TimeExceeded, 0) => "time to live exceeded in transit",
        (_, IcmpMessage.TimeExceeded, 1) => "fragment reassembly time exceeded",
        (_, IcmpMessage.PacketTooBig, _) => "larger than the next link's MTU",
        _ => null,
    };
}
