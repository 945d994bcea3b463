using System;
using System.Net;
using System.Net.Sockets;

namespace UdpReference;

/// <summary>The allocation-free receiver: ReceiveFrom(Span&lt;byte&gt;, SocketFlags, SocketAddress) into one buffer.</summary>
internal static class Receiver
{
    internal static int Run(IPAddress host, Arguments options)
    {
        long count = options.Required("count");
        int receiveBuffer = (int)options.Number("rcvbuf", 0);
        double idle = options.Real("idle", 0);

        using var socket = new Socket(host.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        if (receiveBuffer > 0)
        {
            socket.ReceiveBufferSize = receiveBuffer;
        }

        IPAddress? group = Program.Group(options);
        if (group is null)
        {
            socket.Bind(new IPEndPoint(host, (int)options.Number("port", 0)));
        }
        else
        {
            // Joined on the loopback interface (--interface 127.0.0.1), bound to the group's port.
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(new IPEndPoint(IPAddress.Any, (int)options.Number("port", 0)));
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.AddMembership,
                new MulticastOption(group, IPAddress.Parse(options.Text("interface", "127.0.0.1"))));
        }

        // Wakes a blocked receive once a second to look at the deadline; costs nothing while data flows.
        socket.ReceiveTimeout = idle > 0 ? (int)(idle * 1000) : 1000;
        Listening.Announce(socket);

        byte[] buffer = GC.AllocateUninitializedArray<byte>(65536);
        var from = new SocketAddress(host.AddressFamily);
        long received = 0;
        long bytes = 0;
        double first = 0;
        bool message = options.Text("api", "receivefrom") == "receivemessagefrom";
        var run = new Measurement(options);
        while (received < count && run.InTime)
        {
            int length;
            try
            {
                length = message ? ReceiveMessage(socket, buffer) : socket.ReceiveFrom(buffer, SocketFlags.None, from);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
            {
                if (idle > 0 && received > 0)
                {
                    break; // --idle: the stream is over (the receive timeout is the idle time)
                }

                continue;
            }

            if (received == 0)
            {
                first = Clock.Now();
            }

            received++;
            bytes += length;
        }

        double last = Clock.Now();
        run.Report("receive",
            ("received", received), ("bytes", bytes), ("first", first), ("end", last),
            ("receiveBufferSize", socket.ReceiveBufferSize));
        return 0;
    }

    // For comparison only: the netstandard2.0 API PSUdp must use to learn each datagram's local
    // address (packet information); it allocates endpoints on every call.
    private static int ReceiveMessage(Socket socket, byte[] buffer)
    {
        SocketFlags flags = SocketFlags.None;
        EndPoint remote = new IPEndPoint(IPAddress.Any, 0);
        return socket.ReceiveMessageFrom(buffer, 0, buffer.Length, ref flags, ref remote, out _);
    }
}
