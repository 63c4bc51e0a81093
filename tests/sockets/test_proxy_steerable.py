"""The steerable proxy: the Proxy handle and libzmq's control protocol."""

from __future__ import annotations

import asyncio
import struct
import sys
from collections.abc import AsyncIterator

import pytest
from helpers import poll_until

import aiomsg

TIMEOUT = 5.0


class Streamer:
    """PUSH -> [PULL proxy PUSH] -> PULL over inproc, with a PAIR control."""

    def __init__(self, ctx: aiomsg.Context, name: str) -> None:
        self.ctx, self.name = ctx, name
        self.frontend, self.backend = ctx.socket(aiomsg.PULL), ctx.socket(aiomsg.PUSH)
        self.source, self.sink = ctx.socket(aiomsg.PUSH), ctx.socket(aiomsg.PULL)
        self.control, self.steer = ctx.socket(aiomsg.PAIR), ctx.socket(aiomsg.PAIR)

    async def start(self) -> aiomsg.Proxy:
        await self.source.connect(await self.frontend.bind(f"inproc://{self.name}-in"))
        await self.sink.connect(await self.backend.bind(f"inproc://{self.name}-out"))
        await self.steer.connect(await self.control.bind(f"inproc://{self.name}-ctl"))
        return aiomsg.Proxy(self.frontend, self.backend, control=self.control)


@pytest.fixture
async def streamer(ctx: aiomsg.Context) -> AsyncIterator[tuple[Streamer, aiomsg.Proxy]]:
    device = Streamer(ctx, "streamer")
    proxy = await device.start()
    task = asyncio.ensure_future(proxy.run())
    try:
        yield device, proxy
    finally:
        proxy.terminate()
        async with asyncio.timeout(TIMEOUT):
            await task


async def test_python_handle_pauses_resumes_and_counts(
    streamer: tuple[Streamer, aiomsg.Proxy],
) -> None:
    device, proxy = streamer
    async with asyncio.timeout(TIMEOUT):
        await device.source.send(b"one")
        assert await device.sink.recv() == b"one"
        proxy.pause()
        assert proxy.paused
        await device.source.send(b"two")
        # Paused: the message waits in the frontend's queue, untouched.
        await poll_until(lambda: device.frontend.stats().queued_in == 1)
        assert proxy.statistics().frontend_msgs_in == 1
        proxy.resume()
        assert await device.sink.recv() == b"two"
    stats = proxy.statistics()
    assert (stats.frontend_msgs_in, stats.frontend_bytes_in) == (2, 6)
    assert (stats.backend_msgs_out, stats.backend_bytes_out) == (2, 6)
    assert (stats.frontend_msgs_out, stats.backend_msgs_in) == (0, 0)


async def test_control_socket_speaks_libzmqs_commands(
    streamer: tuple[Streamer, aiomsg.Proxy],
) -> None:
    device, proxy = streamer
    async with asyncio.timeout(TIMEOUT):
        await device.source.send_multipart([b"a", b"bc"])  # 2 frames (libzmq's count), 3 bytes
        assert await device.sink.recv_multipart() == [b"a", b"bc"]
        await device.steer.send(b"PAUSE")
        await poll_until(lambda: proxy.paused)
        await device.steer.send(b"STATISTICS")
        frames = await device.steer.recv_multipart()
        assert len(frames) == 8 and all(len(frame) == 8 for frame in frames)
        values = [struct.unpack("=Q", frame)[0] for frame in frames]
        assert values == [2, 3, 0, 0, 0, 0, 2, 3]
        assert frames[1] == (3).to_bytes(8, sys.byteorder)
        await device.steer.send(b"RESUME")
        await device.source.send(b"after")
        assert await device.sink.recv() == b"after"
        await device.steer.send(b"BOGUS")  # ignored (libzmq would assert), still steerable
        await device.steer.send(b"TERMINATE")
        await poll_until(lambda: device.frontend.stats().queued_in == 0)


async def test_terminate_ends_run(ctx: aiomsg.Context) -> None:
    device = Streamer(ctx, "terminate")
    proxy = await device.start()
    task = asyncio.ensure_future(aiomsg.proxy(device.frontend, device.backend, None, device.control))
    async with asyncio.timeout(TIMEOUT):
        await device.steer.send(b"TERMINATE")
        await task  # returns normally
    assert proxy.statistics() == aiomsg.ProxyStatistics()


async def test_a_closed_socket_stops_the_proxy(ctx: aiomsg.Context) -> None:
    device = Streamer(ctx, "closed")
    proxy = await device.start()
    task = asyncio.ensure_future(proxy.run())
    device.frontend.close()  # before or after it starts: the same
    async with asyncio.timeout(TIMEOUT):
        with pytest.raises(aiomsg.Closed):
            await task


async def test_cancelling_run_stops_every_pump(ctx: aiomsg.Context) -> None:
    device = Streamer(ctx, "cancel")
    proxy = await device.start()
    task = asyncio.ensure_future(proxy.run())
    async with asyncio.timeout(TIMEOUT):
        await device.source.send(b"before")
        assert await device.sink.recv() == b"before"  # it runs
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await device.source.send(b"after")  # queued, never taken
    await poll_until(lambda: device.frontend.stats().queued_in == 1)
