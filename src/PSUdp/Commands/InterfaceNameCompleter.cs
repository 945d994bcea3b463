using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using PSUdp.Engine;

namespace PSUdp.Commands;

/// <summary>Offers this computer's network interface names, and '*' for all of them.</summary>
public sealed class InterfaceNameCompleter : IArgumentCompleter
{
    /// <summary>The interface names that start with what was typed.</summary>
    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        new[] { "*" }.Concat(BroadcastAddresses.InterfaceNames())
            .Where(n => n.StartsWith(wordToComplete.Trim('\'', '"'), System.StringComparison.OrdinalIgnoreCase))
            .Select(n => new CompletionResult(n, n, CompletionResultType.ParameterValue, n));
}
