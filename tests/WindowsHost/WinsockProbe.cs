using System;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace PSUdp.WindowsHost;

/// <summary>
/// The facts of this system's sockets that PSUdp's Windows paths rely on, each printed as one
/// "name: value" line, from plain .NET calls on loopback (no PowerShell, no PSUdp): what a
/// difference between this output on Wine and on Windows is, is the system's, not PSUdp's.
/// </summary>
internal static class WinsockProbe
{
    private const int SioUdpConnReset = unchecked((int)0x9800000C);

    internal static int Run(TextWriter output)
    {
        output.WriteLine($"os: {RuntimeInformation.OSDescription}; IsOSPlatform(Windows) {RuntimeInformation.IsOSPlatform(OSPlatform.Windows)}; framework {RuntimeInformation.FrameworkDescription}");
        foreach ((string name, IPAddress bind, IPAddress to) in new[]
        {
            ("v4 socket, 127.0.0.1", IPAddress.Any, IPAddress.Loopback),
            ("v6 socket, ::1", IPAddress.IPv6Any, IPAddress.IPv6Loopback),
            ("dual-mode socket, 127.0.0.1", IPAddress.IPv6Any, IPAddress.Loopback),
        })
        {
            Report(output, $"receive message from ({name})", () => ReceiveMessage(bind, to, 2048));
            Report(output, $"receive from ({name})", () => ReceiveFrom(bind, to));
            Report(output, $"truncated: 100 bytes into 10 ({name})", () => ReceiveMessage(bind, to, 10, payloadLength: 100));
        }

        foreach (IPAddress to in new[] { IPAddress.Loopback, IPAddress.IPv6Loopback })
        {
            Report(output, $"closed port {to}, unconnected, SIO_UDP_CONNRESET default", () => ClosedPort(to, connect: false, resetOff: false));
            Report(output, $"closed port {to}, unconnected, SIO_UDP_CONNRESET off", () => ClosedPort(to, connect: false, resetOff: true));
            Report(output, $"closed port {to}, connected", () => ClosedPort(to, connect: true, resetOff: false));
        }

        Report(output, "TTL and traffic class", Ttl);

        // Last: on Wine 8.0 a completion can come after the synchronous one, and end the process.
        Report(output, "receive message from, asynchronous, which reports the error (dual-mode socket, 127.0.0.1)", () => ReceiveMessageAsync(IPAddress.IPv6Any, IPAddress.Loopback, 2048, 2));
        Report(output, "truncated, asynchronous: 100 bytes into 10 (v4 socket, 127.0.0.1)", () => ReceiveMessageAsync(IPAddress.Any, IPAddress.Loopback, 10, 100));
        return 0;
    }

    private static void Report(TextWriter output, string name, Func<string> probe)
    {
        string result;
        try
        {
            result = probe();
        }
        catch (Exception e)
        {
            result = e is SocketException s ? $"SocketException {s.SocketErrorCode} ({s.NativeErrorCode}) {s.Message}" : $"{e.GetType().Name}: {e.Message}";
        }

        output.WriteLine($"{name}: {result}");
        output.Flush();
    }

