#!/usr/bin/env python3
"""udp_broadcaster.py - the textbook UDP broadcaster ("who is there?").

Sets SO_BROADCAST, sends ONE datagram to --address (default '<broadcast>' = 255.255.255.255)
port PORT, then collects replies until --timeout (default 2) seconds. Prints:

    SENT <source port> <payload length>
    REPLY <src addr> <src port> <payload hex>     per reply
    DONE <n>                                      last, with the number of replies

Only run it inside a test network namespace (tests/Pester/TestHosts.psm1 makes them): a broadcast
or 198.51.100.0/24 destination is refused (exit 64) anywhere else; from the root namespace only
loopback (e.g. 127.255.255.255) is allowed.

Exit codes: 0 done (even with no replies), 3 socket error (``ERROR <kind> <message>`` on stderr,
e.g. ERROR OSError [Errno 101] Network is unreachable), 64 destination not allowed.

Examples (inside ip netns exec <ns> ...):
    udp_broadcaster.py 7788 --text 'who is there'
    udp_broadcaster.py 7788 --hex 01 --address 198.51.100.255 --timeout 1
    udp_broadcaster.py 7788 --text hi --bind-device eth0
"""

import argparse
import socket
import sys
import time

sys.dont_write_bytecode = True  # keep tests/peers free of __pycache__
import peerlib  # noqa: E402  (tests/peers/peerlib.py)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("port", type=int, help="destination port")
    peerlib.add_payload_arguments(parser)
    parser.add_argument("--address", default="<broadcast>", help="destination (default '<broadcast>' = 255.255.255.255)")
    parser.add_argument("--timeout", type=peerlib.positive_seconds, default=2.0, help="seconds to collect replies (default 2, max 600)")
    parser.add_argument("--bind", metavar="ADDR:PORT", help="local endpoint to bind, e.g. 198.51.100.11:0")
    parser.add_argument("--bind-device", metavar="IFNAME", help="SO_BINDTODEVICE: send and receive only on this interface")
    parser.add_argument("--max-replies", type=int, default=1000, help="stop after this many replies (default 1000)")
    parser.add_argument("--bufsize", type=int, default=65535, help="receive buffer (default 65535)")
    args = parser.parse_args(argv)
    payload = peerlib.payload_from_args(parser, args)

    peerlib.check_destination(args.address)
    replies = 0
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
            if args.bind_device:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, args.bind_device.encode() + b"\0")
            if args.bind:
                sock.bind(peerlib.parse_endpoint(args.bind, "0.0.0.0"))
            sent = sock.sendto(payload, (args.address, args.port))
            peerlib.emit("SENT", sock.getsockname()[1], sent)
            deadline = time.monotonic() + args.timeout
            while replies < args.max_replies and peerlib.wait_readable(sock, deadline):
                try:
                    data, source = sock.recvfrom(args.bufsize)
                except ConnectionRefusedError:
                    continue
                replies += 1
                peerlib.emit("REPLY", peerlib.plain_address(source[0]), source[1], peerlib.to_hex(data))
    finally:
        peerlib.emit("DONE", replies)
    return 0


if __name__ == "__main__":
    peerlib.run(main, failure=3)
