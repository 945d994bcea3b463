using System;
using System.Linq;
using System.Net;
using System.Net.Sockets;

namespace UdpReference;

/// <summary>
/// The reference UDP programs, one mode per run. Every mode is bounded in count and in time and
/// ends by itself; every mode prints one 'RESULT {json}' line at the end, and the listening modes
/// print 'LISTENING port' once bound. Loopback only.
/// </summary>
internal static class Program
{
    private const string Usage = """
        usage: UdpReference <mode> [--option value ...]
          flood        --port P [--host 127.0.0.1] --count N [--size 64] [--rate PER_SECOND]
                       [--until-closed MAX] [--timeout 60]
                       SendTo loop. --until-closed goes on after N until the receiver's port is
                       closed (ICMP port unreachable), at most MAX datagrams in all.
          receive      [--port 0] [--host 127.0.0.1] --count N [--rcvbuf BYTES] [--timeout 60]
                       [--api receivefrom|receivemessagefrom]
                       ReceiveFrom(Span<byte>, SocketFlags, SocketAddress) loop, allocation-free;
                       receivemessagefrom measures the API PSUdp uses instead.
          echo-server  [--port 0] [--host 127.0.0.1] --count N [--timeout 60]
                       ReceiveFrom + SendTo back to the sender.
          echo-client  --port P [--host 127.0.0.1] --count N [--size 64] [--interval S] [--timeout 60]
                       N round trips, one outstanding (one every S seconds with --interval); a
                       reply lost for a second is sent again. Reports the median and 99th percentile.
          batch-flood  --port P [--host 127.0.0.1] --count N [--size 64] [--batch 64] [--timeout 60]
                       sendmmsg of one payload over a connected socket (Linux).
          batch-echo   [--port 0] [--host 127.0.0.1] --count N [--batch 16] [--timeout 60]
                       recvmmsg a batch, answer it with one sendmmsg (Linux).
        Multicast: receive --group G --interface 127.0.0.1 joins G on lo; flood --group G
        --interface 127.0.0.1 sends to G out of lo (TTL 0). Only with the loopback interface.
        """;

    /// <summary>The IPv4 multicast group of --group, or null.</summary>
    internal static IPAddress? Group(Arguments options) =>
        options.Text("group", "") is { Length: > 0 } group ? IPAddress.Parse(group) : null;

    private static bool IsGroup(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetwork && (address.GetAddressBytes()[0] & 0xF0) == 0xE0;

    private static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }

        var options = new Arguments(args.Skip(1));
        IPAddress host = IPAddress.Parse(options.Text("host", "127.0.0.1"));
        if (!IPAddress.IsLoopback(host))
        {
            Console.Error.WriteLine($"ERROR DestinationNotAllowed {host} is not a loopback address.");
            return 64;
        }

        // Multicast only out of (and joined on) the loopback interface, named by its address.
        if (options.Text("group", "") is { Length: > 0 } group &&
            (!IsGroup(IPAddress.Parse(group)) || !IPAddress.TryParse(options.Text("interface", ""), out IPAddress? lo) || !IPAddress.IsLoopback(lo)))
        {
            Console.Error.WriteLine($"ERROR DestinationNotAllowed {group} needs to be an IPv4 group and --interface 127.0.0.1.");
            return 64;
        }

        try
        {
            return args[0] switch
            {
                "flood" => Flood.Run(host, options),
                "receive" => Receiver.Run(host, options),
                "echo-server" => EchoServer.Run(host, options),
                "echo-client" => EchoClient.Run(host, options),
                "batch-flood" => Batch.Flood(host, options),
                "batch-echo" => Batch.Echo(host, options),
                _ => throw new ArgumentException($"Unknown mode '{args[0]}'."),
            };
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"ERROR {e.Message}");
            Console.Error.WriteLine(Usage);
            return 2;
        }
        catch (SocketException e)
        {
            Console.Error.WriteLine($"ERROR {e.SocketErrorCode} {e.Message}");
            return 1;
        }
    }
}
