"""When a tcp link writes: a lone message at once, a stream once per tick.

The writes are counted on a stand-in for the connection's transport (uvloop's
transports take no new attributes), which passes everything on.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiomsg

# The socket yields to the loop every 64 sends that did not wait.
TICK = 64


class _CountingTransport:
    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.writes = 0

    def writelines(self, data: Any) -> None:
        self.writes += 1
        self._inner.writelines(data)

    def write(self, data: Any) -> None:
        self.writes += 1
        self._inner.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _count_writes(sock: aiomsg.Socket) -> _CountingTransport:
    (pipe,) = [pipe for pipe in sock._pool.pipes if pipe.link is not None]
    link: Any = pipe.link
    counting = _CountingTransport(link._transport)
    link._transport = counting
    return counting


async def test_a_stream_to_a_silent_peer_is_one_write_per_tick(ctx: aiomsg.Context) -> None:
    """A PUB's subscriber never answers: after the first message, written at
    once, each tick's messages leave in one write (not a lone write and a
    coalesced one per tick)."""
    pub = ctx.socket(aiomsg.PUB, sndhwm=0)
    sub = ctx.socket(aiomsg.SUB, rcvhwm=0)
    sub.subscribe(b"")
    await sub.connect(await pub.bind("tcp://127.0.0.1:*"))
    ticks = 10
    async with asyncio.timeout(10):
        await pub.wait_subscribed(b"", 1)
        counting = _count_writes(pub)
        await pub.send(b"first")
        assert counting.writes == 1  # written at once, before any loop iteration
        for number in range(ticks * TICK):
            await pub.send(b"%d" % number)
        assert await sub.recv() == b"first"
        assert [await sub.recv() for _ in range(ticks * TICK)] == [
            b"%d" % n for n in range(ticks * TICK)
        ]
    # One write per tick (the last tick's flush may be split from the first).
    assert counting.writes <= ticks + 2


async def test_a_lone_message_after_the_peer_spoke_is_written_at_once(
    ctx: aiomsg.Context,
) -> None:
    """Request and reply: each lone send is written before the sender's next
    loop iteration, also after a stream of sends."""
    client = ctx.socket(aiomsg.DEALER)
    server = ctx.socket(aiomsg.DEALER)
    await client.connect(await server.bind("tcp://127.0.0.1:*"))
    async with asyncio.timeout(10):
        await client.wait_peers()
        await server.wait_peers()
        counting = _count_writes(client)
        for number in range(3 * TICK):  # a stream first
            await client.send(b"%d" % number)
        for number in range(3 * TICK):
            assert await server.recv() == b"%d" % number
        for round_trip in range(5):
            await server.send(b"reply %d" % round_trip)
            assert await client.recv() == b"reply %d" % round_trip
            before = counting.writes
            await client.send(b"request %d" % round_trip)
            assert counting.writes == before + 1  # at once, no loop iteration
            assert await server.recv() == b"request %d" % round_trip
