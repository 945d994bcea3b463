using System;
using System.Net.Sockets;

namespace PSUdp.Engine.Receive;

/// <summary>
/// Reads the replies on a sending socket one at a time, with the arrival facts a listener gives
/// where the system tells them (TTL or hop limit, traffic class, the kernel's receive time): a
/// one-slot <see cref="DatagramBatchReader"/> where the batch paths are taken, else a
/// <see cref="DatagramReader"/>, which tells the destination and interface only.
/// </summary>
internal sealed class ReplyReader : IDisposable
{
    private readonly DatagramBatchReader? batch;
    private readonly DatagramReader? single;

    internal ReplyReader(Socket socket)
    {
        batch = DatagramBatchReader.TryCreate(socket, DatagramLimits.MaxDatagramLength, capacity: 1);
        single = batch is null ? new DatagramReader(socket) : null;
    }

    /// <summary>
    /// Blocks until a datagram arrives or the socket's receive timeout passes (SocketException
    /// TimedOut or WouldBlock); false when the socket was shut down under the call. A call that a
    /// signal interrupted (EINTR) is made again.
    /// </summary>
    internal bool TryRead(out DatagramView datagram)
    {
        if (batch is null)
        {
            datagram = single!.Read();
            return true;
        }

        while (true)
        {
            try
            {
                batch.Read(1);
                return batch.TryGet(0, out datagram);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.Interrupted)
            {
                // A signal to the runtime (a GC suspending threads) ended the call early; .NET's own
                // ReceiveMessageFrom retries it too. The wait starts over, bounded by the receive timeout.
            }
        }
    }

    /// <summary>When <paramref name="datagram"/> arrived by the kernel's clock (UTC ticks), or 0 where this reader does not know it.</summary>
    internal long KernelTime(in DatagramView datagram) => batch is null ? 0 : datagram.Facts.UtcTicks;

    public void Dispose() => batch?.Dispose();
}
