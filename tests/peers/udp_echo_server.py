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
"""

import argparse
import select
import signal
import socket
import sys
import time

sys.dont_write_bytecode = True  # keep tests/peers free of __pycache__
import peerlib  # noqa: E402  (tests/peers/peerlib.py)


def _terminate(signum, frame):
    raise SystemExit(0)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1", help="local address to bind (default 127.0.0.1; 0.0.0.0, ::1, :: ...)")
    parser.add_argument("--port", type=int, default=0, help="local port (default 0 = any free port)")
    parser.add_argument("--count", type=int, help="stop after echoing this many datagrams")
    parser.add_argument("--timeout", type=peerlib.positive_seconds, default=10.0, help="stop after this many seconds (default 10, max 600)")
    parser.add_argument("--family", choices=["4", "6"], help="address family (default: from the host)")
    parser.add_argument("--bufsize", type=int, default=65535, help="receive buffer per datagram (default 65535)")
    parser.add_argument("--quiet", action="store_true", help="no ECHO lines; a SUMMARY line before ECHOED")
    args = parser.parse_args(argv)

    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)
    family, sockaddr = peerlib.resolve(args.host, args.port, peerlib.family_of(args.family), passive=True)
    echoed = 0
    first = last = 0.0
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.bind(sockaddr)
            peerlib.emit("LISTENING", sock.getsockname()[1])
            deadline = time.monotonic() + args.timeout
            while args.count is None or echoed < args.count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                ready, _, _ = select.select([sock], [], [], min(remaining, 0.5))
                if not ready:
                    continue
                try:
                    data, source = sock.recvfrom(args.bufsize)
                except ConnectionRefusedError:
                    # An ICMP error from an earlier echo; nothing was received.
                    continue
                fields = (peerlib.plain_address(source[0]), source[1], peerlib.to_hex(data))
                if peerlib.destination_problem(source[0]) is not None:
                    peerlib.emit("DROPPED", *fields)
                    continue
                try:
                    sock.sendto(data, source)
                except OSError as exc:
                    peerlib.error(type(exc).__name__, exc)
                    continue
                echoed += 1
                if args.quiet:
                    last = time.time()
                    first = first or last
                    continue
                peerlib.emit("ECHO", *fields)
    except OSError as exc:
        peerlib.error(type(exc).__name__, exc)
        return 1
    finally:
        if args.quiet:
            peerlib.emit("SUMMARY", echoed, repr(first), repr(last))
        peerlib.emit("ECHOED", echoed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
