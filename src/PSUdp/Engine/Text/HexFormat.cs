using System;
using System.Collections.Generic;

namespace PSUdp.Engine.Text;

/// <summary>Hexadecimal text to bytes and back.</summary>
internal static class HexFormat
{
    private const string Digits = "0123456789ABCDEF";

    /// <summary>Upper-case digits, two per byte, no separators.</summary>
    internal static string ToHex(byte[] bytes)
    {
        if (bytes.Length == 0)
        {
            return string.Empty;
        }

        char[] chars = new char[bytes.Length * 2];
        for (int i = 0; i < bytes.Length; i++)
        {
            chars[2 * i] = Digits[bytes[i] >> 4];
            chars[(2 * i) + 1] = Digits[bytes[i] & 0xF];
        }

        return new string(chars);
    }

    /// <summary>
    /// Parses hex digits in either case; white space, ':', '-', ',' and '.' may separate them, and a
    /// group may start with 0x ('DE AD be:ef', '0xDEAD'). Throws <see cref="UdpException"/> (InvalidHex).
    /// </summary>
    internal static byte[] Parse(string text)
    {
        var nibbles = new List<int>(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsWhiteSpace(c) || c == ':' || c == '-' || c == ',' || c == '.')
            {
                continue;
            }

            bool groupStart = i == 0 || !Uri.IsHexDigit(text[i - 1]);
            if (c == '0' && groupStart && i + 1 < text.Length && (text[i + 1] == 'x' || text[i + 1] == 'X'))
            {
                i++;
                continue;
            }

            if (!Uri.IsHexDigit(c))
            {
                throw new UdpException(UdpErrorKind.InvalidHex,
                    $"The hex string '{Shorten(text)}' has '{c}' at position {i}, which is not a hex digit. Use digits 0-9 and A-F, optionally separated by spaces, ':' or '-'.",
                    text);
            }

            nibbles.Add(Uri.FromHex(c));
        }

        if (nibbles.Count % 2 != 0)
        {
            throw new UdpException(UdpErrorKind.InvalidHex,
                $"The hex string '{Shorten(text)}' has an odd number of hex digits ({nibbles.Count}). Each byte needs two digits, such as 0A.",
                text);
        }

        byte[] bytes = new byte[nibbles.Count / 2];
        for (int i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)((nibbles[2 * i] << 4) | nibbles[(2 * i) + 1]);
        }

        return bytes;
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text.Substring(0, 37) + "...";
}
