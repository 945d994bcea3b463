using System.Collections.Generic;
using System.Linq;
using PSUdp.Engine.IPLevel;

namespace PSUdp.Commands;

/// <summary>Turns a -Dscp argument (0-63, or a name such as EF, AF41 or CS6) into its code point.</summary>
public sealed class DscpTransformationAttribute : ResolvingTransformationAttribute
{
    /// <summary>The code point of a number or a name; an unknown name fails parameter binding with a clear message.</summary>
    private protected override object Resolve(object? value) => DscpNames.Resolve(value);
}

/// <summary>Offers the DSCP names, with their code points.</summary>
public sealed class DscpCompleter : NameCompleter
{
    /// <summary>The DSCP names (EF, AF11..AF43, CS0..CS7).</summary>
    private protected override IEnumerable<string> Names => DscpNames.All.Select(p => p.Key);

    /// <summary>The name and its code point.</summary>
    private protected override string ToolTip(string name) => $"{name}: DSCP {DscpNames.Resolve(name)}";
}
