using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static PSUdp.Engine.Linux.LinuxNative;
using PSUdp.Engine.Linux;
using PSUdp.Engine.Sockets;

namespace PSUdp.Engine.Icmp;

/// <summary>
/// Linux: reads the ICMP errors a socket queued for the datagrams it sent (IP_RECVERR and
/// IPV6_RECVERR, which <see cref="LinuxSocketOptions.ReportIcmpErrors"/> switches on; no root
/// needed). Each entry holds a struct sock_extended_err (errno, origin, ICMP type and code, info
/// such as the MTU), the address that sent the ICMP message (SO_EE_OFFENDER) and, as the message's
/// name, the original destination. The same queue carries the kernel's transmit stamps of a socket
/// that asked for them (<see cref="SendStamps"/>): reading hands those to it and goes on. Reading
/// never blocks. Elsewhere <see cref="IsAvailable"/> is false
/// and the caller knows only the error code a socket call returned (<see cref="FromSocketError"/>).
/// </summary>
internal static unsafe class IcmpErrorQueue
{
    private const byte OriginLocal = 1;
    private const byte OriginIcmp = 2;
    private const byte OriginIcmp6 = 3;
    private const byte OriginTimestamping = 4;
    private const int ScmTimestamping = 37; // SO_TIMESTAMPING_OLD: struct scm_timestamping, three timespecs, the first the software stamp
    private const int ExtendedErrorLength = 16; // struct sock_extended_err
    private const int NameLength = 128;
    private const int ControlLength = 512;
    private const int QuotedLength = 512;
    [ThreadStatic]
    private static byte[]? nameBuffer;
    [ThreadStatic]
    private static byte[]? controlBuffer;
    [ThreadStatic]
    private static byte[]? quotedBuffer;
    private static readonly long UnixEpochTicks = new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;

    /// <summary>True where the system queues ICMP errors with their detail (Linux).</summary>
    internal static bool IsAvailable { get; } = Platform.Current.IcmpErrors == IcmpErrorPath.ErrorQueue && SafeHandleProperty is not null;

    /// <summary>
    /// The oldest error waiting on the socket, or null when none is (or the system has no error
    /// queue). Transmit stamps read on the way go to <paramref name="stamps"/> (or are dropped).
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    internal static IcmpReport? TryRead(Socket socket, SendStamps? stamps = null)
    {
        if (!IsAvailable || LinuxNative.SafeHandleOf(socket) is not SafeHandle handle)
        {
            return null;
        }

        // The thread's own buffers: a report copies what it keeps out of them.
        byte[] name = nameBuffer ??= new byte[NameLength];
        byte[] control = controlBuffer ??= new byte[ControlLength];
        byte[] quoted = quotedBuffer ??= new byte[QuotedLength];
        while (true)
        {
            int got;
            MessageHeader header;
            fixed (byte* namePointer = name)
            fixed (byte* controlPointer = control)
            fixed (byte* quotedPointer = quoted)
            {
                var vector = new IoVector { Base = quotedPointer, Length = (UIntPtr)QuotedLength };
                header = new MessageHeader
                {
                    Name = namePointer,
                    NameLength = NameLength,
                    Vectors = &vector,
                    VectorCount = (UIntPtr)1,
                    Control = controlPointer,
                    ControlLength = (UIntPtr)ControlLength,
                };
                got = recvmsg(handle, &header, MsgErrQueue | MsgDontWait);
            }

            if (got < 0)
            {
                return null; // EAGAIN: nothing queued
            }

            IcmpReport? report = ParseEntry(control, (int)header.ControlLength, name, (int)header.NameLength, quoted, Math.Min(got, QuotedLength), out SendStamp? stamp);
            if (stamp is { } sent)
            {
                if (sent.UtcTicks != 0)
                {
                    stamps?.Add(sent.Id, sent.UtcTicks);
                }

                continue;
            }

            return report;
        }
    }

    /// <summary>Every error waiting on the socket, oldest first; reading them also clears the socket's pending error.</summary>
    internal static List<IcmpReport> ReadAll(Socket socket, int max = 256, SendStamps? stamps = null)
    {
        var reports = new List<IcmpReport>();
        while (reports.Count < max && TryRead(socket, stamps) is { } report)
        {
            reports.Add(report);
        }

        return reports;
    }

