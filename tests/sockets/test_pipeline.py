"""PUSH/PULL: round robin, fair queueing, order, high-water marks."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from helpers import recv_n, unique_endpoint, wait_handshakes

import aiomsg


async def test_round_trip_in_order(ctx: aiomsg.Context) -> None:
    pull = ctx.socket(aiomsg.PULL)
    push = ctx.socket(aiomsg.PUSH)
    ep = await pull.bind("tcp://127.0.0.1:*")
    await push.connect(ep)
    async with asyncio.timeout(5):
        for i in range(500):
            await push.send(b"%d" % i)
        got = [await pull.recv() for _ in range(500)]
    assert got == [b"%d" % i for i in range(500)]


@pytest.mark.parametrize("n_pulls", [2, 3])
async def test_push_round_robins_over_pulls(ctx: aiomsg.Context, n_pulls: int) -> None:
    push = ctx.socket(aiomsg.PUSH)
    mon = push.monitor()
    ep = await push.bind("tcp://127.0.0.1:*")
    pulls = [ctx.socket(aiomsg.PULL) for _ in range(n_pulls)]
    for pull in pulls:
        await pull.connect(ep)
    await wait_handshakes(mon, n_pulls)
    per_pull = 10
    async with asyncio.timeout(5):
        for i in range(per_pull * n_pulls):
            await push.send(b"%d" % i)
        # Each pull gets exactly its share: one short pull would time out here.
        shares = [await recv_n(pull, per_pull) for pull in pulls]
    everything = sorted(int(m[0]) for share in shares for m in share)
    assert everything == list(range(per_pull * n_pulls))
    for share in shares:
        numbers = [int(m[0]) for m in share]
        assert numbers == sorted(numbers)
        # Strict rotation: consecutive messages to one pull are n_pulls apart.
        assert all(b - a == n_pulls for a, b in itertools.pairwise(numbers)), numbers


async def test_pull_fair_queues_from_several_pushes(ctx: aiomsg.Context) -> None:
    pull = ctx.socket(aiomsg.PULL)
    mon = pull.monitor()
    ep = await pull.bind("tcp://127.0.0.1:*")
    pushes = {name: ctx.socket(aiomsg.PUSH) for name in (b"A", b"B")}
    for push in pushes.values():
        await push.connect(ep)
    await wait_handshakes(mon, 2)
    per_push = 200
    async with asyncio.timeout(5):
        # Both pipes are known to deliver before the bulk goes out.
        for name, push in pushes.items():
            await push.send_multipart([name, b"hello"])
        assert sorted([(await pull.recv_multipart())[0] for _ in range(2)]) == [b"A", b"B"]
        for i in range(per_push):
            for name, push in pushes.items():
                await push.send_multipart([name, b"%d" % i])
        got = await recv_n(pull, 2 * per_push)
    first = [name for name, _ in got[:20]]
    assert set(first) == {b"A", b"B"}, first
    for name in (b"A", b"B"):
        assert [int(n) for src, n in got if src == name] == list(range(per_push))


async def test_push_waits_when_all_pipes_full(ctx: aiomsg.Context) -> None:
    """With every pipe at its HWM a send waits, and resumes once the peer reads."""
    push = ctx.socket(aiomsg.PUSH, sndhwm=1)
    ep = unique_endpoint("tcp")
    await push.connect(ep)  # nobody there yet: the pipe fills
    async with asyncio.timeout(5):
        await push.send(b"one")
    blocked = asyncio.create_task(push.send(b"two"))
    done, _ = await asyncio.wait({blocked}, timeout=0.2)
    assert not done, "send must wait while the pipe is at its high-water mark"
    with pytest.raises(aiomsg.Again):
        await push.send(b"three", flags=aiomsg.NOBLOCK)
    pull = ctx.socket(aiomsg.PULL)
    await pull.bind(ep)
    async with asyncio.timeout(5):
        await blocked
        assert await recv_n(pull, 2) == [[b"one"], [b"two"]]


async def test_push_skips_full_pipe(ctx: aiomsg.Context) -> None:
    """LoadBalance skips a peer that is not reading instead of waiting for it."""
    push = ctx.socket(aiomsg.PUSH, sndhwm=2)
    mon = push.monitor()
    slow = ctx.socket(aiomsg.PULL, rcvhwm=2)
    fast = ctx.socket(aiomsg.PULL)
    ep = await push.bind("tcp://127.0.0.1:*")
    await slow.connect(ep)
    await fast.connect(ep)
    await wait_handshakes(mon, 2)
    total = 8000  # 32 MiB: far more than the slow peer's queue and socket buffers
    payload = b"p" * 4096

    async def consume() -> int:
        count = 0
        while True:
            parts = await fast.recv_multipart()
            if parts == [b"end"]:
                return count
            count += 1

    consumer = asyncio.create_task(consume())
    async with asyncio.timeout(20):
        for _ in range(total):
            await push.send(payload)
        # Sent after everything else: the slow peer is full by now, so it
        # can only go to the fast one (or wait, which would time out).
        await push.send(b"end")
        fast_count = await consumer
    assert fast_count > total // 2


async def test_push_cannot_recv_pull_cannot_send(ctx: aiomsg.Context) -> None:
    push = ctx.socket(aiomsg.PUSH)
    pull = ctx.socket(aiomsg.PULL)
    async with asyncio.timeout(5):
        with pytest.raises(aiomsg.NotSupported):
            await push.recv()
        with pytest.raises(aiomsg.NotSupported):
            await push.recv_multipart()
        with pytest.raises(aiomsg.NotSupported):
            await pull.send(b"x")
        with pytest.raises(aiomsg.NotSupported):
            await pull.send_multipart([b"x"])
