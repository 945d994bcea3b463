using System;
using System.Net;

namespace PSUdp;

/// <summary>What one host and port answered to Test-UdpConnection: a verdict with nmap's meaning, and its evidence.</summary>
public sealed class UdpProbeResult
{
    internal UdpProbeResult(string computerName, IPEndPoint target, UdpVerdict verdict, string probe, int attempts,
        UdpDatagram? reply = null, TimeSpan? roundTripTime = null, bool recognized = false, string? answer = null,
        IcmpReport? icmp = null, int? sequence = null)
    {
        ComputerName = computerName;
        RemoteAddress = Engine.Addresses.Normalize(target.Address);
        Port = target.Port;
        Verdict = verdict;
        Probe = probe;
        Attempts = attempts;
        Reply = reply;
        RoundTripTime = roundTripTime;
        Recognized = recognized;
        Answer = answer;
        Icmp = icmp;
        Sequence = sequence;
    }

    /// <summary>The host as it was given: a name or an address.</summary>
    public string ComputerName { get; }

    /// <summary>The address that was probed.</summary>
    public IPAddress RemoteAddress { get; }

    /// <summary>The UDP port that was probed.</summary>
    public int Port { get; }

    /// <summary>Open (a UDP reply), Closed (ICMP port unreachable), Filtered (another ICMP error) or OpenOrFiltered (silence).</summary>
    public UdpVerdict Verdict { get; }

    /// <summary>Why, in nmap's words (its --reason): udp-response, port-unreach, admin-prohibited, host-unreach, no-response...</summary>
    public string Reason => Engine.Probes.Verdicts.Reason(Verdict, Icmp);

    /// <summary>The payload that was sent: a probe's name (Dns, Ntp, Echo...), Empty, or Custom.</summary>
    public string Probe { get; }

    /// <summary>How many datagrams were sent before the verdict (1 + the retries used).</summary>
    public int Attempts { get; }

    /// <summary>The probe's number in a -Count series (0, 1, 2...), or null for a single verdict.</summary>
    public int? Sequence { get; }

    /// <summary>The time from sending the probe that was answered to its reply (or its ICMP error); null after silence.</summary>
    public TimeSpan? RoundTripTime { get; }

    /// <summary>True when the reply was recognised as the probe's protocol answering this request (a DNS answer to this query).</summary>
    public bool Recognized { get; }

    /// <summary>What a recognised reply says ("DNS answer NOERROR: version.bind \"dnsmasq-2.90\""), or null.</summary>
    public string? Answer { get; }

    /// <summary>The reply, when there was one.</summary>
    public UdpDatagram? Reply { get; }

    /// <summary>The ICMP error that came back, when one did; its <c>IsDetailed</c> is false where the system does not tell type, code and sender.</summary>
    public IcmpReport? Icmp { get; }

    /// <summary>The ICMP type of the error (3 destination unreachable; ICMPv6 1), or null.</summary>
    public int? IcmpType => Icmp?.Type;

    /// <summary>The ICMP code of the error (3 port unreachable, 13 administratively prohibited), or null.</summary>
    public int? IcmpCode => Icmp?.Code;

    /// <summary>The address that sent the ICMP error: the host itself, or a router or firewall on the way; null when none came or the system does not tell.</summary>
    public IPAddress? IcmpSource => Icmp?.Source;

    /// <summary>The evidence in one line, for the table view.</summary>
    public string Evidence => Engine.Probes.Verdicts.Evidence(this);

    /// <summary>The host, port and verdict, as in a log line.</summary>
    public override string ToString() => $"{Engine.Addresses.Format(RemoteAddress, Port)} {Verdict}";
}

/// <summary>A UDP port's state as nmap -sU names it.</summary>
public enum UdpVerdict
{
    /// <summary>A UDP reply came back.</summary>
    Open,

    /// <summary>ICMP port unreachable came back: the host is there and nothing listens on the port.</summary>
    Closed,

    /// <summary>Another ICMP error came back (administratively prohibited, host, network or protocol unreachable): something refused the datagram.</summary>
    Filtered,

    /// <summary>Nothing came back after the retries: a service that ignores the probe, or a firewall that drops it.</summary>
    OpenOrFiltered,
}
