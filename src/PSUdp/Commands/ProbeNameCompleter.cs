using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using PSUdp.Engine.Probes;

namespace PSUdp.Commands;

/// <summary>Offers the names of Test-UdpConnection's protocol probes, each with what it sends.</summary>
public sealed class ProbeNameCompleter : IArgumentCompleter
{
    /// <summary>The probe names that start with what was typed.</summary>
    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        ProbeCatalog.All
            .Where(p => p.Name.StartsWith(wordToComplete.Trim('\'', '"'), System.StringComparison.OrdinalIgnoreCase))
            .Select(p => new CompletionResult(p.Name, p.Name, CompletionResultType.ParameterValue, $"{p.Port}: {p.Description}"));
}
