namespace PSUdp.Tests;

/// <summary>Plain .NET sockets on loopback: the peer the engine is tested against.</summary>
internal static class Loopback
{
    internal static Socket Bind(IPAddress address, int port = 0)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(address, port));
        socket.ReceiveTimeout = 5000;
        return socket;
    }

    /// <summary>An engine socket that hears <paramref name="peer"/>: bound to its address, or dual-mode on the wildcard; reads time out after 5 s.</summary>
    internal static Socket EngineSocketFor(IPAddress peer, bool dualMode)
    {
        Socket socket = UdpSocketFactory.Create(dualMode ? new SocketOptions() : new SocketOptions { LocalAddress = peer });
        socket.ReceiveTimeout = 5000;
        return socket;
    }

    internal static IPEndPoint EndPoint(this Socket socket) => (IPEndPoint)socket.LocalEndPoint!;

    internal static byte[] ReceiveOne(this Socket socket, out EndPoint from)
    {
        var buffer = new byte[65536];
        from = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        int n = socket.ReceiveFrom(buffer, ref from);
        return buffer.AsSpan(0, n).ToArray();
    }

    /// <summary>A port that nothing listens on right now.</summary>
    internal static int ClosedPort() => ClosedPort(IPAddress.Loopback);

    /// <summary>A port of <paramref name="address"/> that nothing listens on right now.</summary>
    internal static int ClosedPort(IPAddress address)
    {
        using Socket s = Bind(address);
        return s.EndPoint().Port;
    }
}
