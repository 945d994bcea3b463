using System;
using System.Runtime.InteropServices;

namespace PSUdp.Engine;

/// <summary>Which code paths the engine takes on this system.</summary>
internal static class Platform
{
    /// <summary>
    /// PSUDP_FORCE_PORTABLE=1 makes Linux take the paths that other systems take (one datagram per
    /// receive, no recvmmsg/sendmmsg, no Linux-only socket options), so that the tests exercise
    /// them here. Read once, when the module loads.
    /// </summary>
    internal static bool ForcePortable { get; } = Environment.GetEnvironmentVariable("PSUDP_FORCE_PORTABLE") == "1";

    /// <summary>True where the Linux-only paths are taken.</summary>
    internal static bool LinuxPaths { get; } = RuntimeInformation.IsOSPlatform(OSPlatform.Linux) && !ForcePortable;
}
