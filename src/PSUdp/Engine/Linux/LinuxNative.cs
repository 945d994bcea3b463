using System;
using System.Net.Sockets;
using System.Reflection;
using System.Runtime.InteropServices;
using PSUdp.Engine.Sockets;

namespace PSUdp.Engine.Linux;

/// <summary>
/// The one home of the Linux (LP64) declarations the engine calls directly, where .NET has no
/// allocation-free equivalent or no name: the address families, socket option levels, option
/// numbers and message flags, and recvmmsg, sendmsg, sendmmsg, recvmsg, setsockopt and
/// getsockopt. The structures (msghdr, mmsghdr, cmsghdr, iovec) are in MessageHeaders.cs.
/// </summary>
internal static unsafe class LinuxNative
{
    internal const ushort AfInet = 2;
    internal const ushort AfInet6 = 10;
    internal const int SolSocket = 1;
    internal const int SolIP = 0;
    internal const int SolIPv6 = 41;

    internal const int SoBindToDevice = 25;
    internal const int SoRcvBufForce = 33;

    internal const int IPTos = 1;
    internal const int IPTtl = 2;
    internal const int IPPktInfo = 8;
    internal const int IPMtuDiscover = 10;
    internal const int IPRecvErr = 11;
    internal const int IPRecvTtl = 12;
    internal const int IPRecvTos = 13;
    internal const int IPMtu = 14;
    internal const int IPMulticastIf = 32;
    internal const int IPMulticastTtl = 33;
    internal const int McastJoinSourceGroup = 46;
    internal const int McastLeaveSourceGroup = 47;
    internal const int IPMulticastAll = 49;
    internal const int IPPmtuDiscDo = 2;
    internal const int IPPmtuDiscProbe = 3;

    internal const int IPv6UnicastHops = 16;
    internal const int IPv6MulticastHops = 18;
    internal const int IPv6MtuDiscover = 23;
    internal const int IPv6Mtu = 24;
    internal const int IPv6RecvErr = 25;
    internal const int IPv6MulticastAll = 29;
    internal const int IPv6RecvPktInfo = 49;
    internal const int IPv6PktInfo = 50;
    internal const int IPv6RecvHopLimit = 51;
    internal const int IPv6HopLimit = 52;
    internal const int IPv6DontFrag = 62;
    internal const int IPv6RecvTClass = 66;
    internal const int IPv6TClass = 67;

    internal const int SoTimestampNs = 35;   // SO_TIMESTAMPNS_OLD; the control message type is the same number
    internal const int SoRxqOvfl = 40;
    internal const int SoMemInfo = 55;
    internal const int MemInfoDrops = 8;     // SK_MEMINFO_DROPS
    internal const int MemInfoVars = 9;      // SK_MEMINFO_VARS

    internal const int MsgTrunc = 0x20;
    internal const int MsgDontWait = 0x40;
    internal const int MsgErrQueue = 0x2000;
    internal const int MsgWaitForOne = 0x10000;

    // Socket.SafeHandle exists on every runtime that runs on Linux (.NET Core 3.0 and later).
    internal static readonly PropertyInfo? SafeHandleProperty = typeof(Socket).GetProperty("SafeHandle");

    // Its getter as a delegate: PropertyInfo.GetValue is a reflective call (microseconds), and a
    // sweep asks for the handle on every read of the error queue.
    private static readonly Func<Socket, SafeHandle>? SafeHandleGetter = SafeHandleProperty?.GetGetMethod() is { } getter
        ? (Func<Socket, SafeHandle>)Delegate.CreateDelegate(typeof(Func<Socket, SafeHandle>), getter)
        : null;

    /// <summary>The socket's handle on any system whose runtime has Socket.SafeHandle; null elsewhere.</summary>
    internal static SafeHandle? SafeHandleOf(Socket socket) => SafeHandleGetter?.Invoke(socket);

    /// <summary>
    /// The socket's handle where the Linux calls here can use it, else null: not on other systems,
    /// and not with PSUDP_FORCE_PORTABLE=1 (<see cref="Platform.NativeHandles"/>), which runs the
    /// portable paths: one datagram at a time with ReceiveMessageFrom, answers with SendTo.
    /// </summary>
    internal static SafeHandle? HandleOf(Socket socket) =>
        Platform.Current.NativeHandles
            ? SafeHandleOf(socket)
            : null;

    internal static bool SetInt(SafeHandle handle, int level, int name, int value) =>
        setsockopt(handle, level, name, &value, sizeof(int)) == 0;

    internal static int? GetInt(SafeHandle handle, int level, int name)
    {
        int value = 0;
        uint length = sizeof(int);
        return getsockopt(handle, level, name, &value, &length) == 0 ? value : null;
    }

    /// <summary>setsockopt with an int on the socket's descriptor; every platform with one.</summary>
    internal static bool SetInt(Socket socket, int level, int name, int value) =>
        setsockopt(Descriptor(socket), level, name, ref value, sizeof(int)) == 0;

    /// <summary>setsockopt with a structure or a string laid out in bytes, on the socket's descriptor.</summary>
    internal static bool SetBytes(Socket socket, int level, int name, byte[] value) =>
        setsockopt(Descriptor(socket), level, name, value, (uint)value.Length) == 0;

    internal static SocketError ToSocketError(int errno) => Errno.ToSocketError(errno);

    /// <summary>Zeroes unmanaged bytes (netstandard2.0 has no Span to do it).</summary>
    internal static void Clear(byte* bytes, int length)
    {
        for (int i = 0; i < length; i++)
        {
            bytes[i] = 0;
        }
    }

    /// <summary>CMSG_ALIGN for LP64.</summary>
    internal static long Align(long length) => (length + 7) & ~7L;

    [DllImport("libc", SetLastError = true)]
    internal static extern int recvmmsg(SafeHandle socket, MultiMessage* messages, uint count, int flags, IntPtr timeout);

    [DllImport("libc", SetLastError = true)]
    internal static extern int recvmsg(SafeHandle socket, MessageHeader* message, int flags);

    [DllImport("libc", SetLastError = true)]
    internal static extern IntPtr sendmsg(SafeHandle socket, MessageHeader* message, int flags);

    [DllImport("libc", SetLastError = true)]
    internal static extern int sendmmsg(SafeHandle socket, MultiMessage* messages, uint count, int flags);

    [DllImport("libc", SetLastError = true)]
    internal static extern int setsockopt(SafeHandle socket, int level, int name, void* value, uint length);

    [DllImport("libc", SetLastError = true)]
    internal static extern int getsockopt(SafeHandle socket, int level, int name, void* value, uint* length);

    private static int Descriptor(Socket socket) => socket.Handle.ToInt32();

    [DllImport("libc", SetLastError = true)]
    private static extern int setsockopt(int socket, int level, int name, ref int value, uint length);

    [DllImport("libc", SetLastError = true)]
    private static extern int setsockopt(int socket, int level, int name, byte[] value, uint length);
}
