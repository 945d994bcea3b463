using System.Collections.Generic;
using System.Linq;
using PSUdp.Engine.Probes;

namespace PSUdp.Commands;

/// <summary>Offers the names of Test-UdpConnection's protocol probes, each with what it sends.</summary>
public sealed class ProbeNameCompleter : NameCompleter
{
    /// <summary>The probe names, in the order help lists them.</summary>
    private protected override IEnumerable<string> Names => ProbeCatalog.All.Select(p => p.Name);

    /// <summary>The probe's port and what it sends.</summary>
    private protected override string ToolTip(string name)
    {
        UdpProbe probe = ProbeCatalog.Get(name);
        return $"{probe.Port}: {probe.Description}";
    }
}
