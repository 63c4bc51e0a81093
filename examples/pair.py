"""Two PAIR sockets exchanging messages both ways within one program.

A PAIR socket talks to exactly one peer, and either end may send at any time.
Here two tasks, each with its own socket, play ping-pong: the pinger sends
"ping N" and waits for the answer, the ponger answers each with "pong N".

By default the sockets use the inproc transport, which passes messages in
memory between sockets of the same Context; use --endpoint for another
transport, e.g. tcp://127.0.0.1:* (any free port).

    python examples/pair.py [--endpoint inproc://pair] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib

import aiomsg


async def pinger(sock: aiomsg.Socket, rounds: int) -> None:
    for n in range(1, rounds + 1):
        await sock.send_string(f"ping {n}")
        print(f"pinger received: {await sock.recv_string()}")


async def ponger(sock: aiomsg.Socket, rounds: int) -> None:
    for _ in range(rounds):
        ping = await sock.recv_string()
        print(f"ponger received: {ping}")
        await sock.send_string(ping.replace("ping", "pong"))


async def main(endpoint: str, rounds: int) -> None:
    async with aiomsg.Context() as ctx:
        left = ctx.socket(aiomsg.PAIR)
        right = ctx.socket(aiomsg.PAIR)
        bound = await left.bind(endpoint)  # the actual endpoint, e.g. with the port chosen
        await right.connect(bound)
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(pinger(left, rounds))
            tasks.create_task(ponger(right, rounds))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--endpoint", default="inproc://pair", help="where to bind (default: inproc://pair)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="pings to send (default: 3)")
    return parser.parse_args()


if __name__ == "__main__":
    args = parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        aiomsg.run(main(args.endpoint, args.rounds))
