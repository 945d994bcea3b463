using System;
using System.Collections.Generic;
using System.Globalization;

namespace UdpReference;

/// <summary>'--name value' pairs after the mode word.</summary>
internal sealed class Arguments
{
    private readonly Dictionary<string, string> values = new(StringComparer.Ordinal);

    internal Arguments(IEnumerable<string> args)
    {
        string? name = null;
        foreach (string arg in args)
        {
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                name = arg.Substring(2);
                values[name] = "true";
            }
            else if (name is not null)
            {
                values[name] = arg;
                name = null;
            }
            else
            {
                throw new ArgumentException($"Unexpected argument '{arg}'.");
            }
        }
    }

    internal string Text(string name, string fallback) => values.TryGetValue(name, out string? v) ? v : fallback;

    internal long Number(string name, long fallback) =>
        values.TryGetValue(name, out string? v) ? long.Parse(v, CultureInfo.InvariantCulture) : fallback;

    internal double Real(string name, double fallback) =>
        values.TryGetValue(name, out string? v) ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;

    internal long Required(string name) =>
        values.TryGetValue(name, out string? v) ? long.Parse(v, CultureInfo.InvariantCulture) : throw new ArgumentException($"--{name} is required.");
}
