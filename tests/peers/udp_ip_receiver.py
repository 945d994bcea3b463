#!/usr/bin/env python3
"""udp_ip_receiver.py - a textbook receiver that reads the IP header facts of each datagram.

Binds HOST:PORT (port 0 = any free port), asks the kernel for the TTL / hop limit and the TOS /
traffic class of each datagram (IP_RECVTTL, IP_RECVTOS; IPV6_RECVHOPLIMIT, IPV6_RECVTCLASS) and
prints:

    LISTENING <port>                                  first, once bound
    RECV <src addr> <src port> <ttl> <tos hex> <len>  per datagram (ttl/tos '-' when not told)
    DONE <n>                                          last

It stops after --count datagrams or --timeout seconds (default 10), or on SIGTERM. It only
receives, so it sends nothing anywhere.

Examples:
    udp_ip_receiver.py --host 0.0.0.0 --port 0 --count 1
    udp_ip_receiver.py --host :: --port 0 --count 1
"""

import argparse
import socket
import struct
import sys
import time

sys.dont_write_bytecode = True  # keep tests/peers free of __pycache__
import peerlib  # noqa: E402  (tests/peers/peerlib.py)

IP_RECVTTL = getattr(socket, "IP_RECVTTL", 12)
IP_RECVTOS = getattr(socket, "IP_RECVTOS", 13)
IP_TTL = getattr(socket, "IP_TTL", 2)
IP_TOS = getattr(socket, "IP_TOS", 1)
IPV6_RECVHOPLIMIT = getattr(socket, "IPV6_RECVHOPLIMIT", 51)
IPV6_HOPLIMIT = getattr(socket, "IPV6_HOPLIMIT", 52)
IPV6_RECVTCLASS = getattr(socket, "IPV6_RECVTCLASS", 66)
IPV6_TCLASS = getattr(socket, "IPV6_TCLASS", 67)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args(argv)
    if not 0 < args.timeout <= 600:
        parser.error("--timeout must be > 0 and <= 600")

    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1)
            sock.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVTCLASS, 1)
        else:
            sock.setsockopt(socket.IPPROTO_IP, IP_RECVTTL, 1)
            sock.setsockopt(socket.IPPROTO_IP, IP_RECVTOS, 1)
        sock.bind((args.host, args.port))
        peerlib.emit("LISTENING", sock.getsockname()[1])
        deadline = time.monotonic() + args.timeout
        got = 0
        while got < args.count and peerlib.wait_readable(sock, deadline):
            data, ancillary, _flags, source = sock.recvmsg(65535, socket.CMSG_SPACE(64))
            ttl = tos = "-"
            for level, kind, value in ancillary:
                if (level, kind) in ((socket.IPPROTO_IP, IP_TTL), (socket.IPPROTO_IPV6, IPV6_HOPLIMIT)):
                    ttl = struct.unpack("i", value[:4])[0]
                elif (level, kind) == (socket.IPPROTO_IP, IP_TOS):
                    tos = "%02X" % value[0]
                elif (level, kind) == (socket.IPPROTO_IPV6, IPV6_TCLASS):
                    tos = "%02X" % (struct.unpack("i", value[:4])[0] & 0xFF)
            peerlib.emit("RECV", source[0], source[1], ttl, tos, len(data))
            got += 1
        peerlib.emit("DONE", got)
    return 0


if __name__ == "__main__":
    sys.exit(main())
