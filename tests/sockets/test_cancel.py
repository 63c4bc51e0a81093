"""Cancellation safety: a cancelled recv loses nothing, a cancelled send sends nothing."""

from __future__ import annotations

import asyncio
import contextlib
import random

import pytest
from helpers import bind_endpoint, free_tcp_endpoint, recv_n, wait_handshakes, yield_loop

import aiomsg


async def _connected_pair(
    ctx: aiomsg.Context, **push_options: object
) -> tuple[aiomsg.Socket, aiomsg.Socket]:
    pull = ctx.socket(aiomsg.PULL)
    push = ctx.socket(aiomsg.PUSH, **push_options)
    mon = push.monitor()
    ep = await pull.bind("tcp://127.0.0.1:*")
    await push.connect(ep)
    await wait_handshakes(mon)
    return push, pull


async def test_cancelled_recv_loses_nothing(ctx: aiomsg.Context) -> None:
    push, pull = await _connected_pair(ctx)
    waiting = asyncio.create_task(pull.recv_multipart())
    done, _ = await asyncio.wait({waiting}, timeout=0.05)
    assert not done
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    async with asyncio.timeout(5):
        await push.send_multipart([b"after", b"cancel"])
        assert await pull.recv_multipart() == [b"after", b"cancel"]


async def test_recv_timeout_loses_nothing(ctx: aiomsg.Context) -> None:
    push, pull = await _connected_pair(ctx)
    for _ in range(3):
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(pull.recv(), 0.02)
    async with asyncio.timeout(5):
        await push.send(b"m1")
        assert await pull.recv() == b"m1"


@pytest.mark.parametrize("rcvtimeo", [-1, 5000])
async def test_wake_up_cancelled_before_it_runs_goes_to_the_next_receiver(
    ctx: aiomsg.Context, rcvtimeo: int
) -> None:
    """A receiver woken by an arrival and cancelled before it resumes passes
    the wake-up on: the other waiting receiver gets the message."""
    pull = ctx.socket(aiomsg.PULL, rcvtimeo=rcvtimeo)
    push = ctx.socket(aiomsg.PUSH)
    await pull.bind("inproc://hand-over")
    await push.connect("inproc://hand-over")
    first = asyncio.create_task(pull.recv())
    second = asyncio.create_task(pull.recv())
    waiters = pull._pool.recv_waiters
    async with asyncio.timeout(5):
        while len(waiters) < 2:
            await yield_loop()
        # inproc delivers within send(), which here completes without
        # suspending: the first receiver is woken but has not run yet.
        await push.send(b"only")
        assert len(waiters) == 1 and not first.done()
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        assert await second == b"only"
        assert not waiters


@pytest.mark.parametrize("seed", [1, 2])
async def test_recv_cancelled_at_random_points_gets_each_message_once(
    ctx: aiomsg.Context, seed: int
) -> None:
    rng = random.Random(seed)
    push, pull = await _connected_pair(ctx)
    total = 400

    async def produce() -> None:
        for i in range(total):
            await push.send_multipart([b"seq", b"%d" % i, b"x" * rng.randrange(0, 3000)])
            if i % 7 == 0:
                await yield_loop(rng.randrange(1, 4))

    producer = asyncio.create_task(produce())
    received: list[int] = []
    cancelled = 0
    async with asyncio.timeout(10):
        while len(received) < total:
            task = asyncio.create_task(pull.recv_multipart())
            await yield_loop(rng.randrange(0, 4))
            if not task.done():
                task.cancel()
            try:
                parts = await task
            except asyncio.CancelledError:
                cancelled += 1
                continue
            assert len(parts) == 3 and parts[0] == b"seq", parts[:2]
            received.append(int(parts[1]))
        await producer
    assert received == list(range(total))
    assert cancelled > 0  # the test did exercise cancellation


async def test_cancelled_blocked_send_sends_nothing(ctx: aiomsg.Context) -> None:
    ep = free_tcp_endpoint()
    push = ctx.socket(aiomsg.PUSH, sndhwm=1, reconnect_ivl=10)
    await push.connect(ep)  # nobody there yet
    async with asyncio.timeout(5):
        await push.send_multipart([b"first", b"whole"])
    blocked = asyncio.create_task(push.send_multipart([b"second", b"part 2"]))
    done, _ = await asyncio.wait({blocked}, timeout=0.1)
    assert not done, "the pipe is at its HWM: this send must wait"
    blocked.cancel()
    with pytest.raises(asyncio.CancelledError):
        await blocked

    pull = ctx.socket(aiomsg.PULL)
    await pull.bind(ep)
    async with asyncio.timeout(5):
        assert await pull.recv_multipart() == [b"first", b"whole"]
        await push.send_multipart([b"third"])
        # "second" never went out, not even in part.
        assert await pull.recv_multipart() == [b"third"]


async def test_cancelled_send_timeout_then_recovers(ctx: aiomsg.Context) -> None:
    ep = free_tcp_endpoint()
    push = ctx.socket(aiomsg.PUSH, sndhwm=1, reconnect_ivl=10)
    await push.connect(ep)
    async with asyncio.timeout(5):
        await push.send(b"1")
    for _ in range(3):
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(push.send_multipart([b"x", b"y"]), 0.02)
    pull = ctx.socket(aiomsg.PULL)
    await pull.bind(ep)
    async with asyncio.timeout(5):
        await push.send(b"2")
        assert await recv_n(pull, 2) == [[b"1"], [b"2"]]


@pytest.mark.parametrize("seed", [7, 11])
@pytest.mark.parametrize("transport", ["tcp", "inproc"])
async def test_sends_cancelled_at_random_points_are_all_or_nothing(
    ctx: aiomsg.Context, transport: str, seed: int
) -> None:
    """Under back-pressure, a send either queues its whole message and returns, or
    raises CancelledError and sends none of it: the sender can tell which."""
    rng = random.Random(seed)
    pull = ctx.socket(aiomsg.PULL, rcvhwm=2)
    push = ctx.socket(aiomsg.PUSH, sndhwm=2)
    mon = push.monitor()
    ep = await pull.bind(bind_endpoint(transport))
    await push.connect(ep)
    await wait_handshakes(mon)
    big = b"b" * 200_000  # a few of these fill the socket buffers
    received: list[int] = []

    def take(parts: list[bytes]) -> None:
        assert len(parts) == 3 and parts[2] == b"end" and len(parts[1]) == len(big)
        received.append(int(parts[0]))

    completed: list[int] = []
    cancelled = 0
    async with asyncio.timeout(10):
        for i in range(300):
            task = asyncio.create_task(push.send_multipart([b"%d" % i, big, b"end"]))
            await yield_loop(rng.randrange(1, 4))
            if rng.random() < 0.5:
                # A slow reader: room appears now and then, while sends wait.
                with contextlib.suppress(aiomsg.Again):
                    take(pull.recv_multipart_nowait())
            await yield_loop(rng.randrange(0, 3))
            if not task.done():
                task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                cancelled += 1
                continue
            completed.append(i)

        async def drain() -> None:
            while (parts := await pull.recv_multipart())[0] != b"done":
                take(parts)

        # Read while sending the end marker: the pipe may be full right now.
        draining = asyncio.create_task(drain())
        await push.send_multipart([b"done", big, b"end"])
        await draining
    assert received == completed
    assert cancelled > 0 and completed
