using System.Threading;

namespace PSUdp.Engine.Probes;

/// <summary>
/// The probe sockets of one sweep that are open, for the question a silent port of this host
/// raises: was another socket of the sweep open while it was probed? The system gives those
/// sockets ports of the range being swept, and one that holds the port catches its probes (see
/// <see cref="PortProber.Verdict"/>); a port probed while no other was open cannot have met one.
/// </summary>
internal sealed class SweepSockets
{
    private int open;
    private int opened;

    /// <summary>Counts a socket that has just opened; the mark to give <see cref="OthersSince"/> for what it probes.</summary>
    internal Mark Opening()
    {
        int number = Interlocked.Increment(ref opened);
        bool others = Interlocked.Increment(ref open) > 1;
        return new Mark(number, others);
    }

    /// <summary>The mark for a probe that begins now on a socket already counted.</summary>
    internal Mark Now() => new(Volatile.Read(ref opened), Volatile.Read(ref open) > 1);

    /// <summary>Counts a socket that has closed.</summary>
    internal void Closed() => Interlocked.Decrement(ref open);

    /// <summary>True when a socket other than the caller's one was open at some moment since <paramref name="mark"/>.</summary>
    internal bool OthersSince(Mark mark) =>
        mark.Others || Volatile.Read(ref open) > 1 || Volatile.Read(ref opened) != mark.Opened;

    /// <summary>
    /// The moment a probe began: how many sockets the sweep had opened by then, and whether another
    /// was open. The caller's own socket opened last, at or before it.
    /// </summary>
    internal readonly struct Mark
    {
        internal Mark(int opened, bool others)
        {
            Opened = opened;
            Others = others;
        }

        internal int Opened { get; }

        internal bool Others { get; }
    }
}
