using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;

namespace PSUdp.Commands;

/// <summary>
/// What the module's completers and argument transformations share. The public completer and
/// transformation classes derive from PowerShell's own types and call these, so the module adds
/// no public base type of its own.
/// </summary>
internal static class ArgumentHelpers
{
    /// <summary>
    /// The names that start with what was typed (the quotes the user began with left out), each
    /// completed to <paramref name="completionText"/> (the bare name unless given) with its tool tip.
    /// </summary>
    internal static IEnumerable<CompletionResult> Complete(IEnumerable<string> names, string wordToComplete,
        Func<string, string> toolTip, Func<string, string>? completionText = null)
    {
        string typed = wordToComplete.Trim('\'', '"');
        return names
            .Where(n => n.StartsWith(typed, StringComparison.OrdinalIgnoreCase))
            .Select(n => new CompletionResult(completionText?.Invoke(n) ?? n, n, CompletionResultType.ParameterValue, toolTip(n)));
    }

    /// <summary>
    /// What an engine resolver makes of a parameter's argument; an argument the resolver refuses
    /// fails parameter binding with the resolver's message.
    /// </summary>
    internal static object Resolve(object inputData, Func<object?, object> resolve)
    {
        object? value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        try
        {
            return resolve(value);
        }
        catch (UdpException e)
        {
            throw new ArgumentTransformationMetadataException(e.Message, e);
        }
    }
}
