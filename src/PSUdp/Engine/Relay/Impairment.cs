using System;

namespace PSUdp.Engine.Relay;

/// <summary>What a relay does to the datagrams of one direction. All zero: it forwards them as they come.</summary>
internal sealed class Impairment
{
    /// <summary>The share of datagrams lost, 0 to 100.</summary>
    public double LossPercent { get; set; }

    /// <summary>
    /// The mean length of a run of lost datagrams; 1 loses each datagram on its own (Bernoulli).
    /// Above 1, loss follows the simple Gilbert model (Gilbert–Elliott with every datagram lost in
    /// the bad state and none in the good one, netem's <c>loss gemodel p r 100 0</c>): the chance
    /// to leave the bad state is r = 1 / length, the chance to enter it p = loss · r / (1 − loss),
    /// so the long-run loss is the asked one.
    /// </summary>
    public double LossBurstLength { get; set; } = 1;

    /// <summary>The mean delay added, in milliseconds.</summary>
    public double DelayMilliseconds { get; set; }

    /// <summary>Each delay is drawn uniformly from [delay − jitter, delay + jitter], in milliseconds.</summary>
    public double JitterMilliseconds { get; set; }

    /// <summary>The share of datagrams sent twice, 0 to 100.</summary>
    public double DuplicatePercent { get; set; }

    /// <summary>The share of datagrams held back behind the next datagram of their flow, 0 to 100.</summary>
    public double ReorderPercent { get; set; }

    /// <summary>The share of datagrams with one payload bit flipped, 0 to 100.</summary>
    public double CorruptPercent { get; set; }

    /// <summary>The most datagrams per second that leave; 0 for no limit.</summary>
    public double RatePerSecond { get; set; }

    /// <summary>The most bits per second that leave, counting the IP and UDP headers; 0 for no limit.</summary>
    public long BitsPerSecond { get; set; }

    /// <summary>The most datagrams held at once (delayed, queued for the rate, or held for reordering); more are dropped at the tail.</summary>
    public int QueueLength { get; set; } = DefaultQueueLength;

    /// <summary>The most payload bytes held at once.</summary>
    public long QueueBytes { get; set; } = DefaultQueueBytes;

    /// <summary>10,000 datagrams: 200 ms of a 50,000-per-second stream.</summary>
    internal const int DefaultQueueLength = 10000;

    /// <summary>64 MiB.</summary>
    internal const long DefaultQueueBytes = 64L * 1024 * 1024;

    /// <summary>How long at most a datagram is held for reordering when no later one of its flow comes.</summary>
    internal static readonly TimeSpan ReorderHold = TimeSpan.FromMilliseconds(100);

    /// <summary>True when some datagrams wait (delay, jitter, a rate or reordering): they go through the relay's clock.</summary>
    internal bool Holds => DelayMilliseconds > 0 || JitterMilliseconds > 0 || RatePerSecond > 0 || BitsPerSecond > 0 || ReorderPercent > 0;

    /// <summary>True when nothing is done to the datagrams.</summary>
    internal bool IsNone => !Holds && LossPercent == 0 && DuplicatePercent == 0 && CorruptPercent == 0;

    /// <summary>The same impairment, for the direction that has none.</summary>
    internal static Impairment None { get; } = new();

    /// <summary>What is wrong with the settings, or null: the engine's own guard (the cmdlet checks first and names parameters).</summary>
    internal string? Problem()
    {
        foreach (double percent in new[] { LossPercent, DuplicatePercent, ReorderPercent, CorruptPercent })
        {
            if (!(percent >= 0 && percent <= 100))
            {
                return $"A percentage of {percent} is outside 0 to 100.";
            }
        }

        if (!(DelayMilliseconds >= 0) || !(JitterMilliseconds >= 0) || !(RatePerSecond >= 0) || BitsPerSecond < 0)
        {
            return "Delays, jitter and rates cannot be negative.";
        }

        if (JitterMilliseconds > DelayMilliseconds)
        {
            return $"A jitter of {JitterMilliseconds} ms is larger than the delay of {DelayMilliseconds} ms: some delays would be negative.";
        }

        if (!(LossBurstLength >= 1))
        {
            return $"A loss burst length of {LossBurstLength} is shorter than one datagram.";
        }

        if (LossBurstLength > 1 && LossPercent > 0 && LossPercent < 100 && BadEntry > 1)
        {
            return $"Runs of {LossBurstLength} lost datagrams on average cannot make {LossPercent} % loss: at that loss a run is at least {MinimumBurstLength(LossPercent):0.##} long.";
        }

        return QueueLength < 1 || QueueBytes < 1 ? "The queue must hold at least one datagram." : null;
    }

    /// <summary>The shortest mean run of lost datagrams that <paramref name="lossPercent"/> allows (the Gilbert model's p ≤ 1).</summary>
    internal static double MinimumBurstLength(double lossPercent) => Math.Max(1, lossPercent / (100 - lossPercent));

    /// <summary>The Gilbert model's chance to enter the bad state (p).</summary>
    internal double BadEntry => LossPercent / 100 / LossBurstLength / (1 - (LossPercent / 100));

    /// <summary>The Gilbert model's chance to leave the bad state (r).</summary>
    internal double BadExit => 1 / LossBurstLength;
}
