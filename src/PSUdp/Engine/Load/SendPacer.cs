using System;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Threading;

namespace PSUdp.Engine.Load;

/// <summary>
/// Paces sends to a rate on the Stopwatch: the kth datagram is due k / rate seconds after the
/// first, so the rate over a run is the asked one whatever a single wait overslept. A second
/// bucket caps the peak: it refills at <see cref="PeakFactor"/> times the rate and holds two
/// milliseconds' worth (at least 3), so a run that fell behind (a stalled thread) catches up
/// slowly instead of in one burst, and no 10 ms holds more than 1.5 times the rate's share. Waits
/// sleep (on Linux for as little as the wait needs, elsewhere a millisecond), and spin only for
/// the last tenth of a millisecond.
/// </summary>
internal sealed class SendPacer
{
    /// <summary>How much faster than the rate a run that fell behind may catch up.</summary>
    internal const double PeakFactor = 1.15;

    // Shorter waits than this spin: a sleep would overshoot them.
    private static readonly long SpinTicks = Stopwatch.Frequency / 10000; // 100 us

    // What a sleep oversleeps by at least (Linux's default timer slack is 50 us).
    private const double SlackMicroseconds = 60;

    private static readonly bool FineSleep = RuntimeInformation.IsOSPlatform(OSPlatform.Linux);

    private readonly double perTick;
    private readonly double peakPerTick;
    private readonly double burst;
    private readonly long quantum;
    private long start = -1;
    private long sent;
    private double peakTokens;
    private long lastRefill;

    internal SendPacer(double ratePerSecond)
    {
        if (!(ratePerSecond > 0) || double.IsInfinity(ratePerSecond))
        {
            throw new ArgumentOutOfRangeException(nameof(ratePerSecond), ratePerSecond, "The rate must be a positive number.");
        }

        Rate = ratePerSecond;
        perTick = ratePerSecond / Stopwatch.Frequency;
        peakPerTick = perTick * PeakFactor;
        burst = Math.Max(3, ratePerSecond / 500);
        // Wait until a millisecond's worth is due (at least one datagram), so that at high rates
        // one system call sends a batch and the thread sleeps between batches instead of spinning.
        quantum = (long)Math.Max(1, Math.Min(burst / 2, ratePerSecond / 1000));
    }

    /// <summary>The datagrams per second asked for.</summary>
    internal double Rate { get; }

    /// <summary>Datagrams reported by <see cref="Sent"/>.</summary>
    internal long Count => sent;

    /// <summary>
    /// Waits until at least one datagram may go and returns how many may go now (at most
    /// <paramref name="max"/>); 0 when <paramref name="deadline"/> (Stopwatch ticks) passes or
    /// <paramref name="token"/> is cancelled first.
    /// </summary>
    internal int WaitForTurn(int max, long deadline, CancellationToken token)
    {
        while (true)
        {
            long now = Stopwatch.GetTimestamp();
            if (now >= deadline || token.IsCancellationRequested)
            {
                return 0;
            }

            if (start < 0)
            {
                start = now;
                lastRefill = now;
                peakTokens = 1;
            }

            peakTokens = Math.Min(burst, peakTokens + ((now - lastRefill) * peakPerTick));
            lastRefill = now;
            long due = (long)((now - start) * perTick) + 1 - sent;
            long allowed = Math.Min(Math.Min(due, (long)peakTokens), max);
            // The first datagram goes at once; later ones wait for a quantum unless only fewer are wanted.
            if (allowed >= Math.Min(quantum, max) || (allowed >= 1 && sent == 0))
            {
                return (int)allowed;
            }

            long want = Math.Min(quantum, max);
            double scheduleWait = ((sent + want - 1) / perTick) - (now - start);
            double peakWait = (want - peakTokens) / peakPerTick;
            double wait = Math.Min(Math.Max(scheduleWait, peakWait), deadline - now);
            if (wait > SpinTicks)
            {
                Sleep(wait);
            }
            else
            {
                Thread.SpinWait(20);
            }
        }
    }

    // Sleeps for about the wait (Stopwatch ticks), at most a millisecond, so Ctrl+C is seen soon.
    private static void Sleep(double ticks)
    {
        if (!FineSleep)
        {
            Thread.Sleep(1);
            return;
        }

        double microseconds = Math.Min(1000, (ticks * 1e6 / Stopwatch.Frequency) - SlackMicroseconds);
        _ = usleep((uint)Math.Max(1, microseconds));
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int usleep(uint microseconds);

    /// <summary>Counts datagrams that went.</summary>
    internal void Sent(int count)
    {
        sent += count;
        peakTokens -= count;
    }
}
