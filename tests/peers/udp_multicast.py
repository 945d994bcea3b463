#!/usr/bin/env python3
"""udp_multicast.py - the textbook multicast receiver, sender and discovery responder.

    udp_multicast.py receive --group G --port P [--interface IF] [--count N] [--timeout S]
        Binds the wildcard address of G's family on port P (0 = any free port), joins G with
        IP_ADD_MEMBERSHIP (struct ip_mreqn, the interface's index) or IPV6_JOIN_GROUP (struct
        ipv6_mreq), and prints:
            LISTENING <port>
            RECV <src addr> <src port> <payload hex> <dst addr> <ttl or hop limit> <ifname>
            DONE <n>
        The TTL (hop limit) comes from IP_RECVTTL (IPV6_RECVHOPLIMIT), the destination and the
        interface from IP_PKTINFO (IPV6_RECVPKTINFO).
    udp_multicast.py send --group G --port P --interface IF (--text T | --hex H) [--ttl N] [--loop]
        Sends one datagram to G out of IF (IP_MULTICAST_IF / IPV6_MULTICAST_IF) and prints
        SENT <group> <port> <length>.
    udp_multicast.py request --group G --port P --interface IF (--text T | --hex H) [--timeout S]
        Sends like send, then prints REPLY <src addr> <src port> <payload hex> <dst addr> for every
        reply that comes back (to its unicast address) within --timeout, and DONE <n>.
    udp_multicast.py respond --group G --port P --interface IF --text T [--timeout S] [--repeat N]
        Joins like receive and answers every datagram with T (N times, 1 by default), unicast to
        its sender, as an SSDP device answers M-SEARCH; prints LISTENING <port>, ANSWERED <src
        addr> <src port> per datagram, DONE <n>.

Safety (as in peerlib): a multicast datagram leaves only through lo, or from inside a test
network namespace (ip netns exec ...). Joining sends IGMP/MLD reports only on the interface joined.
"""

import argparse
import signal
import socket
import struct
import sys
import time

sys.dont_write_bytecode = True  # keep tests/peers free of __pycache__
import peerlib  # noqa: E402  (tests/peers/peerlib.py)

# Linux values; some constants are missing from older Pythons.
IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)
IP_RECVTTL = getattr(socket, "IP_RECVTTL", 12)
IP_TTL = socket.IP_TTL
IPV6_RECVHOPLIMIT = getattr(socket, "IPV6_RECVHOPLIMIT", 51)
IPV6_HOPLIMIT = getattr(socket, "IPV6_HOPLIMIT", 52)


def family_of_group(group):
    return socket.AF_INET6 if ":" in group else socket.AF_INET


def interface_index(name):
    return socket.if_nametoindex(name) if name else 0


def joined_socket(group, port, interface):
    family = family_of_group(group)
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    index = interface_index(interface)
    if family == socket.AF_INET:
        sock.bind(("0.0.0.0", port))
        # struct ip_mreqn { in_addr imr_multiaddr; in_addr imr_address; int imr_ifindex; }
        mreqn = socket.inet_aton(group) + socket.inet_aton("0.0.0.0") + struct.pack("=i", index)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreqn)
        sock.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
        sock.setsockopt(socket.IPPROTO_IP, IP_RECVTTL, 1)
    else:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(("::", port))
        # struct ipv6_mreq { in6_addr ipv6mr_multiaddr; unsigned int ipv6mr_interface; }
        mreq = socket.inet_pton(socket.AF_INET6, group) + struct.pack("=I", index)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVPKTINFO, 1)
        sock.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1)
    return sock


def interface_name(index):
    try:
        return socket.if_indextoname(index)
    except OSError:
        return "if%d" % index


