using System.Net.Sockets;
using System.Runtime.InteropServices;
using PSUdp.Engine.Linux;
using PSUdp.Engine.Sockets;

namespace PSUdp.Engine.IPLevel;

/// <summary>
/// Sets what a sending socket puts in the IP header: the TTL or hop limit (also the multicast
/// one, so a group send carries it too), the DSCP, and don't-fragment. A dual-mode socket sends
/// IPv4 as well, so it gets the IPv4 options beside the IPv6 ones.
/// </summary>
internal static class IPLevelOptions
{
    private const string Where = "the socket";

    /// <summary>Applies the options that are set; throws <see cref="UdpException"/> (SocketOptionRefused) when the system refuses one.</summary>
    internal static void Apply(Socket socket, SocketOptions options)
    {
        if (options.TimeToLive is null && options.Dscp is null && !options.DontFragment)
        {
            return;
        }

        bool v6 = socket.AddressFamily == AddressFamily.InterNetworkV6;
        bool v4 = !v6 || socket.DualMode;
        if (LinuxNative.HandleOf(socket) is { } handle)
        {
            ApplyLinux(handle, options, v4, v6);
        }
        else
        {
            ApplyPortable(socket, options, v4, v6);
        }
    }

    private static void ApplyLinux(SafeHandle handle, SocketOptions options, bool v4, bool v6)
    {
        if (options.TimeToLive is int ttl)
        {
            if (v4)
            {
                Set(handle, LinuxNative.SolIP, LinuxNative.IPTtl, ttl, "IP_TTL");
                Set(handle, LinuxNative.SolIP, LinuxNative.IPMulticastTtl, ttl, "IP_MULTICAST_TTL");
            }

            if (v6)
            {
                Set(handle, LinuxNative.SolIPv6, LinuxNative.IPv6UnicastHops, ttl, "IPV6_UNICAST_HOPS");
                Set(handle, LinuxNative.SolIPv6, LinuxNative.IPv6MulticastHops, ttl, "IPV6_MULTICAST_HOPS");
            }
        }

        if (options.Dscp is int dscp)
        {
            if (v4)
            {
                int ecn = (LinuxNative.GetInt(handle, LinuxNative.SolIP, LinuxNative.IPTos) ?? 0) & 3;
                Set(handle, LinuxNative.SolIP, LinuxNative.IPTos, (dscp << 2) | ecn, "IP_TOS");
            }

            if (v6)
            {
                int ecn = (LinuxNative.GetInt(handle, LinuxNative.SolIPv6, LinuxNative.IPv6TClass) ?? 0) & 3;
                Set(handle, LinuxNative.SolIPv6, LinuxNative.IPv6TClass, (dscp << 2) | ecn, "IPV6_TCLASS");
            }
        }

        if (options.DontFragment)
        {
            int discover = options.ProbePathMtu ? LinuxNative.IPPmtuDiscProbe : LinuxNative.IPPmtuDiscDo;
            if (v4)
            {
                Set(handle, LinuxNative.SolIP, LinuxNative.IPMtuDiscover, discover, "IP_MTU_DISCOVER");
            }

            if (v6)
            {
                Set(handle, LinuxNative.SolIPv6, LinuxNative.IPv6MtuDiscover, discover, "IPV6_MTU_DISCOVER");
                Set(handle, LinuxNative.SolIPv6, LinuxNative.IPv6DontFrag, 1, "IPV6_DONTFRAG");
            }
        }
    }

    // Other platforms, through the option names .NET translates (untested here: Linux takes the path above).
    // Windows ignores the DSCP without a QoS policy.
    private static void ApplyPortable(Socket socket, SocketOptions options, bool v4, bool v6)
    {
        try
        {
            if (options.TimeToLive is int ttl)
            {
                if (v4)
                {
                    socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.IpTimeToLive, ttl);
                    socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastTimeToLive, ttl);
                }

                if (v6)
                {
                    socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.IpTimeToLive, ttl);
                    socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.MulticastTimeToLive, ttl);
                }
            }

            if (options.Dscp is int dscp && v4)
            {
                socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.TypeOfService, dscp << 2);
            }

            if (options.DontFragment && v4)
            {
                socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.DontFragment, true);
            }
        }
        catch (SocketException e)
        {
            throw new UdpException(UdpErrorKind.SocketOptionRefused,
                $"The system refused an IP-level option on {Where}: {e.Message} ({e.SocketErrorCode}).", null, e);
        }
    }

    private static void Set(SafeHandle handle, int level, int name, int value, string option)
    {
        if (!LinuxNative.SetInt(handle, level, name, value))
        {
            var e = new SocketException(Marshal.GetLastWin32Error());
            throw new UdpException(UdpErrorKind.SocketOptionRefused,
                $"The system refused {option} = {value} on {Where}: {e.Message}.", option, e);
        }
    }
}
