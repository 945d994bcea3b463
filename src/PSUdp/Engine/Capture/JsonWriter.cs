using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using System.Xml;

namespace PSUdp.Engine.Capture;

/// <summary>
/// A JSON array with one object per datagram, written as they come: every public property of
/// <see cref="UdpDatagram"/> but the payload bytes and <c>TimestampText</c> (which
/// <c>Timestamp</c> already is here), with addresses as text, enums as names, times in ISO 8601 to
/// the 100 ns, durations in ISO 8601 (PT0.0012345S) and the payload once, as <c>Hex</c>.
/// ConvertTo-Json cannot write this shape: it reflects a .NET object's properties itself and has
/// no hook but Newtonsoft's attribute, which Windows PowerShell 5.1 does not load.
/// </summary>
internal sealed class JsonWriter : CaptureWriter
{
    private static readonly PropertyInfo[] Properties = typeof(UdpDatagram)
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.Name is not ("Payload" or "TimestampText"))
        .ToArray();

    private static readonly byte[] Close = Encoding.UTF8.GetBytes("\n]\n");

    private readonly StringBuilder text = new();
    private bool first;

    private JsonWriter(Stream stream, bool first)
        : base(stream) => this.first = first;

    /// <summary>Starts an array, or reopens the one an earlier export left (its closing bracket is written again at the end).</summary>
    internal static JsonWriter Start(Stream stream, string path)
    {
        if (stream.Length == 0)
        {
            var writer = new JsonWriter(stream, first: true);
            writer.WriteBytes(new[] { (byte)'[' }, 0, 1);
            return writer;
        }

        // Find the last ']' and what comes before it: '[' means an empty array.
        long end = stream.Length;
        int last = LastNonSpace(stream, ref end);
        long bracket = end;
        int before = last == ']' ? LastNonSpace(stream, ref end) : -1;
        if (last != ']' || before < 0)
        {
            throw new UdpException(UdpErrorKind.CaptureFormatMismatch,
                $"The file '{path}' does not end in a JSON array, so no datagrams can be appended to it.", path);
        }

        var reopened = new JsonWriter(stream, first: before == '[');
        reopened.TruncateTo(bracket);
        stream.Seek(0, SeekOrigin.End);
        return reopened;
    }

    /// <summary>Closes the array and the file.</summary>
    internal override void Finish() => WriteBytes(Close, 0, Close.Length);

    private protected override void WriteDatagram(UdpDatagram datagram)
    {
        text.Clear();
        text.Append(first ? "\n  {" : ",\n  {");
        first = false;
        for (int i = 0; i < Properties.Length; i++)
        {
            if (i > 0)
            {
                text.Append(", ");
            }

            AppendString(Properties[i].Name);
            text.Append(": ");
            AppendValue(Properties[i].GetValue(datagram));
        }

        text.Append('}');
        byte[] bytes = Encoding.UTF8.GetBytes(text.ToString());
        WriteBytes(bytes, 0, bytes.Length);
    }

    private static int LastNonSpace(Stream stream, ref long end)
    {
        while (end > 0)
        {
            stream.Seek(--end, SeekOrigin.Begin);
            int b = stream.ReadByte();
            if (b is not (' ' or '\t' or '\r' or '\n'))
            {
                return b;
            }
        }

        return -1;
    }

    private void AppendValue(object? value)
    {
        switch (value)
        {
            case null:
                text.Append("null");
                break;
            case bool b:
                text.Append(b ? "true" : "false");
                break;
            case int or long or short or byte or uint or ulong or ushort or sbyte or double or float or decimal:
                text.Append(Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
            case DateTimeOffset t:
                AppendString(t.ToString("o", CultureInfo.InvariantCulture));
                break;
            case TimeSpan span:
                AppendString(XmlConvert.ToString(span));
                break;
            default:
                // Strings, enums (their names) and addresses are their own text.
                AppendString(value.ToString() ?? string.Empty);
                break;
        }
    }

    private void AppendString(string s)
    {
        text.Append('"');
        foreach (char c in s)
        {
            if (Escape(c) is { } escaped)
            {
                text.Append(escaped);
            }
            else if (c < 0x20 || c is '\u2028' or '\u2029')
            {
                text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
            else
            {
                text.Append(c);
            }
        }

        text.Append('"');
    }

    private static string? Escape(char c) => c switch
    {
        '"' => "\\\"",
        '\\' => "\\\\",
        '\n' => "\\n",
        '\r' => "\\r",
        '\t' => "\\t",
        _ => null,
    };
}
