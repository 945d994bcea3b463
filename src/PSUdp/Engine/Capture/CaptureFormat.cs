namespace PSUdp;

/// <summary>A capture file format that Wireshark, tshark and tcpdump read.</summary>
public enum CaptureFormat
{
    /// <summary>pcapng: a section header that names PSUdp, nanosecond times, each packet's direction.</summary>
    Pcapng,

    /// <summary>The classic libpcap format, with microsecond times.</summary>
    Pcap,
}
