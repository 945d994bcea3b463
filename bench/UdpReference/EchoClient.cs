using System;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace UdpReference;

/// <summary>The echo client: N round trips, one datagram outstanding at a time, over a connected socket.</summary>
internal static class EchoClient
{
    internal static int Run(IPAddress host, Arguments options)
    {
        var target = new IPEndPoint(host, (int)options.Required("port"));
        long count = options.Required("count");
        int size = (int)options.Number("size", 64);

        using var socket = new Socket(host.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Connect(target);
        socket.ReceiveTimeout = 1000;
        byte[] payload = new byte[size];
        payload.AsSpan().Fill((byte)'x');
        byte[] reply = new byte[65536];

        long done = 0;
        long lost = 0;
        long refused = 0;
        var run = new Measurement(options);
        double start = Clock.Now();
        long started = Stopwatch.GetTimestamp();
        while (done < count && run.InTime)
        {
            try
            {
                socket.Send(payload);
                socket.Receive(reply);
                done++;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
            {
                lost++;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset)
            {
                // Nothing listens (yet): wait a little rather than spin.
                refused++;
                System.Threading.Thread.Sleep(10);
            }
        }

        double seconds = (Stopwatch.GetTimestamp() - started) / (double)Stopwatch.Frequency;
        run.Report("echo-client",
            ("roundTrips", done), ("lost", lost), ("refused", refused), ("start", start), ("end", Clock.Now()),
            ("seconds", seconds), ("rate", done / Math.Max(seconds, 1e-9)));
        return 0;
    }
}
