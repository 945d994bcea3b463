#!/usr/bin/env python3
"""udp_relay_referee.py - numbers datagrams through a relay and measures what came out.

Sends --count datagrams to HOST:PORT (a relay), each with its sequence number and the sender's
clock (CLOCK_REALTIME, nanoseconds) in its first 16 bytes, paced at --rate per second, and
receives them on --receive-port (the relay's target) with the kernel's receive timestamp
(SO_TIMESTAMPNS). When the stream is over (no datagram for --idle seconds after the last send),
prints one JSON line:

    {"sent": ..., "received": ..., "unique": ..., "duplicates": ..., "reordered": ...,
     "lost": [...sequence numbers...], "lost_sha256": "...", "delay_ms": {"mean", "std", "min",
     "max"}, "rate": <datagrams per second between the first and last arrival>, "runs": <mean
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
import socket
import struct
import sys
import threading
import time

sys.dont_write_bytecode = True
import peerlib  # noqa: E402

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
SO_RCVBUFFORCE = 33
HEADER = struct.Struct("!QQ")


def pad_for(seq, size):
    return bytes((seq + i) & 0xFF for i in range(size - HEADER.size))


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

    arrivals = []  # (seq, kernel ns, send ns, intact)
    done = threading.Event()

    def receive():
        receiver.settimeout(0.05)
        last = None
        while True:
            try:
                data, ancillary, _flags, _addr = receiver.recvmsg(65535, 64)
            except socket.timeout:
                if done.is_set() and (last is None or time.monotonic() - last > args.idle):
                    return
                continue
            last = time.monotonic()
            kernel = None
            for level, kind, value in ancillary:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    sec, nsec = struct.unpack("qq", value[:16])
                    kernel = sec * 1_000_000_000 + nsec
            if len(data) < HEADER.size:
                arrivals.append((-1, kernel, 0, False))
                continue
            seq, sent = HEADER.unpack_from(data)
            intact = len(data) == size and seq < args.count and data[HEADER.size:] == pad_for(seq, size)
            arrivals.append((seq, kernel, sent, intact))

    thread = threading.Thread(target=receive)
    thread.start()
    start = time.monotonic()
    pads = {}
    for seq in range(args.count):
        due = start + seq / args.rate
        while True:
            left = due - time.monotonic()
            if left <= 0:
                break
            if left > 0.0002:
                time.sleep(left - 0.0001)
        pad = pads.get(seq & 0xFF)
        if pad is None:
            pad = pads[seq & 0xFF] = pad_for(seq, size)
        sender.send(HEADER.pack(seq, time.time_ns()) + pad)
    done.set()
    thread.join()

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
    lost = [seq for seq in range(args.count) if seq not in seen]
    runs = []
    for seq in lost:
        if runs and runs[-1][1] == seq - 1:
            runs[-1][1] = seq
        else:
            runs.append([seq, seq])
    mean = sum(delays) / len(delays) if delays else 0.0
    std = math.sqrt(sum((d - mean) ** 2 for d in delays) / len(delays)) if delays else 0.0
    rate = (len(times) - 1) / ((max(times) - min(times)) / 1e9) if len(times) > 1 and max(times) > min(times) else 0.0
    print(json.dumps({
        "sent": args.count,
        "received": len(arrivals),
        "unique": len(seen),
        "duplicates": duplicates,
        "reordered": reordered,
        "corrupted": corrupted,
        "lost": lost,
        "lost_sha256": hashlib.sha256(",".join(map(str, lost)).encode()).hexdigest(),
        "runs": (len(lost) / len(runs)) if runs else 0.0,
        "delay_ms": {"mean": mean, "std": std, "min": min(delays) if delays else 0.0, "max": max(delays) if delays else 0.0},
        "rate": rate,
    }), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
