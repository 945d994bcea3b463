using System.Net;
using System.Net.Sockets;

namespace PSUdp.Engine.Load;

/// <summary>What a failed send of the load generator means, as an engine fact.</summary>
internal static class SendFailures
{
    internal static UdpException From(SocketException e, IPEndPoint target, int length)
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
                $"The system refused to send to {endPoint} ({e.SocketErrorCode}).", endPoint, e),
            _ => new UdpException(UdpErrorKind.SocketFailed,
                $"Sending to {endPoint} failed: {e.Message} ({e.SocketErrorCode}).", endPoint, e),
        };
    }
}
