using System;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using PSUdp.Engine.Linux;

namespace UdpReference;

/// <summary>
/// The batching references (Linux): a sendmmsg sender of one payload over a connected socket, and
/// an echo server that takes a batch with recvmmsg and answers it with one sendmmsg, each answer
/// to the source recvmmsg wrote. The plainest programs that batch: no packet information, one
/// bound address.
/// </summary>
internal static unsafe class Batch
{
    private const int MsgWaitForOne = 0x10000;
    private const int NameLength = 128;

    internal static int Flood(IPAddress host, Arguments options)
    {
        var target = new IPEndPoint(host, (int)options.Required("port"));
        long count = options.Required("count");
        int size = (int)options.Number("size", 64);
        int batch = (int)options.Number("batch", 64);

        using var socket = new Socket(host.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Connect(target);
        byte[] payload = new byte[size];
        payload.AsSpan().Fill((byte)'x');
        var messages = new MultiMessage[batch];
        var vectors = new IoVector[batch];
        long sent = 0;
        long calls = 0;
        long refused = 0;
        var run = new Measurement(options);
        double start = Clock.Now();
        fixed (byte* bytes = payload)
        fixed (MultiMessage* m = messages)
        fixed (IoVector* v = vectors)
        {
            for (int i = 0; i < batch; i++)
            {
                v[i].Base = bytes;
                v[i].Length = (UIntPtr)size;
                m[i].Header.Vectors = v + i;
                m[i].Header.VectorCount = (UIntPtr)1;
            }

            while (sent < count && run.InTime)
            {
                int want = (int)Math.Min(batch, count - sent);
                int n = sendmmsg(socket.SafeHandle, m, (uint)want, 0);
                calls++;
                if (n < 0)
                {
                    refused++; // ECONNREFUSED for an earlier datagram, or a full device queue: try again
                    continue;
                }

                sent += n;
            }
        }

        double end = Clock.Now();
        run.Report("batch-flood",
            ("sent", sent), ("calls", calls), ("refused", refused), ("size", size), ("start", start), ("end", end),
            ("rate", sent / Math.Max(end - start, 1e-9)));
        return 0;
    }

    internal static int Echo(IPAddress host, Arguments options)
    {
        long count = options.Required("count");
        int batch = (int)options.Number("batch", 16);
        const int BufferLength = 2048;

        using Socket socket = Listening.Bind(host, options);

        var messages = new MultiMessage[batch];
        var answers = new MultiMessage[batch];
        var vectors = new IoVector[batch];
        var answerVectors = new IoVector[batch];
        byte[] buffers = GC.AllocateUninitializedArray<byte>(batch * BufferLength, pinned: true);
        byte[] names = GC.AllocateUninitializedArray<byte>(batch * NameLength, pinned: true);
        long echoed = 0;
        long calls = 0;
        double first = 0;
        var run = new Measurement(options);
        fixed (byte* buffer = buffers)
        fixed (byte* name = names)
        fixed (MultiMessage* m = messages)
        fixed (MultiMessage* a = answers)
        fixed (IoVector* v = vectors)
        fixed (IoVector* av = answerVectors)
        {
            for (int i = 0; i < batch; i++)
            {
                v[i].Base = buffer + (i * BufferLength);
                v[i].Length = (UIntPtr)BufferLength;
                m[i].Header.Vectors = v + i;
                m[i].Header.VectorCount = (UIntPtr)1;
                av[i].Base = v[i].Base;
                a[i].Header.Vectors = av + i;
                a[i].Header.VectorCount = (UIntPtr)1;
                a[i].Header.Name = name + (i * NameLength);
            }

            while (echoed < count && run.InTime)
            {
                int want = (int)Math.Min(batch, count - echoed);
                for (int i = 0; i < want; i++)
                {
                    m[i].Header.Name = name + (i * NameLength);
                    m[i].Header.NameLength = NameLength;
                    m[i].Header.Flags = 0;
                }

                int got = recvmmsg(socket.SafeHandle, m, (uint)want, MsgWaitForOne, IntPtr.Zero);
                if (got <= 0)
                {
                    continue; // the receive timeout, to look at the deadline
                }

                for (int i = 0; i < got; i++)
                {
                    av[i].Length = (UIntPtr)m[i].Length;
                    a[i].Header.NameLength = m[i].Header.NameLength;
                }

                for (int done = 0; done < got;)
                {
                    int n = sendmmsg(socket.SafeHandle, a + done, (uint)(got - done), 0);
                    calls++;
                    done += n > 0 ? n : 1; // a failed answer costs that one echo
                }

                if (echoed == 0)
                {
                    first = Clock.Now();
                }

                echoed += got;
            }
        }

        run.Report("batch-echo", ("echoed", echoed), ("calls", calls), ("first", first), ("end", Clock.Now()));
        return 0;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int sendmmsg(SafeHandle socket, MultiMessage* messages, uint count, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int recvmmsg(SafeHandle socket, MultiMessage* messages, uint count, int flags, IntPtr timeout);
}
