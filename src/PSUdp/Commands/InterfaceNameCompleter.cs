using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using PSUdp.Engine;
using PSUdp.Engine.Interfaces;

namespace PSUdp.Commands;

/// <summary>Offers this computer's network interface names, and '*' for all of them.</summary>
public sealed class InterfaceNameCompleter : IArgumentCompleter
{
    /// <summary>The interface names that start with what was typed, quoted where PowerShell needs it ('Ethernet 2').</summary>
    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        bool doubleQuoted = wordToComplete.StartsWith("\"", System.StringComparison.Ordinal);
        return ArgumentHelpers.Complete(new[] { "*" }.Concat(BroadcastAddresses.InterfaceNames()), wordToComplete,
            name => name, name => Quote(name, doubleQuoted));
    }

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
