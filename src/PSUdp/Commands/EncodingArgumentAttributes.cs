using System.Collections.Generic;
using PSUdp.Engine;

namespace PSUdp.Commands;

/// <summary>Turns an -Encoding argument (a name, a code page or an Encoding) into an Encoding.</summary>
public sealed class EncodingTransformationAttribute : ResolvingTransformationAttribute
{
    /// <summary>The Encoding of a name, a code page or an Encoding; an unknown one fails parameter binding with a clear message.</summary>
    private protected override object Resolve(object? value) => EncodingResolver.Resolve(value);
}

/// <summary>Offers the encoding names PowerShell 7 accepts for -Encoding.</summary>
public sealed class EncodingCompleter : NameCompleter
{
    /// <summary>The names PowerShell 7 accepts for -Encoding.</summary>
    private protected override IEnumerable<string> Names => EncodingResolver.Names;

    /// <summary>The name and the encoding it stands for on this system.</summary>
    private protected override string ToolTip(string name)
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
