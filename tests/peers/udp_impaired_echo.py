#!/usr/bin/env python3
"""udp_impaired_echo.py - a UDP echo server that impairs the path in known ways, for statistics tests.

Binds HOST:PORT (port 0 = any free port) and echoes datagrams back to their sender, except:

    --drop-every N       the Nth, 2Nth, ... datagram (1-based) is not echoed
    --delay-ms D         every echo is sent D ms after the datagram arrived
    --duplicate-every N  the Nth, 2Nth, ... echo is sent twice
    --hold-every N       the Nth, 2Nth, ... echo is held --hold-ms more, so later echoes overtake it

Prints ``LISTENING <port>`` once bound, ``DROP <n>`` / ``ECHO <n>`` per datagram (1-based) and
``ECHOED <n>`` last. Stops after --timeout seconds (default 30) or on SIGTERM / SIGINT. It answers
only permitted destinations (loopback, or the test network inside a test namespace).

Example:
    udp_impaired_echo.py --port 0 --drop-every 4 --delay-ms 50
"""

import argparse
import heapq
import select
import signal
import socket
import sys
import time

sys.dont_write_bytecode = True
import peerlib  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--timeout", type=peerlib.positive_seconds, default=30.0)
    parser.add_argument("--drop-every", type=int, default=0)
    parser.add_argument("--delay-ms", type=float, default=0.0)
    parser.add_argument("--duplicate-every", type=int, default=0)
    parser.add_argument("--hold-every", type=int, default=0)
    parser.add_argument("--hold-ms", type=float, default=0.0)
    args = parser.parse_args(argv)

    peerlib.stop_on(signal.SIGTERM, signal.SIGINT)
    family, sockaddr = peerlib.resolve(args.host, args.port, socket.AF_UNSPEC, passive=True)
    pending = []  # (due time, order, data, source)
    seen = echoed = order = 0
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.bind(sockaddr)
            peerlib.emit("LISTENING", sock.getsockname()[1])
            deadline = time.monotonic() + args.timeout
            while time.monotonic() < deadline:
                now = time.monotonic()
                while pending and pending[0][0] <= now:
                    _, _, data, source = heapq.heappop(pending)
                    try:
                        sock.sendto(data, source)
                        echoed += 1
                    except OSError as exc:
                        peerlib.error(type(exc).__name__, exc)
                wait = min(0.5, deadline - now, (pending[0][0] - now) if pending else 0.5)
                ready, _, _ = select.select([sock], [], [], max(0.0, wait))
                if not ready:
                    continue
                try:
                    data, source = sock.recvfrom(65535)
                except ConnectionRefusedError:
                    continue
                if peerlib.destination_problem(source[0]) is not None:
                    continue
                seen += 1
                if args.drop_every and seen % args.drop_every == 0:
                    peerlib.emit("DROP", seen)
                    continue
                due = time.monotonic() + args.delay_ms / 1000.0
                if args.hold_every and seen % args.hold_every == 0:
                    due += args.hold_ms / 1000.0
                copies = 2 if args.duplicate_every and seen % args.duplicate_every == 0 else 1
                for _ in range(copies):
                    order += 1
                    heapq.heappush(pending, (due, order, data, source))
                peerlib.emit("ECHO", seen)
    finally:
        peerlib.emit("ECHOED", echoed)
    return 0


if __name__ == "__main__":
    peerlib.run(main)
