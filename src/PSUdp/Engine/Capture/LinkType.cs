namespace PSUdp.Engine.Capture;

/// <summary>The link-layer header types PSUdp reads (tcpdump.org/linktypes.html).</summary>
internal static class LinkType
{
    internal const int Null = 0;
    internal const int Ethernet = 1;
    internal const int RawBsd12 = 12;
    internal const int RawBsd14 = 14;
    internal const int Raw = 101;
    internal const int Loop = 108;
    internal const int LinuxSll = 113;
    internal const int IPv4 = 228;
    internal const int IPv6 = 229;
    internal const int LinuxSll2 = 276;
}
