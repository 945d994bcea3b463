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
    /// <summary>The probe names that start with what was typed, in the order help lists them, each with its port and what it sends.</summary>
    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        ArgumentHelpers.Complete(ProbeCatalog.All.Select(p => p.Name), wordToComplete, name =>
        {
            UdpProbe probe = ProbeCatalog.Get(name);
            return $"{probe.Port}: {probe.Description}";
        });
}