    /// <summary>
    /// What a socket call that failed with <paramref name="error"/> learnt from the network: the
    /// queued report for <paramref name="target"/> (or, when none names it, the latest one), the
    /// whole queue read so that the socket's pending error is cleared; where there is no error
    /// queue, what the error code alone says. Null when the failure was not the network's answer.
    /// </summary>
    internal static IcmpReport? Explain(Socket socket, SocketError error, IPEndPoint? target, SendStamps? stamps = null)
    {
        if (!IsAvailable)
        {
            return FromSocketError(error, target);
        }

        List<IcmpReport> reports = stamps is { HasErrors: true } ? stamps.TakeErrors() : new List<IcmpReport>();
        reports.AddRange(ReadAll(socket, stamps: stamps));
        return Pick(reports, target);
    }

    /// <summary>Of reports read together, the latest about <paramref name="target"/>, else the latest; null for none.</summary>
    internal static IcmpReport? Pick(IReadOnlyList<IcmpReport> reports, IPEndPoint? target)
    {
        IcmpReport? latest = null;
        IcmpReport? forTarget = null;
        foreach (IcmpReport report in reports)
        {
            latest = report;
            if (target is not null && report.OriginalDestination is { } destination
                && destination.Port == target.Port && destination.Address.Equals(Addresses.Normalize(target.Address)))
            {
                forTarget = report;
            }
        }

        return forTarget ?? latest;
    }

    /// <summary>
    /// What a failed socket call alone says, where no error queue tells more: ECONNREFUSED
    /// (Windows: WSAECONNRESET) is port unreachable, the rest by their names. Null for errors
    /// that are not about the network's answer.
    /// </summary>
    internal static IcmpReport? FromSocketError(SocketError error, IPEndPoint? destination)
    {
        IcmpKind? kind = error switch
        {
            SocketError.ConnectionRefused or SocketError.ConnectionReset => IcmpKind.PortUnreachable,
            SocketError.HostUnreachable or SocketError.HostDown => IcmpKind.HostUnreachable,
            SocketError.NetworkUnreachable => IcmpKind.NetworkUnreachable,
            SocketError.NetworkReset => IcmpKind.TimeExceeded, // Windows: WSAENETRESET is TTL expired
            SocketError.ProtocolOption => IcmpKind.ProtocolUnreachable,
            _ => null,
        };
        return kind is { } k ? new IcmpReport(IcmpOrigin.Unknown, null, null, null, destination, 0, 0, k) : null;
    }

    /// <summary>
    /// One error queue entry: the control messages (an IP_RECVERR or IPV6_RECVERR one, and the
    /// kernel's receive time of the ICMP message where SO_TIMESTAMPNS is on), the
    /// message name (the original destination) and the quoted start of the original datagram.
    /// Null when no control message is an extended error.
    /// </summary>
    internal static IcmpReport? Parse(byte[] control, int controlLength, byte[] name, int nameLength, byte[] quoted, int quotedLength) =>
        ParseEntry(control, controlLength, name, nameLength, quoted, quotedLength, out _);

    /// <summary>
    /// As <see cref="Parse"/>, and a transmit stamp entry (origin SO_EE_ORIGIN_TIMESTAMPING, the
    /// send's number in ee_data, the time in SCM_TIMESTAMPING) comes back in <paramref name="stamp"/>
    /// instead of as a report.
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    internal static IcmpReport? ParseEntry(byte[] control, int controlLength, byte[] name, int nameLength, byte[] quoted, int quotedLength, out SendStamp? stamp)
    {
        stamp = null;
        long stampTicks = 0;
        uint? stampId = null;
        int headerLength = Align(IntPtr.Size + 8); // struct cmsghdr: size_t len; int level; int type
        int offset = 0;
        IcmpReport? report = null;
        long arrivedUtcTicks = 0;
        while (offset + headerLength <= controlLength)
        {
            long length = IntPtr.Size == 8 ? BitConverter.ToInt64(control, offset) : BitConverter.ToInt32(control, offset);
            int level = BitConverter.ToInt32(control, offset + IntPtr.Size);
            int type = BitConverter.ToInt32(control, offset + IntPtr.Size + 4);
            if (length < headerLength || offset + length > controlLength)
            {
                break;
            }

            bool isError = (level == SolIP && type == IPRecvErr) || (level == SolIPv6 && type == IPv6RecvErr);
            if (isError && length >= headerLength + ExtendedErrorLength && control[offset + headerLength + 4] == OriginTimestamping)
            {
                stampId = BitConverter.ToUInt32(control, offset + headerLength + 12); // ee_data
            }
            else if (level == SolSocket && type == ScmTimestamping && length >= headerLength + 16)
            {
                stampTicks = UtcTicks(control, offset + headerLength);
            }
            else if (isError && length >= headerLength + ExtendedErrorLength && report is null)
            {
                int data = offset + headerLength;
                int dataLength = (int)length - headerLength;
                byte[] payload = new byte[quotedLength];
                Buffer.BlockCopy(quoted, 0, payload, 0, quotedLength);
                report = FromExtendedError(control, data, dataLength, SocketAddress(name, 0, nameLength), payload);
            }
            else if (level == SolSocket && type == SoTimestampNs && length >= headerLength + 16)
            {
                arrivedUtcTicks = UtcTicks(control, offset + headerLength);
            }

            offset += Align((int)length);
        }

        if (stampId is { } id)
        {
            stamp = new SendStamp(id, stampTicks); // 0: the entry came without its time
            return null;
        }

        if (report is not null)
        {
            report.ArrivedUtcTicks = arrivedUtcTicks;
        }

        return report;
    }

