using System;
using System.Globalization;
using System.Net;
using System.Text;
using PSUdp.Engine;
using PSUdp.Engine.IPLevel;
using PSUdp.Engine.Interfaces;
using PSUdp.Engine.Text;

namespace PSUdp;

/// <summary>One UDP datagram that PSUdp sent or received.</summary>
/// <remarks>
/// <c>Payload</c> is declared in <c>Commands/UdpDatagram.Payload.cs</c>, where PowerShell's
/// <c>[Hidden]</c> keeps it out of Export-Csv without the engine depending on PowerShell.
/// </remarks>
public sealed partial class UdpDatagram
{
    // Compact: a receive makes one of these per datagram, so the fields take what their values
    // need (a port two bytes, the direction one) and the round trip is ticks, -1 for none; the
    // public properties widen them again. Text and Hex are decoded when first read, and they and
    // the encoding (needed only until Text is decoded) share one field, which took the object from
    // 96 to 80 bytes.
    private readonly byte[] payload;
    private readonly IPAddress remoteAddress;
    private readonly IPAddress localAddress;
    private object decoded; // the Encoding, the Text (a string), a HexOnly, or a Decoded with both
    private readonly long utcTicks;
    private long roundTripTicks = -1;
    private readonly int interfaceIndex;
    private readonly ushort remotePort;
    private readonly ushort localPort;
    private readonly short timeToLive;
    private readonly short trafficClass;
    private readonly byte direction;
    private readonly bool truncated;

    internal UdpDatagram(
        DatagramDirection direction,
        IPEndPoint remote,
        IPAddress localAddress,
        int localPort,
        byte[] payload,
        bool truncated,
        Encoding encoding,
        DateTimeOffset? timestamp = null,
        string? text = null)
        : this(direction, remote.Address, remote.Port, localAddress, localPort, payload, truncated, encoding,
            new ArrivalFacts(0, -1, -1, (timestamp ?? DateTimeOffset.UtcNow).UtcTicks), text)
    {
    }

    // The receive loop's form: no endpoint object, and the arrival facts as the reader found them.
    internal UdpDatagram(
        DatagramDirection direction,
        IPAddress remoteAddress,
        int remotePort,
        IPAddress localAddress,
        int localPort,
        byte[] payload,
        bool truncated,
        Encoding encoding,
        in ArrivalFacts facts,
        string? text = null)
    {
        this.direction = (byte)direction;
        this.remoteAddress = Addresses.Normalize(remoteAddress);
        this.remotePort = checked((ushort)remotePort);
        this.localAddress = Addresses.Normalize(localAddress);
        this.localPort = checked((ushort)localPort);
        this.payload = payload;
        this.truncated = truncated;
        decoded = text ?? (object)encoding;
        // Local time is computed when asked for: UtcNow is several times cheaper than Now.
        utcTicks = facts.UtcTicks;
        interfaceIndex = facts.InterfaceIndex;
        timeToLive = (short)facts.TimeToLive;
        trafficClass = (short)facts.TrafficClass;
    }

    /// <summary>When the datagram was sent or received, in local time; for a received one the kernel's receive time where the platform tells it.</summary>
    public DateTimeOffset Timestamp => new DateTimeOffset(utcTicks, TimeSpan.Zero).ToLocalTime();

    /// <summary>The Timestamp in ISO 8601 to the 100 ns ('o'): text that keeps its meaning in CSV, remoting and any culture.</summary>
    public string TimestampText => Timestamp.ToString("o", CultureInfo.InvariantCulture);

    /// <summary>Whether PSUdp sent or received the datagram.</summary>
    public DatagramDirection Direction => (DatagramDirection)direction;

    /// <summary>The other end: the sender of a received datagram, the target of a sent one.</summary>
    public IPAddress RemoteAddress => remoteAddress;

    /// <summary>The UDP port of the other end.</summary>
    public int RemotePort => remotePort;

