namespace PSUdp.Engine.Capture;

/// <summary>What a capture reader found, packet by packet: the facts behind an import's summary.</summary>
internal sealed class CaptureCounts
{
    /// <summary>Every packet record read.</summary>
    internal long Packets { get; set; }

    /// <summary>Packets that were UDP datagrams, and were returned.</summary>
    internal long Datagrams { get; set; }

    /// <summary>Packets of other protocols, skipped.</summary>
    internal long NotUdp { get; set; }

    /// <summary>IP fragments of UDP packets, skipped (not reassembled).</summary>
    internal long Fragments { get; set; }

    /// <summary>Packets whose headers could not be read, skipped.</summary>
    internal long Unreadable { get; set; }

    /// <summary>Packets of link types PSUdp does not read, skipped.</summary>
    internal long OtherLinkType { get; set; }

    /// <summary>Datagrams the capture had cut short (snapshot length); returned with Truncated.</summary>
    internal long Truncated { get; set; }

    /// <summary>Packets skipped for any reason.</summary>
    internal long Skipped => NotUdp + Fragments + Unreadable + OtherLinkType;
}
