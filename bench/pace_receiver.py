#!/usr/bin/env python3
"""pace_receiver.py - the referee of a paced send: counts what arrives and when the kernel took it.

Binds 127.0.0.1:PORT (0 = any free port), prints ``LISTENING <port>``, then takes datagrams with
their kernel receive timestamps (SO_TIMESTAMPNS) until --idle seconds pass without one after the
first, or --count datagrams, or --timeout seconds. Prints one line

    RESULT {"received": n, "first": t0, "last": t1, "rate": r, "maxWindow": m, "window": w}

where rate = (n - 1) / (t1 - t0) from the kernel timestamps, and maxWindow is the most datagrams
whose timestamps fall in any window of --window seconds (default 0.010), sliding over every
datagram. Loopback only; bounded in count and time.
"""

import argparse
import json
import socket
import struct
import sys
import time

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--count", type=int, default=10_000_000)
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--idle", type=float, default=1.0)
    parser.add_argument("--window", type=float, default=0.010)
    parser.add_argument("--rcvbuf", type=int, default=4 * 1024 * 1024)
    args = parser.parse_args()

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, args.rcvbuf)
    sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    sock.bind(("127.0.0.1", args.port))
    print(f"LISTENING {sock.getsockname()[1]}", flush=True)

    stamps = []
    deadline = time.monotonic() + args.timeout
    space = socket.CMSG_SPACE(16)
    sock.settimeout(min(args.timeout, 5.0))
    while len(stamps) < args.count and time.monotonic() < deadline:
        try:
            _, ancdata, _, _ = sock.recvmsg(2048, space)
        except socket.timeout:
            if stamps:
                break
            continue
        for level, kind, data in ancdata:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                sec, nsec = struct.unpack("qq", data[:16])
                stamps.append(sec + nsec / 1e9)
                break
        if len(stamps) == 1:
            sock.settimeout(args.idle)

    n = len(stamps)
    max_window = 0
    j = 0
    for i in range(n):
        while j < n and stamps[j] < stamps[i] + args.window:
            j += 1
        if j - i > max_window:
            max_window = j - i
    first = stamps[0] if n else 0
    last = stamps[-1] if n else 0
    rate = (n - 1) / (last - first) if n > 1 and last > first else 0
    print("RESULT " + json.dumps({"received": n, "first": first, "last": last, "rate": rate,
                                  "maxWindow": max_window, "window": args.window}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