def arrival(ancdata, family):
    """(destination, ttl, interface name) from the control messages."""
    dst, ttl, ifname = "-", "-", "-"
    for level, kind, data in ancdata:
        if family == socket.AF_INET and level == socket.IPPROTO_IP and kind == IP_PKTINFO:
            # struct in_pktinfo { int ipi_ifindex; in_addr ipi_spec_dst; in_addr ipi_addr; }
            ifname = interface_name(struct.unpack("=i", data[:4])[0])
            dst = socket.inet_ntop(socket.AF_INET, data[8:12])
        elif family == socket.AF_INET and level == socket.IPPROTO_IP and kind in (IP_TTL, IP_RECVTTL):
            ttl = data[0] if len(data) == 1 else struct.unpack("=i", data[:4])[0]
        elif family == socket.AF_INET6 and level == socket.IPPROTO_IPV6 and kind == socket.IPV6_PKTINFO:
            # struct in6_pktinfo { in6_addr ipi6_addr; int ipi6_ifindex; }
            dst = socket.inet_ntop(socket.AF_INET6, data[:16])
            ifname = interface_name(struct.unpack("=i", data[16:20])[0])
        elif family == socket.AF_INET6 and level == socket.IPPROTO_IPV6 and kind == IPV6_HOPLIMIT:
            ttl = struct.unpack("=i", data[:4])[0]
    return dst, ttl, ifname


def take_all(sock, family, seconds, most, each):
    """Calls each(data, source, (dst, ttl, ifname)) for every datagram within the seconds (at most
    ``most`` of them, 0 = no limit), then prints DONE <n> and closes the socket."""
    deadline = time.monotonic() + seconds
    count = 0
    try:
        while (most == 0 or count < most) and peerlib.wait_readable(sock, deadline):
            data, ancdata, _, source = sock.recvmsg(65535, 1024)
            count += 1
            each(data, source, arrival(ancdata, family))
    finally:
        peerlib.emit("DONE", count)
        sock.close()


def serve(args, answer):
    sock = joined_socket(args.group, args.port, args.interface)
    peerlib.emit("LISTENING", sock.getsockname()[1])

    def each(data, source, facts):
        if answer is None:
            peerlib.emit("RECV", peerlib.plain_address(source[0]), source[1], peerlib.to_hex(data), *facts)
            return
        for _ in range(args.repeat):
            sock.sendto(answer, source)
        peerlib.emit("ANSWERED", peerlib.plain_address(source[0]), source[1])

    take_all(sock, family_of_group(args.group), args.timeout, args.count, each)


def request(args, payload):
    sock = send(args, payload, keep=True)
    family = family_of_group(args.group)
    if family == socket.AF_INET:
        sock.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
    else:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVPKTINFO, 1)

    def each(data, source, facts):
        dst, _, _ = facts
        peerlib.emit("REPLY", peerlib.plain_address(source[0]), source[1], peerlib.to_hex(data), dst)

    take_all(sock, family, args.timeout, 0, each)


def send(args, payload, keep=False):
    inside_namespace = peerlib.current_netns() is not None
    if not inside_namespace and args.interface != "lo":
        peerlib.error("DestinationNotAllowed", "outside a test network namespace, multicast leaves only through lo")
        sys.exit(peerlib.EXIT_NOT_ALLOWED)
    family = family_of_group(args.group)
    sock = socket.socket(family, socket.SOCK_DGRAM)
    index = interface_index(args.interface)
    if family == socket.AF_INET:
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF,
                        socket.inet_aton(args.group) + socket.inet_aton("0.0.0.0") + struct.pack("=i", index))
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, args.ttl)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1 if args.loop else 0)
        target = (args.group, args.port)
    else:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, index)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, args.ttl)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_LOOP, 1 if args.loop else 0)
        target = (args.group, args.port, 0, index)
    sock.sendto(payload, target)
    peerlib.emit("SENT", args.group, args.port, len(payload))
    if keep:
        return sock
    sock.close()
    return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["receive", "send", "request", "respond"])
    parser.add_argument("--group", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--interface", default=None)
    parser.add_argument("--count", type=int, default=0)
    parser.add_argument("--timeout", type=peerlib.positive_seconds, default=10)
    parser.add_argument("--ttl", type=int, default=1)
    parser.add_argument("--loop", action="store_true")
    parser.add_argument("--repeat", type=int, default=1, help="respond: answers per datagram")
    peerlib.add_payload_arguments(parser, required=False)
    args = parser.parse_args(argv)
    peerlib.stop_on(signal.SIGTERM)
    payload = peerlib.payload_from_args(parser, args)
    if args.mode in ("send", "request"):
        if not args.interface:
            parser.error("%s needs --interface" % args.mode)
        (send if args.mode == "send" else request)(args, payload)
    else:
        serve(args, payload if args.mode == "respond" else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
