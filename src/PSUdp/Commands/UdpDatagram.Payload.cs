using System.Management.Automation;
using PSUdp.Engine;

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

    /// <summary>The other end as one string, such as 127.0.0.1:5000 or [::1]:5000, for the table view.</summary>
    /// <remarks>Hidden, like Payload, so Export-Csv keeps its columns; it is serialized, so the view works on deserialized datagrams too.</remarks>
    [Hidden]
    public string RemoteEndPoint => Addresses.Format(RemoteAddress, RemotePort);

    /// <summary>The local end as one string, such as 0.0.0.0:5000, for the table view.</summary>
    [Hidden]
    public string LocalEndPoint => Addresses.Format(LocalAddress, LocalPort);
}
