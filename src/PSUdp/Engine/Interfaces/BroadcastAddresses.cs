using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace PSUdp.Engine.Interfaces;

/// <summary>An IPv4 interface that a directed broadcast can leave through.</summary>
internal sealed class BroadcastInterface(string name, IPAddress address, IPAddress broadcast)
{
    /// <summary>The interface's name, such as eth0.</summary>
    internal string Name { get; } = name;

    /// <summary>The interface's IPv4 address: the source of what leaves through it.</summary>
    internal IPAddress Address { get; } = address;

    /// <summary>The directed broadcast address of the interface's subnet.</summary>
    internal IPAddress Broadcast { get; } = broadcast;
}

/// <summary>Finds interfaces by name and their directed broadcast addresses.</summary>
internal static class BroadcastAddresses
{
    /// <summary>The limited broadcast address, 255.255.255.255.</summary>
    internal static IPAddress Limited => IPAddress.Broadcast;

    /// <summary>Throws AddressFamilyMismatch unless <paramref name="destination"/> can be a broadcast destination (IPv4).</summary>
    internal static void CheckDestination(IPAddress destination)
    {
        if (destination.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new UdpException(UdpErrorKind.AddressFamilyMismatch,
                $"{destination} is not an IPv4 address; IPv6 has no broadcast. Give an IPv4 broadcast address such as 255.255.255.255.",
                destination);
        }
    }

    /// <summary>The names of this computer's network interfaces, for tab completion.</summary>
    internal static IEnumerable<string> InterfaceNames() =>
        NetworkInterface.GetAllNetworkInterfaces().Select(i => i.Name).OrderBy(n => n, StringComparer.Ordinal);

    /// <summary>
    /// The interfaces whose names match the patterns (wildcards allowed; '*' matches every up,
    /// non-loopback IPv4 interface). Throws InterfaceNotFound, InterfaceDown or NoBroadcastAddress
    /// for a name that does not yield one.
    /// </summary>
    internal static IReadOnlyList<BroadcastInterface> Resolve(IEnumerable<string> patterns) =>
        Resolve(patterns, NetworkInterface.GetAllNetworkInterfaces());

    internal static IReadOnlyList<BroadcastInterface> Resolve(IEnumerable<string> patterns, IReadOnlyCollection<NetworkInterface> interfaces)
    {
        // A wildcard takes the interfaces a broadcast can leave through and skips the rest.
        List<BroadcastInterface> chosen = InterfacePatterns.Choose(patterns, interfaces,
            suits: candidate => candidate.NetworkInterfaceType != NetworkInterfaceType.Loopback && Directed(candidate) is not null,
            choose: candidate => Directed(candidate)
                ?? throw new UdpException(UdpErrorKind.NoBroadcastAddress,
                    $"The network interface '{candidate.Name}' has no IPv4 address with a subnet mask, so it has no broadcast address. Choose an interface with an IPv4 address.",
                    candidate.Name));
        if (chosen.Count == 0)
        {
            throw new UdpException(UdpErrorKind.InterfaceNotFound,
                $"No network interface that is up and has an IPv4 broadcast address matches '{string.Join("', '", patterns)}'.",
                string.Join(",", patterns));
        }

        return chosen;
    }

    private static BroadcastInterface? Directed(NetworkInterface i)
    {
        foreach (UnicastIPAddressInformation unicast in i.GetIPProperties().UnicastAddresses)
        {
            if (unicast.Address.AddressFamily != AddressFamily.InterNetwork || unicast.IPv4Mask is null || unicast.IPv4Mask.Equals(IPAddress.Any))
            {
                continue;
            }

            byte[] address = unicast.Address.GetAddressBytes();
            byte[] mask = unicast.IPv4Mask.GetAddressBytes();
            for (int b = 0; b < 4; b++)
            {
                address[b] = (byte)(address[b] | ~mask[b]);
            }

            return new BroadcastInterface(i.Name, unicast.Address, new IPAddress(address));
        }

        return null;
    }
}
