using System;
using System.Net;

namespace PSUdp.Engine;

/// <summary>What an ICMP error for a datagram means to a caller that waited for its reply, as a <see cref="UdpException"/> with the report attached.</summary>
internal static class IcmpFailures
{
    /// <summary>
    /// PortUnreachable for port unreachable; IcmpUnreachable for another destination unreachable;
    /// TimeExceeded; MessageTooLong for fragmentation needed (packet too big); IcmpError for the rest.
    /// The message names the ICMP type and code and the address that sent it, or says that the
    /// system does not tell them.
    /// </summary>
    internal static UdpException ForReply(IcmpReport report, IPEndPoint target, Exception? inner = null)
    {
        string endPoint = Addresses.Format(target);
        string sender = report.Source is { } source ? source.ToString() : "a host on the way (this system does not tell which)";
        bool fromTarget = report.Source is { } s && s.Equals(Addresses.Normalize(target.Address));
        string detail = report.IsDetailed ? $" ({report.Description})" : " (this system does not tell the ICMP type, code or sender)";
        return report.Kind switch
        {
            IcmpKind.PortUnreachable => new UdpException(UdpErrorKind.PortUnreachable,
                fromTarget || !report.IsDetailed
                    ? $"{endPoint} answered ICMP port unreachable{(report.IsDetailed ? string.Empty : detail)}: nothing listens on UDP port {target.Port} there."
                    : $"{sender} answered ICMP port unreachable for {endPoint}: nothing listens on UDP port {target.Port} there, or {sender} says so for it.",
                endPoint, inner, icmp: report),
            IcmpKind.TimeExceeded => new UdpException(UdpErrorKind.TimeExceeded,
                $"The datagram to {endPoint} ran out of hops on the way: {sender} sent ICMP time exceeded{detail}.",
                endPoint, inner, icmp: report),
            IcmpKind.FragmentationNeeded => new UdpException(UdpErrorKind.MessageTooLong,
                $"The datagram to {endPoint} is larger than the path carries{(report.Info > 0 ? $" (MTU {report.Info} bytes)" : string.Empty)}: {sender} sent{detail}.",
                endPoint, inner, icmp: report),
            IcmpKind.Other => new UdpException(UdpErrorKind.IcmpError,
                $"{sender} answered the datagram to {endPoint} with an ICMP error{detail}.",
                endPoint, inner, icmp: report),
            _ => new UdpException(UdpErrorKind.IcmpUnreachable,
                fromTarget
                    ? $"{endPoint} refused the datagram{detail}."
                    : $"{sender} refused the datagram to {endPoint} on the way{detail}.",
                endPoint, inner, icmp: report),
        };
    }

    /// <summary>True when <paramref name="report"/> is about a datagram to another endpoint than <paramref name="target"/> (an earlier one of a pipeline).</summary>
    internal static bool IsAboutAnother(IcmpReport report, IPEndPoint target) =>
        report.OriginalDestination is { } destination
        && (destination.Port != target.Port || !destination.Address.Equals(Addresses.Normalize(target.Address)));
}
