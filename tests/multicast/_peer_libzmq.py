"""A libzmq PGM peer for the multicast scenarios: run by the system python3 with
Debian's python3-zmq (libzmq built with OpenPGM), inside the test's network
namespace. Same command line and protocol as _peer_aiomsg.py (see _scenario.py).

OpenPGM prints warnings on the C library's stdout, unflushed, where they
could split our lines: the driver's lines go to a copy of the original
stdout, and file descriptor 1 is pointed at stderr before libzmq starts.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import sys
import time
from pathlib import Path

import zmq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _messages import SYNC, case, digest, peer_arguments, stream_message

# Our own channel to the driver; whatever else writes to fd 1 goes to stderr.
_DRIVER = os.fdopen(os.dup(1), "w", buffering=1)
os.dup2(2, 1)


def say(line: str) -> None:
    _DRIVER.write("@" + line + "\n")


def stdin_line(timeout: float) -> str | None:
    ready, _, _ = select.select([sys.stdin], [], [], timeout)
    return sys.stdin.readline().strip() if ready else None


def make(kind: int, args: argparse.Namespace) -> zmq.Socket:
    ctx = zmq.Context.instance()
    sock = ctx.socket(kind)
    for name, value in json.loads(args.options).items():
        sock.setsockopt(getattr(zmq, name.upper()), value)
    sock.linger = 2000
    if kind == zmq.SUB:
        sock.subscribe((args.topic or "").encode())
        sock.subscribe(SYNC)
    (sock.bind if args.bind else sock.connect)(args.endpoint)
    return sock


def publish(args: argparse.Namespace) -> None:
    sock = make(zmq.XPUB if args.xpub else zmq.PUB, args)
    say("READY")
    command = None
    while command is None:  # sync until told to go (bounded by the driver's timeout)
        sock.send_multipart([SYNC, args.name.encode()])
        command = stdin_line(0.02)
    sent = 0
    if args.stream:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            sock.send_multipart(stream_message(sent, args.stream))
            sent += 1
            if sent == 20:
                say("SENT 20")
            if stdin_line(0.005) is not None:
                break
    else:
        for message in case(args.case):
            sock.send_multipart(message)
            sent += 1
        # Serve repairs until the receivers are done.
        stdin_line(60)
    received = 0
    if args.xpub:  # an XPUB over PGM hears no subscription (docs/wire/pgm.md#pgm-subscriptions)
        while sock.poll(0):
            sock.recv_multipart()
            received += 1
    say("RESULT " + json.dumps({"sent": sent, "xpub_received": received}))
    sock.close()


def subscribe(args: argparse.Namespace) -> None:
    sock = make(zmq.XSUB if args.xsub else zmq.SUB, args)
    if args.xsub:
        sock.send(b"\x01" + (args.topic or "").encode())
    say("READY")
    synced: set[bytes] = set()
    digests: list[str] = []
    shapes: list[list[object]] = []  # first bytes, frames, size: to tell what went wrong
    indexes: list[int] = []
    intact = True
    deadline = time.monotonic() + args.timeout
    while len(digests) < args.count and time.monotonic() < deadline:
        if not sock.poll(100):
            continue
        message = sock.recv_multipart()
        if message[0] == SYNC:
            if message[1] not in synced:
                synced.add(message[1])
                say("SYNCED " + message[1].decode())
            continue
        if args.stream:
            index = int(message[0][1:])
            intact = intact and message == stream_message(index, args.stream)
            indexes.append(index)
        digests.append(digest(message))
        shapes.append([message[0][:8].hex(), len(message), sum(map(len, message))])
        if digests[-1] == args.last:
            break
    say("RESULT " + json.dumps({"digests": digests, "shapes": shapes, "indexes": indexes, "intact": intact}))
    sock.close()


def main() -> None:
    args = peer_arguments("zmq")
    if not zmq.has("pgm"):
        say("RESULT " + json.dumps({"error": "this libzmq has no pgm"}))
        return
    (publish if args.role == "pub" else subscribe)(args)
    zmq.Context.instance().term()


if __name__ == "__main__":
    main()
