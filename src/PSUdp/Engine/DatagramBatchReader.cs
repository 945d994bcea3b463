using System;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PSUdp.Engine;

/// <summary>
/// Linux only: reads up to <see cref="Capacity"/> datagrams per system call (recvmmsg), each with its
/// source and the address it was sent to (packet information), into its own buffers, which the
/// caller reads as <see cref="DatagramView"/>s. On a listener's loop it replaces
/// <see cref="DatagramReader"/>, whose ReceiveMessageFrom makes one system call and allocates
/// several endpoint objects per datagram; here a datagram allocates nothing. Owned by one thread:
/// the loop that creates it reads with it and disposes it.
/// </summary>
internal sealed unsafe class DatagramBatchReader : IDisposable
{
    /// <summary>Datagrams per system call; more gains little, and each slot holds a whole datagram.</summary>
    internal const int DefaultCapacity = 16;

    private const int NameLength = 128;      // sizeof(struct sockaddr_storage)
    private const int ControlLength = 128;   // room for IP_PKTINFO or IPV6_PKTINFO, with spare
    private const int MsgTrunc = 0x20;
    private const int MsgWaitForOne = 0x10000;
    private const ushort AfInet = 2;
    private const ushort AfInet6 = 10;
    private const int SolIP = 0;
    private const int SolIPv6 = 41;
    private const int IPPktInfo = 8;
    private const int IPv6RecvPktInfo = 49;
    private const int IPv6PktInfo = 50;

    // Socket.SafeHandle exists on every runtime that runs on Linux (.NET Core 3.0 and later).
    private static readonly PropertyInfo? SafeHandleProperty = typeof(Socket).GetProperty("SafeHandle");

    private readonly SafeHandle handle;
    private readonly int bufferLength;
    private readonly int localPort;
    private readonly IPAddress boundAddress;
    private readonly IntPtr memory;
    private readonly MultiMessage* messages;
    private readonly byte* names;
    private readonly byte* controls;
    private readonly byte[] buffers;      // pinned for the reader's life: the kernel writes into it
    private GCHandle pin;
    private readonly AddressCache remotes = new();
    private readonly AddressCache locals = new();
    private long batchTicks;

    private DatagramBatchReader(Socket socket, SafeHandle handle, int bufferLength, int capacity)
    {
        this.handle = handle;
        this.bufferLength = bufferLength;
        Capacity = capacity;
        var local = (IPEndPoint)socket.LocalEndPoint!;
        localPort = local.Port;
        boundAddress = local.Address;

        // The managed buffer first: if it cannot be had, nothing unmanaged is left behind.
        buffers = new byte[checked(capacity * bufferLength)];
        pin = GCHandle.Alloc(buffers, GCHandleType.Pinned);
        byte* first = (byte*)pin.AddrOfPinnedObject();
        long size = (long)capacity * (sizeof(MultiMessage) + sizeof(IoVector) + NameLength + ControlLength);
        try
        {
            memory = Marshal.AllocHGlobal(new IntPtr(size));
        }
        catch
        {
            pin.Free();
            throw;
        }

        messages = (MultiMessage*)memory;
        var vectors = (IoVector*)(messages + capacity);
        names = (byte*)(vectors + capacity);
        controls = names + (capacity * NameLength);
        for (int i = 0; i < capacity; i++)
        {
            vectors[i].Base = first + ((long)i * bufferLength);
            vectors[i].Length = (UIntPtr)bufferLength;
            messages[i].Header.Vectors = vectors + i;
            messages[i].Header.VectorCount = (UIntPtr)1;
        }
    }

    /// <summary>The most datagrams one <see cref="Read"/> returns.</summary>
    internal int Capacity { get; }

    /// <summary>
    /// A reader for the socket, or null where recvmmsg is not available (not Linux, not 64-bit,
    /// the portable paths forced, or packet information cannot be switched on): the caller then
    /// reads one datagram at a time.
    /// </summary>
    internal static DatagramBatchReader? TryCreate(Socket socket, int bufferLength, int capacity = DefaultCapacity)
    {
        if (!Platform.LinuxPaths || IntPtr.Size != 8 ||
            SafeHandleProperty?.GetValue(socket) is not SafeHandle handle)
        {
            return null;
        }

        // The same packet information ReceiveMessageFrom would switch on: both families on a dual-mode socket.
        bool v6 = socket.AddressFamily == AddressFamily.InterNetworkV6;
        if ((!v6 || socket.DualMode) && !SetOption(handle, SolIP, IPPktInfo))
        {
            return null;
        }

        if (v6 && !SetOption(handle, SolIPv6, IPv6RecvPktInfo))
        {
            return null;
        }

        return new DatagramBatchReader(socket, handle, bufferLength, capacity);
    }

    /// <summary>
    /// Blocks until at least one datagram is there (or the socket's receive timeout passes, as a
    /// SocketException TimedOut), then takes up to <paramref name="max"/> of those waiting; each is
    /// then read with <see cref="TryGet"/> until the next call.
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    internal int Read(int max)
    {
        int want = Math.Min(max, Capacity);
        for (int i = 0; i < want; i++)
        {
            ref MessageHeader header = ref messages[i].Header;
            header.Name = names + (i * NameLength);
            header.NameLength = NameLength;
            header.Control = controls + (i * ControlLength);
            header.ControlLength = (UIntPtr)ControlLength;
            header.Flags = 0;
        }

        int got = recvmmsg(handle, messages, (uint)want, MsgWaitForOne, IntPtr.Zero);
        if (got < 0)
        {
            throw new SocketException((int)ToSocketError(Marshal.GetLastWin32Error()));
        }

        batchTicks = DateTime.UtcNow.Ticks; // one clock read for the batch: the datagrams were read together
        return got;
    }

