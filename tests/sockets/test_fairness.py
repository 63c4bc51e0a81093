"""The fairness yield: a send or receive that never has to wait still lets
other tasks run, after a budget of calls or of bytes, whichever runs out first.

Each call costs 1, plus 1 per 16 KiB of its message (``aiomsg._socket``; a
whole-message call counts the last frame, where an envelope's body is): a
stream of small messages yields once per ``_YIELD_BUDGET`` calls, one of
large messages after about ``_YIELD_BUDGET`` times 16 KiB, long before the
call limit.
Over inproc with no high-water marks nothing ever waits, so every loop turn
another task sees is a fairness yield.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from itertools import pairwise

import pytest

import aiomsg
from aiomsg import _socket

BUDGET = _socket._YIELD_BUDGET


def calls_per_yield(size: int) -> int:
    """Calls in a row between two yields, for messages of *size* bytes."""
    cost = 1 + (size >> _socket._SIZE_SHIFT)
    return -(-BUDGET // cost)  # the call that reaches the budget yields


async def yields_among(calls: int, call: Callable[[], Awaitable[object]]) -> list[int]:
    """The indexes of the calls, of *calls* in a row, during which another
    task ran (a counting task that only ever yields)."""
    turns = 0

    async def count_turns() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    counter = asyncio.ensure_future(count_turns())
    await asyncio.sleep(0)  # the counter is running
    yielded = []
    try:
        for index in range(calls):
            seen = turns
            await call()
            if turns != seen:
                yielded.append(index)
    finally:
        counter.cancel()
    return yielded


def gaps(indexes: list[int]) -> set[int]:
    return {later - earlier for earlier, later in pairwise(indexes)}


async def pair(ctx: aiomsg.Context, name: str) -> tuple[aiomsg.Socket, aiomsg.Socket]:
    push = ctx.socket(aiomsg.PUSH, sndhwm=0)
    pull = ctx.socket(aiomsg.PULL, rcvhwm=0)
    await pull.bind(f"inproc://{name}")
    await push.connect(f"inproc://{name}")
    return push, pull


@pytest.mark.parametrize("api", ["send", "send_multipart"])
@pytest.mark.parametrize("size", [16, 64 * 1024], ids=["small", "large"])
async def test_send_yields_per_calls_or_bytes(ctx: aiomsg.Context, api: str, size: int) -> None:
    push, pull = await pair(ctx, f"fair-send-{api}-{size}")
    body = b"x" * size

    async def send() -> None:
        if api == "send":
            await push.send(body)
        else:
            await push.send_multipart([b"envelope", body])  # the body counts

    expected = calls_per_yield(size)
    calls = 3 * expected + 2
    async with asyncio.timeout(10):
        yielded = await yields_among(calls, send)
        # Small messages yield at the call limit, large ones long before it.
        assert gaps(yielded) == {expected}
        assert len(yielded) >= calls // expected - 1
        received = [(await pull.recv_multipart())[-1] for _ in range(calls)]
    assert received == [body] * calls


@pytest.mark.parametrize("api", ["recv", "recv_multipart"])
@pytest.mark.parametrize("size", [16, 64 * 1024], ids=["small", "large"])
async def test_recv_yields_per_calls_or_bytes(ctx: aiomsg.Context, api: str, size: int) -> None:
    push, pull = await pair(ctx, f"fair-recv-{api}-{size}")
    expected = calls_per_yield(size)
    calls = 3 * expected + 2
    async with asyncio.timeout(10):
        for number in range(calls):
            body = b"%08d" % number + b"x" * (size - 8)
            # recv_multipart counts the last frame, where the body is.
            await push.send_multipart([body] if api == "recv" else [b"envelope", body])
        received: list[bytes] = []

        async def recv() -> None:
            if api == "recv":
                received.append(await pull.recv())
            else:
                received.append((await pull.recv_multipart())[-1])

        yielded = await yields_among(calls, recv)
    assert gaps(yielded) == {expected}
    assert len(yielded) >= calls // expected - 1
    assert [frame[:8] for frame in received] == [b"%08d" % n for n in range(calls)]
    assert all(len(frame) == size for frame in received)


async def test_recv_counts_the_later_frames_of_a_message(ctx: aiomsg.Context) -> None:
    """recv() returns a multipart message frame by frame: each later frame's
    bytes count too, so a message with a small first frame and a large
    second one still yields by its bytes."""
    push, pull = await pair(ctx, "fair-frames")
    large = b"x" * (1 << 20)
    messages = 4 * calls_per_yield(len(large))
    async with asyncio.timeout(10):
        for number in range(messages):
            await push.send_multipart([b"%d" % number, large])
        yielded = await yields_among(2 * messages, pull.recv)
    # Every few messages (two calls each), long before the call limit. (The
    # message taken just after a yield is counted by its last frame, then
    # that frame again as recv() returns it: the next yield comes a little
    # earlier.)
    expected = 2 * calls_per_yield(len(large))
    assert yielded[0] == expected and len(yielded) >= 3
    assert all(2 <= gap <= expected for gap in gaps(yielded))
