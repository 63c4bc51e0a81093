"""Hello World client: a REQ socket that sends "Hello" and waits for each reply.

A REQ socket strictly alternates: send one request, receive its reply, repeat.
Start the server first (or not: the client connects in the background and
retries until the server is there):

    python examples/hello_server.py [--port 5555]
    python examples/hello_client.py [--port 5555] [--requests 10]
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
            reply = await client.recv_string()
            print(f"Received reply {n}: {reply}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, default=5555, help="server's TCP port (default: 5555)")
    parser.add_argument("--requests", type=int, default=10, help="requests to send (default: 10)")
    return parser.parse_args()


if __name__ == "__main__":
    args = parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        aiomsg.run(main(args.port, args.requests))
