using System;
using System.Net;
using System.Net.Sockets;

namespace UdpReference;

/// <summary>How the listening modes bind and tell the harness that they are ready.</summary>
internal static class Listening
{
    /// <summary>
    /// A UDP socket bound to --host and --port (0: any free port), announced; a blocked receive
    /// gives up after a second so that the mode can look at its time bound.
    /// </summary>
    internal static Socket Bind(IPAddress host, Arguments options)
    {
        var socket = new Socket(host.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Bind(new IPEndPoint(host, (int)options.Number("port", 0)));
            socket.ReceiveTimeout = 1000;
            Announce(socket);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Prints 'LISTENING port', the line the harness waits for before it sends.</summary>
    internal static void Announce(Socket socket) => Console.WriteLine($"LISTENING {((IPEndPoint)socket.LocalEndPoint!).Port}");
}
