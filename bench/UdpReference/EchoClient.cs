using System;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace UdpReference;

/// <summary>
/// The echo client: N round trips, one datagram outstanding at a time, over a connected socket.
/// Each answered round trip is timed (the clock read right before the send and right after the
/// receive), so the result also gives their mean, median and 99th percentile in microseconds.
/// </summary>
internal static class EchoClient
{
    internal static int Run(IPAddress host, Arguments options)
    {
        var target = new IPEndPoint(host, (int)options.Required("port"));
        long count = options.Required("count");
        int size = (int)options.Number("size", 64);
        // --interval S: one round trip every S seconds (as a ping-like series sends), not back to back.
        long interval = (long)(options.Real("interval", 0) * Stopwatch.Frequency);

        using var socket = new Socket(host.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Connect(target);
        socket.ReceiveTimeout = 1000;
        byte[] payload = new byte[size];
        payload.AsSpan().Fill((byte)'x');
        byte[] reply = new byte[65536];

        long[] times = new long[Math.Min(count, 10_000_000)];
        long done = 0;
        long lost = 0;
        long refused = 0;
        var run = new Measurement(options);
        double start = Clock.Now();
        long started = Stopwatch.GetTimestamp();
        while (done < count && run.InTime)
        {
            if (interval > 0)
            {
                long due = started + ((done + lost) * interval);
                while (Stopwatch.GetTimestamp() < due)
                {
                    System.Threading.Thread.Sleep(TimeSpan.FromTicks(Math.Max(1, (due - Stopwatch.GetTimestamp()) * TimeSpan.TicksPerSecond / Stopwatch.Frequency)));
                }
            }

            try
            {
                long sent = Stopwatch.GetTimestamp();
                socket.Send(payload);
                socket.Receive(reply);
                long answered = Stopwatch.GetTimestamp();
                if (done < times.Length) { times[done] = answered - sent; }
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
        Span<long> timed = times.AsSpan(0, (int)Math.Min(done, times.Length));
        timed.Sort();
        run.Report("echo-client",
            ("roundTrips", done), ("lost", lost), ("refused", refused), ("start", start), ("end", Clock.Now()),
            ("seconds", seconds), ("rate", done / Math.Max(seconds, 1e-9)),
            ("meanMicroseconds", Mean(timed)), ("p50Microseconds", Percentile(timed, 0.50)), ("p99Microseconds", Percentile(timed, 0.99)));
        return 0;
    }

    /// <summary>The mean of Stopwatch ticks, in microseconds (0 when none).</summary>
    private static double Mean(ReadOnlySpan<long> ticks)
    {
        double sum = 0;
        foreach (long t in ticks)
        {
            sum += t;
        }

        return ticks.IsEmpty ? 0 : sum / ticks.Length * 1e6 / Stopwatch.Frequency;
    }

    /// <summary>The nearest-rank percentile of sorted Stopwatch ticks, in microseconds (0 when none).</summary>
    private static double Percentile(ReadOnlySpan<long> sorted, double fraction) =>
        sorted.IsEmpty ? 0 : sorted[Math.Clamp((int)Math.Ceiling(fraction * sorted.Length) - 1, 0, sorted.Length - 1)] * 1e6 / Stopwatch.Frequency;
}
