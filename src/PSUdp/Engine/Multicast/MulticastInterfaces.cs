using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using PSUdp.Engine.Interfaces;

namespace PSUdp.Engine.Multicast;

/// <summary>A network interface that groups are joined on, or that multicast leaves through.</summary>
internal sealed class MulticastInterface(string name, int index)
{
    /// <summary>The system's choice: index 0, which the kernel resolves through its routes.</summary>
    internal static readonly MulticastInterface SystemChoice = new("the system's choice", 0);

    /// <summary>The interface's name, such as eth0.</summary>
    internal string Name { get; } = name;

    /// <summary>The interface index (if_nametoindex); 0 for the system's choice.</summary>
    internal int Index { get; } = index;

    public override string ToString() => Name;
}

/// <summary>Turns interface names into the indexes that multicast socket options take.</summary>
internal static class MulticastInterfaces
{
    /// <summary>
    /// The interfaces the patterns name (wildcards allowed; '*' is every up interface that
    /// supports multicast). Throws InterfaceNotFound or InterfaceDown for a name that does not
    /// yield one that is up.
    /// </summary>
    internal static IReadOnlyList<MulticastInterface> Resolve(IEnumerable<string> patterns) =>
        Resolve(patterns, NetworkInterface.GetAllNetworkInterfaces());

    internal static IReadOnlyList<MulticastInterface> Resolve(IEnumerable<string> patterns, IReadOnlyCollection<NetworkInterface> interfaces)
    {
        List<MulticastInterface> chosen = InterfacePatterns.Choose(patterns, interfaces,
            suits: candidate => candidate.SupportsMulticast,
            choose: candidate => new MulticastInterface(candidate.Name, IndexOf(candidate)));
        if (chosen.Count == 0)
        {
            string all = string.Join("', '", patterns);
            throw new UdpException(UdpErrorKind.InterfaceNotFound,
                $"No network interface that is up and supports multicast matches '{all}'.", all);
        }

        return chosen;
    }

    /// <summary>
    /// The one interface an IPv6 group can leave through when none is named: the only up,
    /// non-loopback interface with IPv6 and multicast; null when there is none (the system then
    /// decides, and says so if it cannot). Throws AmbiguousMulticastInterface when there are
    /// several, since which of their ff00::/8 routes the kernel picks is not fixed.
    /// </summary>
    internal static MulticastInterface? OnlyIPv6Interface(string group) =>
        OnlyIPv6Interface(group, NetworkInterface.GetAllNetworkInterfaces());

    internal static MulticastInterface? OnlyIPv6Interface(string group, IReadOnlyCollection<NetworkInterface> interfaces)
    {
        var candidates = interfaces.Where(i =>
                InterfacePatterns.IsUp(i) && i.SupportsMulticast && i.NetworkInterfaceType != NetworkInterfaceType.Loopback
                && i.GetIPProperties().UnicastAddresses.Any(a => a.Address.AddressFamily == AddressFamily.InterNetworkV6))
            .ToList();
        if (candidates.Count > 1)
        {
            throw new UdpException(UdpErrorKind.AmbiguousMulticastInterface,
                $"The IPv6 group {group} could leave through any of {string.Join(", ", candidates.Select(c => c.Name))}, and which one the system picks is not fixed.",
                group);
        }

        return candidates.Count == 1 ? new MulticastInterface(candidates[0].Name, IndexOf(candidates[0])) : null;
    }

    private static int IndexOf(NetworkInterface i)
    {
        IPInterfaceProperties properties = i.GetIPProperties();
        try
        {
            return properties.GetIPv4Properties()?.Index ?? properties.GetIPv6Properties().Index;
        }
        catch (NetworkInformationException)
        {
            // No IPv4 on this interface: its IPv6 properties carry the same index.
            return properties.GetIPv6Properties().Index;
        }
    }
}
