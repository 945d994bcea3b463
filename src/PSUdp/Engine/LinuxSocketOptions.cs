using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace PSUdp.Engine;

/// <summary>
/// Linux socket options that .NET's SocketOptionName cannot name (its numbers are translated to
/// other options), set through setsockopt directly. Every call is a no-op elsewhere.
/// </summary>
internal static class LinuxSocketOptions
{
    private const int SolSocket = 1;
    private const int SolIP = 0;
    private const int SolIPv6 = 41;
    private const int SoRcvBufForce = 33;
    private const int IPRecvErr = 11;
    private const int IPv6RecvErr = 25;
    private const int SoBindToDevice = 25;

    private static bool IsLinux => RuntimeInformation.IsOSPlatform(OSPlatform.Linux);

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

        Set(socket, SolIP, IPRecvErr, 1);
        if (socket.AddressFamily == AddressFamily.InterNetworkV6)
        {
            Set(socket, SolIPv6, IPv6RecvErr, 1);
        }
    }

    /// <summary>SO_RCVBUFFORCE: a receive buffer above net.core.rmem_max, for privileged callers.</summary>
    internal static bool ForceReceiveBuffer(Socket socket, int bytes) => Platform.LinuxPaths && Set(socket, SolSocket, SoRcvBufForce, bytes);

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
        return setsockopt(socket.Handle.ToInt32(), SolSocket, SoBindToDevice, name, (uint)name.Length) == 0;
    }

    private static bool Set(Socket socket, int level, int name, int value) =>
        setsockopt(socket.Handle.ToInt32(), level, name, ref value, sizeof(int)) == 0;

    [DllImport("libc", SetLastError = true)]
    private static extern int setsockopt(int socket, int level, int name, ref int value, uint length);

    [DllImport("libc", SetLastError = true)]
    private static extern int setsockopt(int socket, int level, int name, byte[] value, uint length);
}
