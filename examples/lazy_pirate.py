"""Lazy Pirate: reliable request/reply from the client side.

The client does not trust the server: it waits for each reply for a while,
sends the request again if none comes, and gives up after a few tries. With
``req_relaxed`` the REQ socket may send again without a reply, and with
``req_correlate`` a late reply to an earlier try is dropped, so the socket
never has to be closed and reopened (docs/patterns/request-reply.md).

    python examples/lazy_pirate.py server [--port 5555] [--lose 3]
    python examples/lazy_pirate.py client [--port 5555] [--requests 5]

The server answers every request, but every --lose-th one too late, as an
overloaded server or a network that lost the reply would look to the client.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib

import aiomsg

TIMEOUT = 0.25  # seconds to wait for one reply
RETRIES = 3  # tries per request before giving up


async def request(req: aiomsg.Socket, body: bytes) -> bytes | None:
    """Send *body*, retrying on silence; the reply, or None if the server is gone."""
    for attempt in range(1, RETRIES + 1):
        await req.send(body)
        try:
            async with asyncio.timeout(TIMEOUT):
                return await req.recv()
        except TimeoutError:
            print(f"no reply to {body.decode()} (try {attempt}), retrying")
    return None


async def client(port: int, requests: int) -> None:
    async with aiomsg.Context() as ctx:
        req = ctx.socket(aiomsg.REQ, req_relaxed=True, req_correlate=True, linger=0)
        await req.connect(f"tcp://127.0.0.1:{port}")
        for n in range(1, requests + 1):
            reply = await request(req, b"request %d" % n)
            if reply is None:
                print("server seems to be offline, giving up")
                return
            print(f"reply: {reply.decode()}")


async def server(port: int, lose: int) -> None:
    async with aiomsg.Context() as ctx:
        rep = ctx.socket(aiomsg.REP)
        await rep.bind(f"tcp://127.0.0.1:{port}")
        count = 0
        while True:
            body = await rep.recv()
            count += 1
            if lose and count % lose == 0:
                print(f"answering {body.decode()} too late")
                # Meanwhile the client sends the request again; this reply
                # carries the old request id, and its REQ drops it.
                await asyncio.sleep(1.5 * TIMEOUT)
                await rep.send(b"too late " + body)
                continue
            await rep.send(b"ok " + body)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("role", choices=["client", "server"])
    parser.add_argument("--port", type=int, default=5555, help="server's TCP port (default: 5555)")
    parser.add_argument("--requests", type=int, default=5, help="client: requests to send")
    parser.add_argument("--lose", type=int, default=3, help="server: lose every n-th request")
    return parser.parse_args()


if __name__ == "__main__":
    args = parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        if args.role == "client":
            aiomsg.run(client(args.port, args.requests))
        else:
            aiomsg.run(server(args.port, args.lose))
