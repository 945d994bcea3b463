using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using PSUdp.Engine.IPLevel;

namespace PSUdp.Engine.Icmp;

/// <summary>
/// Turns an ICMP error that came back for a datagram (the socket call failed with EHOSTUNREACH,
/// ENETUNREACH, EMSGSIZE ...) into the failure it means, with what the error queue
/// (<see cref="IcmpErrorQueue"/>) tells: the ICMP type and code and the address that sent it, such
/// as the router whose TTL ran out, or the path MTU a router reported.
/// </summary>
internal static class IcmpFailures
{
    /// <summary>True for the socket errors that an ICMP error (or the local path MTU) causes, port unreachable aside.</summary>
    internal static bool IsIcmpError(SocketError error) =>
        error is SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.MessageSize
            or SocketError.HostDown or SocketError.NetworkReset;

    /// <summary>
    /// The failure the newest queued ICMP error about <paramref name="target"/> stands for, or null
    /// when the queue holds none (the caller then reports the socket error as it is).
    /// <paramref name="length"/> is the payload that failed, 0 when not known.
    /// </summary>
    internal static UdpException? FromQueue(Socket socket, IPEndPoint target, int length, SocketException? cause = null)
    {
        List<IcmpReport> reports = IcmpErrorQueue.ReadAll(socket);
        IcmpReport? report = null;
        foreach (IcmpReport r in reports)
        {
            if (r.Kind != IcmpKind.Other || report is null)
            {
                report = r; // the newest that means something
            }
        }

        return report is null ? null : From(report, target, length, cause);
    }

    /// <summary>The failure one ICMP report stands for.</summary>
    internal static UdpException From(IcmpReport report, IPEndPoint target, int length, SocketException? cause = null)
    {
        string endPoint = Addresses.Format(target);
        string from = report.Source is { } source ? $" from {source}" : string.Empty;
        switch (report.Kind)
        {
            case IcmpKind.FragmentationNeeded:
                int? mtu = report.Info > 0 ? (int)report.Info : PathMtu.Learned(target);
                return TooLong(target, length, mtu, report.Origin == IcmpOrigin.Local ? null : report.Source, cause, report);
            case IcmpKind.TimeExceeded:
                return new UdpException(UdpErrorKind.TimeExceeded,
                    $"The datagram to {endPoint} ran out of hops on the way: {report.Description}{from}. The time to live was used up before it reached the target.",
                    endPoint, cause, setting: UdpSetting.TimeToLive, icmp: report);
            case IcmpKind.PortUnreachable:
                return new UdpException(UdpErrorKind.PortUnreachable,
                    $"{endPoint} answered ICMP port unreachable{from}: nothing listens on UDP port {target.Port} there.", endPoint, cause, icmp: report);
            case IcmpKind.AdministrativelyProhibited:
                return new UdpException(UdpErrorKind.AdministrativelyProhibited,
                    $"Something on the way to {endPoint} refused the datagram: {report.Description}{from}.", endPoint, cause, icmp: report);
            default:
                return new UdpException(UdpErrorKind.NetworkUnreachable,
                    $"{endPoint} cannot be reached: {report.Description}{from}.", endPoint, cause, icmp: report);
        }
    }

    /// <summary>True when <paramref name="report"/> is about a datagram to another endpoint than <paramref name="target"/> (an earlier one of a pipeline).</summary>
    internal static bool IsAboutAnother(IcmpReport report, IPEndPoint target) =>
        report.OriginalDestination is { } destination
        && (destination.Port != target.Port || !destination.Address.Equals(Addresses.Normalize(target.Address)));

    /// <summary>
    /// MessageTooLong: the datagram is larger than the path allows; names the path MTU the system
    /// learned (and who reported it) and the largest payload that fits.
    /// </summary>
    internal static UdpException TooLong(IPEndPoint target, int length, int? mtu, IPAddress? reportedBy, SocketException? cause = null, IcmpReport? report = null)
    {
        string endPoint = Addresses.Format(target);
        string what = length > 0 ? $"A {length:N0}-byte datagram" : "A datagram";
        string by = reportedBy is null ? string.Empty : $", reported by {reportedBy}";
        string path = mtu is int m
            ? $" the path MTU is {m:N0} bytes{by}, so the largest payload that fits is {PathMtu.LargestPayload(m, target.AddressFamily):N0} bytes"
            : " the system does not tell the path MTU";
        return new UdpException(UdpErrorKind.MessageTooLong,
            $"{what} to {endPoint} is too large for the path and may not be fragmented:{path}.",
            endPoint, cause, setting: UdpSetting.DontFragment, icmp: report);
    }
}
