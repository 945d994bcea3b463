using System;
using System.Runtime.InteropServices;

namespace PSUdp.Engine.Linux;

// Linux's structures for recvmmsg, sendmmsg, recvmsg and sendmsg (LP64), read and written in place;
// the calls and the option numbers are in Linux/LinuxNative.cs. bench/UdpReference compiles this
// file too, so it needs nothing but System and System.Runtime.InteropServices.

/// <summary>struct iovec.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct IoVector
{
    public byte* Base;
    public UIntPtr Length;
}

/// <summary>struct msghdr.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct MessageHeader
{
    public byte* Name;
    public uint NameLength;
    public IoVector* Vectors;
    public UIntPtr VectorCount;
    public byte* Control;
    public UIntPtr ControlLength;
    public int Flags;
}

/// <summary>struct mmsghdr: a message and, after the call, the bytes it carried.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MultiMessage
{
    public MessageHeader Header;
    public uint Length;
}

/// <summary>struct cmsghdr.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ControlHeader
{
    public UIntPtr Length;
    public int Level;
    public int Type;
}

/// <summary>The errno values a batch call reports, as the SocketError .NET would give.</summary>
internal static class Errno
{
    internal static System.Net.Sockets.SocketError ToSocketError(int errno) => errno switch
    {
        4 => System.Net.Sockets.SocketError.Interrupted,          // EINTR
        9 => System.Net.Sockets.SocketError.OperationAborted,     // EBADF: closed under the call
        11 => System.Net.Sockets.SocketError.TimedOut,            // EAGAIN: SO_RCVTIMEO/SO_SNDTIMEO passed
        13 => System.Net.Sockets.SocketError.AccessDenied,        // EACCES
        22 => System.Net.Sockets.SocketError.InvalidArgument,     // EINVAL
        90 => System.Net.Sockets.SocketError.MessageSize,         // EMSGSIZE
        99 => System.Net.Sockets.SocketError.AddressNotAvailable, // EADDRNOTAVAIL
        101 => System.Net.Sockets.SocketError.NetworkUnreachable, // ENETUNREACH
        104 => System.Net.Sockets.SocketError.ConnectionReset,    // ECONNRESET
        105 => System.Net.Sockets.SocketError.NoBufferSpaceAvailable, // ENOBUFS
        111 => System.Net.Sockets.SocketError.ConnectionRefused,  // ECONNREFUSED
        113 => System.Net.Sockets.SocketError.HostUnreachable,    // EHOSTUNREACH
        _ => System.Net.Sockets.SocketError.SocketError,
    };
}
