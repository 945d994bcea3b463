using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using PSUdp.Engine.Linux;
using PSUdp.Engine.Receive;

namespace PSUdp.Engine.Send;

/// <summary>
/// Linux: answers datagrams from the address each was sent to, a batch per system call. A socket
/// bound to the wildcard otherwise sends from whatever address the route prefers, and a client
/// that checks the source (a connected socket, PSUdp's own reply wait) drops the answer: 127.0.0.2
/// answered from 127.0.0.1, a secondary address answered from the primary one. Each answer is a
/// message of one sendmmsg with its own IP_PKTINFO (ipi_spec_dst) or IPV6_PKTINFO (ipi6_addr)
/// control message; a broadcast or multicast destination, which cannot be a source, gives the
/// arrival interface instead and the kernel picks that interface's unicast address. The headers,
/// addresses and control messages of <see cref="Capacity"/> slots are built once in unmanaged
/// memory, and a slot's address or control message is rewritten only when its peer or destination
/// changes, so a stream allocates nothing. Owned by one thread.
/// </summary>
internal sealed unsafe class AnswerSender : IDisposable
{
    private const int NameLength = 28;      // sizeof(struct sockaddr_in6)
    private const int ControlLength = 64;   // CMSG_SPACE(in6_pktinfo) = 40, with spare
    private const int EBadF = 9;
    private const int EInval = 22;
    private const int ENetUnreach = 101;
    private const int MaximumNotLocal = 1024;

    private readonly SafeHandle handle;
    private readonly bool v6Socket;
    private readonly IntPtr memory;
    private readonly MultiMessage* messages;
    private readonly IoVector* vectors;
    private readonly byte* names;
    private readonly byte* controls;

    // What each slot's address and control message were written for.
    private readonly Slot[] slots;

    // Destinations that turned out not to be addresses of this host (a directed broadcast such as
    // 198.51.100.255 or 127.255.255.255): the kernel refuses them as a source, so they are
    // answered like a broadcast, from the arrival interface's own address.
    private readonly HashSet<IPAddress> notLocal = new();
    private int pending;
    private bool disposed;

    private AnswerSender(SafeHandle handle, bool v6Socket, int capacity)
    {
        this.handle = handle;
        this.v6Socket = v6Socket;
        Capacity = capacity;
        int size = capacity * (sizeof(MultiMessage) + sizeof(IoVector) + NameLength + ControlLength);
        memory = Marshal.AllocHGlobal(size);
        LinuxNative.Clear((byte*)memory, size);
        messages = (MultiMessage*)memory;
        vectors = (IoVector*)(messages + capacity);
        names = (byte*)(vectors + capacity);
        controls = names + (capacity * NameLength);
        slots = new Slot[capacity];
        for (int i = 0; i < capacity; i++)
        {
            ref MessageHeader header = ref messages[i].Header;
            header.Name = names + (i * NameLength);
            header.Vectors = vectors + i;
            header.VectorCount = (UIntPtr)1;
            header.Control = controls + (i * ControlLength);
            slots[i].RemotePort = -1;
            slots[i].Interface = -1;
        }
    }

    /// <summary>The most answers one system call sends.</summary>
    internal int Capacity { get; }

    /// <summary>Send system calls made so far (tests and the benchmark read it).</summary>
    internal long Calls { get; private set; }

    /// <summary>Why the last answer that could not be sent failed, and to whom.</summary>
    internal (SocketError Error, IPAddress? Address, int Port) LastFailure { get; private set; }

    /// <summary>
    /// An answering sender for the socket (with room for <paramref name="capacity"/> answers per
    /// call), or null where sendmmsg cannot be used (the caller then uses SendTo).
    /// </summary>
    internal static AnswerSender? TryCreate(Socket socket, int capacity = DatagramBatchReader.DefaultCapacity) =>
        LinuxNative.HandleOf(socket) is { } handle
            ? new AnswerSender(handle, socket.AddressFamily == AddressFamily.InterNetworkV6, capacity)
            : null;

    /// <summary>
    /// Sends one datagram's bytes back to its sender from the address it was sent to, at once, from
    /// a buffer that need not be pinned; throws SocketException when it cannot.
    /// </summary>
    internal void Answer(in DatagramView datagram)
    {
        Flush();
        fixed (byte* payload = datagram.Buffer)
        {
            Add(datagram, payload);
            if (Flush() > 0)
            {
                throw new SocketException((int)LastFailure.Error);
            }
        }
    }

