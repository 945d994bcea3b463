using System.Runtime.CompilerServices;

namespace PSUdp.Engine;

/// <summary>The method attribute for code that runs once per datagram on a receive loop, or once per probe of a sweep.</summary>
internal static class HotPath
{
    /// <summary>
    /// MethodImplOptions.AggressiveOptimization (512), which netstandard2.0's enum does not name:
    /// the runtime compiles the method fully optimised at once instead of starting it unoptimised
    /// and recompiling it later, so the first datagrams of a flood or an echo (or a sweep's first
    /// thousands of probes, while the process is busy compiling) run at full speed.
    /// </summary>
    internal const MethodImplOptions Optimized = (MethodImplOptions)512;
}
