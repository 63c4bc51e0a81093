"""Streamer device: a relay in the middle of a push-pull pipeline.

Task producers (PUSH) connect to the PULL frontend and workers (PULL) connect
to the PUSH backend; aiomsg.proxy moves every task from one to the other, and
the backend deals them out to the workers in turn.

    python examples/device_streamer.py [--frontend tcp://*:5565] [--backend tcp://*:5566]
    python examples/tasksink.py
    python examples/taskwork.py --port 5566          # as many as you like
    python examples/taskvent.py --connect tcp://127.0.0.1:5565
"""

from __future__ import annotations

import argparse
import contextlib

import aiomsg


async def main(frontend_endpoint: str, backend_endpoint: str) -> None:
    async with aiomsg.Context() as ctx:
        frontend = ctx.socket(aiomsg.PULL)
        backend = ctx.socket(aiomsg.PUSH)
        frontend_endpoint = await frontend.bind(frontend_endpoint)
        backend_endpoint = await backend.bind(backend_endpoint)
        print(f"Producers connect to {frontend_endpoint}, workers to {backend_endpoint}")
        await aiomsg.proxy(frontend, backend)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--frontend", default="tcp://*:5565", help="where producers connect (default: tcp://*:5565)"
    )
    parser.add_argument(
        "--backend", default="tcp://*:5566", help="where workers connect (default: tcp://*:5566)"
    )
    return parser.parse_args()


if __name__ == "__main__":
    args = parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        aiomsg.run(main(args.frontend, args.backend))
