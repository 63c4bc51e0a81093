"""A named REP server, to show one REQ client sharing its requests out.

Each reply is the server's name, so the client can tell who answered. Start
two servers, then the client:

    python examples/multi_rep_server.py --port 5000 --name A
    python examples/multi_rep_server.py --port 6000 --name B
    python examples/multi_rep_client.py --ports 5000 6000
"""

from __future__ import annotations

import argparse
import contextlib

import aiomsg


async def main(port: int, name: str) -> None:
    async with aiomsg.Context() as ctx:
        server = ctx.socket(aiomsg.REP)
        await server.bind(f"tcp://*:{port}")
        async for frames in server:  # each request is a list of frames; here just one
            print(f"Server {name} received: {frames[0].decode()}")
            await server.send_string(name)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, default=5000, help="TCP port to bind (default: 5000)")
    parser.add_argument("--name", default="A", help="the name to reply with (default: A)")
    return parser.parse_args()


if __name__ == "__main__":
    args = parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        aiomsg.run(main(args.port, args.name))
