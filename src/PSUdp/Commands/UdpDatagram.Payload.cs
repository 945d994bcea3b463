using System.Management.Automation;

namespace PSUdp;

public sealed partial class UdpDatagram
{
    /// <summary>The payload bytes.</summary>
    /// <remarks>
    /// Hidden from PowerShell's property enumeration so Export-Csv writes Hex instead of a useless
    /// "System.Byte[]" column; it is still read by name, serialized and bound from the pipeline.
    /// </remarks>
    [Hidden]
    public byte[] Payload => payload;
}
