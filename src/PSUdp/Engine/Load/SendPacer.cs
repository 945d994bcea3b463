using System;
using System.Diagnostics;
using System.Threading;

namespace PSUdp.Engine.Load;

/// <summary>
/// Paces sends to a rate on the Stopwatch: the kth datagram is due k / rate seconds after the
/// first, so the rate over a run is the asked one whatever a single wait overslept. A sliding
/// window caps the peak: no <see cref="Window"/> (10 ms) holds more than <see cref="PeakFactor"/>
/// times the rate's share of it, counted over the sends of that window, so a run that fell behind
/// (a stalled thread) catches up as fast as that allows and never in one burst. Waits are <see cref="FineClock"/>'s.
/// </summary>
internal sealed class SendPacer
{
    /// <summary>The most a window may hold, as a multiple of the rate's share of it.</summary>
    internal const double PeakFactor = 1.4;

    /// <summary>The window the peak is held to.</summary>
    internal static readonly TimeSpan Window = TimeSpan.FromMilliseconds(10);

    // Sends remembered for the window; past this many, the newest absorbs the next.
    private const int WindowEntries = 256;

    private readonly double perTick;
    private readonly long windowTicks = (long)(Window.TotalSeconds * Stopwatch.Frequency);
    private readonly long quantum;

    // The sends of the last window: when each ended (Stopwatch ticks) and how many it carried.
    private readonly long[] endedAt = new long[WindowEntries];
    private readonly int[] carried = new int[WindowEntries];
    private int oldest;
    private int entries;
    private long inWindow;
    private long start = -1;
    private long sent;

    internal SendPacer(double ratePerSecond)
    {
        if (!(ratePerSecond > 0) || double.IsInfinity(ratePerSecond))
        {
            throw new ArgumentOutOfRangeException(nameof(ratePerSecond), ratePerSecond, "The rate must be a positive number.");
        }

        Rate = ratePerSecond;
        perTick = ratePerSecond / Stopwatch.Frequency;
        WindowLimit = (long)Math.Max(1, Math.Floor(PeakFactor * ratePerSecond * Window.TotalSeconds));
        // Wait until a millisecond's worth is due (at least one datagram), so that at high rates
        // one system call sends a batch and the thread sleeps between batches instead of spinning.
        quantum = (long)Math.Max(1, Math.Min(WindowLimit / 4, ratePerSecond / 1000));
    }

    /// <summary>The datagrams per second asked for.</summary>
    internal double Rate { get; }

    /// <summary>The most datagrams any <see cref="Window"/> holds.</summary>
    internal long WindowLimit { get; }

    /// <summary>Datagrams reported by <see cref="Sent"/>.</summary>
    internal long Count => sent;

    /// <summary>
    /// Waits until at least one datagram may go and returns how many may go now (at most
    /// <paramref name="max"/>); 0 when <paramref name="deadline"/> (Stopwatch ticks) passes or
    /// <paramref name="token"/> is cancelled first.
    /// </summary>
    internal int WaitForTurn(int max, long deadline, CancellationToken token)
    {
        long want = Math.Min(quantum, max);
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
            }

            Expire(now);
            long due = (long)((now - start) * perTick) + 1 - sent;
            long room = WindowLimit - inWindow;
            long allowed = Math.Min(Math.Min(due, room), max);
            // The first datagram goes at once; later ones wait for a quantum unless only fewer are wanted.
            if (allowed >= want || (allowed >= 1 && sent == 0))
            {
                return (int)allowed;
            }

            double scheduleWait = ((sent + want - 1) / perTick) - (now - start);
            double windowWait = room >= want ? 0 : endedAt[oldest] + windowTicks - now;
            double wait = Math.Min(Math.Max(scheduleWait, windowWait), deadline - now);
            if (wait > FineClock.SpinTicks)
            {
                FineClock.Sleep(wait);
            }
            else
            {
                Thread.SpinWait(20);
            }
        }
    }

    /// <summary>Counts datagrams that went, as sent now.</summary>
    internal void Sent(int count)
    {
        sent += count;
        inWindow += count;
        long now = Stopwatch.GetTimestamp();
        if (entries == WindowEntries)
        {
            // Full: the newest send absorbs this one, and ends now (it leaves the window later, never sooner).
            int newest = (oldest + entries - 1) % WindowEntries;
            carried[newest] += count;
            endedAt[newest] = now;
            return;
        }

        int slot = (oldest + entries) % WindowEntries;
        endedAt[slot] = now;
        carried[slot] = count;
        entries++;
    }

    // Forgets the sends that ended a window or more ago.
    private void Expire(long now)
    {
        while (entries > 0 && endedAt[oldest] + windowTicks <= now)
        {
            inWindow -= carried[oldest];
            oldest = (oldest + 1) % WindowEntries;
            entries--;
        }
    }
}
