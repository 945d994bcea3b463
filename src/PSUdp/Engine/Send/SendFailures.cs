using System.Net;
using System.Net.Sockets;

namespace PSUdp.Engine.Send;

/// <summary>What a failed or refused send means, as an engine fact: the one place for every sender.</summary>
internal static class SendFailures
{
    /// <summary>The failure for a send the system would not make; <paramref name="broadcastAllowed"/> says whether the socket may broadcast.</summary>
    internal static UdpException From(SocketException e, IPEndPoint target, int length, bool broadcastAllowed = false)
    {
        string endPoint = Addresses.Format(target);
        return e.SocketErrorCode switch
        {
            SocketError.NetworkUnreachable or SocketError.HostUnreachable => new UdpException(UdpErrorKind.NetworkUnreachable,
                $"{endPoint} cannot be reached from this host ({e.SocketErrorCode}).", endPoint, e),
            SocketError.InvalidArgument or SocketError.AddressNotAvailable => new UdpException(UdpErrorKind.InvalidTarget,
                $"The system cannot send to {endPoint}: that address cannot be a destination.", endPoint, e),
            SocketError.MessageSize => new UdpException(UdpErrorKind.PayloadTooLarge,
                $"The system refused a {length:N0}-byte datagram to {endPoint} as too large.", endPoint, e),
            SocketError.AccessDenied => new UdpException(UdpErrorKind.AccessDenied,
                $"The system refused to send to {endPoint} ({e.SocketErrorCode}).", endPoint, e,
                broadcastAllowed ? UdpSetting.None : UdpSetting.Broadcast),
            _ => new UdpException(UdpErrorKind.SocketFailed,
                $"Sending to {endPoint} failed: {e.Message} ({e.SocketErrorCode}).", endPoint, e),
        };
    }

    /// <summary>The failure for an earlier datagram that <paramref name="refused"/> answered with ICMP port unreachable.</summary>
    internal static UdpException EarlierRefusal(IPEndPoint refused) =>
        new(UdpErrorKind.PortUnreachable,
            $"{Addresses.Format(refused)} answered an earlier datagram with ICMP port unreachable: nothing listens on UDP port {refused.Port} there. Later datagrams are still sent.",
            Addresses.Format(refused));

    /// <summary>The failure for a repeated send whose target answered some of it with ICMP port unreachable.</summary>
    internal static UdpException RefusedDuringRun(UdpSendSummary summary, IPEndPoint target) =>
        new(UdpErrorKind.PortUnreachable,
            $"{Addresses.Format(target)} answered {summary.Refused:N0} of the datagrams with ICMP port unreachable: nothing listened on UDP port {target.Port} there for at least part of the run. The run went on.",
            Addresses.Format(target));
}
