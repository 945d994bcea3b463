using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.NetworkInformation;
using System.Text.RegularExpressions;

namespace PSUdp.Engine.Interfaces;

/// <summary>Finds network interfaces by name or wildcard, for broadcasts and multicast alike.</summary>
internal static class InterfacePatterns
{
    /// <summary>True when the pattern has wildcards and so may match none or many.</summary>
    internal static bool IsWildcard(string pattern) => pattern.IndexOfAny(new[] { '*', '?' }) >= 0;

    /// <summary>The interfaces whose names match; throws InterfaceNotFound when none does.</summary>
    internal static List<NetworkInterface> Match(string pattern, IReadOnlyCollection<NetworkInterface> interfaces)
    {
        var wildcard = new Regex(
            "^" + Regex.Escape(pattern).Replace(@"\*", ".*").Replace(@"\?", ".") + "$",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
        var matches = interfaces.Where(i => wildcard.IsMatch(i.Name)).ToList();
        if (matches.Count == 0)
        {
            throw new UdpException(UdpErrorKind.InterfaceNotFound,
                $"No network interface is named '{pattern}'. The interfaces here are: {string.Join(", ", interfaces.Select(i => i.Name))}.",
                pattern);
        }

        return matches;
    }

    /// <summary>Up, or (as Linux reports lo) Unknown.</summary>
    internal static bool IsUp(NetworkInterface i) =>
        i.OperationalStatus == OperationalStatus.Up || i.OperationalStatus == OperationalStatus.Unknown;

    /// <summary>Throws InterfaceDown unless the interface is up.</summary>
    internal static void CheckUp(NetworkInterface i)
    {
        if (!IsUp(i))
        {
            throw new UdpException(UdpErrorKind.InterfaceDown,
                $"The network interface '{i.Name}' is {i.OperationalStatus}. Bring it up, or choose another interface.",
                i.Name);
        }
    }

    /// <summary>
    /// Chooses the interfaces that the patterns give for one use (a broadcast's way out, an
    /// interface for multicast): a name must match one that is up, a wildcard takes the interfaces
    /// that are up and suit the use and skips the rest, and each interface is chosen once. Returns
    /// what <paramref name="choose"/> makes of each interface chosen, in the patterns' order (empty
    /// when only wildcards were given and none suits). Throws InterfaceNotFound for a pattern that
    /// matches no name, InterfaceDown for a named interface that is down, and whatever
    /// <paramref name="choose"/> throws for a named one that does not suit.
    /// </summary>
    internal static List<T> Choose<T>(IEnumerable<string> patterns, IReadOnlyCollection<NetworkInterface> interfaces,
        Func<NetworkInterface, bool> suits, Func<NetworkInterface, T> choose)
    {
        var chosen = new List<T>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (string pattern in patterns)
        {
            bool isWildcard = IsWildcard(pattern);
            foreach (NetworkInterface candidate in Match(pattern, interfaces))
            {
                if (isWildcard && (!IsUp(candidate) || !suits(candidate)))
                {
                    continue;
                }

                CheckUp(candidate);
                if (!names.Contains(candidate.Name))
                {
                    chosen.Add(choose(candidate));
                    names.Add(candidate.Name);
                }
            }
        }

        return chosen;
    }
}
