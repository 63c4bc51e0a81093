"""Event-loop iterations per request/reply round trip: raw asyncio vs aiomsg.

    python bench/profiles/loop_iterations.py [N]

Both run in one process on the default asyncio loop, with BaseEventLoop's
_run_once counted. A raw asyncio echo answers inside data_received: one
iteration per hop. An awaited recv() is resumed by a callback the loop
runs on its next iteration: two per hop. That second iteration (an
epoll_wait and a _run_once) is the floor of REQ/REP latency over raw asyncio.
"""

from __future__ import annotations

import asyncio
import asyncio.base_events
import sys
from typing import Any

import aiomsg

_count = [0]
_run_once = asyncio.base_events.BaseEventLoop._run_once  # type: ignore[attr-defined]


def _counted(self: Any) -> None:
    _count[0] += 1
    _run_once(self)


asyncio.base_events.BaseEventLoop._run_once = _counted  # type: ignore[attr-defined]


async def raw(n: int) -> float:
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()

    class Echo(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport: Any = transport

        def data_received(self, data: bytes) -> None:
            self.transport.write(data)

    class Client(asyncio.Protocol):
        left = n

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport: Any = transport

        def data_received(self, data: bytes) -> None:
            self.left -= 1
            if self.left:
                self.transport.write(data)
            elif not done.done():
                done.set_result(None)

    server = await loop.create_server(Echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    transport, _client = await loop.create_connection(Client, "127.0.0.1", port)
    start = _count[0]
    transport.write(b"x" * 16)
    await done
    used = _count[0] - start
    transport.close()
    server.close()
    return used / n


async def reqrep(n: int) -> float:
    async with aiomsg.Context() as ctx:
        rep, req = ctx.socket(aiomsg.REP), ctx.socket(aiomsg.REQ)
        endpoint = await rep.bind("tcp://127.0.0.1:*")
        await req.connect(endpoint)
        await req.wait_peers()

        async def serve() -> None:
            for _ in range(n):
                await rep.send(await rep.recv())

        server = asyncio.ensure_future(serve())
        start = _count[0]
        for _ in range(n):
            await req.send(b"x" * 16)
            await req.recv()
        used = _count[0] - start
        await server
        return used / n


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    print(f"raw asyncio echo: {asyncio.run(raw(count)):.1f} loop iterations per round trip")
    print(f"aiomsg REQ/REP:   {asyncio.run(reqrep(count)):.1f} loop iterations per round trip")
