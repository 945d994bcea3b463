using System;
using System.Diagnostics;
using System.Threading;

namespace PSUdp.Engine.Relay;

/// <summary>What the relay decided for one datagram.</summary>
internal readonly struct RelayDecision(RelayAction action, int corruptBit, bool holdForReorder, long departure)
{
    /// <summary>Lost, QueueFull, or what will be done when it leaves (Duplicated, Corrupted, Delayed).</summary>
    internal RelayAction Action { get; } = action;

    /// <summary>The payload bit to flip, or -1.</summary>
    internal int CorruptBit { get; } = corruptBit;

    /// <summary>True when the datagram waits behind the next one of its flow.</summary>
    internal bool HoldForReorder { get; } = holdForReorder;

    /// <summary>When it leaves, in Stopwatch ticks; 0 for at once.</summary>
    internal long Departure { get; } = departure;

    internal bool Dropped => (Action & (RelayAction.Lost | RelayAction.QueueFull)) != 0;
}

/// <summary>
/// One direction of a relay: its impairment, its own random stream, the state of its loss model
/// and of its rate-limited link, what it holds, and its counts. Every datagram draws the same six
/// random numbers whatever is decided, so a seed makes the same decisions for the same input in
/// the same order. Decisions are taken under the line's lock (a direction's datagrams may arrive
/// on several threads, one per flow).
/// </summary>
internal sealed class RelayLine
{
    private readonly RelayRandom random;
    private readonly long delayTicks;
    private readonly long jitterTicks;
    private readonly double ticksPerDatagram;
    private readonly double ticksPerBit;
    private readonly int headerBytes;
    private bool inBadState;
    private double linkFreeAt;

    // Counts, read by the summary while the relay runs.
    private long received;
    private long forwarded;
    private long lost;
    private long queueFull;
    private long duplicated;
    private long reordered;
    private long corrupted;
    private long discarded;
    private long failed;
    private long refused;
    private int held;
    private long heldBytes;

    internal RelayLine(RelayDirection direction, Impairment impairment, long seed, int headerBytes)
    {
        Direction = direction;
        Impairment = impairment;
        random = new RelayRandom(seed, direction == RelayDirection.ToTarget ? 1UL : 2UL);
        delayTicks = (long)(impairment.DelayMilliseconds * Stopwatch.Frequency / 1000);
        jitterTicks = (long)(impairment.JitterMilliseconds * Stopwatch.Frequency / 1000);
        ticksPerDatagram = impairment.RatePerSecond > 0 ? Stopwatch.Frequency / impairment.RatePerSecond : 0;
        ticksPerBit = impairment.BitsPerSecond > 0 ? (double)Stopwatch.Frequency / impairment.BitsPerSecond : 0;
        this.headerBytes = headerBytes;
    }

    internal RelayDirection Direction { get; }

    internal Impairment Impairment { get; }

    /// <summary>True when datagrams of this line wait on the relay's clock; else they leave on the thread that received them.</summary>
    internal bool Holds => Impairment.Holds;

    /// <summary>Datagrams held now.</summary>
    internal int Held => Volatile.Read(ref held);

