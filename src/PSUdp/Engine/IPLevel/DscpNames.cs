using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace PSUdp.Engine.IPLevel;

/// <summary>
/// DSCP code points by their usual names: EF (46, RFC 3246), the assured-forwarding classes
/// AF11..AF43 (RFC 2597) and the class selectors CS0..CS7 (RFC 2474).
/// </summary>
internal static class DscpNames
{
    /// <summary>The names and their code points, in the order they are offered.</summary>
    internal static readonly IReadOnlyList<KeyValuePair<string, int>> All = Build();

    private static readonly Dictionary<string, int> ByName = All.ToDictionary(p => p.Key, p => p.Value, StringComparer.OrdinalIgnoreCase);

    /// <summary>A code point from a number (0-63, range checked by the caller) or a name; throws <see cref="UdpException"/> (InvalidDscp).</summary>
    internal static int Resolve(object? value)
    {
        switch (value)
        {
            case int number:
                return number;
            case byte or short or long or uint or ushort or sbyte:
                return Convert.ToInt32(value, CultureInfo.InvariantCulture);
            case string text when int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int parsed):
                return parsed;
            case string text when ByName.TryGetValue(text.Trim(), out int named):
                return named;
        }

        throw new UdpException(UdpErrorKind.InvalidDscp,
            $"'{value}' is not a DSCP: give a number from 0 to 63 or one of {string.Join(", ", All.Select(p => p.Key))}.", value);
    }

    private static IReadOnlyList<KeyValuePair<string, int>> Build()
    {
        var list = new List<KeyValuePair<string, int>> { new("EF", 46) };
        for (int cls = 1; cls <= 4; cls++)
        {
            for (int drop = 1; drop <= 3; drop++)
            {
                list.Add(new($"AF{cls}{drop}", (cls * 8) + (drop * 2)));
            }
        }

        for (int cs = 0; cs <= 7; cs++)
        {
            list.Add(new($"CS{cs}", cs * 8));
        }

        return list;
    }
}
