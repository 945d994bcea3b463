using System;
using System.Globalization;
using System.Text;

namespace UdpReference;

/// <summary>Wall-clock seconds since the Unix epoch, comparable across processes, and the result line.</summary>
internal static class Clock
{
    internal static double Now() => (DateTime.UtcNow - DateTime.UnixEpoch).TotalSeconds;

    /// <summary>User plus system CPU seconds the whole process has used so far.</summary>
    internal static double Cpu() => System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;

    /// <summary>Prints 'RESULT {json}' with the given numbers; the harness reads this one line.</summary>
    internal static void Report(string mode, params (string Name, double Value)[] fields)
    {
        var line = new StringBuilder("RESULT {\"mode\":\"").Append(mode).Append('"');
        foreach ((string name, double value) in fields)
        {
            line.Append(",\"").Append(name).Append("\":").Append(value.ToString("R", CultureInfo.InvariantCulture));
        }

        Console.WriteLine(line.Append('}').ToString());
    }
}
