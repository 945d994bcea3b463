using System;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading;
using PSUdp.Engine.Multicast;
using PSUdp.Engine.Sockets;

namespace PSUdp.Engine.Receive;

/// <summary>
/// A bound socket with its own receive thread that hands each datagram to a bounded
/// <see cref="DatagramQueue"/>. It stops at <see cref="ListenerOptions.Count"/>, after
/// <see cref="ListenerOptions.Duration"/>, or at <see cref="Stop"/>, and then closes its socket, so
/// the port is free as soon as the loop ends. Subclasses decide what to do with each datagram.
/// </summary>
internal abstract class DatagramListener : IDisposable
{
    // How often a blocked receive wakes to look at the deadline and the stop flag.
    private const int WakeMilliseconds = 100;

    // Gathering waits a millisecond between reads; a kernel buffer this large holds several
    // milliseconds of a loopback flood (the kernel reports twice what was asked for).
    private const int GatherBufferSize = 1024 * 1024;

    private readonly ListenerOptions options;
    private readonly DatagramReader reader;
    private readonly Thread thread;
    private readonly GroupMembership? membership;
    // Leaving the groups and closing the socket happen once, in that order, whichever thread stops first.
    private readonly object closing = new();
    private readonly ListenerRole role;
    private volatile bool stopping;
    private long received;
    private long droppedByKernel = -1;
    private long reportedKernelDrops; // the receive thread's last report, so a batch reports only a change
    private int started;

    protected DatagramListener(ListenerOptions options, ListenerRole role)
    {
        this.options = options;
        this.role = role;
        options.Socket.IgnoreIcmpErrors = true;
        // Bad groups, sources and interfaces fail here, before a socket exists.
        var plan = GroupMembership.Plan(options.Multicast, options.Socket.LocalAddress);
        Socket = UdpSocketFactory.Create(options.Socket);
        if (plan.Count > 0)
        {
            try
            {
                membership = GroupMembership.Join(Socket, plan);
            }
            catch
            {
                Socket.Dispose();
                throw;
            }
        }

        Socket.ReceiveTimeout = WakeMilliseconds;
        LocalEndPoint = (IPEndPoint)Socket.LocalEndPoint!;
        KernelReceiveBufferSize = Socket.ReceiveBufferSize;
        reader = new DatagramReader(Socket, options.MaxDatagramLength);
        Queue = new DatagramQueue(options.Encoding, options.QueueCapacity, options.QueueByteCapacity);
        thread = new Thread(Run) { IsBackground = true, Name = $"PSUdp {role.ToString().ToLowerInvariant()} {Addresses.Format(LocalEndPoint)}" };
    }

    /// <summary>The bound address and port; the real port when 0 was asked for.</summary>
    internal IPEndPoint LocalEndPoint { get; }

    /// <summary>True when the loop reads one datagram per receive (no recvmmsg here, or the portable path forced).</summary>
    internal bool ReadsOneAtATime => options.ReadOneAtATime || Platform.Current.Receive == ReceivePath.OneAtATime;

    /// <summary>The kernel receive buffer the socket really got, in bytes.</summary>
    internal int KernelReceiveBufferSize { get; }

    /// <summary>Where datagrams wait for the consumer.</summary>
    internal DatagramQueue Queue { get; }

    /// <summary>Datagrams taken off the socket and handled (including those the queue dropped).</summary>
    internal long Received => Interlocked.Read(ref received);

    /// <summary>Why the loop ended early, if it failed.</summary>
    internal UdpException? Fault { get; private set; }

    /// <summary>The multicast memberships the socket holds until the listener stops.</summary>
    internal string[] Memberships => membership?.Joined.Select(m => m.ToString()).ToArray() ?? Array.Empty<string>();
    /// <summary>What the listener did so far (all of it, once it has stopped): the one value its reporters read.</summary>
    internal ListenerOutcome Outcome()
    {
        long kernel = Interlocked.Read(ref droppedByKernel);
        return new ListenerOutcome(role, LocalEndPoint, Received, Queue.Dropped, kernel < 0 ? null : kernel, EchoPart(), Fault);
    }

    /// <summary>The bound socket, for subclasses that answer on it.</summary>
    protected Socket Socket { get; }

    /// <summary>Starts the receive thread; datagrams are queued from now on.</summary>
    internal void Start()
    {
        if (Interlocked.Exchange(ref started, 1) == 0)
        {
            thread.Start();
        }
    }

    /// <summary>Ends the loop, closes the socket and waits (at most a second) for the thread.</summary>
    internal void Stop()
    {
        stopping = true;
        Close();
        if (Interlocked.Exchange(ref started, 1) == 1 && thread.IsAlive && thread != Thread.CurrentThread)
        {
            thread.Join(1000);
        }

        Queue.Complete();
    }

    public void Dispose()
    {
        Stop();
        Queue.Dispose();
    }

    /// <summary>
    /// True for listeners that only queue (no one waits for an answer): during a stream they read
    /// the socket once a millisecond in batches. An echo server answers each datagram at once.
    /// </summary>
    protected virtual bool GathersBatches => false;

    /// <summary>
    /// True while the datagrams handled come from a batch read (recvmmsg): their buffer stays
    /// pinned and valid until <see cref="BatchEnded"/>, so an answer may wait for the batch's end.
    /// </summary>
    protected bool InBatch { get; private set; }

    /// <summary>Runs on the receive thread after the last datagram of each batch read was handled.</summary>
    protected virtual void BatchEnded()
    {
    }

    /// <summary>Runs on the receive thread after its last datagram, before the queue completes.</summary>
    protected virtual void LoopEnded()
    {
    }