    /// <summary>
    /// Queues the answer to a datagram whose buffer stays pinned until <see cref="Flush"/> (the
    /// batch reader's is, for the reader's life); a full batch is sent at once.
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    internal void Add(in DatagramView datagram)
    {
        fixed (byte* payload = datagram.Buffer)
        {
            Add(datagram, payload);
        }

        if (pending == Capacity)
        {
            Flush();
        }
    }

    /// <summary>
    /// Sends the queued answers, as few system calls as the kernel takes them in; returns how many
    /// could not be sent (each costs only its own echo; see <see cref="LastFailure"/>).
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    internal int Flush()
    {
        int failed = 0;
        int done = 0;
        while (done < pending)
        {
            int sent = LinuxNative.sendmmsg(handle, messages + done, (uint)(pending - done), 0);
            Calls++;
            if (sent > 0)
            {
                done += sent;
                continue;
            }

            // The message at 'done' failed; those before it went.
            int errno = Marshal.GetLastWin32Error();
            if (errno == EBadF)
            {
                break; // the socket was closed under the batch: the listener is stopping
            }

            ref Slot slot = ref slots[done];
            // A source that is not an address of this host: EINVAL (IPv6), ENETUNREACH (IPv4).
            if ((errno == EInval || errno == ENetUnreach) && slot.SourceGiven && slot.Local is { } local &&
                (notLocal.Contains(local) || (notLocal.Count < MaximumNotLocal && notLocal.Add(local))))
            {
                WriteControl(done, local, slot.Interface);
                continue; // that message again, now from the interface's address
            }

            failed++;
            LastFailure = (LinuxNative.ToSocketError(errno), slot.Remote, slot.RemotePort);
            done++;
        }

        pending = 0;
        return failed;
    }

    public void Dispose()
    {
        if (!disposed)
        {
            disposed = true;
            Marshal.FreeHGlobal(memory);
        }
    }

    [MethodImpl(HotPath.Optimized)]
    private void Add(in DatagramView datagram, byte* payload)
    {
        int i = pending;
        ref Slot slot = ref slots[i];
        if (!ReferenceEquals(datagram.RemoteAddress, slot.Remote) || datagram.RemotePort != slot.RemotePort)
        {
            if (i > 0 && ReferenceEquals(datagram.RemoteAddress, slots[i - 1].Remote) && datagram.RemotePort == slots[i - 1].RemotePort)
            {
                Buffer.MemoryCopy(names + ((i - 1) * NameLength), names + (i * NameLength), NameLength, NameLength);
                slot.Remote = slots[i - 1].Remote;
                slot.RemotePort = slots[i - 1].RemotePort;
                messages[i].Header.NameLength = messages[i - 1].Header.NameLength;
            }
            else
            {
                WriteName(i, datagram.RemoteAddress, datagram.RemotePort);
            }
        }

        if (!Holds(slot, datagram.LocalAddress, datagram.InterfaceIndex))
        {
            if (i > 0 && Holds(slots[i - 1], datagram.LocalAddress, datagram.InterfaceIndex))
            {
                Buffer.MemoryCopy(controls + ((i - 1) * ControlLength), controls + (i * ControlLength), ControlLength, ControlLength);
                slot.Local = slots[i - 1].Local;
                slot.Interface = slots[i - 1].Interface;
                slot.SourceGiven = slots[i - 1].SourceGiven;
                messages[i].Header.ControlLength = messages[i - 1].Header.ControlLength;
            }
            else
            {
                WriteControl(i, datagram.LocalAddress, datagram.InterfaceIndex);
            }
        }

        vectors[i].Base = payload + datagram.Offset;
        vectors[i].Length = (UIntPtr)datagram.Length;
        messages[i].Header.Flags = 0;
        pending++;
    }

    // True when the slot's control message is the one for this destination and interface (a
    // destination since found not to be local needs a new one).
    private bool Holds(in Slot slot, IPAddress local, int interfaceIndex) =>
        ReferenceEquals(local, slot.Local) && interfaceIndex == slot.Interface &&
        (!slot.SourceGiven || notLocal.Count == 0 || !notLocal.Contains(local));

