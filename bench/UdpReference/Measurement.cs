using System;
using System.Diagnostics;

namespace UdpReference;

/// <summary>
/// One run's time bound (--timeout, 60 seconds by default) and its costs from its start to its
/// report: the bytes it allocated and the CPU seconds the process used.
/// </summary>
internal sealed class Measurement
{
    private readonly long deadline;
    private readonly long allocated = GC.GetTotalAllocatedBytes(true);
    private readonly double cpu = Clock.Cpu();

    internal Measurement(Arguments options) =>
        deadline = Stopwatch.GetTimestamp() + (long)(options.Real("timeout", 60) * Stopwatch.Frequency);

    /// <summary>Whether the time bound is still ahead.</summary>
    internal bool InTime => Stopwatch.GetTimestamp() < deadline;

    /// <summary>Prints the result line: the mode's own figures, then allocatedBytes and cpuSeconds.</summary>
    internal void Report(string mode, params (string Name, double Value)[] fields)
    {
        double allocatedBytes = GC.GetTotalAllocatedBytes(true) - allocated;
        double cpuSeconds = Clock.Cpu() - cpu;
        Clock.Report(mode, [.. fields, ("allocatedBytes", allocatedBytes), ("cpuSeconds", cpuSeconds)]);
    }
}
