using System;
using System.Net;
using System.Net.Sockets;
using PSUdp.Engine.Linux;

namespace PSUdp.Engine.Sockets;

/// <summary>The one place PSUdp makes a UDP socket: family, options and binding.</summary>
internal static class UdpSocketFactory
{
    // Windows reports an ICMP port unreachable as WSAECONNRESET on the next receive of an
    // unconnected UDP socket, which would end a listener; this IOCTL turns that off.
    private const int SioUdpConnReset = unchecked((int)0x9800000C);

    /// <summary>Makes, configures and binds a socket; throws <see cref="UdpException"/> when it cannot.</summary>
    internal static Socket Create(SocketOptions options)
    {
        IPAddress bindAddress = ChooseBindAddress(options);
        Socket socket = Open(bindAddress);
        try
        {
            Configure(socket, options);
            Bind(socket, bindAddress, options.LocalPort);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static IPAddress ChooseBindAddress(SocketOptions options)
    {
        if (options.LocalAddress is { } local)
        {
            local = Addresses.Normalize(local);
            bool isV6 = local.AddressFamily == AddressFamily.InterNetworkV6;
            if ((options.Family == AddressFamilyChoice.IPv4 && isV6) || (options.Family == AddressFamilyChoice.IPv6 && !isV6))
            {
                throw new UdpException(UdpErrorKind.AddressFamilyMismatch,
                    $"The local address {local} is not an {options.Family} address.",
                    local, setting: UdpSetting.LocalAddressFamily, family: options.Family.ToString());
            }

            return local;
        }

        if (options.Family == AddressFamilyChoice.IPv4 || !Socket.OSSupportsIPv6)
        {
            return IPAddress.Any;
        }

        return IPAddress.IPv6Any;
    }

    private static Socket Open(IPAddress bindAddress)
    {
        var socket = new Socket(bindAddress.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        if (bindAddress.Equals(IPAddress.IPv6Any))
        {
            // Dual mode: one socket for IPv4 and IPv6 peers, so a pipeline of mixed hosts needs one socket.
            socket.DualMode = true;
        }

        return socket;
    }

    private static void Configure(Socket socket, SocketOptions options)
    {
        if (options.ReuseAddress)
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        }

        if (options.Broadcast)
        {
            socket.EnableBroadcast = true;
        }

        if (options.Device is { } device)
        {
            LinuxSocketOptions.BindToDevice(socket, device);
        }

        IPLevel.IPLevelOptions.Apply(socket, options);

        if (options.KernelReceiveBufferSize > 0)
        {
            SetReceiveBuffer(socket, options.KernelReceiveBufferSize);
        }

        if (options.IgnoreIcmpErrors)
        {
            if (Platform.Current.IcmpErrors == IcmpErrorPath.Winsock)
            {
                socket.IOControl(SioUdpConnReset, new byte[4], null);
            }
        }
        else
        {
            LinuxSocketOptions.ReportIcmpErrors(socket);
        }
    }

    private static void SetReceiveBuffer(Socket socket, int bytes)
    {
        socket.ReceiveBufferSize = bytes;
        if (socket.ReceiveBufferSize < bytes)
        {
            // Linux caps SO_RCVBUF at net.core.rmem_max, and doubles what it stores for its own
            // bookkeeping; privileged callers can lift the cap. If not, the capped size stands and
            // the caller reads the real size back.
            LinuxSocketOptions.ForceReceiveBuffer(socket, bytes / 2);
        }
    }

    private static void Bind(Socket socket, IPAddress address, int port)
    {
        try
        {
            socket.Bind(new IPEndPoint(address, port));
        }
        catch (SocketException e)
        {
            string endPoint = Addresses.Format(address, port);
            throw e.SocketErrorCode switch
            {
                SocketError.AddressAlreadyInUse => new UdpException(UdpErrorKind.AddressInUse,
                    $"Port {port} on {address} is already in use.",
                    endPoint, e, UdpSetting.ReuseAddress),
                SocketError.AddressNotAvailable => new UdpException(UdpErrorKind.AddressNotAvailable,
                    $"{address} is not an address of this computer, so PSUdp cannot bind {endPoint}.",
                    endPoint, e, UdpSetting.LocalAddress),
                SocketError.AccessDenied => new UdpException(UdpErrorKind.AccessDenied,
                    $"The system refused to bind {endPoint}. Ports below 1024 need administrator (root) rights; choose a port of 1024 or above.",
                    endPoint, e),
                _ => new UdpException(UdpErrorKind.SocketFailed,
                    $"Binding {endPoint} failed: {e.Message} ({e.SocketErrorCode}).", endPoint, e),
            };
        }
    }

    /// <summary>
    /// Throws AddressFamilyMismatch unless a socket bound to <paramref name="local"/> (dual-mode or
    /// not) can send to <paramref name="target"/>: before the system refuses it with a bare error.
    /// </summary>
    internal static void CheckFamily(IPEndPoint local, bool dualMode, IPEndPoint target)
    {
        bool targetIsV6 = target.AddressFamily == AddressFamily.InterNetworkV6;
        bool socketIsV6 = local.AddressFamily == AddressFamily.InterNetworkV6;
        if (targetIsV6 && !socketIsV6)
        {
            throw new UdpException(UdpErrorKind.AddressFamilyMismatch,
                $"{Addresses.Format(target)} is an IPv6 address, but the socket is IPv4 (bound to {Addresses.Format(local)}).",
                Addresses.Format(target), setting: UdpSetting.SocketFamily, family: "IPv4");
        }

        if (!targetIsV6 && socketIsV6 && !dualMode)
        {
            throw new UdpException(UdpErrorKind.AddressFamilyMismatch,
                $"{Addresses.Format(target)} is an IPv4 address, but the socket is IPv6 only (bound to {Addresses.Format(local)}).",
                Addresses.Format(target), setting: UdpSetting.SocketFamily, family: "IPv6");
        }
    }
}
