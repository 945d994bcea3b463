#!/usr/bin/env python3
"""udp_echo_client.py - the textbook UDP echo client.

Sends one payload to HOST:PORT and waits --timeout seconds (default 2) for the reply. Like the
classic echo clients it accepts a reply only from the address and port it sent to. Prints one of:

    REPLY <src addr> <src port> <payload hex>    exit 0
    TIMEOUT                                      exit 1
    REFUSED                                      exit 2 (ICMP port unreachable: nothing listens)

With --burst N it sends N datagrams at once (the payload and a 4-byte sequence number), then
takes the replies and prints ``BURST <sent> <replies> <in order>``; exit 0 when every one came
back, 1 otherwise. On a connected socket only replies from the address sent to count.

With --unconnected the socket is not connected: replies from anywhere reach it, a reply from a
different address or port is reported as ``IGNORED <src addr> <src port> <payload hex>`` and the
client keeps waiting; ICMP port unreachable is then not reported (Linux only reports it on
connected sockets), so a closed port gives TIMEOUT.

Exit code 64: destination not allowed (only loopback; 198.51.100.0/24 inside a test namespace).

Examples:
    udp_echo_client.py 127.0.0.1 7 --text ping
    udp_echo_client.py ::1 9000 --hex 00ff --timeout 1 --bind '[::1]:0'
"""

import argparse
import socket
import sys
import time

sys.dont_write_bytecode = True  # keep tests/peers free of __pycache__
import peerlib  # noqa: E402  (tests/peers/peerlib.py)


def same_endpoint(a, b):
    return peerlib.plain_address(a[0]) == peerlib.plain_address(b[0]) and a[1] == b[1]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    peerlib.add_destination_arguments(parser, "echo server")
    parser.add_argument("--timeout", type=peerlib.positive_seconds, default=2.0, help="seconds to wait for the reply (default 2, max 600)")
    parser.add_argument("--unconnected", action="store_true", help="use sendto/recvfrom on an unconnected socket")
    parser.add_argument("--bufsize", type=int, default=65535, help="receive buffer (default 65535)")
    parser.add_argument("--burst", type=int, help="send this many datagrams at once (1-100000) and count the replies")
    args = parser.parse_args(argv)
    if args.burst is not None and not 1 <= args.burst <= 100000:
        parser.error("--burst must be 1-100000")
    payload = peerlib.payload_from_args(parser, args)

    family, sockaddr = peerlib.destination_of(args)
    try:
        with peerlib.sending_socket(family, args.bind) as sock:
            if args.burst:
                return burst(sock, sockaddr, payload, args)
            if args.unconnected:
                sock.sendto(payload, sockaddr)
            else:
                sock.connect(sockaddr)
                sock.send(payload)
            deadline = time.monotonic() + args.timeout
            while peerlib.wait_readable(sock, deadline):
                data, source = sock.recvfrom(args.bufsize)
                fields = (peerlib.plain_address(source[0]), source[1], peerlib.to_hex(data))
                if same_endpoint(source, sockaddr):
                    peerlib.emit("REPLY", *fields)
                    return 0
                peerlib.emit("IGNORED", *fields)
            peerlib.emit("TIMEOUT")
            return 1
    except ConnectionRefusedError:
        peerlib.emit("REFUSED")
        return 2


def burst(sock, sockaddr, payload, args):
    """Sends args.burst datagrams, then counts the replies (from the target only) until the timeout."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
    if not args.unconnected:
        sock.connect(sockaddr)
    for n in range(args.burst):
        data = payload + n.to_bytes(4, "big")
        if args.unconnected:
            sock.sendto(data, sockaddr)
        else:
            sock.send(data)
    replies = 0
    in_order = 0
    for data, source in peerlib.datagrams_until(sock, args.timeout, args.bufsize):
        if not same_endpoint(source, sockaddr) or not data.startswith(payload):
            continue
        if int.from_bytes(data[len(payload):], "big") == replies:
            in_order += 1
        replies += 1
        if replies == args.burst:
            break
    peerlib.emit("BURST", args.burst, replies, in_order)
    return 0 if replies == args.burst else 1


if __name__ == "__main__":
    peerlib.run(main, failure=3)
