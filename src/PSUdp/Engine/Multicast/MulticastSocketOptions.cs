using System;
using System.ComponentModel;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using static PSUdp.Engine.Linux.LinuxNative;
using PSUdp.Engine.Sockets;

namespace PSUdp.Engine.Multicast;

/// <summary>
/// The multicast socket options .NET cannot express on every platform, set through setsockopt:
/// source-specific joins (MCAST_JOIN_SOURCE_GROUP with struct group_source_req, both families),
/// the sending interface by index (IP_MULTICAST_IF with struct ip_mreqn), and receiving only the
/// groups a socket joined (IP_MULTICAST_ALL). An IPv4 option on a dual-mode IPv6 socket is set at
/// the IPv4 level, which Linux passes on to the socket's IPv4 half.
/// </summary>
internal static class MulticastSocketOptions
{
    // struct group_source_req: a 32-bit interface index, then two 128-byte sockaddr_storage
    // aligned to 8 bytes (the group at 8, the source at 136).
    private const int GroupSourceRequestLength = 264;
    private const int GroupOffset = 8;
    private const int SourceOffset = 136;

    /// <summary>Whether source-specific joins can be made here (Linux only).</summary>
    internal static bool SupportsSourceJoins => IsLinux;

    private static bool IsLinux => Platform.Current.LinuxSocketOptions;

    /// <summary>Joins <paramref name="group"/> for datagrams from <paramref name="source"/> only; null or the system's reason.</summary>
    internal static string? JoinSource(Socket socket, IPAddress group, IPAddress source, int interfaceIndex) =>
        SetSource(socket, McastJoinSourceGroup, group, source, interfaceIndex);

    /// <summary>Leaves a source-specific membership; null or the system's reason.</summary>
    internal static string? LeaveSource(Socket socket, IPAddress group, IPAddress source, int interfaceIndex) =>
        SetSource(socket, McastLeaveSourceGroup, group, source, interfaceIndex);

    /// <summary>
    /// IP_MULTICAST_ALL off: Linux otherwise hands a socket bound to the wildcard address the
    /// datagrams of every group any socket of the host joined on its port.
    /// </summary>
    internal static void ReceiveOnlyJoinedGroups(Socket socket, AddressFamily groupFamily)
    {
        if (!IsLinux)
        {
            return;
        }

        int off = 0;
        if (groupFamily == AddressFamily.InterNetworkV6)
        {
            // Since Linux 4.20; older kernels keep delivering every group, which only widens what arrives.
            SetInt(socket, SolIPv6, IPv6MulticastAll, off);
        }
        else
        {
            SetInt(socket, SolIP, IPMulticastAll, off);
        }
    }

    /// <summary>
    /// The interface IPv4 multicast leaves through, by index (IP_MULTICAST_IF with struct
    /// ip_mreqn; Linux reads a plain 4-byte value as an address, not an index).
    /// </summary>
    /// <returns>null, or the system's reason for refusing.</returns>
    internal static string? SetIPv4SendInterface(Socket socket, int interfaceIndex)
    {
        if (!IsLinux)
        {
            try
            {
                socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, IndexInPlaceOfAddress(interfaceIndex));
                return null;
            }
            catch (SocketException e)
            {
                return e.Message;
            }
        }

        // struct ip_mreqn { in_addr imr_multiaddr; in_addr imr_address; int imr_ifindex; }
        var request = new byte[12];
        BitConverter.GetBytes(interfaceIndex).CopyTo(request, 8);
        return SetBytes(socket, SolIP, IPMulticastIf, request)
            ? null
            : new Win32Exception(Marshal.GetLastWin32Error()).Message;
    }

    /// <summary>
    /// IP_MULTICAST_IF's 4-byte value for an interface index where the system takes an index in
    /// place of an address (Windows): the index in network byte order, so its bytes read 0.0.0.N.
    /// </summary>
    internal static int IndexInPlaceOfAddress(int interfaceIndex) => IPAddress.HostToNetworkOrder(interfaceIndex);

    private static string? SetSource(Socket socket, int option, IPAddress group, IPAddress source, int interfaceIndex)
    {
        if (!IsLinux)
        {
            return "source-specific joins are available on Linux only";
        }

        var request = new byte[GroupSourceRequestLength];
        BitConverter.GetBytes((uint)interfaceIndex).CopyTo(request, 0);
        WriteAddress(request, GroupOffset, group);
        WriteAddress(request, SourceOffset, source);
        int level = group.AddressFamily == AddressFamily.InterNetworkV6 ? SolIPv6 : SolIP;
        return SetBytes(socket, level, option, request)
            ? null
            : new Win32Exception(Marshal.GetLastWin32Error()).Message;
    }

    // struct sockaddr_in (family, port, address) or struct sockaddr_in6 (family, port, flow
    // information, address, scope), the port 0.
    private static void WriteAddress(byte[] request, int offset, IPAddress address)
    {
        byte[] bytes = address.GetAddressBytes();
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            BitConverter.GetBytes((ushort)AfInet6).CopyTo(request, offset);
            bytes.CopyTo(request, offset + 8);
            BitConverter.GetBytes((uint)address.ScopeId).CopyTo(request, offset + 24);
        }
        else
        {
            BitConverter.GetBytes((ushort)AfInet).CopyTo(request, offset);
            bytes.CopyTo(request, offset + 4);
        }
    }
}
