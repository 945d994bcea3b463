#!/usr/bin/env python3
"""udp_flood.py - sends COUNT datagrams of SIZE bytes to a loopback HOST:PORT as fast as it can.

Prints one line at the end:  SENT <count> <seconds> <source port>
Only loopback destinations are allowed; the loop is bounded by --count and --seconds.
Each payload starts with an 8-byte big-endian sequence number.
"""
import argparse
import ipaddress
import socket
import struct
import sys
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=60, help="stop after this long even if not all were sent")
    args = parser.parse_args()
    if not ipaddress.ip_address(args.host).is_loopback:
        sys.exit("udp_flood.py: only loopback destinations are allowed")
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    payload = bytearray(max(args.size, 8))
    target = (args.host, args.port)
    sent = 0
    start = time.monotonic()
    deadline = start + args.seconds
    while sent < args.count:
        struct.pack_into(">Q", payload, 0, sent)
        try:
            sock.sendto(payload, target)
        except (ConnectionRefusedError, BlockingIOError):
            continue
        sent += 1
        if sent % 4096 == 0 and time.monotonic() > deadline:
            break
    print(f"SENT {sent} {time.monotonic() - start:.3f} {sock.getsockname()[1]}", flush=True)


if __name__ == "__main__":
    main()
