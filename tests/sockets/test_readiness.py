"""wait_peers() and wait_subscribed(): readiness woken by the real events."""

from __future__ import annotations

import asyncio

import pytest

import aiomsg

TIMEOUT = 5.0


@pytest.mark.parametrize("transport", ["tcp", "inproc"])
async def test_wait_subscribed_replaces_the_slow_joiner_sleep(
    ctx: aiomsg.Context, transport: str
) -> None:
    pub = ctx.socket(aiomsg.PUB)
    endpoint = await pub.bind("tcp://127.0.0.1:*" if transport == "tcp" else "inproc://ready")
    subs = [ctx.socket(aiomsg.SUB) for _ in range(2)]
    for sub in subs:
        sub.subscribe(b"weather.")
        await sub.connect(endpoint)
    async with asyncio.timeout(TIMEOUT):
        await pub.wait_subscribed(b"weather.paris", count=2)
        await pub.send(b"weather.paris 21C")  # the very first message reaches both
        for sub in subs:
            assert await sub.recv() == b"weather.paris 21C"


async def test_wait_subscribed_counts_only_matching_subscribers(ctx: aiomsg.Context) -> None:
    pub = ctx.socket(aiomsg.XPUB)
    endpoint = await pub.bind("inproc://matching")
    other = ctx.socket(aiomsg.SUB)
    other.subscribe(b"sport")
    await other.connect(endpoint)
    await pub.wait_peers(1)
    waiting = asyncio.ensure_future(pub.wait_subscribed(b"news.today"))
    async with asyncio.timeout(TIMEOUT):
        assert await pub.recv() == b"\x01sport"  # arrived, and did not satisfy the wait
        assert not waiting.done()
        everything = ctx.socket(aiomsg.SUB)
        everything.subscribe(b"")  # the empty topic prefixes every topic
        await everything.connect(endpoint)
        await waiting


async def test_wait_peers(ctx: aiomsg.Context) -> None:
    pull = ctx.socket(aiomsg.PULL)
    endpoint = await pull.bind("tcp://127.0.0.1:*")
    await pull.wait_peers(0)  # already true: returns at once
    waiting = asyncio.ensure_future(pull.wait_peers(2))
    pushes = [ctx.socket(aiomsg.PUSH) for _ in range(2)]
    async with asyncio.timeout(TIMEOUT):
        await pushes[0].connect(endpoint)
        await pushes[0].wait_peers()
        assert not waiting.done() or pull.peer_count >= 2
        await pushes[1].connect(endpoint)
        await waiting
    assert pull.peer_count == 2


async def test_waits_are_cancel_safe_and_bounded_by_the_caller(ctx: aiomsg.Context) -> None:
    pub = ctx.socket(aiomsg.PUB)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.02):
            await pub.wait_subscribed(b"x")
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.02):
            await pub.wait_peers(1)
    assert pub._pool.state_waiters == []  # nothing left behind
    sub = ctx.socket(aiomsg.SUB)
    sub.subscribe(b"x")
    await sub.connect(await pub.bind("inproc://after-cancel"))
    async with asyncio.timeout(TIMEOUT):
        await pub.wait_subscribed(b"x")


async def test_close_ends_the_waits(ctx: aiomsg.Context) -> None:
    pub = ctx.socket(aiomsg.PUB)
    waits = [
        asyncio.ensure_future(pub.wait_peers(1)),
        asyncio.ensure_future(pub.wait_subscribed(b"")),
    ]
    pub.close()  # whether or not they started waiting yet
    for wait in waits:
        with pytest.raises(aiomsg.Closed):
            await wait
    with pytest.raises(aiomsg.Closed):
        await pub.wait_peers(1)


async def test_wait_subscribed_is_for_publishers(ctx: aiomsg.Context) -> None:
    for kind in (aiomsg.SUB, aiomsg.XSUB, aiomsg.PUSH, aiomsg.RADIO):
        with pytest.raises(aiomsg.NotSupported):
            await ctx.socket(kind).wait_subscribed(b"")
