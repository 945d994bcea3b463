#!/usr/bin/env python3
"""udp_receiver.py - the textbook UDP receiver.

Binds HOST:PORT (port 0 = any free port) and prints:

    LISTENING <port>                                  first, once bound
    RECV <src addr> <src port> <payload hex>          per datagram (hex empty for an empty datagram)
    RECV <src addr> <src port> <payload hex> <dst>    the same with --pktinfo (dst = the address the
                                                      datagram was sent to, e.g. 255.255.255.255)
    DONE <n>                                          last, with the number of datagrams

It stops after --count datagrams or --timeout seconds (default 10), or on SIGTERM, and exits 0.
With --quiet (for benchmarks) no RECV lines are printed; ``SUMMARY <n> <first unix time> <last
unix time>`` (the times the first and the last datagram came) comes before DONE.

Examples:
    udp_receiver.py --port 0 --count 1
    udp_receiver.py --host ::1 --port 9000 --timeout 5
    udp_receiver.py --host 0.0.0.0 --port 7788 --pktinfo
"""

import argparse
import select
import signal
import socket
import sys
import time

sys.dont_write_bytecode = True  # keep tests/peers free of __pycache__
import peerlib  # noqa: E402  (tests/peers/peerlib.py)

IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)  # Linux value; the constant is missing before 3.12


def _terminate(signum, frame):
    raise SystemExit(0)


def enable_pktinfo(sock, family):
    if family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVPKTINFO, 1)
    else:
        sock.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)


def destination_from(ancdata, family):
    for level, kind, data in ancdata:
        if family == socket.AF_INET and level == socket.IPPROTO_IP and kind == IP_PKTINFO:
            # struct in_pktinfo { int ifindex; in_addr spec_dst; in_addr addr; }
            return socket.inet_ntop(socket.AF_INET, data[8:12])
        if family == socket.AF_INET6 and level == socket.IPPROTO_IPV6 and kind == socket.IPV6_PKTINFO:
            # struct in6_pktinfo { in6_addr addr; int ifindex; }
            return socket.inet_ntop(socket.AF_INET6, data[:16])
    return "-"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1", help="local address to bind (default 127.0.0.1; ::1, 0.0.0.0, :: ...)")
    parser.add_argument("--port", type=int, default=0, help="local port (default 0 = any free port)")
    parser.add_argument("--count", type=int, help="stop after this many datagrams")
    parser.add_argument("--timeout", type=peerlib.positive_seconds, default=10.0, help="stop after this many seconds (default 10, max 600)")
    parser.add_argument("--family", choices=["4", "6"], help="address family (default: from the host)")
    parser.add_argument("--bufsize", type=int, default=65535, help="receive buffer per datagram (default 65535)")
    parser.add_argument("--rcvbuf", type=int, help="kernel receive buffer (SO_RCVBUF) in bytes, for floods")
    parser.add_argument("--pktinfo", action="store_true", help="append the datagram's destination address to each RECV line")
    parser.add_argument("--quiet", action="store_true", help="no RECV lines; a SUMMARY line before DONE")
    args = parser.parse_args(argv)

    signal.signal(signal.SIGTERM, _terminate)
    family, sockaddr = peerlib.resolve(args.host, args.port, peerlib.family_of(args.family), passive=True)
    received = 0
    first = last = 0.0
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            if args.rcvbuf:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, args.rcvbuf)
            sock.bind(sockaddr)
            if args.pktinfo:
                enable_pktinfo(sock, family)
            peerlib.emit("LISTENING", sock.getsockname()[1])
            deadline = time.monotonic() + args.timeout
            while args.count is None or received < args.count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                ready, _, _ = select.select([sock], [], [], min(remaining, 0.5))
                if not ready:
                    continue
                data, ancdata, _, source = sock.recvmsg(args.bufsize, socket.CMSG_SPACE(64))
                received += 1
                if args.quiet:
                    last = time.time()
                    first = first or last
                    continue
                fields = ["RECV", peerlib.plain_address(source[0]), source[1], peerlib.to_hex(data)]
                if args.pktinfo:
                    fields.append(peerlib.plain_address(destination_from(ancdata, family)))
                peerlib.emit(*fields)
    except OSError as exc:
        peerlib.error(type(exc).__name__, exc)
        return 1
    finally:
        if args.quiet:
            peerlib.emit("SUMMARY", received, repr(first), repr(last))
        peerlib.emit("DONE", received)
    return 0


if __name__ == "__main__":
    sys.exit(main())
