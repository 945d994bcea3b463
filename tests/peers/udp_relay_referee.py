#!/usr/bin/env python3
"""udp_relay_referee.py - numbers datagrams through a relay and measures what came out.

Sends --count datagrams to HOST:PORT (a relay), each with its sequence number, the sender's
clock (CLOCK_REALTIME, nanoseconds) and a CRC-32 of both in its first 20 bytes, paced at --rate per second, and
receives them on --receive-port (the relay's target) with the kernel's receive timestamp
(SO_TIMESTAMPNS). When the stream is over (no datagram for --idle seconds after the last send),
prints one JSON line:

    {"sent": ..., "received": ..., "unique": ..., "duplicates": ..., "reordered": ...,
     "lost": [...sequence numbers...], "lost_sha256": "...", "delay_ms": {"mean", "std", "min",
     "max", "p50", "p99", "worst_seq"}, "rate": <datagrams per second between the first and last arrival>, "runs": <mean
     length of a run of lost sequence numbers>, "corrupted": <datagrams whose payload differs>}

A duplicate is a sequence number seen again; a reordered datagram arrived after a higher one
(and is not a duplicate). The delay is the kernel's receive time minus the send time, both on
this host's realtime clock. A corrupted datagram is one whose padding or number does not check.

Exit codes: 0 done, 1 socket error, 64 destination not allowed (loopback only).
"""

import argparse
import hashlib
import json
import math
import os
import select
import socket
import struct
import sys
import time
import zlib

sys.dont_write_bytecode = True
import peerlib  # noqa: E402

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
SO_RCVBUFFORCE = 33
HEADER = struct.Struct("!QQI")  # sequence number, send time, CRC-32 of both


def pad_for(seq, size):
    return bytes((seq + i) & 0xFF for i in range(size - HEADER.size))


def arrivals_worst(arrivals):
    """The sequence number of the intact datagram that took longest (where a stall happened)."""
    worst = max((a for a in arrivals if a[3] and a[1] is not None), key=lambda a: a[1] - a[2], default=None)
    return worst[0] if worst else -1


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("--receive-port", type=int, required=True)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=10000.0)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--idle", type=float, default=1.0)
    args = parser.parse_args(argv)
    peerlib.check_destination(args.host)
    size = max(args.size, HEADER.size)

    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    receiver = socket.socket(family, socket.SOCK_DGRAM)
    try:
        receiver.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 64 * 1024 * 1024)
    except OSError:
        receiver.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024 * 1024)
    receiver.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    receiver.bind((args.host, args.receive_port))
    sender = socket.socket(family, socket.SOCK_DGRAM)
    sender.connect((args.host, args.port))

    # The receiver is a child process of its own: in one process, the receiving thread could take
    # the interpreter's lock between the sender's clock reading and its send, and that wait would
    # count as the relay's delay.
    done_read, done_write = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(done_write)
        sender.close()
        try:
            report(receive(receiver, done_read, args.idle, args.count, size), args.count)
        finally:
            os._exit(0)
    os.close(done_read)
    receiver.close()
    start = time.monotonic()
    pads = {}
    for seq in range(args.count):
        due = start + seq / args.rate
        # Sleep, never spin: on a machine of two cores a spinning sender would take a core from the relay.
        left = due - time.monotonic()
        if left > 0:
            time.sleep(left)
        pad = pads.get(seq & 0xFF)
        if pad is None:
            pad = pads[seq & 0xFF] = pad_for(seq, size)
        sent = time.time_ns()
        sender.send(HEADER.pack(seq, sent, zlib.crc32(struct.pack("!QQ", seq, sent))) + pad)
    os.close(done_write)
    _pid, status = os.waitpid(child, 0)
    return os.waitstatus_to_exitcode(status)


def receive(receiver, done_fd, idle, count, size):
    """Every arrival as (seq, kernel ns, send ns, intact), until the sender is done and the stream idle."""
    arrivals = []
    done = False
    last = None
    while True:
        ready, _w, _x = select.select([receiver] + ([] if done else [done_fd]), [], [], 0.05)
        if done_fd in ready:
            done = True
        if receiver not in ready:
            if done and (last is None or time.monotonic() - last > idle):
                return arrivals
            continue
        data, ancillary, _flags, _addr = receiver.recvmsg(65535, 64)
        last = time.monotonic()
        kernel = None
        for level, kind, value in ancillary:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                sec, nsec = struct.unpack("qq", value[:16])
                kernel = sec * 1_000_000_000 + nsec
        if len(data) < HEADER.size:
            arrivals.append((-1, kernel, 0, False))
            continue
        seq, sent, crc = HEADER.unpack_from(data)
        intact = (len(data) == size and seq < count and crc == zlib.crc32(struct.pack("!QQ", seq, sent))
                  and data[HEADER.size:] == pad_for(seq, size))
        arrivals.append((seq, kernel, sent, intact))


def report(arrivals, count):
    """Prints the JSON line of what arrived."""
    seen = set()
    duplicates = reordered = corrupted = 0
    highest = -1
    delays = []
    times = []
    for seq, kernel, sent, intact in arrivals:
        if not intact:
            corrupted += 1
            continue
        if seq in seen:
            duplicates += 1
            continue
        seen.add(seq)
        if seq < highest:
            reordered += 1
        highest = max(highest, seq)
        if kernel is not None:
            delays.append((kernel - sent) / 1e6)
            times.append(kernel)
    lost = [seq for seq in range(count) if seq not in seen]
    runs = []
    for seq in lost:
        if runs and runs[-1][1] == seq - 1:
            runs[-1][1] = seq
        else:
            runs.append([seq, seq])
    ordered = sorted(delays)

    def percentile(q):
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0

    mean = sum(delays) / len(delays) if delays else 0.0
    std = math.sqrt(sum((d - mean) ** 2 for d in delays) / len(delays)) if delays else 0.0
    rate = (len(times) - 1) / ((max(times) - min(times)) / 1e9) if len(times) > 1 and max(times) > min(times) else 0.0
    print(json.dumps({
        "sent": count,
        "received": len(arrivals),
        "unique": len(seen),
        "duplicates": duplicates,
        "reordered": reordered,
        "corrupted": corrupted,
        "lost": lost,
        "lost_sha256": hashlib.sha256(",".join(map(str, lost)).encode()).hexdigest(),
        "runs": (len(lost) / len(runs)) if runs else 0.0,
        "delay_ms": {"mean": mean, "std": std, "min": min(delays) if delays else 0.0, "max": max(delays) if delays else 0.0,
                     "p25": percentile(0.25), "p50": percentile(0.5), "p75": percentile(0.75), "p99": percentile(0.99), "worst_seq": arrivals_worst(arrivals)},
        "rate": rate,
    }), flush=True)


if __name__ == "__main__":
    sys.exit(main())
