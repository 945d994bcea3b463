using System;
using System.Collections.Generic;
using System.Net.NetworkInformation;

namespace PSUdp.Engine;

/// <summary>
/// Chooses the interfaces that name patterns give for one use (a broadcast's way out, an interface
/// for multicast): a name must match one that is up, a wildcard takes the interfaces that are up
/// and suit the use and skips the rest, and each interface is chosen once.
/// </summary>
internal static class InterfaceChoice
{
    /// <summary>
    /// What <paramref name="choose"/> makes of each interface chosen, in the patterns' order (empty
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
            bool isWildcard = InterfacePatterns.IsWildcard(pattern);
            foreach (NetworkInterface candidate in InterfacePatterns.Match(pattern, interfaces))
            {
                if (isWildcard && (!InterfacePatterns.IsUp(candidate) || !suits(candidate)))
                {
                    continue;
                }

                InterfacePatterns.CheckUp(candidate);
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
