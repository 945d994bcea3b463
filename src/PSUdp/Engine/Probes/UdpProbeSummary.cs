using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;

namespace PSUdp;

/// <summary>A -Count series to one host and port, summed up like ping's statistics.</summary>
public sealed class UdpProbeSummary
{
    internal UdpProbeSummary(string computerName, IPEndPoint target, string probe, int sent, IReadOnlyList<TimeSpan> roundTrips,
        int duplicates, int reordered, int late, int refused, IcmpReport? lastIcmp)
    {
        ComputerName = computerName;
        RemoteAddress = Engine.Addresses.Normalize(target.Address);
        Port = target.Port;
        Probe = probe;
        Sent = sent;
        Received = roundTrips.Count;
        Duplicates = duplicates;
        Reordered = reordered;
        Late = late;
        Refused = refused;
        Icmp = lastIcmp;
        if (roundTrips.Count == 0)
        {
            return;
        }

        double[] ms = roundTrips.Select(t => t.TotalMilliseconds).ToArray();
        double mean = ms.Average();
        Minimum = TimeSpan.FromTicks(roundTrips.Min(t => t.Ticks));
        Maximum = TimeSpan.FromTicks(roundTrips.Max(t => t.Ticks));
        Average = FromMilliseconds(mean);
        StandardDeviation = FromMilliseconds(Math.Sqrt(ms.Sum(x => (x - mean) * (x - mean)) / ms.Length));
        Jitter = ms.Length < 2 ? TimeSpan.Zero : FromMilliseconds(ms.Zip(ms.Skip(1), (a, b) => Math.Abs(b - a)).Average());
        double[] sorted = ms.OrderBy(x => x).ToArray();
        P50 = FromMilliseconds(Percentile(sorted, 50));
        P90 = FromMilliseconds(Percentile(sorted, 90));
        P99 = FromMilliseconds(Percentile(sorted, 99));
    }

    /// <summary>The host as it was given.</summary>
    public string ComputerName { get; }

    /// <summary>The address that was probed.</summary>
    public IPAddress RemoteAddress { get; }

    /// <summary>The UDP port that was probed.</summary>
    public int Port { get; }

    /// <summary>The payload that was sent (a probe's name, Empty or Custom).</summary>
    public string Probe { get; }

    /// <summary>Open when any probe was answered; Closed or Filtered when only ICMP errors came; else OpenOrFiltered.</summary>
    public UdpVerdict Verdict => Received > 0 || Late > 0 ? UdpVerdict.Open
        : Icmp is { } icmp ? Engine.Probes.Verdicts.FromIcmp(icmp) : UdpVerdict.OpenOrFiltered;

    /// <summary>Probes sent.</summary>
    public int Sent { get; }

    /// <summary>Probes answered within the timeout (each counted once).</summary>
    public int Received { get; }

    /// <summary>Probes not answered within the timeout.</summary>
    public int Lost => Sent - Received;

    /// <summary>Lost as a percentage of Sent.</summary>
    public double LossPercent => Sent == 0 ? 0 : Math.Round(100.0 * Lost / Sent, 2);

    /// <summary>Replies to a probe that had already been answered.</summary>
    public int Duplicates { get; }

    /// <summary>Replies that came after the reply to a later probe.</summary>
    public int Reordered { get; }

    /// <summary>Replies that came after their probe's timeout (counted as lost, not received).</summary>
    public int Late { get; }

    /// <summary>Probes answered with an ICMP error instead of a reply.</summary>
    public int Refused { get; }

    /// <summary>The last ICMP error, when one came.</summary>
    public IcmpReport? Icmp { get; }

    /// <summary>The shortest round trip; null when nothing was received.</summary>
    public TimeSpan? Minimum { get; }

    /// <summary>The mean round trip.</summary>
    public TimeSpan? Average { get; }

    /// <summary>The longest round trip.</summary>
    public TimeSpan? Maximum { get; }

    /// <summary>The population standard deviation of the round trips (ping's mdev).</summary>
    public TimeSpan? StandardDeviation { get; }

    /// <summary>The mean absolute difference of successive round trips (RFC 3550's idea of jitter, unsmoothed).</summary>
    public TimeSpan? Jitter { get; }

    /// <summary>The median round trip (nearest rank).</summary>
    public TimeSpan? P50 { get; }

    /// <summary>The 90th percentile of the round trips (nearest rank).</summary>
    public TimeSpan? P90 { get; }

    /// <summary>The 99th percentile of the round trips (nearest rank).</summary>
    public TimeSpan? P99 { get; }

    /// <summary>The host, port, loss and average, as in a log line.</summary>
    public override string ToString() =>
        $"{Engine.Addresses.Format(RemoteAddress, Port)} {Received}/{Sent} received, {LossPercent}% loss" +
        (Average is { } a ? $", average {a.TotalMilliseconds:0.###} ms" : string.Empty);

    private static TimeSpan FromMilliseconds(double ms) => TimeSpan.FromTicks((long)Math.Round(ms * TimeSpan.TicksPerMillisecond));

    // Nearest rank: the smallest value with at least p% of the values at or below it.
    private static double Percentile(double[] sorted, int p) =>
        sorted[Math.Max(0, (int)Math.Ceiling(p / 100.0 * sorted.Length) - 1)];
}
