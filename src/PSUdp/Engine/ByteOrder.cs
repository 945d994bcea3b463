namespace PSUdp.Engine;

/// <summary>Reads and writes integers in a chosen byte order, in place in a buffer.</summary>
internal static class ByteOrder
{
    internal static ushort U16(byte[] b, int i, bool bigEndian) =>
        bigEndian ? (ushort)((b[i] << 8) | b[i + 1]) : (ushort)(b[i] | (b[i + 1] << 8));

    internal static uint U32(byte[] b, int i, bool bigEndian) =>
        bigEndian
            ? ((uint)b[i] << 24) | ((uint)b[i + 1] << 16) | ((uint)b[i + 2] << 8) | b[i + 3]
            : b[i] | ((uint)b[i + 1] << 8) | ((uint)b[i + 2] << 16) | ((uint)b[i + 3] << 24);

    internal static ulong U64(byte[] b, int i, bool bigEndian) =>
        bigEndian
            ? ((ulong)U32(b, i, true) << 32) | U32(b, i + 4, true)
            : U32(b, i, false) | ((ulong)U32(b, i + 4, false) << 32);

    /// <summary>Network byte order, as in IP and UDP headers.</summary>
    internal static ushort Net16(byte[] b, int i) => U16(b, i, true);

    internal static void PutNet16(byte[] b, int i, int value)
    {
        b[i] = (byte)(value >> 8);
        b[i + 1] = (byte)value;
    }

    internal static void PutLE16(byte[] b, int i, int value)
    {
        b[i] = (byte)value;
        b[i + 1] = (byte)(value >> 8);
    }

    internal static void PutLE32(byte[] b, int i, uint value)
    {
        b[i] = (byte)value;
        b[i + 1] = (byte)(value >> 8);
        b[i + 2] = (byte)(value >> 16);
        b[i + 3] = (byte)(value >> 24);
    }

    /// <summary>Writes in the chosen order (appending to a big-endian pcap keeps its order).</summary>
    internal static void Put32(byte[] b, int i, uint value, bool bigEndian)
    {
        if (bigEndian)
        {
            b[i] = (byte)(value >> 24);
            b[i + 1] = (byte)(value >> 16);
            b[i + 2] = (byte)(value >> 8);
            b[i + 3] = (byte)value;
        }
        else
        {
            PutLE32(b, i, value);
        }
    }
}
