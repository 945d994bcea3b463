using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace PSUdp.Engine;

/// <summary>Which address family a caller wants.</summary>
internal enum AddressFamilyChoice
{
    /// <summary>Either; IPv4 addresses come first.</summary>
    Any,

    /// <summary>IPv4 only.</summary>
    IPv4,

    /// <summary>IPv6 only.</summary>
    IPv6,
}

/// <summary>Address parsing, resolution and formatting: the one place names become addresses.</summary>
internal static class Addresses
{
    /// <summary>IPv4-mapped IPv6 addresses become plain IPv4, so <c>-eq '10.0.0.1'</c> works.</summary>
    internal static IPAddress Normalize(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 && address.IsIPv4MappedToIPv6
            ? address.MapToIPv4()
            : address;

    /// <summary>Formats an endpoint as <c>1.2.3.4:5</c> or <c>[::1]:5</c>.</summary>
    internal static string Format(IPAddress address, int port) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]:{port}" : $"{address}:{port}";

    /// <summary>Formats an endpoint as <c>1.2.3.4:5</c> or <c>[::1]:5</c>.</summary>
    internal static string Format(IPEndPoint endPoint) => Format(Normalize(endPoint.Address), endPoint.Port);

    /// <summary>
    /// All addresses of a host name or literal that fit the family choice, IPv4 first for
    /// <see cref="AddressFamilyChoice.Any"/>; throws <see cref="UdpException"/> when there are none.
    /// </summary>
    internal static IReadOnlyList<IPAddress> Resolve(string name, AddressFamilyChoice family, CancellationToken token = default)
    {
        string host = name.Trim();
        if (host.Length == 0)
        {
            throw new UdpException(UdpErrorKind.NameNotResolved,
                "The host name is empty. Give a host name or an IP address.", name);
        }

        if (host.StartsWith("[", System.StringComparison.Ordinal) && host.EndsWith("]", System.StringComparison.Ordinal))
        {
            host = host.Substring(1, host.Length - 2);
        }

        IPAddress[] found;
        if (IPAddress.TryParse(host, out IPAddress? literal))
        {
            found = new[] { Normalize(literal) };
        }
        else
        {
            try
            {
                // The resolver can take seconds to give up (no DNS server reachable); waiting on the
                // asynchronous lookup lets Ctrl+C end the wait at once.
                Task<IPAddress[]> lookup = Dns.GetHostAddressesAsync(host);
                lookup.Wait(token);
                found = lookup.Result;
            }
            catch (System.AggregateException e) when (e.InnerException is SocketException inner)
            {
                throw new UdpException(UdpErrorKind.NameNotResolved,
                    $"The name '{name}' could not be resolved ({inner.SocketErrorCode}). Check the spelling and the DNS settings, or give an IP address.",
                    name, inner);
            }
            catch (System.AggregateException e) when (e.InnerException is System.ArgumentException inner)
            {
                throw new UdpException(UdpErrorKind.NameNotResolved,
                    $"'{name}' is not a valid host name. Give a host name or an IP address.", name, inner);
            }
            catch (SocketException e)
            {
                throw new UdpException(UdpErrorKind.NameNotResolved,
                    $"The name '{name}' could not be resolved ({e.SocketErrorCode}). Check the spelling and the DNS settings, or give an IP address.",
                    name, e);
            }
            catch (System.ArgumentException e)
            {
                throw new UdpException(UdpErrorKind.NameNotResolved,
                    $"'{name}' is not a valid host name. Give a host name or an IP address.", name, e);
            }
        }

        IPAddress[] fitting = found
            .Select(Normalize)
            .Where(a => Fits(a, family))
            .OrderBy(a => a.AddressFamily == AddressFamily.InterNetwork ? 0 : 1)
            .Distinct()
            .ToArray();
        if (fitting.Length > 0)
        {
            return fitting;
        }

        if (found.Length > 0)
        {
            string wanted = family == AddressFamilyChoice.IPv4 ? "IPv4" : "IPv6";
            throw new UdpException(UdpErrorKind.AddressFamilyMismatch,
                $"'{name}' has no {wanted} address (it has {string.Join(", ", found.Select(a => a.ToString()))}).",
                name, setting: UdpSetting.NameFamily, family: wanted);
        }

        throw new UdpException(UdpErrorKind.NameNotResolved,
            $"The name '{name}' resolved to no address. Check the DNS settings, or give an IP address.", name);
    }

    private static bool Fits(IPAddress address, AddressFamilyChoice family) => family switch
    {
        AddressFamilyChoice.IPv4 => address.AddressFamily == AddressFamily.InterNetwork,
        AddressFamilyChoice.IPv6 => address.AddressFamily == AddressFamily.InterNetworkV6,
        _ => true,
    };
}
