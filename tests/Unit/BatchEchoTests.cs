namespace PSUdp.Tests;

/// <summary>
/// The echo answers a batch read with recvmmsg in one sendmmsg, each answer from the address its
/// datagram was sent to: clients on several loopback addresses send to several others, and each
/// client's socket is connected, so the kernel hands it only answers from the address it sent to.
/// </summary>
public class BatchEchoTests
{
    private const int PerClient = 200;

    [LinuxTheory("recvmmsg and sendmmsg with packet information are Linux only")]
    [InlineData("0.0.0.0")]
    [InlineData("::")] // IPv4-mapped traffic and ::1 on the dual-mode socket
    public void EveryEchoOfABurstIsAnsweredFromItsDestinationInBatches(string bound)
    {
        var options = new ListenerOptions { Socket = { LocalAddress = IPAddress.Parse(bound), KernelReceiveBufferSize = 4 * 1024 * 1024 } };
        using var echo = new EchoServer(options, 0);
        int port = echo.LocalEndPoint.Port;
        var clients = new List<(Socket Socket, IPAddress To)>();
        try
        {
            for (int k = 0; k < 4; k++)
            {
                clients.Add((Client(IPAddress.Parse($"127.0.0.{10 + k}"), IPAddress.Parse($"127.0.0.{20 + (k % 2)}"), port), IPAddress.Parse($"127.0.0.{20 + (k % 2)}")));
            }

            if (bound == "::")
            {
                clients.Add((Client(IPAddress.IPv6Loopback, IPAddress.IPv6Loopback, port), IPAddress.IPv6Loopback));
            }

            // The bursts wait in the server's buffer before it starts, interleaved client by
            // client, so that its reads take full batches with mixed sources and destinations.
            for (int n = 0; n < PerClient; n++)
            {
                for (int k = 0; k < clients.Count; k++)
                {
                    clients[k].Socket.Send(Payload(k, n));
                }
            }

            echo.Start();
            var buffer = new byte[64];
            for (int k = 0; k < clients.Count; k++)
            {
                for (int n = 0; n < PerClient; n++)
                {
                    int length = clients[k].Socket.Receive(buffer); // only from the address it was sent to
                    Assert.Equal(Payload(k, n), buffer.Take(length).ToArray());
                }
            }

            int total = clients.Count * PerClient;
            var seen = new Dictionary<IPAddress, int>();
            for (int i = 0; i < total; i++)
            {
                Assert.True(echo.Queue.TryTake(out UdpDatagram? d, 5000, CancellationToken.None));
                seen[d!.LocalAddress] = seen.TryGetValue(d.LocalAddress, out int c) ? c + 1 : 1;
            }

            Assert.Equal(0, echo.Refused);
            Assert.Equal(2 * PerClient, seen[IPAddress.Parse("127.0.0.20")]);
            Assert.InRange(echo.AnswerCalls, total / 16, total / 4); // 16 answers per call, when the batches are full
        }
        finally
        {
            foreach ((Socket socket, _) in clients)
            {
                socket.Dispose();
            }
        }
    }

    [LinuxFact("recvmmsg and sendmmsg with packet information are Linux only")]
    public void ADestinationThatCannotBeASourceIsAnsweredFromTheInterfaceInTheMiddleOfABatch()
    {
        var options = new ListenerOptions { Socket = { LocalAddress = IPAddress.Any, KernelReceiveBufferSize = 4 * 1024 * 1024 } };
        using var echo = new EchoServer(options, 0);
        int port = echo.LocalEndPoint.Port;
        using Socket good = Client(IPAddress.Parse("127.0.0.10"), IPAddress.Parse("127.0.0.20"), port);
        // Loopback's directed broadcast: the kernel refuses it as the source of an answer, so
        // that message of the batch is sent again from lo's own address, and the rest go on.
        using var broadcaster = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { EnableBroadcast = true, ReceiveTimeout = 5000 };
        broadcaster.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var broadcast = new IPEndPoint(IPAddress.Parse("127.255.255.255"), port);
        for (int n = 0; n < 50; n++)
        {
            good.Send(Payload(0, n));
            broadcaster.SendTo(Payload(1, n), broadcast);
        }

        echo.Start();
        var buffer = new byte[64];
        for (int n = 0; n < 50; n++)
        {
            int length = good.Receive(buffer);
            Assert.Equal(Payload(0, n), buffer.Take(length).ToArray());
        }

        for (int n = 0; n < 50; n++)
        {
            EndPoint from = new IPEndPoint(IPAddress.Any, 0);
            int length = broadcaster.ReceiveFrom(buffer, ref from);
            Assert.Equal(Payload(1, n), buffer.Take(length).ToArray());
            Assert.Equal(port, ((IPEndPoint)from).Port);
        }

        Assert.Equal(0, echo.Refused);
    }

    private static Socket Client(IPAddress from, IPAddress to, int port)
    {
        var socket = new Socket(from.AddressFamily, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 5000, ReceiveBufferSize = 1024 * 1024 };
        socket.Bind(new IPEndPoint(from, 0));
        socket.Connect(new IPEndPoint(to, port));
        return socket;
    }

    private static byte[] Payload(int client, int sequence) => new[] { (byte)client, (byte)(sequence >> 8), (byte)sequence };
}
