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
import signal
import socket
import sys

sys.dont_write_bytecode = True  # keep tests/peers free of __pycache__
import peerlib  # noqa: E402  (tests/peers/peerlib.py)

IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)  # Linux value; the constant is missing before 3.12


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
    peerlib.add_listener_arguments(parser, "receiving")
    parser.add_argument("--rcvbuf", type=int, help="kernel receive buffer (SO_RCVBUF) in bytes, for floods")
    parser.add_argument("--pktinfo", action="store_true", help="append the datagram's destination address to each RECV line")
    args = parser.parse_args(argv)
    peerlib.stop_on(signal.SIGTERM)

    def prepare(sock, family):
        if args.rcvbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, args.rcvbuf)
        if args.pktinfo:
            enable_pktinfo(sock, family)

    def take(sock, family):
        data, ancdata, _, source = sock.recvmsg(args.bufsize, socket.CMSG_SPACE(64))
        if not args.quiet:
            fields = ["RECV", peerlib.plain_address(source[0]), source[1], peerlib.to_hex(data)]
            if args.pktinfo:
                fields.append(peerlib.plain_address(destination_from(ancdata, family)))
            peerlib.emit(*fields)
        return True

    return peerlib.run_listener(args, "DONE", take, prepare)


if __name__ == "__main__":
    peerlib.run(main)
