#!/usr/bin/env python3
"""udp_echo_server.py - the textbook UDP echo server.

Binds HOST:PORT (port 0 = any free port) and sends every datagram back to its sender from the
bound socket. Prints:

    LISTENING <port>                              first, once bound
    ECHO <src addr> <src port> <payload hex>      per datagram echoed
    DROPPED <src addr> <src port> <payload hex>   per datagram NOT echoed because the sender's
                                                  address is not a permitted destination
    ECHOED <n>                                    last, with the number of datagrams echoed

It stops after --count echoed datagrams, after --timeout seconds (default 10), or on SIGTERM /
SIGINT, and exits 0. With --quiet (for benchmarks) no ECHO lines are printed; ``SUMMARY <n> <first
unix time> <last unix time>`` (the first and the last echo) comes before ECHOED. It is deliberately naive (it echoes anything, including datagrams from
another echo server), so it can be used to test echo-loop guards; --timeout bounds any loop.

Examples:
    udp_echo_server.py --port 0
    udp_echo_server.py --host 0.0.0.0 --port 7788 --timeout 20
    udp_echo_server.py --host ::1 --count 1
    udp_echo_server.py --ttl 42 --tos 184     # echoes with TTL 42 and DSCP EF
"""

import argparse
import signal
import socket
import sys

sys.dont_write_bytecode = True  # keep tests/peers free of __pycache__
import peerlib  # noqa: E402  (tests/peers/peerlib.py)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    peerlib.add_listener_arguments(parser, "echoing")
    parser.add_argument("--ttl", type=int, help="the TTL (IPv4) or hop limit (IPv6) of the echoes")
    parser.add_argument("--tos", type=int, help="the TOS byte (IPv4) or traffic class (IPv6) of the echoes, e.g. 184 for DSCP EF")
    args = parser.parse_args(argv)
    peerlib.stop_on(signal.SIGTERM, signal.SIGINT)

    def take(sock, family):
        try:
            data, source = sock.recvfrom(args.bufsize)
        except ConnectionRefusedError:
            # An ICMP error from an earlier echo; nothing was received.
            return False
        fields = (peerlib.plain_address(source[0]), source[1], peerlib.to_hex(data))
        if peerlib.destination_problem(source[0]) is not None:
            peerlib.emit("DROPPED", *fields)
            return False
        try:
            sock.sendto(data, source)
        except OSError as exc:
            peerlib.error(type(exc).__name__, exc)
            return False
        if not args.quiet:
            peerlib.emit("ECHO", *fields)
        return True

    def prepare(sock, family):
        v6 = family == socket.AF_INET6
        if args.ttl is not None:
            sock.setsockopt(*((socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS) if v6 else (socket.IPPROTO_IP, socket.IP_TTL)), args.ttl)
        if args.tos is not None:
            sock.setsockopt(*((socket.IPPROTO_IPV6, socket.IPV6_TCLASS) if v6 else (socket.IPPROTO_IP, socket.IP_TOS)), args.tos)

    return peerlib.run_listener(args, "ECHOED", take, prepare)


if __name__ == "__main__":
    peerlib.run(main)
