using System;
using System.Net;

namespace PSUdp;

/// <summary>What a repeated send did: how many datagrams went to one target, how long it took, how fast.</summary>
public sealed class UdpSendSummary
{
    internal UdpSendSummary(IPEndPoint target, int length, long sent, TimeSpan elapsed, double? requestedRate, long systemCalls, long refused)
    {
        RemoteAddress = target.Address;
        RemotePort = target.Port;
        Length = length;
        Sent = sent;
        Elapsed = elapsed;
        RequestedRate = requestedRate;
        SystemCalls = systemCalls;
        Refused = refused;
        RatePerSecond = elapsed > TimeSpan.Zero ? sent / elapsed.TotalSeconds : 0;
    }

    /// <summary>The address the datagrams went to.</summary>
    public IPAddress RemoteAddress { get; }

    /// <summary>The port the datagrams went to.</summary>
    public int RemotePort { get; }

    /// <summary>The address and port as one string, such as 127.0.0.1:9 or [::1]:9.</summary>
    public string RemoteEndPoint => Engine.Addresses.Format(RemoteAddress, RemotePort);

    /// <summary>The payload bytes of each datagram.</summary>
    public int Length { get; }

    /// <summary>The datagrams the system took to send.</summary>
    public long Sent { get; }

    /// <summary>From the first send to the end of the run.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>The achieved rate: datagrams sent per second of <see cref="Elapsed"/>.</summary>
    public double RatePerSecond { get; }

    /// <summary>The rate asked for, or null for as fast as the socket takes them.</summary>
    public double? RequestedRate { get; }

    /// <summary>The send system calls made (several datagrams per call where the system batches them).</summary>
    public long SystemCalls { get; }

    /// <summary>How many times the target answered with ICMP port unreachable during the run.</summary>
    public long Refused { get; }
}
