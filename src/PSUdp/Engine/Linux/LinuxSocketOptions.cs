using System.Net.Sockets;
using static PSUdp.Engine.Linux.LinuxNative;
using PSUdp.Engine.Sockets;

namespace PSUdp.Engine.Linux;

/// <summary>
/// Linux socket options that .NET's SocketOptionName cannot name (its numbers are translated to
/// other options), set through setsockopt directly. Every call is a no-op elsewhere.
/// </summary>
internal static class LinuxSocketOptions
{
    private static bool IsLinux => Platform.Current.LinuxSocketOptions;

    /// <summary>
    /// Linux drops ICMP errors (port unreachable) for unconnected UDP sockets unless IP_RECVERR is
    /// on; with it, the next receive or send on the socket fails with ECONNREFUSED, as it does on
    /// other systems without an option, so it stays on when the portable paths are forced.
    /// </summary>
    internal static void ReportIcmpErrors(Socket socket)
    {
        if (!IsLinux)
        {
            return;
        }

        SetInt(socket, SolIP, IPRecvErr, 1);
        if (socket.AddressFamily == AddressFamily.InterNetworkV6)
        {
            SetInt(socket, SolIPv6, IPv6RecvErr, 1);
        }
    }

    /// <summary>SO_RCVBUFFORCE: a receive buffer above net.core.rmem_max, for privileged callers.</summary>
    internal static bool ForceReceiveBuffer(Socket socket, int bytes) => Platform.Current.ForcedReceiveBuffer && SetInt(socket, SolSocket, SoRcvBufForce, bytes);

    /// <summary>
    /// SO_BINDTODEVICE: what the socket sends leaves through this interface, whatever the routes
    /// say; needed for 255.255.255.255, which routes alone would send out of one interface only.
    /// </summary>
    internal static bool BindToDevice(Socket socket, string interfaceName)
    {
        if (!IsLinux)
        {
            return false;
        }

        byte[] name = System.Text.Encoding.ASCII.GetBytes(interfaceName + "\0");
        return SetBytes(socket, SolSocket, SoBindToDevice, name);
    }
}