    // struct sockaddr_in6 (an IPv4 peer of a dual-mode socket as ::ffff:a.b.c.d) or sockaddr_in.
    private void WriteName(int i, IPAddress address, int port)
    {
        slots[i].Remote = address;
        slots[i].RemotePort = port;
        byte* name = names + (i * NameLength);
        LinuxNative.Clear(name, NameLength);
        name[2] = (byte)(port >> 8);
        name[3] = (byte)port;
        bool v4 = address.AddressFamily == AddressFamily.InterNetwork;
        if (!v6Socket)
        {
            *(ushort*)name = LinuxNative.AfInet;
            WriteIPv4(address, name + 4);
            messages[i].Header.NameLength = 16;
            return;
        }

        *(ushort*)name = LinuxNative.AfInet6;
        if (v4)
        {
            name[18] = 0xFF;
            name[19] = 0xFF;
            WriteIPv4(address, name + 20);
        }
        else
        {
            WriteIPv6(address, name + 8);
            *(uint*)(name + 24) = (uint)address.ScopeId;
        }

        messages[i].Header.NameLength = NameLength;
    }

    // IP_PKTINFO (struct in_pktinfo: ifindex, spec_dst, addr) for an IPv4 destination, also on a
    // dual-mode socket; IPV6_PKTINFO (struct in6_pktinfo: addr, ifindex) for an IPv6 one.
    private void WriteControl(int i, IPAddress destination, int interfaceIndex)
    {
        ref Slot slot = ref slots[i];
        slot.Local = destination;
        slot.Interface = interfaceIndex;
        byte* control = controls + (i * ControlLength);
        LinuxNative.Clear(control, ControlLength);
        var cmsg = (ControlHeader*)control;
        byte* data = (byte*)(cmsg + 1);
        bool unanswerableSource = notLocal.Contains(destination);
        if (destination.AddressFamily == AddressFamily.InterNetwork)
        {
            byte* bytes = data + 4;
            WriteIPv4(destination, bytes);
            bool broadcast = unanswerableSource || bytes[0] >= 224 || (bytes[0] == 255 && bytes[1] == 255 && bytes[2] == 255 && bytes[3] == 255);
            slot.SourceGiven = !broadcast;
            if (broadcast)
            {
                *(uint*)bytes = 0;
                *(int*)data = interfaceIndex;
            }

            cmsg->Level = LinuxNative.SolIP;
            cmsg->Type = LinuxNative.IPPktInfo;
            cmsg->Length = (UIntPtr)(sizeof(ControlHeader) + 12);
            messages[i].Header.ControlLength = (UIntPtr)LinuxNative.Align(sizeof(ControlHeader) + 12);
            return;
        }

        bool multicast = unanswerableSource || destination.IsIPv6Multicast;
        slot.SourceGiven = !multicast;
        if (!multicast)
        {
            WriteIPv6(destination, data);
        }

        if (multicast || destination.IsIPv6LinkLocal)
        {
            *(int*)(data + 16) = interfaceIndex;
        }

        cmsg->Level = LinuxNative.SolIPv6;
        cmsg->Type = LinuxNative.IPv6PktInfo;
        cmsg->Length = (UIntPtr)(sizeof(ControlHeader) + 20);
        messages[i].Header.ControlLength = (UIntPtr)LinuxNative.Align(sizeof(ControlHeader) + 20);
    }

#pragma warning disable CS0618 // IPAddress.Address: the IPv4 bytes in memory order, without an array
    private static void WriteIPv4(IPAddress address, byte* destination) => *(uint*)destination = (uint)address.Address;
#pragma warning restore CS0618

    // Only when the peer or destination changes: GetAddressBytes makes an array.
    private static void WriteIPv6(IPAddress address, byte* destination)
    {
        byte[] bytes = address.GetAddressBytes();
        for (int i = 0; i < 16; i++)
        {
            destination[i] = bytes[i];
        }
    }

    // What a slot's address and control message hold.
    private struct Slot
    {
        public IPAddress? Remote;
        public int RemotePort;
        public IPAddress? Local;
        public int Interface;
        public bool SourceGiven;
    }
}
