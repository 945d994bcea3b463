using System;
using System.Runtime.InteropServices;

namespace PSUdp.Engine.Sockets;

/// <summary>The systems whose differences the engine knows.</summary>
internal enum SystemKind
{
    Linux,
    Windows,
    /// <summary>macOS, the BSDs and anything else: the portable .NET paths only.</summary>
    Other,
}

/// <summary>How a listener takes datagrams off its socket.</summary>
internal enum ReceivePath
{
    /// <summary>Linux: recvmmsg, many datagrams and their control messages per system call, read in place.</summary>
    Batch,
    /// <summary>Everywhere: Socket.ReceiveMessageFrom, one datagram per call.</summary>
    OneAtATime,
}

/// <summary>How the system tells a UDP socket that an ICMP error came back for what it sent.</summary>
internal enum IcmpErrorPath
{
    /// <summary>Linux: IP_RECVERR on, and the error queue (MSG_ERRQUEUE) gives the type, code and sender.</summary>
    ErrorQueue,
    /// <summary>
    /// Windows: the next receive fails with WSAECONNRESET (port unreachable) or WSAENETRESET (TTL
    /// expired), unless SIO_UDP_CONNRESET turns that off; no detail beyond the error code.
    /// </summary>
    Winsock,
    /// <summary>Other systems: the next call fails with ECONNREFUSED; no detail.</summary>
    Portable,
}

/// <summary>
/// The one place the engine chooses a path by system: every platform difference PSUdp relies on
/// is a property here, decided once when the module loads. A port to a new system starts here;
/// docs/platforms.md has the differences in one table, and what Wine's Winsock does.
/// </summary>
internal sealed class Platform
{
    private Platform(SystemKind system, bool forcePortable, bool is64Bit)
    {
        System = system;
        ForcePortable = forcePortable;
        bool linux = system == SystemKind.Linux;
        bool linuxFast = linux && !forcePortable;
        Receive = linuxFast ? ReceivePath.Batch : ReceivePath.OneAtATime;
        NativeHandles = linuxFast && is64Bit;
        ForcedReceiveBuffer = linuxFast;
        IcmpErrors = linux ? IcmpErrorPath.ErrorQueue : system == SystemKind.Windows ? IcmpErrorPath.Winsock : IcmpErrorPath.Portable;
        LinuxSocketOptions = linux;
        InterfaceNamesByIndex = system != SystemKind.Windows;
        TruncationLosesPacketInformation = system == SystemKind.Windows;
        FineSleep = linux;
    }

    /// <summary>
    /// The paths of this process. PSUDP_FORCE_PORTABLE=1 makes Linux take the paths that other
    /// systems take (one datagram per receive, no recvmmsg/sendmmsg, no handle-level calls), so that
    /// the tests exercise them here.
    /// </summary>
    internal static Platform Current { get; } =
        For(Detect(), Environment.GetEnvironmentVariable("PSUDP_FORCE_PORTABLE") == "1", IntPtr.Size == 8);

    /// <summary>The paths a system takes; <see cref="Current"/> is this for the running one.</summary>
    internal static Platform For(SystemKind system, bool forcePortable, bool is64Bit) => new(system, forcePortable, is64Bit);

    /// <summary>The system these paths are for.</summary>
    internal SystemKind System { get; }

    /// <summary>Whether PSUDP_FORCE_PORTABLE asked for the portable paths.</summary>
    internal bool ForcePortable { get; }

    /// <summary>How listeners read: a batch per system call or one datagram per call.</summary>
    internal ReceivePath Receive { get; }

    /// <summary>
    /// Whether the engine calls Linux (LP64) directly on a socket's handle: recvmmsg, sendmmsg,
    /// sendmsg with a source address, setsockopt beyond .NET's names.
    /// </summary>
    internal bool NativeHandles { get; }

    /// <summary>Whether SO_RCVBUFFORCE can lift the receive buffer above net.core.rmem_max (Linux, for root).</summary>
    internal bool ForcedReceiveBuffer { get; }

    /// <summary>
    /// How ICMP errors reach a UDP socket. Linux keeps its error queue when the portable paths are
    /// forced: without IP_RECVERR, Linux would not report a port unreachable to an unconnected socket at all.
    /// </summary>
    internal IcmpErrorPath IcmpErrors { get; }

    /// <summary>
    /// Whether Linux-only socket options apply (SO_BINDTODEVICE, source-specific joins,
    /// IP_MULTICAST_ALL); they stay on when the portable paths are forced, as they change what the
    /// socket receives, not how it reads.
    /// </summary>
    internal bool LinuxSocketOptions { get; }

    /// <summary>Whether if_indextoname names an interface index (everywhere but Windows, where .NET's list does).</summary>
    internal bool InterfaceNamesByIndex { get; }

    /// <summary>
    /// Whether a datagram larger than the buffer comes back from ReceiveMessageFrom as a receive
    /// without packet information after the buffer was filled (Windows: Winsock's WSAEMSGSIZE,
    /// which .NET swallows), instead of a receive flagged as truncated (MSG_TRUNC elsewhere).
    /// </summary>
    internal bool TruncationLosesPacketInformation { get; }

    /// <summary>Whether a short sleep is accurate to tens of microseconds (Linux's hrtimers), so a pacer may sleep instead of spin.</summary>
    internal bool FineSleep { get; }

    private static SystemKind Detect() =>
        RuntimeInformation.IsOSPlatform(OSPlatform.Linux) ? SystemKind.Linux
        : RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? SystemKind.Windows
        : SystemKind.Other;
}
