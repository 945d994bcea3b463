using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net;
using System.Threading;

namespace PSUdp.Engine.Probes;

/// <summary>
/// Spaces the probes sent to each host so that its ICMP rate limit does not turn closed ports into
/// silence. Linux answers a host with at most a burst of 6 ICMP errors and then one per
/// net.ipv4.icmp_ratelimit (1000 ms) per destination, and sends loopback errors without limit;
/// this mirrors that: a bucket of <see cref="Burst"/> sends per host, refilled one per
/// <see cref="Interval"/>, and no limit for loopback addresses. The interval is a tenth of a second
/// longer than the kernel's: at exactly its pace a probe delayed a little on the way (a loaded
/// host) reaches the host before its allowance and a closed port looks silent.
/// </summary>
internal sealed class HostPacer
{
    private readonly Dictionary<IPAddress, Bucket> buckets = new();

    internal HostPacer(int burst = 6, TimeSpan? interval = null)
    {
        Burst = burst;
        Interval = interval ?? TimeSpan.FromMilliseconds(1100);
    }

    /// <summary>Sends a host may take at once.</summary>
    internal int Burst { get; }

    /// <summary>The time that earns a host one more send.</summary>
    internal TimeSpan Interval { get; }

    /// <summary>Blocks until one more datagram may go to <paramref name="address"/>; throws OperationCanceledException when cancelled.</summary>
    internal void Wait(IPAddress address, CancellationToken token)
    {
        while (true)
        {
            token.ThrowIfCancellationRequested();
            if (TryTake(address, out long readyAt))
            {
                return;
            }

            // Short sleeps, so that Ctrl+C is seen within a tenth of a second.
            double wait = (readyAt - Stopwatch.GetTimestamp()) * 1000.0 / Stopwatch.Frequency;
            token.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(Math.Max(1, Math.Min(100, wait))));
        }
    }

    /// <summary>
    /// Takes one send for <paramref name="address"/> when it has one; else false, and
    /// <paramref name="readyAt"/> (Stopwatch ticks) says when it will: for a caller with more to
    /// do than wait (reading replies meanwhile).
    /// </summary>
    internal bool TryTake(IPAddress address, out long readyAt)
    {
        readyAt = 0;
        if (IPAddress.IsLoopback(address) || Burst <= 0)
        {
            return true;
        }

        lock (buckets)
        {
            if (!buckets.TryGetValue(address, out Bucket? bucket))
            {
                bucket = new Bucket { Tokens = Burst, Updated = Stopwatch.GetTimestamp() };
                buckets[address] = bucket;
            }

            long now = Stopwatch.GetTimestamp();
            double earned = (now - bucket.Updated) / (double)Stopwatch.Frequency / Interval.TotalSeconds;
            bucket.Tokens = Math.Min(Burst, bucket.Tokens + earned);
            bucket.Updated = now;
            if (bucket.Tokens >= 1)
            {
                bucket.Tokens -= 1;
                return true;
            }

            readyAt = now + (long)((1 - bucket.Tokens) * Interval.TotalSeconds * Stopwatch.Frequency) + 1;
            return false;
        }
    }

    private sealed class Bucket
    {
        internal double Tokens;
        internal long Updated;
    }
}
