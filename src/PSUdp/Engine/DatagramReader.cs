using System;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PSUdp.Engine;

/// <summary>
/// Reads one datagram at a time from a socket into a <see cref="UdpDatagram"/>, with the address it
/// was sent to (packet information) and truncation detected. One buffer, reused for every read.
/// </summary>
internal sealed class DatagramReader
{
    private readonly Socket socket;
    private readonly byte[] buffer;
    private readonly Encoding encoding;
    private readonly IPEndPoint wildcard;
    private readonly int localPort;

    internal DatagramReader(Socket socket, Encoding encoding, int bufferLength = DatagramLimits.ReceiveBufferLength)
    {
        this.socket = socket;
        this.encoding = encoding;
        buffer = new byte[bufferLength];
        var local = (IPEndPoint)socket.LocalEndPoint!;
        localPort = local.Port;
        wildcard = new IPEndPoint(
            socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
    }

    /// <summary>Blocks until a datagram arrives or the socket's receive timeout passes (SocketException TimedOut).</summary>
    internal UdpDatagram Read()
    {
        EndPoint remote = wildcard;
        SocketFlags flags = SocketFlags.None;
        int length;
        bool truncated;
        IPPacketInformation packet;
        try
        {
            length = socket.ReceiveMessageFrom(buffer, 0, buffer.Length, ref flags, ref remote, out packet);
            truncated = (flags & SocketFlags.Truncated) != 0;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.MessageSize)
        {
            // Windows reports a datagram larger than the buffer as an error after filling the buffer.
            length = buffer.Length;
            truncated = true;
            packet = default;
        }

        byte[] payload = length == 0 ? Array.Empty<byte>() : new byte[length];
        Buffer.BlockCopy(buffer, 0, payload, 0, length);
        IPAddress local = packet.Address ?? ((IPEndPoint)socket.LocalEndPoint!).Address;
        return new UdpDatagram(DatagramDirection.Received, (IPEndPoint)remote, local, localPort, payload, truncated, encoding);
    }
}
