"""Queue device: a shared request-reply broker between clients and workers.

Clients (REQ) connect to the ROUTER frontend and workers (REP) connect to the
DEALER backend; aiomsg.proxy moves requests from the frontend to the backend
and replies back, so clients and workers only need to know the device's
address, and workers can come and go.

    python examples/device_queue.py [--frontend tcp://*:5559] [--backend tcp://*:5560]
    python examples/rr_worker.py [--port 5560]       # as many as you like
    python examples/rr_client.py [--port 5559]       # as many as you like
"""

from __future__ import annotations

import argparse
import contextlib

import aiomsg


async def main(frontend_endpoint: str, backend_endpoint: str) -> None:
    async with aiomsg.Context() as ctx:
        frontend = ctx.socket(aiomsg.ROUTER)
        backend = ctx.socket(aiomsg.DEALER)
        frontend_endpoint = await frontend.bind(frontend_endpoint)
        backend_endpoint = await backend.bind(backend_endpoint)
        print(f"Clients connect to {frontend_endpoint}, workers to {backend_endpoint}")
        await aiomsg.proxy(frontend, backend)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--frontend", default="tcp://*:5559", help="where clients connect (default: tcp://*:5559)"
    )
    parser.add_argument(
        "--backend", default="tcp://*:5560", help="where workers connect (default: tcp://*:5560)"
    )
    return parser.parse_args()


if __name__ == "__main__":
    args = parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        aiomsg.run(main(args.frontend, args.backend))
