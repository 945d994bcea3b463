using System;
using System.Text;
using PSUdp.Engine.Multicast;
using PSUdp.Engine.Sockets;
using PSUdp.Engine.Text;

namespace PSUdp.Engine.Receive;

/// <summary>What a <see cref="DatagramListener"/> binds and when it stops.</summary>
internal sealed class ListenerOptions
{
    /// <summary>Where and how to bind.</summary>
    public SocketOptions Socket { get; set; } = new();

    /// <summary>Decodes each datagram's Text.</summary>
    public Encoding Encoding { get; set; } = EncodingResolver.Default;

    /// <summary>Stop after this many datagrams; 0 for no limit.</summary>
    public int Count { get; set; }

    /// <summary>Stop after this long; null for no limit.</summary>
    public TimeSpan? Duration { get; set; }

    /// <summary>The most datagrams waiting for the consumer before new ones are dropped.</summary>
    public int QueueCapacity { get; set; } = DatagramLimits.QueueCapacity;

    /// <summary>The most payload bytes waiting for the consumer before new datagrams are dropped.</summary>
    public long QueueByteCapacity { get; set; } = DatagramLimits.QueueByteCapacity;

    /// <summary>The multicast groups to join once bound, and leave when the listener stops.</summary>
    public MulticastRequest Multicast { get; set; } = new();

    /// <summary>The longest datagram kept whole, in bytes; longer ones are cut and marked Truncated.</summary>
    public int MaxDatagramLength { get; set; } = DatagramLimits.MaxDatagramLength;

    /// <summary>Reads one datagram per receive, as systems without recvmmsg do; set by PSUDP_FORCE_PORTABLE=1, or by a test.</summary>
    public bool ReadOneAtATime { get; set; } = Platform.Current.ForcePortable;
}
