#!/usr/bin/env python3
"""udp_spoof.py - send ONE UDP datagram with a forged source address and port (root, IPv4 only).

For testing echo-loop guards: e.g. make an echo server believe a datagram came from another
echo server (its own port, port 7, port 19 ...). Uses a raw socket
socket(AF_INET, SOCK_RAW, IPPROTO_UDP) with IP_HDRINCL; builds the 20-byte IPv4 header (the
kernel fills in its checksum and id) and the 8-byte UDP header with checksum 0 (= no checksum,
legal for UDP over IPv4). Prints:

    SPOOFED <src addr> <src port> <dst addr> <dst port> <payload length>

Limits: the destination must be in 127.0.0.0/8, or in 198.51.100.0/24 from inside a test network
namespace (ip netns exec ...). From the root namespace the forged source must be in 127.0.0.0/8
too, so nothing that answers it can send anything off the machine.

Exit codes: 0 sent, 1 socket error (e.g. not root: ERROR PermissionError ...), 64 not allowed.

Examples:
    udp_spoof.py --src 127.0.0.1:7 --dst 127.0.0.1:9000 --hex 'c0 ff ee'
    ip netns exec t1a udp_spoof.py --src 198.51.100.12:7788 --dst 198.51.100.13:7788 --hex 00
"""

import argparse
import ipaddress
import socket
import struct
import sys

sys.dont_write_bytecode = True  # keep tests/peers free of __pycache__
import peerlib  # noqa: E402  (tests/peers/peerlib.py)

ALLOWED_DST = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("198.51.100.0/24"))
LOOPBACK = ipaddress.ip_network("127.0.0.0/8")


def ipv4_endpoint(text):
    host, port = peerlib.parse_endpoint(text)
    ip = ipaddress.ip_address(host)
    if ip.version != 4:
        raise ValueError("IPv4 only")
    if not 0 <= port <= 65535:
        raise ValueError("port out of range")
    return ip, port


def build_packet(src, sport, dst, dport, payload):
    udp_length = 8 + len(payload)
    udp = struct.pack("!HHHH", sport, dport, udp_length, 0) + payload
    ip = struct.pack(
        "!BBHHHBBH4s4s",
        0x45,             # version 4, header length 5 words
        0,                # TOS
        20 + udp_length,  # total length (the kernel fills it in anyway)
        0,                # id: 0 = kernel chooses
        0,                # flags / fragment offset
        64,               # TTL
        socket.IPPROTO_UDP,
        0,                # header checksum: the kernel computes it
        src.packed,
        dst.packed,
    )
    return ip + udp


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--src", required=True, type=ipv4_endpoint, metavar="ADDR:PORT", help="forged source endpoint")
    parser.add_argument("--dst", required=True, type=ipv4_endpoint, metavar="ADDR:PORT", help="destination endpoint")
    parser.add_argument("--hex", default="", help="payload as hex (default empty)")
    args = parser.parse_args(argv)
    try:
        payload = peerlib.parse_hex(args.hex)
    except ValueError as exc:
        parser.error("--hex: %s" % exc)
    if len(payload) > 65507:
        parser.error("payload larger than 65507 bytes")

    (src, sport), (dst, dport) = args.src, args.dst
    if not any(dst in net for net in ALLOWED_DST) or dst == ipaddress.ip_address("198.51.100.255"):
        peerlib.error("DestinationNotAllowed", "%s is not in 127.0.0.0/8 or 198.51.100.0/24 (unicast)" % dst)
        return peerlib.EXIT_NOT_ALLOWED
    peerlib.check_destination(str(dst))
    if peerlib.current_netns() is None and src not in LOOPBACK:
        peerlib.error("SourceNotAllowed", "outside a test namespace the forged source must be in 127.0.0.0/8, not %s" % src)
        return peerlib.EXIT_NOT_ALLOWED

    packet = build_packet(src, sport, dst, dport, payload)
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP) as sock:
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
            sock.sendto(packet, (str(dst), 0))
    except OSError as exc:
        peerlib.error(type(exc).__name__, exc)
        return 1
    peerlib.emit("SPOOFED", src, sport, dst, dport, len(payload))
    return 0


if __name__ == "__main__":
    sys.exit(main())
