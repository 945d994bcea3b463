#!/usr/bin/env python3
"""udp_sender.py - the textbook UDP sender.

Sends --count datagrams (same payload) to HOST:PORT from one socket and prints, per datagram:

    SENT <source port> <payload length>

With --quiet (for benchmarks) no line is printed per datagram, --count may go up to 10,000,000,
and the last line is ``SUMMARY <sent> <start unix time> <end unix time>``.

Examples:
    udp_sender.py 127.0.0.1 9000 --text 'hello'
    udp_sender.py ::1 9000 --hex 'de ad be ef' --count 3 --bind '[::1]:0'

Exit codes: 0 sent, 1 socket error (an ``ERROR <kind> <message>`` line on stderr),
64 destination not allowed (only loopback; 198.51.100.0/24 inside a test namespace).
"""

import argparse
import sys
import time

sys.dont_write_bytecode = True  # keep tests/peers free of __pycache__
import peerlib  # noqa: E402  (tests/peers/peerlib.py)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    peerlib.add_destination_arguments(parser, "destination")
    parser.add_argument("--count", type=int, default=1, help="datagrams to send (1-10000, default 1)")
    parser.add_argument("--quiet", action="store_true", help="no line per datagram; a SUMMARY line at the end")
    args = parser.parse_args(argv)
    most = 10000000 if args.quiet else 10000
    if not 1 <= args.count <= most:
        parser.error("--count must be 1-%d" % most)
    payload = peerlib.payload_from_args(parser, args)

    family, sockaddr = peerlib.destination_of(args)
    with peerlib.sending_socket(family, args.bind) as sock:
        if args.quiet:
            start = time.time()
            for _ in range(args.count):
                sock.sendto(payload, sockaddr)
            peerlib.emit("SUMMARY", args.count, repr(start), repr(time.time()))
            return 0
        for _ in range(args.count):
            sent = sock.sendto(payload, sockaddr)
            peerlib.emit("SENT", sock.getsockname()[1], sent)
    return 0


if __name__ == "__main__":
    peerlib.run(main)
