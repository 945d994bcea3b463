using System;
using System.Globalization;
using System.Management.Automation;
using System.Net;
using PSUdp.Engine;
using PSUdp.Engine.IPLevel;
using PSUdp.Engine.Text;

namespace PSUdp.Commands;

/// <summary>
/// A datagram from the pipeline: the live object, or one rebuilt from what PowerShell's serializer
/// kept of it (jobs, remoting, Import-Clixml), where addresses may be strings, Direction a name or a
/// number, and Timestamp a property bag or a string.
/// </summary>
internal static class DatagramInput
{
    /// <summary>The datagram, or null when the object is not one.</summary>
    internal static UdpDatagram? From(PSObject input)
    {
        if (input.BaseObject is UdpDatagram live)
        {
            return live;
        }

        if (!input.TypeNames.Contains("Deserialized.PSUdp.UdpDatagram"))
        {
            return null;
        }

        try
        {
            var direction = (DatagramDirection)LanguagePrimitives.ConvertTo(Value(input, "Direction"), typeof(DatagramDirection), CultureInfo.InvariantCulture);
            IPAddress remote = IPAddress.Parse(Value(input, "RemoteAddress")?.ToString() ?? string.Empty);
            IPAddress local = IPAddress.Parse(Value(input, "LocalAddress")?.ToString() ?? string.Empty);
            int remotePort = LanguagePrimitives.ConvertTo<int>(Value(input, "RemotePort"));
            int localPort = LanguagePrimitives.ConvertTo<int>(Value(input, "LocalPort"));
            byte[] payload = Value(input, "Payload") is { } bytes
                ? LanguagePrimitives.ConvertTo<byte[]>(bytes)
                : HexFormat.Parse(Value(input, "Hex")?.ToString() ?? string.Empty);
            bool truncated = LanguagePrimitives.IsTrue(Value(input, "Truncated"));
            int timeToLive = Value(input, "TimeToLive") is { } ttl ? LanguagePrimitives.ConvertTo<int>(ttl) : -1;
            int trafficClass = Value(input, "Dscp") is { } dscp
                ? (LanguagePrimitives.ConvertTo<int>(dscp) << 2) | (Value(input, "Ecn") is { } ecn ? LanguagePrimitives.ConvertTo<int>(ecn) : 0)
                : -1;
            return new UdpDatagram(direction, remote, remotePort, local, localPort, payload, truncated,
                EncodingResolver.Default, new ArrivalFacts(0, timeToLive, trafficClass, Time(input).UtcTicks));
        }
        catch (Exception e) when (e is PSInvalidCastException or FormatException or UdpException or ArgumentException or OverflowException)
        {
            return null;
        }
    }

    private static object? Value(PSObject input, string name)
    {
        object? value = input.Properties[name]?.Value;
        return value is PSObject wrapped ? wrapped.BaseObject : value;
    }

    private static DateTimeOffset Time(PSObject input)
    {
        if (Value(input, "TimestampText") is string text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out DateTimeOffset exact))
        {
            return exact;
        }

        object? timestamp = input.Properties["Timestamp"]?.Value;
        switch (timestamp is PSObject w && w.BaseObject is not PSCustomObject ? w.BaseObject : timestamp)
        {
            case DateTimeOffset offset:
                return offset;
            case DateTime time:
                return new DateTimeOffset(time);
            case PSObject bag when bag.Properties["UtcTicks"]?.Value is { } ticks:
                return new DateTimeOffset(LanguagePrimitives.ConvertTo<long>(ticks), TimeSpan.Zero);
            case string written:
                return DateTimeOffset.Parse(written, CultureInfo.CurrentCulture);
            default:
                throw new FormatException("The datagram has no time.");
        }
    }
}