    /// <summary>Handles one datagram on the receive thread; false when it does not count.</summary>
    protected abstract bool Handle(in DatagramView datagram);

    /// <summary>An echo server's own part of the outcome; null for other listeners.</summary>
    protected virtual EchoRefusals? EchoPart() => null;

    /// <summary>
    /// Records the system's count of datagrams it dropped for this socket (SO_RXQ_OVFL, which the
    /// kernel reports as a running total), where the platform counts them.
    /// </summary>
    private protected void ReportKernelDrops(long total) => Interlocked.Exchange(ref droppedByKernel, total);

    [MethodImpl(HotPath.Optimized)]
    private void Run()
    {
        long deadline = options.Duration is { } d
            ? Stopwatch.GetTimestamp() + (long)(d.TotalSeconds * Stopwatch.Frequency)
            : long.MaxValue;
        // Linux takes a batch of datagrams per system call; elsewhere one at a time.
        DatagramBatchReader? batch = null;
        try
        {
            batch = options.ReadOneAtATime ? null : DatagramBatchReader.TryCreate(Socket, options.MaxDatagramLength);
            if (batch?.CountsKernelDrops == true)
            {
                ReportKernelDrops(0); // counted from now on: none yet
            }

            bool gather = batch is not null && GathersBatches && KernelReceiveBufferSize >= GatherBufferSize;
            bool lastSlice = false;
            while (!stopping)
            {
                long now = Stopwatch.GetTimestamp();
                if (now >= deadline)
                {
                    break;
                }

                // Near the deadline, wait only for what is left, so a timeout ends on time.
                long leftMilliseconds = (deadline - now) * 1000 / Stopwatch.Frequency;
                if (!lastSlice && leftMilliseconds < WakeMilliseconds)
                {
                    lastSlice = true;
                    Socket.ReceiveTimeout = (int)Math.Max(1, leftMilliseconds);
                }

                int got = 1;
                bool done;
                try
                {
                    done = batch is null ? ReadOne() : ReadBatch(batch, out got);
                }
                catch (SocketException e) when (IsTransient(e.SocketErrorCode))
                {
                    // Idle: the socket's own count also holds the drops after the last datagram read.
                    if (batch?.CountsKernelDrops == true)
                    {
                        ReportKernelDrops(batch.ReadKernelDropped());
                    }

                    continue;
                }

                if (done)
                {
                    break;
                }

                if (gather && got > 0 && got < batch!.Capacity)
                {
                    // The socket ran dry in the middle of a stream: let the next datagrams gather
                    // in the kernel buffer for a millisecond and take them in full batches, rather
                    // than sleep in the receive and be woken (and wake the pipeline) for each one.
                    Thread.Sleep(1);
                }
            }
        }
        catch (Exception e) when (stopping && (e is ObjectDisposedException || e is SocketException))
        {
            // Stop closed the socket under the blocked receive: the expected way out.
        }
        catch (Exception e)
        {
            Fault = e as UdpException ?? new UdpException(UdpErrorKind.SocketFailed,
                $"Receiving on {Addresses.Format(LocalEndPoint)} failed: {e.Message}", Addresses.Format(LocalEndPoint), e);
        }
        finally
        {
            if (batch?.CountsKernelDrops == true)
            {
                ReportKernelDrops(batch.ReadKernelDropped());
            }

            Close();
            batch?.Dispose();
            LoopEnded();
            Queue.Complete();
        }
    }

    // Leaves the groups, then closes the socket: the port and the memberships are free at once.
    private void Close()
    {
        lock (closing)
        {
            membership?.Leave();
            Socket.Dispose();
        }
    }

    // Reads one datagram (where recvmmsg is not available); true when -Count is reached.
    private bool ReadOne()
    {
        DatagramView datagram = reader.Read();
        return !stopping && Deliver(datagram);
    }

    // Reads a batch, never more than -Count still wants, so the datagrams taken off the socket are
    // exactly those counted; true when -Count is reached.
    [MethodImpl(HotPath.Optimized)]
    private bool ReadBatch(DatagramBatchReader batch, out int got)
    {
        long wanted = options.Count > 0 ? options.Count - Received : int.MaxValue;
        got = batch.Read((int)Math.Min(wanted, batch.Capacity));
        InBatch = true;
        try
        {
            for (int i = 0; i < got && !stopping; i++)
            {
                if (batch.TryGet(i, out DatagramView datagram) && Deliver(datagram))
                {
                    return true;
                }
            }

            return false;
        }
        finally
        {
            InBatch = false;
            BatchEnded();
            if (batch.KernelDropped != reportedKernelDrops)
            {
                reportedKernelDrops = batch.KernelDropped;
                ReportKernelDrops(reportedKernelDrops);
            }
        }
    }

    // Handles and queues one datagram; true when -Count is reached.
    [MethodImpl(HotPath.Optimized)]
    private bool Deliver(in DatagramView datagram)
    {
        if (!Handle(datagram))
        {
            return false;
        }

        Queue.TryAdd(datagram);
        return Interlocked.Increment(ref received) == options.Count;
    }

    // A receive timeout only wakes the loop; ICMP errors left by an earlier send (an echo's answer)
    // are not the listener's failure: Linux reports them on the next receive of the socket, Windows
    // as WSAECONNRESET (where SIO_UDP_CONNRESET could not be turned off) or WSAENETRESET (TTL expired).
    internal static bool IsTransient(SocketError error) =>
        error == SocketError.TimedOut || error == SocketError.WouldBlock ||
        error == SocketError.ConnectionRefused || error == SocketError.ConnectionReset ||
        error == SocketError.NetworkReset || error == SocketError.Interrupted;
}
