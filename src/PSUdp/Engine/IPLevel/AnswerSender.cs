using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using PSUdp.Engine.Batch;

namespace PSUdp.Engine.IPLevel;

/// <summary>
/// Linux: answers a datagram from the address it was sent to. A socket bound to the wildcard
/// otherwise sends from whatever address the route prefers, and a client that checks the source
/// (a connected socket, PSUdp's own reply wait) drops the answer: 127.0.0.2 answered from
/// 127.0.0.1, a secondary address answered from the primary one. Each send is one sendmsg with an
/// IP_PKTINFO (ipi_spec_dst) or IPV6_PKTINFO (ipi6_addr) control message; a broadcast or multicast
/// destination, which cannot be a source, gives the arrival interface instead and the kernel picks
/// that interface's unicast address. The message header, address and control message are built
/// once in unmanaged memory and rewritten only when the peer or the destination changes, so a
/// stream allocates nothing. Owned by one thread.
/// </summary>
internal sealed unsafe class AnswerSender : IDisposable
{
    private const int NameLength = 28;      // sizeof(struct sockaddr_in6)
    private const int ControlLength = 64;   // CMSG_SPACE(in6_pktinfo) = 40, with spare
    private const int EInval = 22;
    private const int ENetUnreach = 101;
    private const int MaximumNotLocal = 1024;

    private readonly SafeHandle handle;
    private readonly bool v6Socket;
    private readonly IntPtr memory;
    private readonly MessageHeader* header;
    private readonly IoVector* vector;
    private readonly byte* name;
    private readonly byte* control;

    // Destinations that turned out not to be addresses of this host (a directed broadcast such as
    // 198.51.100.255 or 127.255.255.255): the kernel refuses them as a source, so they are
    // answered like a broadcast, from the arrival interface's own address.
    private readonly HashSet<IPAddress> notLocal = new();
    private IPAddress? remote;
    private int remotePort = -1;
    private IPAddress? local;
    private int localInterface = -1;
    private uint nameLength;
    private int controlUsed;
    private bool sourceGiven;
    private bool disposed;

    private AnswerSender(SafeHandle handle, bool v6Socket)
    {
        this.handle = handle;
        this.v6Socket = v6Socket;
        memory = Marshal.AllocHGlobal(sizeof(MessageHeader) + sizeof(IoVector) + NameLength + ControlLength);
        header = (MessageHeader*)memory;
        vector = (IoVector*)(header + 1);
        name = (byte*)(vector + 1);
        control = name + NameLength;
        LinuxNative.Clear((byte*)memory, sizeof(MessageHeader) + sizeof(IoVector) + NameLength + ControlLength);
    }

    /// <summary>An answering sender for the socket, or null where sendmsg cannot be used (the caller then uses SendTo).</summary>
    internal static AnswerSender? TryCreate(Socket socket) =>
        LinuxNative.HandleOf(socket) is { } handle
            ? new AnswerSender(handle, socket.AddressFamily == AddressFamily.InterNetworkV6)
            : null;

    /// <summary>Sends the datagram's bytes back to its sender from the address it was sent to; throws SocketException.</summary>
    [MethodImpl(HotPath.Optimized)]
    internal void Answer(in DatagramView datagram)
    {
        if (!ReferenceEquals(datagram.RemoteAddress, remote) || datagram.RemotePort != remotePort)
        {
            WriteName(datagram.RemoteAddress, datagram.RemotePort);
        }

        if (!ReferenceEquals(datagram.LocalAddress, local) || datagram.InterfaceIndex != localInterface)
        {
            WriteControl(datagram.LocalAddress, datagram.InterfaceIndex);
        }

        int errno = Send(datagram);
        // A source that is not an address of this host: EINVAL (IPv6), ENETUNREACH (IPv4).
        if ((errno == EInval || errno == ENetUnreach) && sourceGiven && notLocal.Count < MaximumNotLocal)
        {
            notLocal.Add(datagram.LocalAddress);
            WriteControl(datagram.LocalAddress, datagram.InterfaceIndex);
            errno = Send(datagram);
        }

        if (errno != 0)
        {
            throw new SocketException((int)LinuxNative.ToSocketError(errno));
        }
    }

    public void Dispose()
    {
        if (!disposed)
        {
            disposed = true;
            Marshal.FreeHGlobal(memory);
        }
    }

    // Returns 0, or the errno of the failed send.
    private int Send(in DatagramView datagram)
    {
        fixed (byte* payload = datagram.Buffer)
        {
            vector->Base = payload + datagram.Offset;
            vector->Length = (UIntPtr)datagram.Length;
            header->Name = name;
            header->NameLength = nameLength;
            header->Vectors = vector;
            header->VectorCount = (UIntPtr)1;
            header->Control = control;
            header->ControlLength = (UIntPtr)controlUsed;
            header->Flags = 0;
            return (long)LinuxNative.sendmsg(handle, header, 0) < 0 ? Marshal.GetLastWin32Error() : 0;
        }
    }

    // struct sockaddr_in6 (an IPv4 peer of a dual-mode socket as ::ffff:a.b.c.d) or sockaddr_in.
    private void WriteName(IPAddress address, int port)
    {
        remote = address;
        remotePort = port;
        LinuxNative.Clear(name, NameLength);
        name[2] = (byte)(port >> 8);
        name[3] = (byte)port;
        bool v4 = address.AddressFamily == AddressFamily.InterNetwork;
        if (!v6Socket)
        {
            *(ushort*)name = LinuxNative.AfInet;
            WriteIPv4(address, name + 4);
            nameLength = 16;
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

        nameLength = NameLength;
    }

    // IP_PKTINFO (struct in_pktinfo: ifindex, spec_dst, addr) for an IPv4 destination, also on a
    // dual-mode socket; IPV6_PKTINFO (struct in6_pktinfo: addr, ifindex) for an IPv6 one.
    private void WriteControl(IPAddress destination, int interfaceIndex)
    {
        local = destination;
        localInterface = interfaceIndex;
        LinuxNative.Clear(control, ControlLength);
        var cmsg = (ControlHeader*)control;
        byte* data = (byte*)(cmsg + 1);
        bool unanswerableSource = notLocal.Contains(destination);
        if (destination.AddressFamily == AddressFamily.InterNetwork)
        {
            byte* bytes = data + 4;
            WriteIPv4(destination, bytes);
            bool broadcast = unanswerableSource || bytes[0] >= 224 || (bytes[0] == 255 && bytes[1] == 255 && bytes[2] == 255 && bytes[3] == 255);
            sourceGiven = !broadcast;
            if (broadcast)
            {
                *(uint*)bytes = 0;
                *(int*)data = interfaceIndex;
            }

            cmsg->Level = LinuxNative.SolIP;
            cmsg->Type = LinuxNative.IPPktInfo;
            cmsg->Length = (UIntPtr)(sizeof(ControlHeader) + 12);
            controlUsed = (int)LinuxNative.Align(sizeof(ControlHeader) + 12);
            return;
        }

        bool multicast = unanswerableSource || destination.IsIPv6Multicast;
        sourceGiven = !multicast;
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
        controlUsed = (int)LinuxNative.Align(sizeof(ControlHeader) + 20);
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
}
