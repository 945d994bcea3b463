using System;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using PSUdp.Engine.Linux;

namespace PSUdp.Engine.Send;

/// <summary>
/// Linux only: sends up to <see cref="Capacity"/> datagrams per system call (sendmmsg) from an
/// array of message headers allocated once. <see cref="SendRepeated"/> sends one payload many
/// times over a connected socket (every header points at the same bytes), the load generator's
/// fast path. Owned by one thread.
/// </summary>
internal sealed unsafe class DatagramBatchWriter : IDisposable
{
    /// <summary>Datagrams per system call: a paced run at 100,000 per second sends a millisecond or two of them at once.</summary>
    internal const int DefaultCapacity = 256;

    private readonly SafeHandle handle;
    private readonly IntPtr memory;
    private readonly MultiMessage* messages;
    private readonly IoVector* vectors;
    private byte[]? repeated;
    private GCHandle pin;
    private bool disposed;

    private DatagramBatchWriter(SafeHandle handle, int capacity)
    {
        this.handle = handle;
        Capacity = capacity;
        long size = (long)capacity * (sizeof(MultiMessage) + sizeof(IoVector));
        memory = Marshal.AllocHGlobal(new IntPtr(size));
        messages = (MultiMessage*)memory;
        vectors = (IoVector*)(messages + capacity);
        for (int i = 0; i < capacity; i++)
        {
            messages[i] = default;
            vectors[i] = default;
            messages[i].Header.Vectors = vectors + i;
            messages[i].Header.VectorCount = (UIntPtr)1;
        }
    }

    /// <summary>The most datagrams one call sends.</summary>
    internal int Capacity { get; }

    /// <summary>A writer for the socket, or null where sendmmsg is not available (not Linux, not 64-bit).</summary>
    internal static DatagramBatchWriter? TryCreate(Socket socket, int capacity = DefaultCapacity)
    {
        if (LinuxNative.HandleOf(socket) is not SafeHandle handle)
        {
            return null;
        }

        return new DatagramBatchWriter(handle, capacity);
    }

    /// <summary>
    /// Sends <paramref name="payload"/> <paramref name="count"/> times (at most <see cref="Capacity"/>)
    /// to the socket's connected peer in one system call; returns how many the system took, which
    /// is fewer when a send failed after the first. Throws SocketException when the first failed.
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    internal int SendRepeated(byte[] payload, int count)
    {
        if (!ReferenceEquals(payload, repeated))
        {
            Point(payload);
        }

        int want = Math.Min(count, Capacity);
        int sent = LinuxNative.sendmmsg(handle, messages, (uint)want, 0);
        if (sent < 0)
        {
            throw new SocketException((int)Errno.ToSocketError(Marshal.GetLastWin32Error()));
        }

        return sent;
    }

    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        repeated = null;
        if (pin.IsAllocated)
        {
            pin.Free();
        }

        Marshal.FreeHGlobal(memory);
    }

    // Every header at the one pinned payload, with no address: the socket is connected.
    private void Point(byte[] payload)
    {
        if (pin.IsAllocated)
        {
            pin.Free();
        }

        pin = GCHandle.Alloc(payload, GCHandleType.Pinned);
        repeated = payload;
        byte* bytes = (byte*)pin.AddrOfPinnedObject();
        for (int i = 0; i < Capacity; i++)
        {
            vectors[i].Base = bytes;
            vectors[i].Length = (UIntPtr)payload.Length;
            ref MessageHeader header = ref messages[i].Header;
            header.Name = null;
            header.NameLength = 0;
            header.Control = null;
            header.ControlLength = UIntPtr.Zero;
            header.Flags = 0;
        }
    }

}
