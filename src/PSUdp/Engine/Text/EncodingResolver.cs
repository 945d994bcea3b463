using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace PSUdp.Engine.Text;

/// <summary>
/// The one place an encoding is chosen: the names PowerShell 7's -Encoding accepts, other .NET
/// names (latin1, shift_jis), code page numbers and Encoding objects. What it returns never throws
/// on bad bytes or characters: they become U+FFFD or '?'.
/// </summary>
internal static class EncodingResolver
{
    /// <summary>The names PowerShell 7 accepts for -Encoding, offered by tab completion.</summary>
    internal static readonly IReadOnlyList<string> Names = new[]
    {
        "ascii", "ansi", "bigendianunicode", "bigendianutf32", "oem", "unicode", "utf7", "utf8", "utf8BOM", "utf8NoBOM", "utf32",
    };

    /// <summary>UTF-8 without a byte order mark.</summary>
    internal static Encoding Default { get; } = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    /// <summary>Resolves a name, a code page (number or digits) or an Encoding; throws UnknownEncoding.</summary>
    internal static Encoding Resolve(object? value)
    {
        switch (value)
        {
            case null:
                return Default;
            case Encoding encoding:
                return Tolerant(encoding);
            case int codePage:
                return FromCodePage(codePage, value);
            case string name when int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out int codePage):
                return FromCodePage(codePage, value);
            case string name:
                return FromName(name.Trim());
            default:
                throw Unknown(value);
        }
    }

    private static Encoding FromName(string name)
    {
        switch (name.ToLowerInvariant())
        {
            case "utf8":
            case "utf8nobom":
            case "utf-8":
            // A datagram never starts with a byte order mark, so utf8BOM sends the same bytes.
            case "utf8bom":
                return Default;
            case "ascii":
                return Tolerant(Encoding.ASCII);
            case "unicode":
                return Tolerant(Encoding.Unicode);
            case "bigendianunicode":
                return Tolerant(Encoding.BigEndianUnicode);
            case "utf32":
                return Tolerant(Encoding.UTF32);
            case "bigendianutf32":
                return FromCodePage(12001, name);
            case "utf7":
#pragma warning disable CS0618, SYSLIB0001 // PowerShell still accepts utf7, so PSUdp does too.
                return Tolerant(Encoding.UTF7);
#pragma warning restore CS0618, SYSLIB0001
            case "ansi":
                return FromCodePage(CultureInfo.CurrentCulture.TextInfo.ANSICodePage, name);
            case "oem":
                return FromCodePage(CultureInfo.CurrentCulture.TextInfo.OEMCodePage, name);
        }

        try
        {
            return Tolerant(Encoding.GetEncoding(name));
        }
        catch (ArgumentException e)
        {
            throw Unknown(name, e);
        }
    }

    private static Encoding FromCodePage(int codePage, object value)
    {
        try
        {
            return Tolerant(Encoding.GetEncoding(codePage));
        }
        catch (Exception e) when (e is ArgumentException || e is NotSupportedException)
        {
            throw Unknown(value, e);
        }
    }

    /// <summary>A copy whose decoder and encoder replace what they cannot convert instead of throwing.</summary>
    private static Encoding Tolerant(Encoding encoding)
    {
        if (encoding.DecoderFallback is DecoderReplacementFallback { DefaultString: "\uFFFD" } && encoding.EncoderFallback is EncoderReplacementFallback)
        {
            return encoding;
        }

        var copy = (Encoding)encoding.Clone();
        copy.DecoderFallback = new DecoderReplacementFallback("\uFFFD");
        copy.EncoderFallback = EncoderFallback.ReplacementFallback;
        return copy;
    }

    private static UdpException Unknown(object value, Exception? inner = null) =>
        new(UdpErrorKind.UnknownEncoding,
            $"'{value}' is not a known encoding. Use one of {string.Join(", ", Names)}, another .NET encoding name such as latin1, a code page number, or an Encoding object.",
            value, inner);
}