    /// <summary>The address the datagram was sent to (received) or from (sent); a broadcast address shows here.</summary>
    public IPAddress LocalAddress => localAddress;

    /// <summary>The local UDP port.</summary>
    public int LocalPort => localPort;

    /// <summary>The interface a received datagram arrived on, where the platform tells; else null.</summary>
    public string? InterfaceName => interfaceIndex > 0 ? InterfaceNames.Of(interfaceIndex) : null;

    /// <summary>The IPv4 TTL or IPv6 hop limit a received datagram arrived with, where the platform tells; else null.</summary>
    public int? TimeToLive => timeToLive >= 0 ? timeToLive : null;

    /// <summary>The DSCP (the upper six bits of the TOS or traffic class) a received datagram arrived with, where the platform tells; else null.</summary>
    public int? Dscp => trafficClass >= 0 ? trafficClass >> 2 : null;

    /// <summary>The ECN bits (0 Not-ECT, 1 ECT(1), 2 ECT(0), 3 CE) a received datagram arrived with, where the platform tells; else null.</summary>
    public int? Ecn => trafficClass >= 0 ? trafficClass & 3 : null;

    /// <summary>The number of payload bytes.</summary>
    public int Length => payload.Length;

    /// <summary>True when the datagram was larger than the receive buffer and was cut to fit.</summary>
    public bool Truncated => truncated;

    /// <summary>The payload decoded with the cmdlet's encoding; invalid bytes become U+FFFD.</summary>
    public string Text
    {
        get
        {
            object state = decoded; // read once: another thread may replace it meanwhile
            switch (state)
            {
                case string text:
                    return text;
                case Decoded both:
                    return both.Text;
                case HexOnly hex:
                    string decodedText = hex.Encoding.GetString(payload);
                    decoded = new Decoded(decodedText, hex.Hex);
                    return decodedText;
                default:
                    string firstText = ((Encoding)state).GetString(payload);
                    decoded = firstText;
                    return firstText;
            }
        }
    }

    /// <summary>The payload as upper-case hexadecimal digits, two per byte.</summary>
    public string Hex
    {
        get
        {
            object state = decoded; // read once: another thread may replace it meanwhile
            switch (state)
            {
                case HexOnly hex:
                    return hex.Hex;
                case Decoded both:
                    return both.Hex;
                case string text:
                    string digits = HexFormat.ToHex(payload);
                    decoded = new Decoded(text, digits);
                    return digits;
                default:
                    string firstDigits = HexFormat.ToHex(payload);
                    decoded = new HexOnly((Encoding)state, firstDigits);
                    return firstDigits;
            }
        }
    }

    /// <summary>For a reply that PSUdp waited for: the time from sending the request to the reply's arrival; else null.</summary>
    public TimeSpan? RoundTripTime
    {
        get => roundTripTicks >= 0 ? TimeSpan.FromTicks(roundTripTicks) : null;
        internal set => roundTripTicks = value is { Ticks: >= 0 } time ? time.Ticks : -1;
    }

    // The one field is written whole, each state with all it needs, so a datagram read from two
    // threads at once at worst decodes twice; it never answers Text with the hex digits.
    private sealed class HexOnly(Encoding encoding, string hex)
    {
        internal Encoding Encoding { get; } = encoding;

        internal string Hex { get; } = hex;
    }

    private sealed class Decoded(string text, string hex)
    {
        internal string Text { get; } = text;

        internal string Hex { get; } = hex;
    }

    /// <summary>The remote endpoint, the direction and the length, as in a log line.</summary>
    public override string ToString()
    {
        string arrow = Direction == DatagramDirection.Sent ? "->" : "<-";
        return $"{arrow} {Addresses.Format(RemoteAddress, RemotePort)} {Length} bytes";
    }
}

/// <summary>Whether PSUdp sent or received a datagram.</summary>
public enum DatagramDirection
{
    /// <summary>PSUdp sent the datagram.</summary>
    Sent,

    /// <summary>PSUdp received the datagram.</summary>
    Received,
}
