using System;
using System.Net;
using System.Net.Sockets;

namespace UdpReference;

/// <summary>The echo server: every datagram back to its sender from the bound socket.</summary>
internal static class EchoServer
{
    internal static int Run(IPAddress host, Arguments options)
    {
        long count = options.Required("count");

        using Socket socket = Listening.Bind(host, options);

        byte[] buffer = GC.AllocateUninitializedArray<byte>(65536);
        var from = new SocketAddress(host.AddressFamily);
        long echoed = 0;
        double first = 0;
        var run = new Measurement(options);
        while (echoed < count && run.InTime)
        {
            int length;
            try
            {
                length = socket.ReceiveFrom(buffer, SocketFlags.None, from);
                socket.SendTo(buffer.AsSpan(0, length), SocketFlags.None, from);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock
                or SocketError.ConnectionRefused or SocketError.ConnectionReset)
            {
                continue;
            }

            if (echoed == 0)
            {
                first = Clock.Now();
            }

            echoed++;
        }

        run.Report("echo-server", ("echoed", echoed), ("first", first), ("end", Clock.Now()));
        return 0;
    }
}
