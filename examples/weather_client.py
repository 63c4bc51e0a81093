"""Weather update client: a SUB socket that follows one zipcode.

The subscription is a prefix: the publisher sends this subscriber only the
updates that start with the zipcode. The client collects a few updates and
prints their average temperature.

    python examples/weather_server.py [--port 5556]
    python examples/weather_client.py [ZIPCODE] [--port 5556] [--updates 5]

``--endpoint`` connects elsewhere: to the web example's relay over
WebSocket (``--endpoint ws://127.0.0.1:8080/zmq/weather``) or to a
multicast feed (``--endpoint "epgm://eth0;239.192.1.1:5556"``).
"""

from __future__ import annotations

import argparse
import contextlib

import aiomsg


async def main(zipcode: str, endpoint: str, updates: int) -> None:
    async with aiomsg.Context() as ctx:
        subscriber = ctx.socket(aiomsg.SUB)
        await subscriber.connect(endpoint)
        subscriber.subscribe(zipcode)
        print(f"Collecting updates for zipcode '{zipcode}'...")

        total = 0
        for _ in range(updates):
            update = await subscriber.recv_string()
            print(update)
            _zipcode, temperature, _relhumidity = update.split()
            total += int(temperature)
        print(f"Average temperature for zipcode '{zipcode}' was {total / updates:.0f}F")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "zipcode", nargs="?", default="10001", help="zipcode to follow (default: 10001)"
    )
    parser.add_argument("--port", type=int, default=5556, help="server's TCP port (default: 5556)")
    parser.add_argument("--endpoint", help="connect here instead (tcp://, ws://, epgm://...)")
    parser.add_argument("--updates", type=int, default=5, help="updates to collect (default: 5)")
    return parser.parse_args()


if __name__ == "__main__":
    args = parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        endpoint = args.endpoint or f"tcp://127.0.0.1:{args.port}"
        aiomsg.run(main(args.zipcode, endpoint, args.updates))