    /// <summary>Decides the fate of a datagram of <paramref name="length"/> bytes that arrived at <paramref name="now"/> (Stopwatch ticks).</summary>
    internal RelayDecision Decide(int length, long now)
    {
        lock (this)
        {
            received++;
            double lossDraw = random.NextDouble();
            double corruptDraw = random.NextDouble();
            double bitDraw = random.NextDouble();
            double duplicateDraw = random.NextDouble();
            double reorderDraw = random.NextDouble();
            double jitterDraw = random.NextDouble();
            Impairment i = Impairment;

            if (IsLost(lossDraw))
            {
                lost++;
                return new RelayDecision(RelayAction.Lost, -1, false, 0);
            }

            RelayAction action = RelayAction.Forwarded;
            int bit = -1;
            if (length > 0 && corruptDraw * 100 < i.CorruptPercent)
            {
                bit = (int)Math.Min((long)length * 8 - 1, (long)(bitDraw * length * 8));
                action |= RelayAction.Corrupted;
            }

            bool duplicate = duplicateDraw * 100 < i.DuplicatePercent;
            int copies = duplicate ? 2 : 1;
            if (!Holds)
            {
                Count(action, duplicate);
                return new RelayDecision(duplicate ? action | RelayAction.Duplicated : action, bit, false, 0);
            }

            if (held + copies > i.QueueLength || heldBytes + ((long)length * copies) > i.QueueBytes)
            {
                queueFull++;
                return new RelayDecision(RelayAction.QueueFull, -1, false, 0);
            }

            double departure = now;
            if (ticksPerDatagram > 0 || ticksPerBit > 0)
            {
                double serialization = ticksPerDatagram + (ticksPerBit * (length + headerBytes) * 8);
                linkFreeAt = Math.Max(linkFreeAt, now) + (serialization * copies);
                departure = linkFreeAt;
            }

            if (delayTicks > 0 || jitterTicks > 0)
            {
                departure += delayTicks + ((2 * jitterDraw - 1) * jitterTicks);
            }

            if ((long)departure > now)
            {
                action |= RelayAction.Delayed;
            }

            bool reorder = reorderDraw * 100 < i.ReorderPercent;
            held += copies;
            heldBytes += (long)length * copies;
            Count(action, duplicate);
            return new RelayDecision(duplicate ? action | RelayAction.Duplicated : action, bit, reorder, Math.Max(1, (long)departure));
        }
    }

    // The loss model: Bernoulli, or the simple Gilbert model for runs of loss. The state moves
    // once per datagram, on the one draw: in the good state the draw enters the bad state with
    // chance p, in the bad state it stays with chance 1 - r; a datagram is lost in the bad state.
    private bool IsLost(double draw)
    {
        Impairment i = Impairment;
        if (i.LossPercent <= 0)
        {
            return false;
        }

        if (i.LossPercent >= 100)
        {
            return true;
        }

        if (i.LossBurstLength <= 1)
        {
            return draw * 100 < i.LossPercent;
        }

        inBadState = inBadState ? draw >= i.BadExit : draw < i.BadEntry;
        return inBadState;
    }

    private void Count(RelayAction action, bool duplicate)
    {
        if ((action & RelayAction.Corrupted) != 0)
        {
            corrupted++;
        }

        if (duplicate)
        {
            duplicated++;
        }
    }

    /// <summary>A held datagram (or its copy) left or was given up: it no longer counts against the queue.</summary>
    internal void Released(int length)
    {
        lock (this)
        {
            held--;
            heldBytes -= length;
        }
    }

    internal void Forwarded() => Interlocked.Increment(ref forwarded);

    /// <summary>Takes back a <see cref="Forwarded"/> whose send call failed.</summary>
    internal void NotForwarded() => Interlocked.Decrement(ref forwarded);

    internal void Reordered() => Interlocked.Increment(ref reordered);

    internal void Discarded() => Interlocked.Increment(ref discarded);

    internal void Failed() => Interlocked.Increment(ref failed);

    /// <summary>A datagram from a client that would have been one flow too many.</summary>
    internal void Refused()
    {
        lock (this)
        {
            received++;
            refused++;
        }
    }

    /// <summary>The counts so far.</summary>
    internal UdpRelaySummary Summary(string target, string localEndPoint, long seed, int flows)
    {
        lock (this)
        {
            return new UdpRelaySummary(Direction, localEndPoint, target, seed, received, Interlocked.Read(ref forwarded), lost, queueFull,
                duplicated, Interlocked.Read(ref reordered), corrupted, Interlocked.Read(ref discarded), Interlocked.Read(ref failed), refused, flows, Impairment);
        }
    }
}
