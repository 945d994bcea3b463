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
          echo-client  --port P [--host 127.0.0.1] --count N [--size 64] [--timeout 60]
                       N round trips, one outstanding; a reply lost for a second is sent again.
        """;

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

        try
        {
            return args[0] switch
            {
                "flood" => Flood.Run(host, options),
                "receive" => Receiver.Run(host, options),
                "echo-server" => EchoServer.Run(host, options),
                "echo-client" => EchoClient.Run(host, options),
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
