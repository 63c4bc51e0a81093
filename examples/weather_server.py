"""Weather update server: a PUB socket broadcasting random weather updates.

Each update is the text "zipcode temperature humidity", e.g. "10001 72 35".
Subscribers choose the updates they want by prefix (here: a zipcode), and the
publisher sends each update only to the subscribers whose prefix matches.

With purely random zipcodes a subscriber waits for about one update in 100000,
so every other update is for a "hot" zipcode (--hot, default 10001; 0 turns
this off) and a demo subscriber to it is served at once.

    python examples/weather_server.py [--port 5556] [--hot 10001] [--duration SECONDS]
    python examples/weather_client.py 10001 [--port 5556]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import random

import aiomsg


async def main(port: int, hot: int, duration: float | None) -> None:
    async with aiomsg.Context() as ctx:
        publisher = ctx.socket(aiomsg.PUB)
        endpoint = await publisher.bind(f"tcp://*:{port}")
        print(f"Publishing weather updates on {endpoint}")
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(duration):
                for n in itertools.count():
                    zipcode = hot if hot and n % 2 == 0 else random.randrange(1, 100000)
                    temperature = random.randrange(-80, 135)
                    relhumidity = random.randrange(10, 60)
                    await publisher.send_string(f"{zipcode:05d} {temperature} {relhumidity}")
                    # Publishing flat out: give the connections a turn on every update.
                    await asyncio.sleep(0)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, default=5556, help="TCP port to bind (default: 5556)")
    parser.add_argument(
        "--hot", type=int, default=10001, help="zipcode of every other update (default: 10001)"
    )
    parser.add_argument("--duration", type=float, help="stop after this many seconds")
    return parser.parse_args()


if __name__ == "__main__":
    args = parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        aiomsg.run(main(args.port, args.hot, args.duration))
