using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Language;
using PSUdp.Engine;
using PSUdp.Engine.Text;

namespace PSUdp.Commands;

/// <summary>Turns an -Encoding argument (a name, a code page or an Encoding) into an Encoding.</summary>
public sealed class EncodingTransformationAttribute : ArgumentTransformationAttribute
{
    /// <summary>Resolves the argument; an unknown name fails parameter binding with a clear message.</summary>
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData) =>
        ArgumentHelpers.Resolve(inputData, value => EncodingResolver.Resolve(value));
}

/// <summary>Offers the encoding names PowerShell 7 accepts for -Encoding.</summary>
public sealed class EncodingCompleter : IArgumentCompleter
{
    /// <summary>The names PowerShell 7 accepts for -Encoding that start with what was typed, each with the encoding it stands for here.</summary>
    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        ArgumentHelpers.Complete(EncodingResolver.Names, wordToComplete, ToolTip);

    private static string ToolTip(string name)
    {
        try
        {
            return $"{name}: {EncodingResolver.Resolve(name).EncodingName}";
        }
        catch (UdpException)
        {
            return $"{name}: {name}";
        }
    }
}
