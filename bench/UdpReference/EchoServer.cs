using System;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace UdpReference;

/// <summary>The echo server: every datagram back to its sender from the bound socket.</summary>
internal static class EchoServer
{
    internal static int Run(IPAddress host, Arguments options)
    {
        long count = options.Required("count");
        double timeout = options.Real("timeout", 60);

        using var socket = new Socket(host.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(host, (int)options.Number("port", 0)));
        socket.ReceiveTimeout = 1000;
        Console.WriteLine($"LISTENING {((IPEndPoint)socket.LocalEndPoint!).Port}");

        byte[] buffer = GC.AllocateUninitializedArray<byte>(65536);
        var from = new SocketAddress(host.AddressFamily);
        long deadline = Stopwatch.GetTimestamp() + (long)(timeout * Stopwatch.Frequency);
        long echoed = 0;
        double first = 0;
        long allocated = GC.GetTotalAllocatedBytes(true);
        double cpu = Clock.Cpu();
        while (echoed < count && Stopwatch.GetTimestamp() < deadline)
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

        Clock.Report("echo-server",
            ("echoed", echoed), ("first", first), ("end", Clock.Now()),
            ("allocatedBytes", GC.GetTotalAllocatedBytes(true) - allocated), ("cpuSeconds", Clock.Cpu() - cpu));
        return 0;
    }
}
