using System;
using System.Net;
using System.Text;
using PSUdp.Engine;

namespace PSUdp.Commands;

/// <summary>The listener settings that Receive-UdpDatagram and Start-UdpEcho share.</summary>
internal static class ListenerDefaults
{
    /// <summary>4 MiB holds about two seconds of a 64-byte flood at loopback speed.</summary>
    internal const int ReceiveBufferSize = 4 * 1024 * 1024;

    /// <summary>Engine options from the cmdlets' parameters; 0 means no limit.</summary>
    internal static ListenerOptions Options(
        IPAddress? localAddress, int port, bool reuseAddress, int receiveBufferSize, Encoding encoding, int count, double timeoutSeconds) =>
        new()
        {
            Socket = new SocketOptions
            {
                LocalAddress = localAddress,
                LocalPort = port,
                ReuseAddress = reuseAddress,
                ReceiveBufferSize = receiveBufferSize,
            },
            Encoding = encoding,
            Count = count,
            Duration = timeoutSeconds > 0 ? TimeSpan.FromSeconds(timeoutSeconds) : null,
        };
}