    /// <summary>The <paramref name="index"/>th datagram of the last <see cref="Read"/>; false when it has no source.</summary>
    [MethodImpl(HotPath.Optimized)]
    internal bool TryGet(int index, out DatagramView datagram)
    {
        ref MessageHeader header = ref messages[index].Header;
        if (header.NameLength == 0)
        {
            datagram = default;
            return false; // no source: the socket was shut down under the call
        }

        int length = (int)Math.Min(messages[index].Length, (uint)bufferLength);
        IPAddress remote = Source(header.Name, out int remotePort);
        IPAddress local = Destination(ref header) ?? boundAddress;
        datagram = new DatagramView(remote, remotePort, local, localPort,
            buffers, index * bufferLength, length, (header.Flags & MsgTrunc) != 0, batchTicks);
        return true;
    }

    public void Dispose()
    {
        if (pin.IsAllocated)
        {
            Marshal.FreeHGlobal(memory);
            pin.Free();
        }
    }

    private static bool SetOption(SafeHandle handle, int level, int name)
    {
        int value = 1;
        return setsockopt(handle, level, name, &value, sizeof(int)) == 0;
    }

    private static SocketError ToSocketError(int errno) => errno switch
    {
        4 => SocketError.Interrupted,              // EINTR
        9 => SocketError.OperationAborted,         // EBADF: closed under the call
        11 => SocketError.TimedOut,                // EAGAIN: SO_RCVTIMEO passed
        104 => SocketError.ConnectionReset,        // ECONNRESET
        111 => SocketError.ConnectionRefused,      // ECONNREFUSED
        _ => SocketError.SocketError,
    };

    private IPAddress Source(byte* name, out int port)
    {
        ushort family = *(ushort*)name;
        port = (name[2] << 8) | name[3];
        return family == AfInet6
            ? remotes.Get(name + 8, 16, *(uint*)(name + 24))
            : remotes.Get(name + 4, 4, 0);
    }

    // The destination address from IP_PKTINFO (struct in_pktinfo: ifindex, spec_dst, addr) or
    // IPV6_PKTINFO (struct in6_pktinfo: addr, ifindex).
    private IPAddress? Destination(ref MessageHeader header)
    {
        long length = (long)header.ControlLength;
        byte* control = header.Control;
        long offset = 0;
        while (offset + sizeof(ControlHeader) <= length)
        {
            var cmsg = (ControlHeader*)(control + offset);
            long cmsgLength = (long)cmsg->Length;
            if (cmsgLength < sizeof(ControlHeader) || offset + cmsgLength > length)
            {
                break;
            }

            byte* data = (byte*)(cmsg + 1);
            if (cmsg->Level == SolIP && cmsg->Type == IPPktInfo)
            {
                return locals.Get(data + 8, 4, 0);
            }

            if (cmsg->Level == SolIPv6 && cmsg->Type == IPv6PktInfo)
            {
                return locals.Get(data, 16, 0);
            }

            offset += (cmsgLength + 7) & ~7L;
        }

        return null;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int recvmmsg(SafeHandle socket, MultiMessage* messages, uint count, int flags, IntPtr timeout);

    [DllImport("libc", SetLastError = true)]
    private static extern int setsockopt(SafeHandle socket, int level, int name, int* value, uint length);

    // struct iovec
    [StructLayout(LayoutKind.Sequential)]
    private struct IoVector
    {
        public byte* Base;
        public UIntPtr Length;
    }

    // struct msghdr (LP64)
    [StructLayout(LayoutKind.Sequential)]
    private struct MessageHeader
    {
        public byte* Name;
        public uint NameLength;
        public IoVector* Vectors;
        public UIntPtr VectorCount;
        public byte* Control;
        public UIntPtr ControlLength;
        public int Flags;
    }

    // struct mmsghdr
    [StructLayout(LayoutKind.Sequential)]
    private struct MultiMessage
    {
        public MessageHeader Header;
        public uint Length;
    }

    // struct cmsghdr (LP64)
    [StructLayout(LayoutKind.Sequential)]
    private struct ControlHeader
    {
        public UIntPtr Length;
        public int Level;
        public int Type;
    }

    /// <summary>
    /// The last address seen, as bytes and as an IPAddress: a stream from one peer reuses one
    /// (normalised) IPAddress instead of making one per datagram.
    /// </summary>
    private sealed class AddressCache
    {
        private readonly byte[] bytes = new byte[16];
        private int length;
        private uint scope;
        private IPAddress? address;

        [MethodImpl(HotPath.Optimized)]
        internal IPAddress Get(byte* raw, int rawLength, uint scopeId)
        {
            if (address is null || rawLength != length || scopeId != scope || !Same(raw, rawLength))
            {
                Marshal.Copy(new IntPtr(raw), bytes, 0, rawLength);
                length = rawLength;
                scope = scopeId;
                byte[] copy = new byte[rawLength];
                Buffer.BlockCopy(bytes, 0, copy, 0, rawLength);
                address = Addresses.Normalize(rawLength == 16 ? new IPAddress(copy, scopeId) : new IPAddress(copy));
            }

            return address;
        }

        private bool Same(byte* raw, int rawLength)
        {
            for (int i = 0; i < rawLength; i++)
            {
                if (raw[i] != bytes[i])
                {
                    return false;
                }
            }

            return true;
        }
    }
}
