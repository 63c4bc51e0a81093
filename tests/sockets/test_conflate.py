"""conflate: each peer's queues keep only the newest message, whole."""

from __future__ import annotations

import asyncio

import pytest
from helpers import poll_until, pubsub_sync, wait_handshakes

import aiomsg


async def test_pull_keeps_only_the_newest_message_whole(ctx: aiomsg.Context) -> None:
    pull = ctx.socket(aiomsg.PULL, conflate=True)
    endpoint = await pull.bind("tcp://127.0.0.1:*")
    push = ctx.socket(aiomsg.PUSH)
    await push.connect(endpoint)
    for n in range(50):
        await push.send_multipart([b"reading", b"%d" % n])
    await poll_until(lambda: pull.stats().in_msgs == 50)
    async with asyncio.timeout(5):
        # Unlike libzmq, which keeps one frame, the whole last message is kept.
        assert await pull.recv_multipart() == [b"reading", b"49"]
    with pytest.raises(aiomsg.Again):
        await pull.recv_multipart(aiomsg.NOBLOCK)


async def test_push_keeps_only_the_newest_unsent_message(ctx: aiomsg.Context) -> None:
    push = ctx.socket(aiomsg.PUSH, conflate=True)
    endpoint = "inproc://conflate-push"
    await push.connect(endpoint)  # nobody there yet: messages wait in the pipe
    for n in range(5):
        await push.send(b"%d" % n)
    pull = ctx.socket(aiomsg.PULL)
    await pull.bind(endpoint)
    async with asyncio.timeout(5):
        assert await pull.recv() == b"4"
    with pytest.raises(aiomsg.Again):
        await pull.recv(aiomsg.NOBLOCK)


async def test_sub_keeps_the_latest_value(ctx: aiomsg.Context) -> None:
    pub = ctx.socket(aiomsg.PUB)
    mon = pub.monitor()
    endpoint = await pub.bind("tcp://127.0.0.1:*")
    sub = ctx.socket(aiomsg.SUB, conflate=True)
    sub.subscribe(b"")
    await sub.connect(endpoint)
    await wait_handshakes(mon)
    await pubsub_sync(pub, sub, b"")
    before = sub.stats().in_msgs
    for n in range(20):
        await pub.send(b"price %d" % n)
    await poll_until(lambda: sub.stats().in_msgs == before + 20)
    async with asyncio.timeout(5):
        assert await sub.recv() == b"price 19"


async def test_conflate_is_ignored_where_libzmq_ignores_it(ctx: aiomsg.Context) -> None:
    """REQ/REP lockstep would break with lost messages: libzmq applies
    conflate only to DEALER, PULL, PUSH, PUB and SUB."""
    rep = ctx.socket(aiomsg.ROUTER, conflate=True)
    endpoint = await rep.bind("tcp://127.0.0.1:*")
    dealer = ctx.socket(aiomsg.DEALER)
    await dealer.connect(endpoint)
    for n in range(3):
        await dealer.send(b"%d" % n)
    async with asyncio.timeout(5):
        got = [(await rep.recv_multipart())[1] for _ in range(3)]
    assert got == [b"0", b"1", b"2"]
