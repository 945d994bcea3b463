using System.Net.Sockets;

namespace PSUdp.Engine;

/// <summary>The largest payloads one UDP datagram can carry, and what a listener keeps waiting.</summary>
internal static class DatagramLimits
{
    /// <summary>65,535 less the IPv4 header (20) and the UDP header (8).</summary>
    internal const int MaxIPv4Payload = 65507;

    /// <summary>65,535 less the UDP header (8); the IPv6 header is not counted in its payload length.</summary>
    internal const int MaxIPv6Payload = 65527;

    /// <summary>The longest datagram a reader keeps whole by default: any datagram of either family.</summary>
    internal const int MaxDatagramLength = 65536;

    /// <summary>
    /// The most datagrams a listener keeps for a pipeline that falls behind: enough for the first
    /// second of a loopback flood while PowerShell compiles the pipeline (docs/performance.md).
    /// </summary>
    internal const int QueueCapacity = 131072;

    /// <summary>The most payload bytes a listener keeps for a pipeline that falls behind.</summary>
    internal const long QueueByteCapacity = 128L * 1024 * 1024;

    internal static int MaxPayload(AddressFamily family) =>
        family == AddressFamily.InterNetworkV6 ? MaxIPv6Payload : MaxIPv4Payload;

    /// <summary>Throws PayloadTooLarge when <paramref name="length"/> does not fit the family.</summary>
    internal static void Check(int length, AddressFamily family, object? target)
    {
        int max = MaxPayload(family);
        if (length > max)
        {
            string name = family == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4";
            throw new UdpException(UdpErrorKind.PayloadTooLarge,
                $"The payload is {length:N0} bytes; one {name} UDP datagram carries at most {max:N0}.",
                target);
        }
    }
}
