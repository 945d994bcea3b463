using System.Net;
using System.Net.Sockets;
using PSUdp.Engine.Linux;

namespace PSUdp.Engine.IPLevel;

/// <summary>
/// The path MTU the system has learned toward a target (from ICMP "fragmentation needed" or
/// "packet too big"), and what it means for a payload: IP_MTU / IPV6_MTU of a socket connected to
/// the target, which is how Linux tells it; null where the platform does not.
/// </summary>
internal static class PathMtu
{
    /// <summary>The path MTU toward <paramref name="target"/>, or null where the system does not tell.</summary>
    internal static int? Learned(IPEndPoint target)
    {
        IPAddress address = Addresses.Normalize(target.Address);
        try
        {
            using var probe = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            if (LinuxNative.HandleOf(probe) is not { } handle)
            {
                return null;
            }

            probe.Connect(new IPEndPoint(address, target.Port));
            bool v6 = address.AddressFamily == AddressFamily.InterNetworkV6;
            int? mtu = v6
                ? LinuxNative.GetInt(handle, LinuxNative.SolIPv6, LinuxNative.IPv6Mtu)
                : LinuxNative.GetInt(handle, LinuxNative.SolIP, LinuxNative.IPMtu);
            return mtu > 0 ? mtu : null;
        }
        catch (SocketException)
        {
            return null;
        }
    }

    /// <summary>The largest UDP payload a datagram of one packet carries over a path of this MTU (IPv4 and UDP headers: 28 bytes; IPv6: 48).</summary>
    internal static int LargestPayload(int mtu, AddressFamily family) =>
        mtu - (family == AddressFamily.InterNetworkV6 ? 48 : 28);
}
