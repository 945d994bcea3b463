using System;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using PSUdp.Engine.IPLevel;
using static PSUdp.Engine.Linux.LinuxNative;
using PSUdp.Engine.Linux;

namespace PSUdp.Engine.Receive;

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
    // Room for the control messages switched on: IPV6_PKTINFO (40), TTL (24), TOS (24), SO_TIMESTAMPNS (32), SO_RXQ_OVFL (24).
    private const int ControlLength = 256;
    private static readonly long UnixEpochTicks = new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;
    private readonly SafeHandle handle;
    private readonly int bufferLength;
    private readonly int localPort;
    private readonly IPAddress boundAddress;
    private readonly IntPtr memory;
    private readonly MultiMessage* messages;
    private readonly byte* names;
    private readonly byte* controls;
    // Pinned for the reader's life: the kernel writes into it. A sweep makes a one-slot reader per
    // probe socket, and a new 64 KiB array for each cost more than the probe: those are reused.
    private const int SpareSlots = 64;
    private static readonly ConcurrentQueue<byte[]> Spares = new();
    private readonly byte[] buffers;
    private GCHandle pin;
    private readonly AddressCache remotes = new();
    // One per family: a dual-mode socket gets both IPV6_PKTINFO (the v4-mapped form) and IP_PKTINFO
    // for each IPv4 datagram, and one cache for both would miss, and allocate, twice per datagram.
    private readonly AddressCache locals4 = new();
    private readonly AddressCache locals6 = new();
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
        buffers = Take(checked(capacity * bufferLength), capacity);
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
            Give(buffers, capacity);
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

    /// <summary>True when the kernel counts this socket's drops for the reader (SO_RXQ_OVFL is on).</summary>
    internal bool CountsKernelDrops { get; private set; }

    /// <summary>
    /// Datagrams the kernel dropped on this socket before they could be read (its buffer was
    /// full), as of the last datagram read (SO_RXQ_OVFL); see <see cref="ReadKernelDropped"/>.
    /// </summary>
    internal long KernelDropped { get; private set; }

    /// <summary>
    /// The socket's drop count now (SO_MEMINFO), which also counts the drops after the last
    /// datagram read; falls back to <see cref="KernelDropped"/>. Call before the socket closes.
    /// </summary>
    internal long ReadKernelDropped()
    {
        uint* info = stackalloc uint[MemInfoVars];
        uint size = sizeof(uint) * MemInfoVars;
        try
        {
            if (getsockopt(handle, SolSocket, SoMemInfo, info, &size) == 0 && size > MemInfoDrops * sizeof(uint))
            {
                KernelDropped = Math.Max(KernelDropped, info[MemInfoDrops]);
            }
        }
        catch (ObjectDisposedException)
        {
            // Closed by Stop: the last count read stands.
        }

        return KernelDropped;
    }

    /// <summary>
    /// A reader for the socket, or null where recvmmsg is not available (not Linux, not 64-bit,
    /// the portable paths forced, or packet information cannot be switched on): the caller then
    /// reads one datagram at a time.
    /// </summary>
    internal static DatagramBatchReader? TryCreate(Socket socket, int bufferLength, int capacity = DefaultCapacity)
    {
        if (HandleOf(socket) is not SafeHandle handle)
        {
            return null;
        }

        // The packet information of the socket's family. A dual-mode socket gets IPV6_PKTINFO for
        // its IPv4 datagrams too (the v4-mapped destination and the interface), so IP_PKTINFO would
        // only make the kernel build a second control message that says the same.
        bool v6 = socket.AddressFamily == AddressFamily.InterNetworkV6;
        if (!v6 && !SetOption(handle, SolIP, IPPktInfo))
        {
            return null;
        }

        if (v6 && !SetOption(handle, SolIPv6, IPv6RecvPktInfo))
        {
            return null;
        }

        // The arrival facts are extras: a kernel that refuses one simply does not tell it.
        if (!v6 || socket.DualMode)
        {
            SetOption(handle, SolIP, IPRecvTtl);
            SetOption(handle, SolIP, IPRecvTos);
        }

        if (v6)
        {
            SetOption(handle, SolIPv6, IPv6RecvHopLimit);
            SetOption(handle, SolIPv6, IPv6RecvTClass);
        }

        SetOption(handle, SolSocket, SoTimestampNs);
        bool countsDrops = SetOption(handle, SolSocket, SoRxqOvfl);

        return new DatagramBatchReader(socket, handle, bufferLength, capacity) { CountsKernelDrops = countsDrops };
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
        ArrivalFacts facts = ReadControl(ref header, out IPAddress? local);
        datagram = new DatagramView(remote, remotePort, local ?? boundAddress, localPort,
            buffers, index * bufferLength, length, (header.Flags & MsgTrunc) != 0, facts);
        return true;
    }

    public void Dispose()
    {
        if (pin.IsAllocated)
        {
            Marshal.FreeHGlobal(memory);
            pin.Free();
            Give(buffers, Capacity);
        }
    }

    // A one-slot reader's array from the spares when one of its length is there, else a new one.
    private static byte[] Take(int length, int capacity) =>
        capacity == 1 && Spares.TryDequeue(out byte[]? spare) && spare.Length == length ? spare : new byte[length];

    private static void Give(byte[] buffer, int capacity)
    {
        if (capacity == 1 && Spares.Count < SpareSlots)
        {
            Spares.Enqueue(buffer);
        }
    }

    private static bool SetOption(SafeHandle handle, int level, int name) => SetInt(handle, level, name, 1);

    private IPAddress Source(byte* name, out int port)
    {
        ushort family = *(ushort*)name;
        port = (name[2] << 8) | name[3];
        return family == AfInet6
            ? remotes.Get(name + 8, 16, *(uint*)(name + 24))
            : remotes.Get(name + 4, 4, 0);
    }

    // What the control messages tell, read in place: the destination address and the arrival
    // interface from IP_PKTINFO (struct in_pktinfo: ifindex, spec_dst, addr) or IPV6_PKTINFO
    // (struct in6_pktinfo: addr, ifindex); the TTL or hop limit (an int); the TOS (one byte) or
    // traffic class (an int); the kernel's receive time (struct timespec); the socket's drop count.
    [MethodImpl(HotPath.Optimized)]
    private ArrivalFacts ReadControl(ref MessageHeader header, out IPAddress? local)
    {
        var facts = new ArrivalFacts(0, -1, -1, batchTicks);
        local = null;
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
            switch (cmsg->Level)
            {
                case SolIP when cmsg->Type == IPPktInfo:
                    facts.InterfaceIndex = *(int*)data;
                    local = locals4.Get(data + 8, 4, 0);
                    break;
                case SolIP when cmsg->Type == IPTtl:
                    facts.TimeToLive = *(int*)data;
                    break;
                case SolIP when cmsg->Type == IPTos:
                    facts.TrafficClass = *data;
                    break;
                case SolIPv6 when cmsg->Type == IPv6PktInfo:
                    facts.InterfaceIndex = *(int*)(data + 16);
                    local = locals6.Get(data, 16, 0);
                    break;
                case SolIPv6 when cmsg->Type == IPv6HopLimit:
                    facts.TimeToLive = *(int*)data;
                    break;
                case SolIPv6 when cmsg->Type == IPv6TClass:
                    facts.TrafficClass = *(int*)data & 0xFF;
                    break;
                case SolSocket when cmsg->Type == SoTimestampNs:
                    facts.UtcTicks = UnixEpochTicks + (*(long*)data * TimeSpan.TicksPerSecond) + (*(long*)(data + 8) / 100);
                    break;
                case SolSocket when cmsg->Type == SoRxqOvfl:
                    KernelDropped = *(uint*)data;
                    break;
            }

            offset += Align(cmsgLength);
        }

        return facts;
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
