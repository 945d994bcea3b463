using System;
using System.Text;
using PSUdp.Engine.Sockets;
using PSUdp.Engine.Text;

namespace PSUdp.Engine.Probes;

/// <summary>How Test-UdpConnection probes each target.</summary>
internal sealed class ProbeSettings
{
    /// <summary>Where the probe sockets bind.</summary>
    public SocketOptions Socket { get; set; } = new();

    /// <summary>Datagrams sent again after silence, for a verdict (not in a series).</summary>
    public int Retries { get; set; } = 2;

    /// <summary>How long each probe waits for its answer at most (the ceiling of what <see cref="RoundTrips"/> says each waits).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>0 for one verdict per target; N for a series of N probes and a summary.</summary>
    public int Count { get; set; }

    /// <summary>The time between the probes of a series.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>In a series, also report each probe.</summary>
    public bool Detailed { get; set; }

    /// <summary>Targets probed at once (a host's ports that share a socket count one each).</summary>
    public int ThrottleLimit { get; set; } = 32;

    /// <summary>Each host's round trip as the answers so far tell it: how long a probe waits before it is sent again.</summary>
    public HostRoundTrip RoundTrips { get; set; } = new();

    /// <summary>Spaces the datagrams to each host (ICMP rate limits).</summary>
    public HostPacer Pacer { get; set; } = new();

    /// <summary>The sweep's probe sockets that are open: whether a silent port of this host could have met another (see <see cref="PortProber.Verdict"/>).</summary>
    public SweepSockets Sockets { get; } = new();

    /// <summary>How replies' Text is decoded.</summary>
    public Encoding Encoding { get; set; } = EncodingResolver.Default;
}
