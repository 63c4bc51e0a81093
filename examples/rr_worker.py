"""Request-reply worker: a REP socket that connects to a queue device.

Unlike hello_server.py, the worker connects rather than binds: it serves the
clients of a device_queue.py broker, and any number of workers can share them.

    python examples/device_queue.py
    python examples/rr_worker.py [--port 5560]
    python examples/rr_client.py [--port 5559]
"""

from __future__ import annotations

import argparse
import contextlib

import aiomsg


async def main(port: int) -> None:
    async with aiomsg.Context() as ctx:
        worker = ctx.socket(aiomsg.REP)
        await worker.connect(f"tcp://127.0.0.1:{port}")
        while True:
            request = await worker.recv_string()
            print(f"Received request: {request}")
            await worker.send_string("World")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--port", type=int, default=5560, help="queue's backend port (default: 5560)"
    )
    return parser.parse_args()


if __name__ == "__main__":
    args = parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        aiomsg.run(main(args.port))
