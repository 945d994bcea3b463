using System.Net;
using System.Text;

namespace PSUdp.Engine.Probes;

/// <summary>
/// TFTP (RFC 1350), port 69: a read request (RRQ, octet mode) for a file name that cannot exist
/// ("psudp-probe-…-does-not-exist"), which a server answers with ERROR 1 "File not found". The
/// server answers from a new port of its own (its transfer id, §4), and TFTP has no id to match.
/// </summary>
internal sealed class TftpProbe() : UdpProbe("Tftp", 69,
    "TFTP read request of a file name that cannot exist (RFC 1350); expects ERROR 1.", matchesReplies: false, answersFromAnotherPort: true)
{
    internal override byte[] Build(ProbeKey key, IPEndPoint target)
    {
        string file = $"psudp-probe-{key.Nonce:x16}-does-not-exist";
        byte[] name = Encoding.ASCII.GetBytes(file);
        byte[] mode = Encoding.ASCII.GetBytes("octet");
        byte[] request = new byte[2 + name.Length + 1 + mode.Length + 1];
        request[1] = 1; // RRQ
        name.CopyTo(request, 2);
        mode.CopyTo(request, 3 + name.Length);
        return request;
    }

    internal override ProbeAnswer? Read(byte[] reply, ProbeKey session)
    {
        if (reply.Length < 4 || reply[0] != 0)
        {
            return null;
        }

        switch (reply[1])
        {
            case 5: // ERROR: code, message, 0
                int code = ByteOrder.Net16(reply, 2);
                string message = Encoding.ASCII.GetString(reply, 4, reply.Length - 4).TrimEnd('\0');
                return new ProbeAnswer(null, $"TFTP error {code}: {message}");
            case 3: // DATA: the file exists after all
                return new ProbeAnswer(null, $"TFTP data block {ByteOrder.Net16(reply, 2)}");
            case 6: // OACK (RFC 2347)
                return new ProbeAnswer(null, "TFTP option acknowledgement");
            default:
                return null;
        }
    }
}
