"""The aiomsg PGM peer for the multicast scenarios: run by the project's python
inside the test's network namespace. Same command line and protocol as
_peer_libzmq.py; the driver is _scenario.py.
"""

from __future__ import annotations

import argparse
import asyncio
import faulthandler
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from _messages import SYNC, case, digest, peer_arguments, stream_message

import aiomsg


def say(line: str) -> None:
    print("@" + line, flush=True)


async def stdin_reader() -> asyncio.StreamReader:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader


async def line_within(reader: asyncio.StreamReader, timeout: float) -> bytes | None:
    try:
        return await asyncio.wait_for(reader.readline(), timeout)
    except TimeoutError:
        return None


def stats_of(sock: aiomsg.Socket) -> dict[str, int]:
    stats = sock.stats()
    return {
        "data_losses": stats.data_losses,
        "protocol_errors": stats.protocol_errors,
        "in_msgs": stats.in_msgs,
    }


async def make(ctx: aiomsg.Context, kind: aiomsg.SocketType, args: argparse.Namespace) -> aiomsg.Socket:
    sock = ctx.socket(kind, linger=2000, **json.loads(args.options))
    if kind is aiomsg.SUB:
        sock.subscribe((args.topic or "").encode())
        sock.subscribe(SYNC)
    await (sock.bind if args.bind else sock.connect)(args.endpoint)
    return sock


async def publish(ctx: aiomsg.Context, args: argparse.Namespace) -> None:
    stdin = await stdin_reader()
    sock = await make(ctx, aiomsg.XPUB if args.xpub else aiomsg.PUB, args)
    say("READY")
    command = None
    while command is None:
        await sock.send_multipart([SYNC, args.name.encode()])
        command = await line_within(stdin, 0.02)
    sent = 0
    if args.stream:
        stop = asyncio.ensure_future(stdin.readline())
        async with asyncio.timeout(60):
            while not stop.done():
                await sock.send_multipart(stream_message(sent, args.stream))
                sent += 1
                if sent == 20:
                    say("SENT 20")
                await asyncio.wait({stop}, timeout=0.005)
    else:
        for message in case(args.case):
            await sock.send_multipart(message)
            sent += 1
        await line_within(stdin, 60)  # serve repairs until the receivers are done
    # An XPUB over PGM hears no subscription (docs/wire/pgm.md#pgm-subscriptions).
    received = sock.stats().in_msgs if args.xpub else 0
    say("RESULT " + json.dumps({"sent": sent, "xpub_received": received, **stats_of(sock)}))


async def subscribe(ctx: aiomsg.Context, args: argparse.Namespace) -> None:
    sock = await make(ctx, aiomsg.XSUB if args.xsub else aiomsg.SUB, args)
    if args.xsub:
        await sock.send(b"\x01" + (args.topic or "").encode())
    say("READY")
    synced: set[bytes] = set()
    digests: list[str] = []
    shapes: list[list[object]] = []  # first bytes, frames, size: to tell what went wrong
    indexes: list[int] = []
    intact = True
    try:
        async with asyncio.timeout(args.timeout):
            while len(digests) < args.count:
                message = await sock.recv_multipart()
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
    except TimeoutError:
        pass
    say(
        "RESULT "
        + json.dumps(
            {"digests": digests, "shapes": shapes, "indexes": indexes, "intact": intact, **stats_of(sock)}
        )
    )


async def main(args: argparse.Namespace) -> None:
    async with aiomsg.Context() as ctx:
        await (publish if args.role == "pub" else subscribe)(ctx, args)
        ctx.destroy(linger=0)


if __name__ == "__main__":
    arguments = peer_arguments("aiomsg")
    # A peer that hangs says where, on stderr, which the driver reports.
    faulthandler.dump_traceback_later(arguments.timeout + 5, exit=True)
    if arguments.loop == "uvloop":
        import uvloop

        uvloop.run(main(arguments))
    else:
        asyncio.run(main(arguments))
