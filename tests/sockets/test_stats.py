"""Socket.stats(): counters per socket and per peer, and the subscription limits."""

from __future__ import annotations

import asyncio
import logging

import pytest
from helpers import (
    free_tcp_endpoint,
    poll_until,
    pubsub_sync,
    raw_connect,
    wait_event,
    wait_handshakes,
)

import aiomsg


async def test_messages_and_bytes_in_and_out(ctx: aiomsg.Context) -> None:
    pull, push = ctx.socket(aiomsg.PULL), ctx.socket(aiomsg.PUSH)
    endpoint = await pull.bind("tcp://127.0.0.1:*")
    await push.connect(endpoint)
    async with asyncio.timeout(5):
        for _ in range(10):
            await push.send_multipart([b"h", b"x" * 100])
        for _ in range(10):
            await pull.recv_multipart()
    sent, received = push.stats(), pull.stats()
    assert (sent.out_msgs, received.in_msgs) == (10, 10)
    assert sent.out_bytes >= 10 * 101 and received.in_bytes >= 10 * 101
    (peer,) = received.peers
    assert peer.connected and peer.in_msgs == 10 and peer.endpoint == endpoint
    assert received.queued_in == 0 and sent.queued_out == 0


async def test_counts_survive_the_peer_leaving(ctx: aiomsg.Context) -> None:
    pull = ctx.socket(aiomsg.PULL)
    await pull.bind("inproc://leaving")
    push = ctx.socket(aiomsg.PUSH)
    await push.connect("inproc://leaving")
    async with asyncio.timeout(5):
        await push.send(b"one")
        await pull.recv()
    await push.aclose()
    await poll_until(lambda: not pull.stats().peers)
    assert pull.stats().in_msgs == 1


async def test_drops_are_counted(ctx: aiomsg.Context) -> None:
    pub = ctx.socket(aiomsg.PUB, sndhwm=1)
    sub = ctx.socket(aiomsg.SUB, rcvhwm=1)
    sub.subscribe(b"")
    await pub.bind("inproc://drops")
    await sub.connect("inproc://drops")
    for number in range(10):
        await pub.send(b"%d" % number)
    assert pub.stats().dropped == pub.dropped > 0
    router = ctx.socket(aiomsg.ROUTER)
    await router.send_multipart([b"nobody", b"hello"])
    assert router.stats().dropped == 1


async def test_reconnects_and_handshake_failures(ctx: aiomsg.Context) -> None:
    endpoint = free_tcp_endpoint()
    push = ctx.socket(aiomsg.PUSH, reconnect_ivl=20)
    monitor = push.monitor()
    await push.connect(endpoint)
    first = ctx.socket(aiomsg.PULL)
    await first.bind(endpoint)
    await wait_handshakes(monitor)
    await first.aclose(linger=0)
    await wait_event(monitor, aiomsg.Event.DISCONNECTED)
    second = ctx.socket(aiomsg.PULL)
    second_monitor = second.monitor()
    await second.bind(endpoint)
    await wait_handshakes(monitor)
    assert push.stats().reconnects == 1
    _, writer = await raw_connect(endpoint)
    writer.write(b"GET / HTTP/1.1\r\n\r\n")
    await wait_event(second_monitor, aiomsg.Event.HANDSHAKE_FAILED)
    writer.close()
    stats = second.stats()
    assert stats.handshake_failures == 1 and stats.accepted == 2


async def test_subscriptions_past_the_limit_are_refused(
    ctx: aiomsg.Context, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="aiomsg")
    pub = ctx.socket(aiomsg.PUB, max_subscriptions=2)
    sub = ctx.socket(aiomsg.SUB)
    endpoint = await pub.bind("tcp://127.0.0.1:*")
    await sub.connect(endpoint)
    for topic in (b"a", b"b", b"c"):
        sub.subscribe(topic)
    await pubsub_sync(pub, sub, b"b")
    await poll_until(lambda: pub.stats().refused_subscriptions == 1)
    async with asyncio.timeout(5):
        await pub.send(b"c: refused, never sent")
        await pub.send(b"a: delivered")
        assert await sub.recv() == b"a: delivered"
    assert any("subscription limit" in record.message for record in caplog.records)


async def test_out_bytes_counts_the_messages_bytes_on_every_send_path(
    ctx: aiomsg.Context,
) -> None:
    """On tcp, out_bytes is exactly the bytes of the messages' frames, counted
    as each is queued: a lone message written at once, a coalesced stream,
    one past the flush threshold, multipart, a batch; a fan-out counts each
    subscriber's copy. Framing and commands (the handshake, subscriptions)
    are not counted: a SUB that only subscribed wrote no message bytes."""
    pull, push = ctx.socket(aiomsg.PULL, rcvhwm=0), ctx.socket(aiomsg.PUSH, sndhwm=0)
    endpoint = await pull.bind("tcp://127.0.0.1:*")
    await push.connect(endpoint)
    messages = [[b"lone"]]
    messages += [[b"s" * (number % 300)] for number in range(1, 500)]
    messages += [[b"L" * 300_000], [b"head", b"", b"x" * 1000]]
    batch = [[b"b" * number, b"tail"] for number in range(1, 200)]
    async with asyncio.timeout(10):
        await push.wait_peers()
        for message in messages:
            await push.send_multipart(message)
        await push.send_many(batch)
        received = [await pull.recv_multipart() for _ in range(len(messages) + len(batch))]
    assert received == messages + batch
    payload = sum(len(frame) for message in messages + batch for frame in message)
    assert push.stats().out_bytes == payload
    assert pull.stats().in_bytes > payload  # what is read counts the framing too

    pub = ctx.socket(aiomsg.PUB, sndhwm=0)
    subs = [ctx.socket(aiomsg.SUB, rcvhwm=0) for _ in range(2)]
    endpoint = await pub.bind("tcp://127.0.0.1:*")
    for sub in subs:
        sub.subscribe(b"")
        await sub.connect(endpoint)
    published = [b"p" * (number % 500) for number in range(300)]
    async with asyncio.timeout(10):
        await pub.wait_subscribed(b"", 2)
        for body in published:
            await pub.send(body)
        for sub in subs:
            assert [await sub.recv() for _ in published] == published
    assert pub.stats().out_bytes == 2 * sum(map(len, published))
    assert [sub.stats().out_bytes for sub in subs] == [0, 0]
