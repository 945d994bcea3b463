using System;
using System.Collections.Generic;

namespace PSUdp.Engine.Relay;

/// <summary>
/// The arrays that hold a relay's delayed datagrams: powers of two from 64 bytes to the largest
/// datagram, each given back once its datagram has left. A relay that delays thus allocates no
/// payload per datagram, and the garbage collector does not stop its clock for them. It keeps no
/// more arrays than were held at once, and at most <see cref="MaxKept"/> of a size.
/// </summary>
internal sealed class PayloadPool
{
    internal const int MaxKept = 4096;

    private const int Smallest = 64;

    private readonly Stack<byte[]>[] sizes = new Stack<byte[]>[Bucket(DatagramLimits.MaxDatagramLength) + 1];

    internal PayloadPool()
    {
        for (int i = 0; i < sizes.Length; i++)
        {
            sizes[i] = new Stack<byte[]>();
        }
    }

    /// <summary>An array of at least <paramref name="length"/> bytes (at most the largest datagram).</summary>
    internal byte[] Rent(int length)
    {
        if (length == 0)
        {
            return Array.Empty<byte>();
        }

        Stack<byte[]> kept = sizes[Bucket(length)];
        lock (kept)
        {
            if (kept.Count > 0)
            {
                return kept.Pop();
            }
        }

        return new byte[Smallest << Bucket(length)];
    }

    /// <summary>Gives back an array from <see cref="Rent"/>; the caller no longer uses it.</summary>
    internal void Return(byte[] array)
    {
        if (array.Length == 0)
        {
            return;
        }

        Stack<byte[]> kept = sizes[Bucket(array.Length)];
        lock (kept)
        {
            if (kept.Count < MaxKept)
            {
                kept.Push(array);
            }
        }
    }

    private static int Bucket(int length)
    {
        int bucket = 0;
        while ((Smallest << bucket) < length)
        {
            bucket++;
        }

        return bucket;
    }
}