    private static Socket Bound(IPAddress bind)
    {
        var socket = new Socket(bind.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        if (bind.Equals(IPAddress.IPv6Any) )
        {
            socket.DualMode = true;
        }

        socket.Bind(new IPEndPoint(bind, 0));
        socket.ReceiveTimeout = 2000;
        return socket;
    }

    private static int SendTo(IPAddress to, int port, int payloadLength)
    {
        using var sender = new Socket(to.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        byte[] payload = new byte[payloadLength];
        Encoding.ASCII.GetBytes("hi").CopyTo(payload, 0);
        for (int i = 2; i < payloadLength; i++) payload[i] = (byte)('a' + i % 26);
        sender.SendTo(payload, new IPEndPoint(to, port));
        return ((IPEndPoint)sender.LocalEndPoint!).Port;
    }

    private static string ReceiveMessage(IPAddress bind, IPAddress to, int bufferLength, int payloadLength = 2)
    {
        using Socket socket = Bound(bind);
        int port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        int from = SendTo(to, port, payloadLength);
        byte[] buffer = new byte[bufferLength];
        EndPoint remote = new IPEndPoint(bind, 0);
        SocketFlags flags = SocketFlags.None;
        try
        {
            int length = socket.ReceiveMessageFrom(buffer, 0, buffer.Length, ref flags, ref remote, out IPPacketInformation packet);
            return $"length {length}, payload '{Encoding.ASCII.GetString(buffer, 0, Math.Min(length, 16))}', buffer starts '{Printable(buffer)}', flags {flags}, remote {remote} (sent from port {from}), destination {packet.Address?.ToString() ?? "null"}, interface {packet.Interface}";
        }
        catch (SocketException e)
        {
            return $"SocketException {e.SocketErrorCode} ({e.NativeErrorCode}); buffer holds '{Encoding.ASCII.GetString(buffer, 0, Math.Min(bufferLength, 16)).TrimEnd('\0')}', remote {remote}";
        }
    }

    // The first bytes of a buffer, whatever the call said it received.
    private static string Printable(byte[] buffer) => Encoding.ASCII.GetString(buffer, 0, Math.Min(buffer.Length, 10)).Replace("\0", "");

    // The asynchronous form reports the Winsock error that the synchronous one swallows (WSAEMSGSIZE).
    private static string ReceiveMessageAsync(IPAddress bind, IPAddress to, int bufferLength, int payloadLength)
    {
        using Socket socket = Bound(bind);
        int from = SendTo(to, ((IPEndPoint)socket.LocalEndPoint!).Port, payloadLength);
        using var args = new SocketAsyncEventArgs();
        byte[] buffer = new byte[bufferLength];
        args.SetBuffer(buffer, 0, buffer.Length);
        args.RemoteEndPoint = new IPEndPoint(bind, 0);
        using var done = new System.Threading.ManualResetEventSlim();
        args.Completed += (_, _) => done.Set();
        if (socket.ReceiveMessageFromAsync(args) && !done.Wait(2000))
        {
            return "no completion within 2 s";
        }

        IPPacketInformation packet = args.ReceiveMessageFromPacketInfo;
        return $"SocketError {args.SocketError}, bytes {args.BytesTransferred}, buffer starts '{Printable(buffer)}', flags {args.SocketFlags}, remote {args.RemoteEndPoint} (sent from port {from}), destination {packet.Address?.ToString() ?? "null"}, interface {packet.Interface}";
    }

    private static string ReceiveFrom(IPAddress bind, IPAddress to)
    {
        using Socket socket = Bound(bind);
        int from = SendTo(to, ((IPEndPoint)socket.LocalEndPoint!).Port, 2);
        byte[] buffer = new byte[2048];
        EndPoint remote = new IPEndPoint(bind, 0);
        int length = socket.ReceiveFrom(buffer, ref remote);
        return $"length {length}, payload '{Encoding.ASCII.GetString(buffer, 0, length)}', remote {remote} (sent from port {from})";
    }

    // A port that nothing listens on: one that was just bound and closed again.
    private static int ClosedPortNumber(IPAddress to)
    {
        using var probe = new Socket(to.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        probe.Bind(new IPEndPoint(to, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    private static string ClosedPort(IPAddress to, bool connect, bool resetOff)
    {
        var target = new IPEndPoint(to, ClosedPortNumber(to));
        using var socket = new Socket(to.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(to, 0));
        socket.ReceiveTimeout = 1500;
        if (resetOff)
        {
            socket.IOControl(SioUdpConnReset, new byte[4], null);
        }

        var steps = new StringBuilder();
        for (int attempt = 1; attempt <= 2; attempt++)
        {
            try
            {
                if (connect)
                {
                    socket.Connect(target);
                    socket.Send(new byte[] { 1 });
                    socket.Receive(new byte[16]);
                }
                else
                {
                    socket.SendTo(new byte[] { 1 }, target);
                    EndPoint remote = new IPEndPoint(to, 0);
                    socket.ReceiveFrom(new byte[16], ref remote);
                }

                steps.Append($"try {attempt}: a datagram came; ");
            }
            catch (SocketException e)
            {
                steps.Append($"try {attempt}: {e.SocketErrorCode} ({e.NativeErrorCode}); ");
            }
        }

        return $"to {target}: {steps.ToString().TrimEnd(' ', ';')}";
    }

    private static string Ttl()
    {
        using Socket receiver = Bound(IPAddress.Any);
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var text = new StringBuilder();
        try { sender.Ttl = 42; text.Append($"Ttl set 42, reads {sender.Ttl}; "); } catch (Exception e) { text.Append($"Ttl: {e.Message}; "); }
        try { sender.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.TypeOfService, 46 << 2); text.Append($"TOS set {46 << 2}, reads {sender.GetSocketOption(SocketOptionLevel.IP, SocketOptionName.TypeOfService)}; "); } catch (Exception e) { text.Append($"TOS: {e.Message}; "); }
        try { sender.DontFragment = true; text.Append($"DontFragment reads {sender.DontFragment}; "); } catch (Exception e) { text.Append($"DontFragment: {e.Message}; "); }
        // IP_RECVTTL (21 on Windows): .NET has no name for it; Windows 10 1703 and later know it.
        try { receiver.SetSocketOption(SocketOptionLevel.IP, (SocketOptionName)21, 1); text.Append("IP_RECVTTL accepted"); } catch (SocketException e) { text.Append($"IP_RECVTTL: {e.SocketErrorCode} ({e.NativeErrorCode})"); }
        return text.ToString();
    }
}
