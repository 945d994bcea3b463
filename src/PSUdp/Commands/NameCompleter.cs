using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace PSUdp.Commands;

/// <summary>
/// Tab completion over a table of names: the names that start with what was typed (the quotes
/// the user began with left out), each with its tool tip.
/// </summary>
public abstract class NameCompleter : IArgumentCompleter
{
    private protected NameCompleter()
    {
    }

    /// <summary>The names, in the order they are offered.</summary>
    private protected abstract IEnumerable<string> Names { get; }

    /// <summary>The tool tip of a name; made only for the names offered.</summary>
    private protected abstract string ToolTip(string name);

    /// <summary>The text a name is completed to; the bare name unless a table needs quoting.</summary>
    private protected virtual string CompletionText(string name, string wordToComplete) => name;

    /// <summary>The names that start with what was typed.</summary>
    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string typed = wordToComplete.Trim('\'', '"');
        return Names
            .Where(n => n.StartsWith(typed, System.StringComparison.OrdinalIgnoreCase))
            .Select(n => new CompletionResult(CompletionText(n, wordToComplete), n, CompletionResultType.ParameterValue, ToolTip(n)));
    }
}
