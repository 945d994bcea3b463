using System;
using System.Net;
using System.Net.Sockets;
using PSUdp.Engine.IPLevel;
using PSUdp.Engine.Sockets;

namespace PSUdp.Engine.Receive;

/// <summary>
/// Reads one datagram at a time from a socket, with the address it was sent to (packet
/// information) and truncation detected, as a <see cref="DatagramView"/> of its one buffer, which
/// every read reuses. Where recvmmsg is not available, a listener's loop reads with this. It tells
/// what ReceiveMessageFrom tells: the destination and the arrival interface, not the TTL, the
/// traffic class or the kernel's receive time.
/// </summary>
internal sealed class DatagramReader
{
    private readonly Socket socket;
    private readonly byte[] buffer;
    private readonly IPEndPoint wildcard;
    private readonly int localPort;

    internal DatagramReader(Socket socket, int maxDatagramLength = DatagramLimits.MaxDatagramLength)
    {
        this.socket = socket;
        buffer = new byte[maxDatagramLength];
        var local = (IPEndPoint)socket.LocalEndPoint!;
        localPort = local.Port;
        wildcard = new IPEndPoint(
            socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
    }

    /// <summary>Blocks until a datagram arrives or the socket's receive timeout passes (SocketException TimedOut).</summary>
    internal DatagramView Read()
    {
        EndPoint remote = wildcard;
        SocketFlags flags = SocketFlags.None;
        int count = socket.ReceiveMessageFrom(buffer, 0, buffer.Length, ref flags, ref remote, out IPPacketInformation packet);
        (int length, bool truncated) = Received(count, flags, packet.Address is not null, buffer.Length, Platform.Current);

        var source = (IPEndPoint)remote;
        IPAddress local = packet.Address ?? ((IPEndPoint)socket.LocalEndPoint!).Address;
        return new DatagramView(Addresses.Normalize(source.Address), source.Port, Addresses.Normalize(local), localPort,
            buffer, 0, length, truncated, new ArrivalFacts(packet.Interface, -1, -1, DateTime.UtcNow.Ticks));
    }

    /// <summary>
    /// What one ReceiveMessageFrom call received: its length and whether it was cut to the buffer.
    /// Elsewhere MSG_TRUNC says so. On Windows, Winsock fills the buffer and fails with
    /// WSAEMSGSIZE, and .NET swallows that error: the call returns without an exception, without
    /// the flag and without packet information (which every other receive on the socket has), with
    /// a count of the buffer's length (Wine 8.0: 0). See docs/platforms.md.
    /// </summary>
    internal static (int Length, bool Truncated) Received(int count, SocketFlags flags, bool hasPacketInformation, int bufferLength, Platform platform)
    {
        if ((flags & SocketFlags.Truncated) != 0)
        {
            return (count, true);
        }

        return platform.TruncationLosesPacketInformation && !hasPacketInformation ? (bufferLength, true) : (count, false);
    }
}
