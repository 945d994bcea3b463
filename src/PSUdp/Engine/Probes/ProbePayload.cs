using System;
using System.Collections.Generic;
using System.Net;

namespace PSUdp.Engine.Probes;

/// <summary>
/// What Test-UdpConnection sends to one port: protocol probes (the port's own, or one chosen by
/// name), which retries take in turn; or fixed bytes (the caller's own, or an empty datagram for
/// a port without a probe, as nmap sends).
/// </summary>
internal sealed class ProbePayload
{
    private readonly byte[]? bytes;

    private ProbePayload(string name, IReadOnlyList<UdpProbe> probes, byte[]? bytes)
    {
        Name = name;
        Probes = probes;
        this.bytes = bytes;
    }

    /// <summary>The name results show: the probe's (Dns, Snmp...), "Empty" or "Custom".</summary>
    internal string Name { get; }

    /// <summary>The probes, in the order attempts send them; empty for fixed bytes.</summary>
    internal IReadOnlyList<UdpProbe> Probes { get; }

    /// <summary>True when each reply says which request it answers, as a -Count series needs.</summary>
    internal bool MatchesReplies => Probes.Count > 0 && Probes[0].MatchesReplies;

    /// <summary>True when the service answers from another port of the host (TFTP).</summary>
    internal bool AnswersFromAnotherPort => Probes.Count > 0 && Probes[0].AnswersFromAnotherPort;

    /// <summary>The port's own probes, or an empty datagram when it has none.</summary>
    internal static ProbePayload ForPort(int port)
    {
        IReadOnlyList<UdpProbe> probes = ProbeCatalog.ForPort(port);
        return probes.Count == 0 ? new ProbePayload("Empty", probes, Array.Empty<byte>()) : new ProbePayload(probes[0].Name, probes, null);
    }

    /// <summary>
    /// What a trace sends to a port by default: the port's own probes, or for a port without one
    /// the echo probe, a line that carries each probe's number, so the quoted start of every ICMP
    /// error tells which probe it answers.
    /// </summary>
    internal static ProbePayload ForTrace(int port) =>
        ProbeCatalog.ForPort(port).Count > 0 ? ForPort(port) : Of(ProbeCatalog.Get("Echo"));

    /// <summary>True when each request carries its key (the protocols whose replies repeat it), so requests with different keys differ.</summary>
    internal bool CarriesKey => MatchesReplies;

    /// <summary>One named probe, sent to any port.</summary>
    internal static ProbePayload Of(UdpProbe probe) => new(probe.Name, new[] { probe }, null);

    /// <summary>The caller's own bytes.</summary>
    internal static ProbePayload Custom(byte[] payload) => new("Custom", Array.Empty<UdpProbe>(), payload);

    /// <summary>The probe attempt <paramref name="attempt"/> sends, or null for fixed bytes.</summary>
    internal UdpProbe? ProbeFor(int attempt) => Probes.Count == 0 ? null : Probes[attempt % Probes.Count];

    /// <summary>The bytes of attempt <paramref name="attempt"/> with <paramref name="key"/>.</summary>
    internal byte[] Build(int attempt, ProbeKey key, IPEndPoint target) => ProbeFor(attempt)?.Build(key, target) ?? bytes!;

    /// <summary>The first of the probes that recognises <paramref name="reply"/> as its answer in this session, or null.</summary>
    internal ProbeAnswer? Read(byte[] reply, ProbeKey session, out UdpProbe? by)
    {
        foreach (UdpProbe probe in Probes)
        {
            if (probe.Read(reply, session) is { } answer)
            {
                by = probe;
                return answer;
            }
        }

        by = null;
        return null;
    }
}
