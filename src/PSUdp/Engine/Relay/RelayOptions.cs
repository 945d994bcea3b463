using System;
using System.Net;
using System.Text;
using PSUdp.Engine.Sockets;
using PSUdp.Engine.Text;

namespace PSUdp.Engine.Relay;

/// <summary>What a <see cref="UdpRelay"/> binds, where it forwards, what it does to the traffic and when it stops.</summary>
internal sealed class RelayOptions
{
    /// <summary>The socket clients send to.</summary>
    public SocketOptions Socket { get; set; } = new();

    /// <summary>The one endpoint everything is forwarded to.</summary>
    public IPEndPoint Target { get; set; } = new(IPAddress.Loopback, 0);

    /// <summary>What is done to the clients' datagrams.</summary>
    public Impairment ToTarget { get; set; } = Impairment.None;

    /// <summary>What is done to the target's answers.</summary>
    public Impairment ToClient { get; set; } = Impairment.None;

    /// <summary>The seed of every random decision.</summary>
    public long Seed { get; set; }

    /// <summary>Stop after this many datagrams in either direction; 0 for no limit.</summary>
    public int Count { get; set; }

    /// <summary>Stop after this long; null for no limit.</summary>
    public TimeSpan? Duration { get; set; }

    /// <summary>A flow with no datagram either way for this long is closed.</summary>
    public TimeSpan FlowTimeout { get; set; } = TimeSpan.FromSeconds(DefaultFlowTimeoutSeconds);

    /// <summary>The most flows at once; datagrams of further clients are refused.</summary>
    public int MaximumFlows { get; set; } = DefaultMaximumFlows;

    /// <summary>Keep every datagram with what was done to it, for the consumer.</summary>
    public bool Record { get; set; }

    /// <summary>Decodes the recorded datagrams' Text.</summary>
    public Encoding Encoding { get; set; } = EncodingResolver.Default;

    /// <summary>A minute, as a NAT keeps an idle UDP mapping.</summary>
    internal const int DefaultFlowTimeoutSeconds = 60;

    /// <summary>512 clients at once, each with its own socket.</summary>
    internal const int DefaultMaximumFlows = 512;
}

/// <summary>A datagram that went through a relay, with what the relay did to it.</summary>
internal sealed class RelayedDatagram(UdpDatagram datagram, RelayDirection direction, RelayAction action, TimeSpan held, IPEndPoint client)
{
    /// <summary>The datagram as the relay received it (before any bit was flipped).</summary>
    internal UdpDatagram Datagram { get; } = datagram;

    internal RelayDirection Direction { get; } = direction;

    internal RelayAction Action { get; } = action;

    /// <summary>How long the relay held it before it left (zero when it left at once or not at all).</summary>
    internal TimeSpan Held { get; } = held;

    /// <summary>The client of its flow.</summary>
    internal IPEndPoint Client { get; } = client;
}
