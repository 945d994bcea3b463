using System;
using System.Text;
using PSUdp.Engine.Sockets;
using PSUdp.Engine.Text;

namespace PSUdp.Engine.Trace;

/// <summary>How a path is traced.</summary>
internal sealed class TraceSettings
{
    /// <summary>Where the trace's one socket binds, its DSCP and don't-fragment.</summary>
    public SocketOptions Socket { get; set; } = new();

    /// <summary>The largest TTL (hop limit) probed.</summary>
    public int MaxHops { get; set; } = 30;

    /// <summary>Probes per hop.</summary>
    public int Count { get; set; } = 3;

    /// <summary>How long each probe waits for its answer.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Each probe goes to the next destination port (classic traceroute) instead of one flow for the whole trace.</summary>
    public bool VaryPort { get; set; }

    /// <summary>Don't-fragment probes, sized down to each MTU a router reports (tracepath's path MTU discovery).</summary>
    public bool DiscoverMtu { get; set; }

    /// <summary>How replies' Text is decoded.</summary>
    public Encoding Encoding { get; set; } = EncodingResolver.Default;

    /// <summary>
    /// The probes in flight at once, as traceroute's 16 simultaneous queries: hops are probed this
    /// many probes' worth at a time.
    /// </summary>
    internal const int ProbesInFlight = 16;
}
