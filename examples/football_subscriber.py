"""Football news subscriber: one SUB socket subscribed to two countries.

A SUB socket can hold any number of subscriptions and receives the messages
that match any of them. Matching is by prefix, so each subscription ends with
a space: "Spain " matches "Spain goal" but would not match a "Spainland goal".

    python examples/football_publisher.py [--port 5563]
    python examples/football_subscriber.py [--port 5563] [--countries Spain Italy] [--messages 6]
"""

from __future__ import annotations

import argparse
import contextlib

import aiomsg


async def main(port: int, countries: list[str], messages: int) -> None:
    async with aiomsg.Context() as ctx:
        subscriber = ctx.socket(aiomsg.SUB)
        await subscriber.connect(f"tcp://127.0.0.1:{port}")
        for country in countries:
            subscriber.subscribe(f"{country} ")
        print(f"Subscribed to {', '.join(countries)}")

        for _ in range(messages):
            print(f"Received: {await subscriber.recv_string()}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--port", type=int, default=5563, help="publisher's TCP port (default: 5563)"
    )
    parser.add_argument(
        "--countries", nargs="+", default=["Spain", "Italy"], help="default: Spain Italy"
    )
    parser.add_argument("--messages", type=int, default=6, help="messages to print (default: 6)")
    return parser.parse_args()


if __name__ == "__main__":
    args = parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        aiomsg.run(main(args.port, args.countries, args.messages))
