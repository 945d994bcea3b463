using System;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using PSUdp.Engine.Icmp;
using PSUdp.Engine.Receive;
using PSUdp.Engine.Send;
using PSUdp.Engine.Sockets;

namespace PSUdp.Engine.Probes;

/// <summary>
/// One socket of its own for probing one host and port: each ICMP error on it is about that
/// target, and a reply from anywhere else is ignored. Its waits wake every tenth of a second to
/// look at the cancellation token.
/// </summary>
internal sealed class ProbeSocket : IDisposable
{
    private const int WakeMilliseconds = 100;

    private readonly Socket socket;
    private readonly ReplyReader reader;
    private readonly IPEndPoint target;
    private readonly IPAddress targetAddress;
    private readonly bool anyPort;
    private readonly Encoding encoding;

    internal ProbeSocket(SocketOptions options, IPEndPoint target, bool answersFromAnotherPort, Encoding encoding)
    {
        _ = WarmedUp.Value;
        var own = new SocketOptions
        {
            LocalAddress = options.LocalAddress,
            LocalPort = options.LocalPort,
            Family = options.LocalAddress is null
                ? (target.AddressFamily == AddressFamily.InterNetworkV6 ? AddressFamilyChoice.IPv6 : AddressFamilyChoice.IPv4)
                : options.Family,
            Device = options.Device,
            TimeToLive = options.TimeToLive,
            Dscp = options.Dscp,
            DontFragment = options.DontFragment,
        };
        socket = UdpSocketFactory.Create(own);
        try
        {
            UdpSocketFactory.CheckFamily((IPEndPoint)socket.LocalEndPoint!,
                socket.AddressFamily == AddressFamily.InterNetworkV6 && socket.DualMode, target);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        reader = new ReplyReader(socket);
        this.target = target;
        targetAddress = Addresses.Normalize(target.Address);
        anyPort = answersFromAnotherPort;
        this.encoding = encoding;
    }

    /// <summary>Sends one datagram and returns when it left (Stopwatch ticks); an ICMP error pending from an earlier one comes back in <paramref name="earlier"/>.</summary>
    internal long Send(byte[] payload, out IcmpReport? earlier)
    {
        earlier = null;
        for (int tries = 0; ; tries++)
        {
            long sentAt = Stopwatch.GetTimestamp();
            try
            {
                socket.SendTo(payload, target);
                return sentAt;
            }
            catch (SocketException e) when (tries == 0 && (IcmpErrorQueue.IsAvailable || e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset)
                && IcmpErrorQueue.Explain(socket, e.SocketErrorCode, target) is { } report)
            {
                // The system reports an ICMP error for an earlier datagram on the next call; that call consumed it.
                earlier = report;
            }
            catch (SocketException e)
            {
                throw SendFailures.From(e, target, payload.Length);
            }
        }
    }

    /// <summary>
    /// Waits until <paramref name="deadline"/> (Stopwatch ticks) for a reply from the target or an
    /// ICMP error; null when neither came. Throws OperationCanceledException when cancelled. The
    /// event's time is its arrival by the kernel's clock where the system tells it, else the moment
    /// the read returned.
    /// </summary>
    internal ProbeEvent? Wait(long deadline, CancellationToken token)
    {
        while (true)
        {
            token.ThrowIfCancellationRequested();
            long left = deadline - Stopwatch.GetTimestamp();
            if (left <= 0)
            {
                return null;
            }

            int ms = (int)Math.Ceiling(Math.Min(WakeMilliseconds, left * 1000.0 / Stopwatch.Frequency));
            socket.ReceiveTimeout = Math.Max(1, ms);
            try
            {
                if (reader.TryRead(out DatagramView view) && view.RemoteAddress.Equals(targetAddress) && (anyPort || view.RemotePort == target.Port))
                {
                    long at = RoundTripClock.Arrived(reader.KernelTime(view));
                    return new ProbeEvent(view.ToDatagram(encoding), null, at);
                }
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
            {
            }
            catch (SocketException e) when (IcmpErrorQueue.Explain(socket, e.SocketErrorCode, target) is { } report)
            {
                return new ProbeEvent(null, report, RoundTripClock.Arrived(report.ArrivedUtcTicks));
            }
        }
    }

    // The first SendTo of a process compiles .NET's send path (milliseconds), which would be inside
    // the first probe's round trip: one datagram between two sockets of its own on 127.0.0.1 pays
    // for it before any probe leaves. Nothing leaves the host.
    private static readonly Lazy<bool> WarmedUp = new(() =>
    {
        try
        {
            using var from = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            using var to = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            to.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            from.SendTo(new byte[1], to.LocalEndPoint!);
            return true;
        }
        catch (SocketException)
        {
            return false; // no loopback: the first probe pays instead
        }
    });

    public void Dispose()
    {
        socket.Dispose();
        reader.Dispose();
    }
}

/// <summary>What came back for a probe: a reply or an ICMP error, and when (Stopwatch ticks).</summary>
/// <param name="Reply">The reply, or null for an ICMP error.</param>
/// <param name="Icmp">The ICMP error, or null for a reply.</param>
/// <param name="At">When it came, in Stopwatch ticks.</param>
internal sealed record ProbeEvent(UdpDatagram? Reply, IcmpReport? Icmp, long At);
