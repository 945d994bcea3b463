using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading;
using PSUdp.Engine.Receive;
using PSUdp.Engine.Send;

namespace PSUdp.Engine.Echo;

/// <summary>
/// A listener that sends every datagram back to its sender from its own bound socket, on its
/// receive thread, at the socket's speed; only then is the datagram queued for the consumer, so a
/// slow pipeline never slows the echo. <see cref="EchoGuard"/> decides what is not answered.
/// Each answer leaves from the address the datagram was sent to (<see cref="AnswerSender"/>), the
/// answers to a batch read in one system call at the batch's end; where that is not available
/// (not Linux) each leaves by SendTo, from the address the route picks. An answer that fails in a
/// batch has already been counted and queued; it is counted in <see cref="Refused"/> too.
/// </summary>
internal sealed class EchoServer : DatagramListener
{
    private readonly EchoGuard guard;
    private long refused;

    // The last peer's endpoint, reused while the same peer (the same address object) streams.
    private IPEndPoint? peer;
    private AnswerSender? answers;
    private bool answersTried;

    internal EchoServer(ListenerOptions options, int maximumRate)
        : base(options, ListenerRole.Echo)
    {
        guard = new EchoGuard(LocalEndPoint, maximumRate);
    }

    /// <summary>Datagrams the guard did not answer.</summary>
    internal long Refused => Interlocked.Read(ref refused);

    /// <summary>Why the last refused datagram was refused, for a warning.</summary>
    internal string? LastRefusal { get; private set; }

    protected override EchoRefusals? EchoPart() => new(Refused, LastRefusal);

    [MethodImpl(HotPath.Optimized)]
    protected override bool Handle(in DatagramView datagram)
    {
        string? reason = guard.Refuse(datagram.RemoteAddress, datagram.RemotePort, datagram.LocalAddress);
        if (reason is not null)
        {
            Interlocked.Increment(ref refused);
            LastRefusal = $"{Addresses.Format(datagram.RemoteAddress, datagram.RemotePort)}: {reason}";
            return false;
        }

        try
        {
            if (!answersTried)
            {
                answersTried = true;
                answers = AnswerSender.TryCreate(Socket);
            }

            if (answers is not null && InBatch)
            {
                answers.Add(datagram);
                return true;
            }

            if (answers is not null)
            {
                answers.Answer(datagram);
                return true;
            }

            if (peer is null || !ReferenceEquals(peer.Address, datagram.RemoteAddress) || peer.Port != datagram.RemotePort)
            {
                peer = new IPEndPoint(datagram.RemoteAddress, datagram.RemotePort);
            }

            Socket.SendTo(datagram.Buffer, datagram.Offset, datagram.Length, SocketFlags.None, peer);
        }
        catch (SocketException e) when (e.SocketErrorCode != SocketError.OperationAborted && e.SocketErrorCode != SocketError.Interrupted)
        {
            // A peer that cannot be reached now (no route, or an earlier ICMP error reported here)
            // costs this one echo, never the server.
            Interlocked.Increment(ref refused);
            LastRefusal = $"{Addresses.Format(datagram.RemoteAddress, datagram.RemotePort)}: {e.SocketErrorCode}";
            return false;
        }

        return true;
    }

    /// <summary>Sends the answers to the batch just handled, one system call for all of them.</summary>
    [MethodImpl(HotPath.Optimized)]
    protected override void BatchEnded()
    {
        int failed;
        try
        {
            failed = answers?.Flush() ?? 0;
        }
        catch (System.ObjectDisposedException)
        {
            return; // stopped under the batch
        }

        if (failed > 0)
        {
            Interlocked.Add(ref refused, failed);
            (SocketError error, IPAddress? address, int port) = answers!.LastFailure;
            LastRefusal = $"{(address is null ? "?" : Addresses.Format(address, port))}: {error}";
        }
    }

    /// <summary>Send system calls the answers took (0 where they go by SendTo).</summary>
    internal long AnswerCalls => answers?.Calls ?? 0;

    /// <summary>Frees the answering sender's memory once the loop is over.</summary>
    protected override void LoopEnded() => answers?.Dispose();
}
