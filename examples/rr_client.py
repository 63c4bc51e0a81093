"""Request-reply client: a REQ socket that talks to workers through a queue device.

The client connects to the frontend of device_queue.py and does not know (or
care) which worker answers each request.

    python examples/device_queue.py
    python examples/rr_worker.py [--port 5560]
    python examples/rr_client.py [--port 5559] [--requests 10]
"""

from __future__ import annotations

import argparse
import contextlib

import aiomsg


async def main(port: int, requests: int) -> None:
    async with aiomsg.Context() as ctx:
        client = ctx.socket(aiomsg.REQ)
        await client.connect(f"tcp://127.0.0.1:{port}")
        for n in range(1, requests + 1):
            await client.send_string("Hello")
            print(f"Received reply {n}: {await client.recv_string()}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--port", type=int, default=5559, help="queue's frontend port (default: 5559)"
    )
    parser.add_argument("--requests", type=int, default=10, help="requests to send (default: 10)")
    return parser.parse_args()


if __name__ == "__main__":
    args = parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        aiomsg.run(main(args.port, args.requests))
