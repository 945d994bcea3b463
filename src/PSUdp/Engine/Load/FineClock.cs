using System;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Threading;
using PSUdp.Engine.Sockets;

namespace PSUdp.Engine.Load;

/// <summary>
/// Waits on the Stopwatch for the paced sender and the relay's delays: due times are absolute
/// Stopwatch ticks, so a wait that oversleeps never moves the next one (no drift). Waits sleep (on
/// Linux for as little as the wait needs, elsewhere a millisecond) and spin only for the last
/// tenth of a millisecond.
/// </summary>
internal static class FineClock
{
    /// <summary>Shorter waits than this spin: a sleep would overshoot them.</summary>
    internal static readonly long SpinTicks = Stopwatch.Frequency / 10000; // 100 us

    private static readonly bool Fine = Platform.Current.FineSleep;

    // What a sleep oversleeps by here: Linux's timer slack is 50 us, and a virtual machine's
    // wake-up adds more (about 95 us in all on the machine of docs/performance.md), so it is
    // measured once, as the median of a few short sleeps, with a margin.
    private static readonly double SlackMicroseconds = Fine ? MeasureSlack() + 10 : 0;

    /// <summary>Stopwatch ticks in one millisecond.</summary>
    internal static readonly long TicksPerMillisecond = Stopwatch.Frequency / 1000;

    /// <summary>Sleeps for about <paramref name="ticks"/> (Stopwatch ticks), at most a millisecond, so a stop is seen soon.</summary>
    internal static void Sleep(double ticks)
    {
        if (!Fine)
        {
            Thread.Sleep(1);
            return;
        }

        double microseconds = Math.Min(1000, (ticks * 1e6 / Stopwatch.Frequency) - SlackMicroseconds);
        _ = usleep((uint)Math.Max(1, microseconds));
    }

    /// <summary>Waits until the Stopwatch reads <paramref name="due"/>: sleeps while more than 100 us are left, then spins.</summary>
    internal static void WaitUntil(long due)
    {
        while (true)
        {
            long left = due - Stopwatch.GetTimestamp();
            if (left <= 0)
            {
                return;
            }

            if (left > SpinTicks)
            {
                Sleep(left);
            }
            else
            {
                Thread.SpinWait(20);
            }
        }
    }

    private static double MeasureSlack()
    {
        var overshoot = new double[9];
        for (int i = 0; i < overshoot.Length; i++)
        {
            long start = Stopwatch.GetTimestamp();
            _ = usleep(20);
            overshoot[i] = ((Stopwatch.GetTimestamp() - start) * 1e6 / Stopwatch.Frequency) - 20;
        }

        Array.Sort(overshoot);
        return Math.Min(500, Math.Max(0, overshoot[overshoot.Length / 2]));
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int usleep(uint microseconds);
}
