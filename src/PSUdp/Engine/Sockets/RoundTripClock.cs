using System;
using System.Diagnostics;

namespace PSUdp.Engine.Sockets;

/// <summary>
/// The clock of round trips: Stopwatch ticks, so that waits and round trips share one clock. A
/// round trip starts right before the send and ends at the answer's arrival (a reply or an ICMP
/// error): the kernel's receive stamp where the reader has it (SO_TIMESTAMPNS, on the error
/// queue's entries too), so neither PSUdp's wake-up nor the work after the read is inside it;
/// elsewhere the moment the read returned. A kernel time (UTC) moves onto the Stopwatch by the two
/// clocks' offset, read together at that moment.
/// </summary>
internal static class RoundTripClock
{
    /// <summary>When an answer came: the kernel's receive time (UTC ticks; 0 when it is not known) on the Stopwatch, else now.</summary>
    internal static long Arrived(long kernelUtcTicks)
    {
        long now = Stopwatch.GetTimestamp();
        if (kernelUtcTicks == 0)
        {
            return now;
        }

        long utcNow = DateTime.UtcNow.Ticks;
        return now - (long)((utcNow - kernelUtcTicks) * (double)Stopwatch.Frequency / TimeSpan.TicksPerSecond);
    }

    /// <summary>The time between two Stopwatch times.</summary>
    internal static TimeSpan Between(long from, long to) =>
        TimeSpan.FromTicks((long)((to - from) * (double)TimeSpan.TicksPerSecond / Stopwatch.Frequency));
}
