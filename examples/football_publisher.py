"""Football news publisher: a PUB socket sending "country event" messages.

Messages look like "Spain goal" or "France corner", for random countries. A
subscriber that subscribes to a country's name gets only that country's news:
see football_subscriber.py.

    python examples/football_publisher.py [--port 5563] [--interval 0.05] [--count N | --duration S]
    python examples/football_subscriber.py [--port 5563] [--countries Spain Italy]

With --connect the publisher connects to a forwarder device (device_forwarder.py)
instead of binding, and the subscribers connect to the device.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import random

import aiomsg

COUNTRIES = ["Spain", "Italy", "France", "Germany", "England", "Brazil", "Argentina", "Portugal"]
EVENTS = ["goal", "corner", "free kick", "penalty", "yellow card", "red card", "offside"]


async def main(
    port: int, connect: str | None, interval: float, count: int | None, duration: float | None
) -> None:
    async with aiomsg.Context() as ctx:
        publisher = ctx.socket(aiomsg.PUB)
        if connect:
            await publisher.connect(connect)
        else:
            await publisher.bind(f"tcp://*:{port}")
        print(f"Publishing football news every {interval} s")

        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(duration):
                for _ in range(count) if count is not None else itertools.count():
                    await publisher.send_string(
                        f"{random.choice(COUNTRIES)} {random.choice(EVENTS)}"
                    )
                    await asyncio.sleep(interval)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--port", type=int, default=5563, help="TCP port to bind (default: 5563)")
    where.add_argument("--connect", metavar="ENDPOINT", help="connect here instead of binding")
    parser.add_argument(
        "--interval", type=float, default=0.05, help="seconds between messages (default: 0.05)"
    )
    parser.add_argument("--count", type=int, help="stop after this many messages")
    parser.add_argument("--duration", type=float, help="stop after this many seconds")
    return parser.parse_args()


if __name__ == "__main__":
    args = parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        aiomsg.run(main(args.port, args.connect, args.interval, args.count, args.duration))
