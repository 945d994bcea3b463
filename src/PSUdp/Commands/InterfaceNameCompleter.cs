using System.Collections.Generic;
using System.Linq;
using PSUdp.Engine;

namespace PSUdp.Commands;

/// <summary>Offers this computer's network interface names, and '*' for all of them.</summary>
public sealed class InterfaceNameCompleter : NameCompleter
{
    /// <summary>'*', then the interface names.</summary>
    private protected override IEnumerable<string> Names => new[] { "*" }.Concat(BroadcastAddresses.InterfaceNames());

    /// <summary>The name itself.</summary>
    private protected override string ToolTip(string name) => name;

    /// <summary>The name quoted where PowerShell needs it ('Ethernet 2'), in the quotes the user began with.</summary>
    private protected override string CompletionText(string name, string wordToComplete) =>
        Quote(name, wordToComplete.StartsWith("\"", System.StringComparison.Ordinal));

    /// <summary>A name as it must be typed: bare when it is one plain word, else in the quotes the user began with.</summary>
    internal static string Quote(string name, bool doubleQuoted)
    {
        bool plain = name.Length > 0 && name.All(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' or '*' or ':');
        if (plain && !doubleQuoted)
        {
            return name;
        }

        return doubleQuoted
            ? "\"" + name.Replace("`", "``").Replace("\"", "`\"").Replace("$", "`$") + "\""
            : "'" + name.Replace("'", "''") + "'";
    }
}
