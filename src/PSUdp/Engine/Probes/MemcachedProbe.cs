using System.Net;
using System.Text;

namespace PSUdp.Engine.Probes;

/// <summary>
/// memcached's UDP protocol (memcached protocol.txt, "UDP protocol"), port 11211: the 8-byte
/// frame header (request id, sequence 0, 1 datagram, reserved) and the text command "version".
/// The reply's frame header repeats the request id; the answer is "VERSION x.y.z".
/// </summary>
internal sealed class MemcachedProbe() : UdpProbe("Memcached", 11211,
    "memcached \"version\" command in a UDP frame (memcached protocol.txt).")
{
    internal override byte[] Build(ProbeKey key, IPEndPoint target)
    {
        byte[] command = Encoding.ASCII.GetBytes("version\r\n");
        byte[] request = new byte[8 + command.Length];
        request[0] = (byte)(key.Id >> 8);
        request[1] = (byte)key.Id;
        request[5] = 1; // total datagrams
        command.CopyTo(request, 8);
        return request;
    }

    internal override ProbeAnswer? Read(byte[] reply, ProbeKey session)
    {
        if (reply.Length < 8 + 7)
        {
            return null;
        }

        string text = Encoding.ASCII.GetString(reply, 8, reply.Length - 8).TrimEnd('\r', '\n');
        if (!text.StartsWith("VERSION ", System.StringComparison.Ordinal) && !text.StartsWith("ERROR", System.StringComparison.Ordinal))
        {
            return null;
        }

        return new ProbeAnswer(ByteOrder.Net16(reply, 0), $"memcached {text}");
    }
}
