using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using PSUdp.Engine;

namespace PSUdp.Commands;

/// <summary>Turns an -Encoding argument (a name, a code page or an Encoding) into an Encoding.</summary>
public sealed class EncodingTransformationAttribute : ArgumentTransformationAttribute
{
    /// <summary>Resolves the argument; an unknown one fails parameter binding with a clear message.</summary>
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        object? value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        try
        {
            return EncodingResolver.Resolve(value);
        }
        catch (UdpException e)
        {
            throw new ArgumentTransformationMetadataException(e.Message, e);
        }
    }
}

/// <summary>Offers the encoding names PowerShell 7 accepts for -Encoding.</summary>
public sealed class EncodingCompleter : IArgumentCompleter
{
    /// <summary>The names that start with what was typed.</summary>
    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        EncodingResolver.Names
            .Where(n => n.StartsWith(wordToComplete.Trim('\'', '"'), System.StringComparison.OrdinalIgnoreCase))
            .Select(n => new CompletionResult(n, n, CompletionResultType.ParameterValue, $"{n}: {Describe(n)}"));

    private static string Describe(string name)
    {
        try
        {
            return EncodingResolver.Resolve(name).EncodingName;
        }
        catch (UdpException)
        {
            return name;
        }
    }
}
