"""send_many() and recv_many(): the batch calls keep order, atomicity and bounds."""

from __future__ import annotations

import asyncio

import pytest
from helpers import unique_endpoint

import aiomsg


@pytest.mark.parametrize("transport", ["tcp", "inproc"])
async def test_batch_round_trip_keeps_order(ctx: aiomsg.Context, transport: str) -> None:
    pull = ctx.socket(aiomsg.PULL)
    ep = await pull.bind(unique_endpoint(transport))
    push = ctx.socket(aiomsg.PUSH)
    await push.connect(ep)
    sent = [[b"%d" % i, b"", b"x" * (i % 300)] for i in range(3000)]
    received: list[list[bytes]] = []
    async with asyncio.timeout(30):
        # More than both HWMs: the sender must wait for the receiver.
        sending = asyncio.create_task(push.send_many(sent))
        while len(received) < len(sent):
            batch = await pull.recv_many(max_messages=700)
            assert 1 <= len(batch) <= 700
            received += batch
        await sending
    assert received == sent


async def test_recv_many_waits_for_the_first_message(ctx: aiomsg.Context) -> None:
    pull = ctx.socket(aiomsg.PULL)
    ep = await pull.bind("inproc://batch-wait")
    push = ctx.socket(aiomsg.PUSH)
    await push.connect(ep)
    waiting = asyncio.create_task(pull.recv_many())
    done, _ = await asyncio.wait({waiting}, timeout=0.1)
    assert not done, "recv_many() returns only once a message is there"
    await push.send(b"one")
    async with asyncio.timeout(5):
        assert await waiting == [[b"one"]]
    with pytest.raises(aiomsg.Again):
        await pull.recv_many(flags=aiomsg.NOBLOCK)


async def test_send_many_waits_at_hwm_and_never_splits_a_message(ctx: aiomsg.Context) -> None:
    push = ctx.socket(aiomsg.PUSH, sndhwm=3, linger=0)
    ep = unique_endpoint("tcp")
    await push.connect(ep)  # no peer yet: three messages fit, then it waits
    batch = [[b"%d" % i, b"tail"] for i in range(10)]
    sending = asyncio.create_task(push.send_many(batch))
    done, _ = await asyncio.wait({sending}, timeout=0.2)
    assert not done
    sending.cancel()
    with pytest.raises(asyncio.CancelledError):
        await sending
    pull = ctx.socket(aiomsg.PULL)
    await pull.bind(ep)
    async with asyncio.timeout(5):
        got = [await pull.recv_multipart() for _ in range(3)]
    assert got == batch[:3]
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(pull.recv_multipart(), 0.3)
