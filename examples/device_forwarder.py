"""Forwarder device: a relay between publishers and subscribers.

Publishers connect to the XSUB frontend and subscribers to the XPUB backend.
aiomsg.proxy forwards messages from the frontend to the backend, and the
subscribers' subscriptions the other way, so the publishers still send each
subscriber only what it asked for.

    python examples/device_forwarder.py [--frontend tcp://*:5561] [--backend tcp://*:5562]
    python examples/football_publisher.py --connect tcp://127.0.0.1:5561
    python examples/football_subscriber.py --port 5562
"""

from __future__ import annotations

import argparse
import contextlib

import aiomsg


async def main(frontend_endpoint: str, backend_endpoint: str) -> None:
    async with aiomsg.Context() as ctx:
        frontend = ctx.socket(aiomsg.XSUB)
        backend = ctx.socket(aiomsg.XPUB)
        frontend_endpoint = await frontend.bind(frontend_endpoint)
        backend_endpoint = await backend.bind(backend_endpoint)
        print(f"Publishers connect to {frontend_endpoint}, subscribers to {backend_endpoint}")
        await aiomsg.proxy(frontend, backend)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--frontend",
        default="tcp://*:5561",
        help="where publishers connect (default: tcp://*:5561)",
    )
    parser.add_argument(
        "--backend",
        default="tcp://*:5562",
        help="where subscribers connect (default: tcp://*:5562)",
    )
    return parser.parse_args()


if __name__ == "__main__":
    args = parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        aiomsg.run(main(args.frontend, args.backend))