    private static IcmpReport FromExtendedError(byte[] control, int data, int dataLength, IPEndPoint? destination, byte[] payload)
    {
        // struct sock_extended_err: u32 ee_errno; u8 ee_origin, ee_type, ee_code, ee_pad; u32 ee_info; u32 ee_data;
        int errorNumber = BitConverter.ToInt32(control, data);
        byte origin = control[data + 4];
        byte type = control[data + 5];
        byte code = control[data + 6];
        uint info = BitConverter.ToUInt32(control, data + 8);
        // SO_EE_OFFENDER: a sockaddr right after the structure; AF_UNSPEC when unknown.
        IPEndPoint? offender = SocketAddress(control, data + ExtendedErrorLength, dataLength - ExtendedErrorLength);
        return origin switch
        {
            OriginIcmp => new IcmpReport(IcmpOrigin.Icmp, type, code, offender?.Address, destination, info, errorNumber, originalPayload: payload),
            OriginIcmp6 => new IcmpReport(IcmpOrigin.Icmp6, type, code, offender?.Address, destination, info, errorNumber, originalPayload: payload),
            OriginLocal => new IcmpReport(IcmpOrigin.Local, null, null, null, destination, info, errorNumber,
                errorNumber == 90 ? IcmpKind.FragmentationNeeded : IcmpKind.Other, payload), // 90: EMSGSIZE
            _ => new IcmpReport(IcmpOrigin.Unknown, null, null, offender?.Address, destination, info, errorNumber, IcmpKind.Other, payload),
        };
    }

    // struct sockaddr_in (family, port, 4 address bytes) or sockaddr_in6 (family, port, flow, 16 bytes, scope).
    private static IPEndPoint? SocketAddress(byte[] bytes, int offset, int length)
    {
        if (length < 8)
        {
            return null;
        }

        ushort family = BitConverter.ToUInt16(bytes, offset);
        int port = (bytes[offset + 2] << 8) | bytes[offset + 3];
        if (family == AfInet)
        {
            byte[] address = new byte[4];
            Buffer.BlockCopy(bytes, offset + 4, address, 0, 4);
            return new IPEndPoint(new IPAddress(address), port);
        }

        if (family == AfInet6 && length >= 28)
        {
            byte[] address = new byte[16];
            Buffer.BlockCopy(bytes, offset + 8, address, 0, 16);
            uint scope = BitConverter.ToUInt32(bytes, offset + 24);
            return new IPEndPoint(new IPAddress(address, scope), port);
        }

        return null;
    }

    // struct timespec (LP64: seconds, nanoseconds) as UTC ticks.
    private static long UtcTicks(byte[] bytes, int offset) =>
        UnixEpochTicks + (BitConverter.ToInt64(bytes, offset) * TimeSpan.TicksPerSecond) + (BitConverter.ToInt64(bytes, offset + 8) / 100);

    private static int Align(int length) => (length + IntPtr.Size - 1) & ~(IntPtr.Size - 1);
}

/// <summary>A transmit stamp off the error queue: the send's number on its socket and the kernel's time (UTC ticks).</summary>
internal readonly struct SendStamp
{
    internal SendStamp(uint id, long utcTicks)
    {
        Id = id;
        UtcTicks = utcTicks;
    }

    internal uint Id { get; }

    internal long UtcTicks { get; }
}
