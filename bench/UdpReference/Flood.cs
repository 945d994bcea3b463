using System;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading;

namespace UdpReference;

/// <summary>The flood sender: one socket, one payload, a SendTo loop with no allocation per datagram.</summary>
internal static class Flood
{
    internal static int Run(IPAddress host, Arguments options)
    {
        IPAddress? group = Program.Group(options);
        var target = new IPEndPoint(group ?? host, (int)options.Required("port"));
        long count = options.Required("count");
        int size = (int)options.Number("size", 64);
        double rate = options.Real("rate", 0);
        long untilClosed = options.Number("until-closed", 0);

        using var socket = new Socket(host.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        if (untilClosed > 0)
        {
            // IP_RECVERR / IPV6_RECVERR: Linux reports ICMP port unreachable on the next send of
            // an unconnected socket, which is how the flood learns that the receiver has finished.
            socket.SetRawSocketOption(host.AddressFamily == AddressFamily.InterNetworkV6 ? 41 : 0,
                host.AddressFamily == AddressFamily.InterNetworkV6 ? 25 : 11, BitConverter.GetBytes(1));
        }

        if (group is not null)
        {
            // Out of the loopback interface only, and no further than this host.
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface,
                IPAddress.Parse(options.Text("interface", "127.0.0.1")).GetAddressBytes());
            socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastTimeToLive, 0);
        }

        byte[] payload = new byte[size];
        payload.AsSpan().Fill((byte)'x');
        SocketAddress address = target.Serialize();
        long limit = Math.Max(count, untilClosed);
        long sent = 0;
        long refused = 0;
        long failed = 0;
        bool closed = false;
        var run = new Measurement(options);
        double start = Clock.Now();
        long started = Stopwatch.GetTimestamp();
        Console.WriteLine(FormattableString.Invariant($"START {start:R}")); // for a harness that ends the flood itself
        double countEnd = 0;
        while (sent < limit)
        {
            if ((sent & 1023) == 0 && !run.InTime)
            {
                break;
            }

            if (rate > 0 && (sent & 63) == 0)
            {
                Pace(started, sent, rate);
            }

            try
            {
                socket.SendTo(payload, SocketFlags.None, address);
                sent++;
                if (sent == count)
                {
                    countEnd = Clock.Now();
                }
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset)
            {
                // The datagram was not sent: the error of an earlier one was reported instead.
                refused++;
                if (sent >= count)
                {
                    closed = true;
                    break;
                }
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.NoBufferSpaceAvailable or SocketError.WouldBlock)
            {
                failed++;
            }
        }

        double end = Clock.Now();
        run.Report("flood",
            ("sent", sent), ("refused", refused), ("failed", failed), ("closed", closed ? 1 : 0),
            ("size", size), ("start", start), ("countEnd", countEnd == 0 ? end : countEnd), ("end", end),
            ("rate", sent / Math.Max(end - start, 1e-9)));
        return 0;
    }

    // Waits until datagram number 'sent' is due at 'rate' per second.
    private static void Pace(long started, long sent, double rate)
    {
        long due = started + (long)(sent / rate * Stopwatch.Frequency);
        while (true)
        {
            long ahead = due - Stopwatch.GetTimestamp();
            if (ahead <= 0)
            {
                return;
            }

            if (ahead > Stopwatch.Frequency / 500)
            {
                Thread.Sleep(1);
            }
            else
            {
                Thread.SpinWait(50);
            }
        }
    }
}
