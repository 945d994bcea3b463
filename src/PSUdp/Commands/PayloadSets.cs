using System;
using System.Text;
using PSUdp.Engine;
using PSUdp.Engine.Text;

namespace PSUdp.Commands;

/// <summary>
/// The payload parameters of a cmdlet that sends bytes of the user's own: -Message (encoded with
/// -Encoding), -Payload and -Hex, each its own parameter set.
/// </summary>
internal interface IPayloadParameters
{
    /// <summary>The parameter set PowerShell bound, which says which payload parameter was given.</summary>
    string ParameterSetName { get; }

    /// <summary>The text to send.</summary>
    string Message { get; }

    /// <summary>The bytes to send.</summary>
    byte[] Payload { get; }

    /// <summary>The bytes to send, as hex digits.</summary>
    string Hex { get; }

    /// <summary>The encoding of -Message.</summary>
    Encoding Encoding { get; }
}

/// <summary>The names of the payload parameter sets, and the bytes the bound one gives.</summary>
internal static class PayloadSets
{
    internal const string Message = "Message";
    internal const string Payload = "Payload";
    internal const string Hex = "Hex";

    /// <summary>The bytes of the bound payload set, or null when the cmdlet bound a set of its own; throws UdpException for malformed hex.</summary>
    internal static byte[]? GivenBytes(this IPayloadParameters given) => given.ParameterSetName switch
    {
        Payload => given.Payload ?? Array.Empty<byte>(),
        Hex => HexFormat.Parse(given.Hex),
        Message => given.Encoding.GetBytes(given.Message ?? string.Empty),
        _ => null,
    };
}
