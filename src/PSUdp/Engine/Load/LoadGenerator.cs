using System;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading;
using PSUdp.Engine.Send;

namespace PSUdp.Engine.Load;

/// <summary>
/// Sends one payload to one target many times, for a count or a duration, optionally paced: a
/// load test of a collector. Over a connected socket on Linux it sends a batch per system call
/// (sendmmsg); elsewhere, or unconnected, one datagram per call.
/// </summary>
internal static class LoadGenerator
{
    // The most system calls one turn of the pacer may grant.
    private const int GrantedCalls = 16;

    /// <summary>
    /// Runs the plan on the calling thread until its count or duration is reached or
    /// <paramref name="token"/> is cancelled (within a millisecond of a batch), calling
    /// <paramref name="progress"/> now and then with the datagrams sent so far and the time taken.
    /// With <paramref name="connected"/> the socket is connected to <paramref name="target"/>.
    /// Throws <see cref="UdpException"/> when the datagrams cannot leave; an ICMP refusal of an
    /// earlier datagram is counted and the run goes on.
    /// </summary>
    [MethodImpl(HotPath.Optimized)]
    internal static UdpSendSummary Run(Socket socket, IPEndPoint target, bool connected, byte[] payload,
        LoadPlan plan, CancellationToken token, Action<long, TimeSpan>? progress = null)
    {
        using DatagramBatchWriter? writer = connected && plan.AllowBatches ? DatagramBatchWriter.TryCreate(socket) : null;
        int perCall = writer?.Capacity ?? 1;
        long start = Stopwatch.GetTimestamp();
        long deadline = plan.Duration is { } d ? start + (long)(d.TotalSeconds * Stopwatch.Frequency) : long.MaxValue;
        long progressTicks = (long)(plan.ProgressInterval.TotalSeconds * Stopwatch.Frequency);
        long nextProgress = start + progressTicks;
        long sent = 0;
        long calls = 0;
        long refused = 0;
        long granted = 0;
        while (!token.IsCancellationRequested)
        {
            long left = plan.Count > 0 ? plan.Count - sent : long.MaxValue;
            if (left <= 0)
            {
                break;
            }

            int max = (int)Math.Min(left, perCall);
            if (plan.Pacer is { } pacer)
            {
                // A turn may grant more than one call carries (a thread that woke late has a
                // backlog): the calls of one grant follow each other without waiting.
                if (granted == 0)
                {
                    granted = pacer.WaitForTurn((int)Math.Min(left, GrantedCalls * (long)perCall), deadline, token);
                    if (granted == 0)
                    {
                        break;
                    }
                }

                max = (int)Math.Min(max, granted);
            }

            long now = Stopwatch.GetTimestamp();
            if (now >= deadline)
            {
                break;
            }

            int went;
            try
            {
                went = writer is not null ? writer.SendRepeated(payload, max)
                    : connected ? Sent(socket.Send(payload)) : Sent(socket.SendTo(payload, target));
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused || e.SocketErrorCode == SocketError.ConnectionReset)
            {
                // ICMP port unreachable for an earlier datagram, reported on this call (which sent nothing).
                refused++;
                continue;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.NoBufferSpaceAvailable || e.SocketErrorCode == SocketError.Interrupted)
            {
                Thread.Yield(); // the device queue is full for a moment: try again
                continue;
            }
            catch (SocketException e)
            {
                throw SendFailures.From(e, target, payload.Length);
            }

            sent += went;
            calls++;
            if (plan.Pacer is not null)
            {
                granted -= Math.Min(granted, went);
                plan.Pacer.Sent(went);
            }
            if (progress is not null && now >= nextProgress)
            {
                nextProgress = now + progressTicks;
                progress(sent, Elapsed(start));
            }
        }

        return new UdpSendSummary(target, payload.Length, sent, Elapsed(start), plan.Pacer?.Rate, calls, refused);
    }

    private static int Sent(int bytes) => 1;

    private static TimeSpan Elapsed(long start) =>
        TimeSpan.FromTicks((long)((Stopwatch.GetTimestamp() - start) * (TimeSpan.TicksPerSecond / (double)Stopwatch.Frequency)));
}
