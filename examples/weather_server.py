"""Weather update server: a PUB socket broadcasting random weather updates.

Each update is the text "zipcode temperature humidity", e.g. "10001 72 35".
Subscribers choose the updates they want by prefix (here: a zipcode), and the
publisher sends each update only to the subscribers whose prefix matches.

With purely random zipcodes a subscriber waits for about one update in 100000,
so every other update is for a "hot" zipcode (--hot, default 10001; 0 turns
this off) and a demo subscriber to it is served at once.

    python examples/weather_server.py [--port 5556] [--hot 10001] [--duration SECONDS]
    python examples/weather_client.py 10001 [--port 5556]

Over reliable multicast instead of TCP (one send on the wire for every
subscriber on the LAN; see docs/multicast.md), give both the same endpoint:

    python examples/weather_server.py --endpoint "epgm://eth0;239.192.1.1:5556"
    python examples/weather_client.py 10001 --endpoint "epgm://eth0;239.192.1.1:5556"

Over multicast the subscriptions stay with the subscribers: every update goes
to the group, and each subscriber keeps the ones it asked for.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import random

import aiomsg


async def main(port: int, hot: int, duration: float | None, endpoint: str | None) -> None:
    async with aiomsg.Context() as ctx:
        # Over multicast, rate (kbit/s) paces what goes on the wire; the
        # default, 100, is libzmq's.
        publisher = ctx.socket(aiomsg.PUB, rate=1000)
        endpoint = await publisher.bind(endpoint or f"tcp://*:{port}")
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
    parser.add_argument("--endpoint", help="bind here instead, e.g. epgm://eth0;239.192.1.1:5556")
    return parser.parse_args()


if __name__ == "__main__":
    args = parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        aiomsg.run(main(args.port, args.hot, args.duration, args.endpoint))
