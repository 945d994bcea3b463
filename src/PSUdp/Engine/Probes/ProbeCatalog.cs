using System;
using System.Collections.Generic;
using System.Linq;

namespace PSUdp.Engine.Probes;

/// <summary>Every protocol probe PSUdp has, by name and by port.</summary>
internal static class ProbeCatalog
{
    /// <summary>All probes, in the order help lists them.</summary>
    internal static IReadOnlyList<UdpProbe> All { get; } = new UdpProbe[]
    {
        new DnsProbe(),
        new MdnsProbe(),
        new NtpProbe(),
        new SnmpProbe(),
        new SnmpV3Probe(),
        new StunProbe(),
        new NetBiosProbe(),
        new SsdpProbe(),
        new CoapProbe(),
        new TftpProbe(),
        new MemcachedProbe(),
        new EchoProbe(),
    };

    /// <summary>The probe of that name (any case), or null.</summary>
    internal static UdpProbe? Find(string name) =>
        All.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The probe of that name (any case); throws UnknownProbe, naming the probes there are, when none has it.</summary>
    internal static UdpProbe Get(string name) =>
        Find(name) ?? throw new UdpException(UdpErrorKind.UnknownProbe,
            $"There is no probe named '{name}'. The probes are: {string.Join(", ", Names)}.", name);

    /// <summary>The probes for a port, in the order retries send them (161: SNMPv2c, then SNMPv3); empty when none.</summary>
    internal static IReadOnlyList<UdpProbe> ForPort(int port) => All.Where(p => p.Port == port).ToArray();

    /// <summary>The names, for tab completion and messages.</summary>
    internal static IEnumerable<string> Names => All.Select(p => p.Name);
}
