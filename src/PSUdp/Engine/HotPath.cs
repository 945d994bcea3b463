using System.Runtime.CompilerServices;

namespace PSUdp.Engine;

/// <summary>The method attribute for code that runs once per datagram on a receive loop.</summary>
internal static class HotPath
{
    /// <summary>
    /// MethodImplOptions.AggressiveOptimization (512), which netstandard2.0's enum does not name:
    /// the runtime compiles the method fully optimised at once instead of starting it unoptimised
    /// and recompiling it later, so the first datagrams of a flood or an echo run at full speed.
    /// </summary>
    internal const MethodImplOptions Optimized = (MethodImplOptions)512;
}
