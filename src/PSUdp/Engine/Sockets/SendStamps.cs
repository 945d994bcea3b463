using System;
using System.Collections.Generic;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using PSUdp.Engine.Linux;

namespace PSUdp.Engine.Sockets;

/// <summary>
/// Linux: the kernel's own time of each datagram a socket sent, so that a round trip runs from the
/// kernel's send stamp to its receive stamp (SO_TIMESTAMPNS) in one clock, CLOCK_REALTIME, and
/// nothing PSUdp does between the two (a thread's wake-up, the JIT of a first call) is inside it.
/// SO_TIMESTAMPING with software transmit stamps, OPT_ID (each entry names the datagram it is
/// about: the socket's sends are counted from 0) and OPT_TSONLY (the entry carries no copy of the
/// datagram); the entries come on the socket's error queue, beside the ICMP errors, and
/// <see cref="Icmp.IcmpErrorQueue"/> hands them here as it reads it. A stamp is taken only when it
/// falls between the moments around its send call (and before the next send), so a count that
/// went astray gives no round trip rather than a wrong one. ICMP errors read while looking for a
/// stamp are kept for the socket's owner (<see cref="TakeErrors"/>): reading them cleared the
/// socket's pending error, so no later call reports them. Elsewhere <see cref="TryEnable"/> is null.
/// </summary>
internal sealed class SendStamps
{
    private const int SoTimestamping = 37;
    private const int TxSoftware = 1 << 1;
    private const int Software = 1 << 4;
    private const int OptId = 1 << 7;
    private const int OptTsOnly = 1 << 11;
    private const int OptRxFilter = 1 << 17; // Linux 6.12: no SCM_TIMESTAMPING on what the socket receives (SO_TIMESTAMPNS stamps that)

    // A software transmit stamp is taken as the datagram leaves the stack: within the send call on
    // loopback and veth, at most this much after it where a queueing discipline held it.
    private static readonly long LateTicks = TimeSpan.FromSeconds(1).Ticks;
    private static readonly long EarlyTicks = 20; // 2 us: DateTime.UtcNow and the kernel read the same clock

    private readonly List<long> before = new();
    private readonly List<long> after = new();
    private readonly Dictionary<uint, long> kernel = new();
    private readonly List<IcmpReport> errors = new();
    private readonly Socket socket;

    private SendStamps(Socket socket) => this.socket = socket;

    /// <summary>Switches transmit stamps on for the socket; null where the system has none (or refuses).</summary>
    internal static SendStamps? TryEnable(Socket socket)
    {
        const int flags = TxSoftware | Software | OptId | OptTsOnly;
        if (LinuxNative.HandleOf(socket) is not SafeHandle handle || !Icmp.IcmpErrorQueue.IsAvailable
            || !(LinuxNative.SetInt(handle, LinuxNative.SolSocket, SoTimestamping, flags | OptRxFilter)
                || LinuxNative.SetInt(handle, LinuxNative.SolSocket, SoTimestamping, flags)))
        {
            return null;
        }

        return new SendStamps(socket);
    }

    /// <summary>The UTC ticks to read right before a send call.</summary>
    internal static long Now() => DateTime.UtcNow.Ticks;

    /// <summary>Records a send that succeeded, between <paramref name="beforeUtcTicks"/> and now; returns its number.</summary>
    [MethodImpl(HotPath.Optimized)]
    internal int Sent(long beforeUtcTicks)
    {
        before.Add(beforeUtcTicks);
        after.Add(DateTime.UtcNow.Ticks);
        return before.Count - 1;
    }

    /// <summary>Keeps the kernel's stamp of the send numbered <paramref name="id"/> (UTC ticks), read off the error queue.</summary>
    internal void Add(uint id, long utcTicks) => kernel[id] = utcTicks;

    /// <summary>
    /// The kernel's time of send <paramref name="number"/> (UTC ticks), reading the error queue when
    /// it is not known yet; false when the kernel gave none that fits the send.
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    internal bool TryGet(int number, out long utcTicks)
    {
        utcTicks = 0;
        if (number < 0 || number >= before.Count)
        {
            return false;
        }

        if (!kernel.ContainsKey((uint)number))
        {
            errors.AddRange(Icmp.IcmpErrorQueue.ReadAll(socket, stamps: this));
        }

        if (!kernel.TryGetValue((uint)number, out long stamp))
        {
            return false;
        }

        long latest = number + 1 < before.Count ? Math.Min(before[number + 1], after[number] + LateTicks) : after[number] + LateTicks;
        if (stamp < before[number] - EarlyTicks || stamp > latest)
        {
            return false;
        }

        utcTicks = stamp;
        return true;
    }

    /// <summary>
    /// Reads every stamp waiting on the error queue (keeping any ICMP error for <see cref="TakeErrors"/>),
    /// so stamps that no round trip will ask for do not take the socket's receive buffer.
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    internal void Drain() => errors.AddRange(Icmp.IcmpErrorQueue.ReadAll(socket, stamps: this));

    /// <summary>True when ICMP errors read while looking for stamps wait for <see cref="TakeErrors"/>.</summary>
    internal bool HasErrors => errors.Count > 0;

    /// <summary>The ICMP errors read while looking for stamps, oldest first, and forgets them.</summary>
    internal List<IcmpReport> TakeErrors()
    {
        var taken = new List<IcmpReport>(errors);
        errors.Clear();
        return taken;
    }
}
