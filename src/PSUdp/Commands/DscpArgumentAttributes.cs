using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using PSUdp.Engine.IPLevel;

namespace PSUdp.Commands;

/// <summary>Turns a -Dscp argument (0-63, or a name such as EF, AF41 or CS6) into its code point.</summary>
public sealed class DscpTransformationAttribute : ArgumentTransformationAttribute
{
    /// <summary>Resolves the argument; an unknown name fails parameter binding with a clear message.</summary>
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData) =>
        ArgumentHelpers.Resolve(inputData, value => DscpNames.Resolve(value));
}

/// <summary>Offers the DSCP names, with their code points.</summary>
public sealed class DscpCompleter : IArgumentCompleter
{
    /// <summary>The DSCP names (EF, AF11..AF43, CS0..CS7) that start with what was typed.</summary>
    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        ArgumentHelpers.Complete(DscpNames.All.Select(p => p.Key), wordToComplete, name => $"{name}: DSCP {DscpNames.Resolve(name)}");
}
