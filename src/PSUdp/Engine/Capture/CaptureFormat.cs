namespace PSUdp;

/// <summary>A file format for datagrams: two that Wireshark, tshark and tcpdump read, and JSON.</summary>
public enum CaptureFormat
{
    /// <summary>pcapng: a section header that names PSUdp, nanosecond times, each packet's direction.</summary>
    Pcapng,

    /// <summary>The classic libpcap format, with microsecond times.</summary>
    Pcap,

    /// <summary>A JSON array of the datagrams' properties: addresses as text, enums as names, ISO 8601 times, the payload once as Hex.</summary>
    Json,
}
