"""Hello World server: a REP socket that answers "World" to every "Hello".

A REP socket receives a request, then must send exactly one reply before it can
receive the next request. Start the server, then the client, in two terminals:

    python examples/hello_server.py [--port 5555] [--count N]
    python examples/hello_client.py [--port 5555]

The server runs until interrupted (Ctrl-C), or stops after --count requests.
"""

from __future__ import annotations

import argparse
import contextlib

import aiomsg


async def main(port: int, count: int | None) -> None:
    async with aiomsg.Context() as ctx:
        server = ctx.socket(aiomsg.REP)
        await server.bind(f"tcp://*:{port}")
        answered = 0
        while count is None or answered < count:
            request = await server.recv_string()
            print(f"Received request: {request}")
            await server.send_string("World")
            answered += 1


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, default=5555, help="TCP port to bind (default: 5555)")
    parser.add_argument("--count", type=int, help="stop after this many requests (default: never)")
    return parser.parse_args()


if __name__ == "__main__":
    args = parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        aiomsg.run(main(args.port, args.count))
