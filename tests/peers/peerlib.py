"""Shared helpers for the PSUdp test peers (stdlib only).

The peers are the "textbook" UDP programs (sender, receiver, echo server, echo client,
broadcaster, spoofer) that PSUdp's tests talk to. They print one machine-readable line per event
(``LISTENING``, ``SENT``, ``RECV``, ``REPLY`` ...), flushed at once, so a test can wait on a line
instead of sleeping.

Safety: test traffic may only go to loopback, or to 198.51.100.0/24 (and broadcast) from inside a
network namespace made with ``ip netns add`` (the test fixture ``tests/Pester/TestHosts.psm1``
makes them). ``check_destination`` enforces that in every peer that sends.
"""

import binascii
import ipaddress
import os
import select
import signal
import socket
import sys
import time

# Exit code for "refused to send: destination not allowed" (EX_USAGE).
EXIT_NOT_ALLOWED = 64

TEST_NET = ipaddress.ip_network("198.51.100.0/24")
# The routed test network (TestHosts.psm1 New-TestRoutedNetwork): documentation prefixes that
# exist only inside the test's own namespaces.
ROUTED_TEST_NETS = (ipaddress.ip_network("192.0.2.0/24"), ipaddress.ip_network("203.0.113.0/24"),
                    ipaddress.ip_network("2001:db8::/32"))
LIMITED_BROADCAST = ipaddress.ip_address("255.255.255.255")
NETNS_DIR = "/run/netns"


def emit(*fields):
    """Print one machine-readable line and flush it at once."""
    print(" ".join(str(f) for f in fields), flush=True)


def error(kind, message):
    """Print an ``ERROR <kind> <message>`` line to stderr."""
    print("ERROR %s %s" % (kind, message), file=sys.stderr, flush=True)


def to_hex(data):
    return binascii.hexlify(data).decode("ascii")


def parse_hex(text):
    """Hex digits with optional separators (space, ':', '-', ',') and an optional 0x prefix."""
    cleaned = text.strip()
    if cleaned.lower().startswith("0x"):
        cleaned = cleaned[2:]
    for sep in (" ", ":", "-", ",", "\t"):
        cleaned = cleaned.replace(sep, "")
    if len(cleaned) % 2:
        raise ValueError("odd number of hex digits")
    return binascii.unhexlify(cleaned)


def add_payload_arguments(parser, required=True):
    group = parser.add_mutually_exclusive_group(required=required)
    group.add_argument("--text", help="payload as text, encoded as UTF-8")
    group.add_argument("--hex", help="payload as hex, e.g. 'de ad be ef' or 'deadbeef'")


def payload_from_args(parser, args):
    if args.text is not None:
        return args.text.encode("utf-8")
    if args.hex is not None:
        try:
            return parse_hex(args.hex)
        except (ValueError, binascii.Error) as exc:
            parser.error("--hex: %s" % exc)
    return b""


def parse_endpoint(text, default_host=None):
    """'addr:port', '[v6addr]:port' or ':port' -> (host, port)."""
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if not rest.startswith(":"):
            raise ValueError("expected [address]:port, got %r" % text)
        return host, int(rest[1:])
    if text.count(":") > 1:
        raise ValueError("write IPv6 endpoints as [address]:port, got %r" % text)
    host, sep, port = text.rpartition(":")
    if not sep:
        raise ValueError("expected address:port, got %r" % text)
    return (host or default_host), int(port)


def family_of(value):
    return {None: socket.AF_UNSPEC, "4": socket.AF_INET, "6": socket.AF_INET6}[value]


def resolve(host, port, family=socket.AF_UNSPEC, passive=False):
    """Resolve to (family, sockaddr) for a UDP socket."""
    if host == "<broadcast>":
        return socket.AF_INET, ("<broadcast>", port)
    # Numeric addresses only (plus 'localhost', from /etc/hosts): a peer never asks DNS.
    flags = socket.AI_PASSIVE if passive else 0
    if host != "localhost":
        flags |= socket.AI_NUMERICHOST
    try:
        infos = socket.getaddrinfo(host, port, family, socket.SOCK_DGRAM, socket.IPPROTO_UDP, flags)
    except socket.gaierror as exc:
        error("AddressNotNumeric", "%r: %s (give a numeric address or 'localhost')" % (host, exc))
        sys.exit(EXIT_NOT_ALLOWED)
    fam, _, _, _, sockaddr = infos[0]
    return fam, sockaddr


def plain_address(addr):
    """Normalise an address string from recvfrom (IPv4-mapped IPv6 -> IPv4, drop %scope)."""
    try:
        ip = ipaddress.ip_address(addr.split("%", 1)[0])
    except ValueError:
        return addr
    if ip.version == 6 and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)


def current_netns():
    """Name of the ``ip netns`` namespace this process runs in, or None (e.g. the root one)."""
    try:
        mine = os.stat("/proc/self/ns/net")
    except OSError:
        return None
    try:
        names = os.listdir(NETNS_DIR)
    except OSError:
        return None
    for name in names:
        try:
            st = os.stat(os.path.join(NETNS_DIR, name))
        except OSError:
            continue
        if (st.st_dev, st.st_ino) == (mine.st_dev, mine.st_ino):
            return name
    return None


