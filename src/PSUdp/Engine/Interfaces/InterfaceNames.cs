using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Net.NetworkInformation;
using System.Runtime.InteropServices;
using System.Text;
using PSUdp.Engine.Sockets;

namespace PSUdp.Engine.Interfaces;

/// <summary>
/// Interface names by index (the packet information gives the index), looked up once per index:
/// if_indextoname where libc has it, else the system's interface list.
/// </summary>
internal static class InterfaceNames
{
    private static readonly ConcurrentDictionary<int, string> Names = new();

    /// <summary>The name of the interface with this index, or null when there is none.</summary>
    /// <remarks>Only a name found is remembered: a lookup that failed (an interface not there yet,
    /// or a system call that failed for the moment) is tried again next time.</remarks>
    internal static string? Of(int index)
    {
        if (Names.TryGetValue(index, out string? known))
        {
            return known;
        }

        string? found = Find(index);
        if (found is not null)
        {
            Names[index] = found;
        }

        return found;
    }

    private static string? Find(int index)
    {
        if (Platform.Current.InterfaceNamesByIndex)
        {
            try
            {
                var name = new StringBuilder(64); // IF_NAMESIZE is 16
                if (if_indextoname((uint)index, name) != IntPtr.Zero)
                {
                    return name.ToString();
                }
            }
            catch (Exception e) when (e is DllNotFoundException || e is EntryPointNotFoundException)
            {
                // No libc with it: ask the interface list below.
            }
        }

        try
        {
            return NetworkInterface.GetAllNetworkInterfaces().FirstOrDefault(n => IndexOf(n) == index)?.Name;
        }
        catch (NetworkInformationException)
        {
            return null;
        }
    }

    private static int IndexOf(NetworkInterface nic)
    {
        IPInterfaceProperties properties = nic.GetIPProperties();
        return properties.GetIPv4Properties()?.Index ?? properties.GetIPv6Properties()?.Index ?? -1;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern IntPtr if_indextoname(uint index, StringBuilder name);
}
