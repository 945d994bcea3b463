using System;
using System.Collections.Generic;
using System.Net;

namespace PSUdp.Engine.Probes;

/// <summary>
/// What a sweep has learnt of each host's round trip, as nmap learns it: a smoothed round trip and
/// its variation (RFC 6298's estimator) from every probe answered at its first attempt (Karn's
/// rule: an answer to a datagram sent again could be to either). Each probe to that host waits
/// <see cref="Wait"/>: the estimate's timeout, at least <see cref="Floor"/> (nmap -T4's minimum)
/// and at most the caller's ceiling; before any answer, the ceiling.
/// </summary>
internal sealed class HostRoundTrip
{
    private readonly Dictionary<IPAddress, Estimate> hosts = new();

    /// <summary>The shortest wait: nmap -T4's --min-rtt-timeout.</summary>
    internal static TimeSpan Floor { get; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Adds the round trip of a probe to <paramref name="address"/> answered at its first attempt.</summary>
    internal void Add(IPAddress address, TimeSpan roundTrip)
    {
        double sample = roundTrip.TotalSeconds;
        lock (hosts)
        {
            if (!hosts.TryGetValue(address, out Estimate? estimate))
            {
                hosts[address] = new Estimate { Smoothed = sample, Variation = sample / 2 };
                return;
            }

            estimate.Variation = (0.75 * estimate.Variation) + (0.25 * Math.Abs(estimate.Smoothed - sample));
            estimate.Smoothed = (0.875 * estimate.Smoothed) + (0.125 * sample);
        }
    }

    /// <summary>How long a probe to <paramref name="address"/> waits for its answer: between <see cref="Floor"/> and <paramref name="ceiling"/>.</summary>
    internal TimeSpan Wait(IPAddress address, TimeSpan ceiling)
    {
        lock (hosts)
        {
            if (!hosts.TryGetValue(address, out Estimate? estimate))
            {
                return ceiling;
            }

            TimeSpan timeout = TimeSpan.FromSeconds(estimate.Smoothed + (4 * estimate.Variation));
            return timeout < Floor ? (Floor < ceiling ? Floor : ceiling) : (timeout < ceiling ? timeout : ceiling);
        }
    }

    private sealed class Estimate
    {
        internal double Smoothed;
        internal double Variation;
    }
}