def destination_problem(host):
    """None if sending to ``host`` is allowed, else the reason it is not."""
    if host == "<broadcast>":
        host = "255.255.255.255"
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return "%r is not an IP address" % host
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return None
    routed = any(ip.version == net.version and ip in net for net in ROUTED_TEST_NETS)
    if (ip.version == 4 and (ip in TEST_NET or ip == LIMITED_BROADCAST)) or routed:
        if current_netns() is not None:
            return None
        return ("%s is only allowed inside a test network namespace (ip netns exec ...); "
                "this process runs in an unnamed (root) namespace" % ip)
    return "%s is neither loopback nor in 198.51.100.0/24" % ip


def check_destination(host):
    """Exit with EXIT_NOT_ALLOWED (after an ERROR line) if ``host`` is not a permitted target."""
    problem = destination_problem(host)
    if problem is not None:
        error("DestinationNotAllowed", problem)
        sys.exit(EXIT_NOT_ALLOWED)


def positive_seconds(text):
    value = float(text)
    if not 0 < value <= 600:
        raise ValueError("must be > 0 and <= 600")
    return value


def wait_readable(sock, deadline):
    """True once ``sock`` has a datagram to take, False once ``deadline`` (time.monotonic()) has passed."""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        if select.select([sock], [], [], remaining)[0]:
            return True


def datagrams_until(sock, seconds, bufsize=65535):
    """Yields (data, source) for each datagram that arrives within the seconds, then stops."""
    deadline = time.monotonic() + seconds
    while wait_readable(sock, deadline):
        yield sock.recvfrom(bufsize)


def stop_on(*signals):
    """A peer ends cleanly (exit 0, its ``finally`` lines printed) on each of these signals."""
    def _terminate(signum, frame):
        raise SystemExit(0)
    for signum in signals:
        signal.signal(signum, _terminate)


def run(main, failure=1):
    """Exits with what main() returns; a socket error (OSError) that reaches it becomes an
    ``ERROR <kind> <message>`` line and the exit code ``failure``."""
    try:
        code = main()
    except OSError as exc:
        error(type(exc).__name__, exc)
        code = failure
    sys.exit(code)


# The peers that send to HOST PORT (udp_sender, udp_echo_client).

def add_destination_arguments(parser, what):
    """HOST PORT, the payload, --bind and --family of a peer that sends to ``what``."""
    parser.add_argument("host", help="%s address or name" % what)
    parser.add_argument("port", type=int, help="%s port" % what)
    add_payload_arguments(parser)
    parser.add_argument("--bind", metavar="ADDR:PORT", help="local endpoint to bind, e.g. 127.0.0.1:0 or [::1]:5000")
    parser.add_argument("--family", choices=["4", "6"], help="address family (default: from the host)")


def destination_of(args):
    """(family, sockaddr) of args.host and args.port; exits (after an ERROR line) if sending there is not allowed."""
    family, sockaddr = resolve(args.host, args.port, family_of(args.family))
    check_destination(sockaddr[0])
    return family, sockaddr


def sending_socket(family, bind):
    """A UDP socket of the family, bound to ``bind`` ('addr:port', '[v6addr]:port') if it is given."""
    sock = socket.socket(family, socket.SOCK_DGRAM)
    if bind:
        try:
            sock.bind(parse_endpoint(bind, "::" if family == socket.AF_INET6 else "0.0.0.0"))
        except BaseException:
            sock.close()
            raise
    return sock


# The peers that bind HOST:PORT and count what arrives (udp_receiver, udp_echo_server).

def add_listener_arguments(parser, counted):
    """--host, --port, --count (of the datagrams ``counted``), --timeout, --family, --bufsize and --quiet."""
    parser.add_argument("--host", default="127.0.0.1", help="local address to bind (default 127.0.0.1; 0.0.0.0, ::1, :: ...)")
    parser.add_argument("--port", type=int, default=0, help="local port (default 0 = any free port)")
    parser.add_argument("--count", type=int, help="stop after %s this many datagrams" % counted)
    parser.add_argument("--timeout", type=positive_seconds, default=10.0, help="stop after this many seconds (default 10, max 600)")
    parser.add_argument("--family", choices=["4", "6"], help="address family (default: from the host)")
    parser.add_argument("--bufsize", type=int, default=65535, help="receive buffer per datagram (default 65535)")
    parser.add_argument("--quiet", action="store_true", help="no line per datagram; a SUMMARY line before the last line")


def run_listener(args, last, take, prepare=None):
    """Binds args.host:args.port (after ``prepare(sock, family)``), prints ``LISTENING <port>``, then
    calls ``take(sock, family)`` whenever a datagram is there, until args.count of them were
    counted (take returns True for one that counts) or args.timeout has passed. Prints ``<last>
    <n>`` at the end, however it ends; with args.quiet ``SUMMARY <n> <first unix time> <last unix
    time>`` (when the first and the last counted datagram came) before it."""
    family, sockaddr = resolve(args.host, args.port, family_of(args.family), passive=True)
    counted = 0
    first = latest = 0.0
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            if prepare is not None:
                prepare(sock, family)
            sock.bind(sockaddr)
            emit("LISTENING", sock.getsockname()[1])
            deadline = time.monotonic() + args.timeout
            while (args.count is None or counted < args.count) and wait_readable(sock, deadline):
                if take(sock, family):
                    counted += 1
                    if args.quiet:
                        latest = time.time()
                        first = first or latest
    finally:
        if args.quiet:
            emit("SUMMARY", counted, repr(first), repr(latest))
        emit(last, counted)
    return 0
