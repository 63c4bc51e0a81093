"""PUB/SUB and XPUB/XSUB: prefix filtering, fan-out, never blocking, bounded memory."""

from __future__ import annotations

import asyncio
import resource
import sys

import pytest
from helpers import pubsub_sync, recv_n, wait_event, wait_handshakes

import aiomsg


async def _collect_until(sub: aiomsg.Socket, end: bytes, timeout: float = 5.0) -> list[bytes]:
    out = []
    async with asyncio.timeout(timeout):
        while (got := await sub.recv()) != end:
            out.append(got)
    return out


async def test_prefix_filtering_with_several_subscriptions(ctx: aiomsg.Context) -> None:
    pub = ctx.socket(aiomsg.PUB)
    sub = ctx.socket(aiomsg.SUB)
    ep = await pub.bind("tcp://127.0.0.1:*")
    await sub.connect(ep)
    sub.subscribe(b"a")
    sub.subscribe("bc")  # str accepted
    await pubsub_sync(pub, sub, b"a-sync")
    for topic in [b"a1", b"b", b"bcd", b"c", b"xa", b"bc", b"", b"A", b"a"]:
        await pub.send(topic)
    await pub.send(b"a-end")
    assert await _collect_until(sub, b"a-end") == [b"a1", b"bcd", b"bc", b"a"]


async def test_unsubscribe_stops_delivery(ctx: aiomsg.Context) -> None:
    pub = ctx.socket(aiomsg.PUB)
    sub = ctx.socket(aiomsg.SUB)
    ep = await pub.bind("tcp://127.0.0.1:*")
    await sub.connect(ep)
    sub.subscribe(b"a")
    sub.subscribe(b"bc")
    await pubsub_sync(pub, sub, b"a-sync")
    sub.unsubscribe(b"a")
    # Subscribed after the cancel on the same connection: once it works, the
    # publisher has seen the cancel too.
    sub.subscribe(b"sync2")
    await pubsub_sync(pub, sub, b"sync2")
    for topic in [b"a2", b"bcx", b"a3", b"bcy"]:
        await pub.send(topic)
    await pub.send(b"sync2-end")
    assert await _collect_until(sub, b"sync2-end") == [b"bcx", b"bcy"]


async def test_unsubscribe_str(ctx: aiomsg.Context) -> None:
    pub = ctx.socket(aiomsg.PUB)
    sub = ctx.socket(aiomsg.SUB)
    ep = await pub.bind("tcp://127.0.0.1:*")
    await sub.connect(ep)
    sub.subscribe("topic")
    sub.subscribe("keep")
    await pubsub_sync(pub, sub, b"keep")
    sub.unsubscribe("topic")
    sub.subscribe("sync3")
    await pubsub_sync(pub, sub, b"sync3")
    await pub.send(b"topic.x")
    await pub.send(b"keep.x")
    await pub.send(b"sync3-end")
    assert await _collect_until(sub, b"sync3-end") == [b"keep.x"]


async def test_no_subscription_receives_nothing(ctx: aiomsg.Context) -> None:
    pub = ctx.socket(aiomsg.PUB)
    sub = ctx.socket(aiomsg.SUB)
    other = ctx.socket(aiomsg.SUB)
    ep = await pub.bind("tcp://127.0.0.1:*")
    await sub.connect(ep)
    await other.connect(ep)
    other.subscribe(b"")
    await pubsub_sync(pub, other, b"sync")
    await pub.send(b"hello")
    assert await other.recv() == b"hello"
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(sub.recv(), 0.3)


async def test_empty_subscription_gets_everything_including_multipart(
    ctx: aiomsg.Context,
) -> None:
    pub = ctx.socket(aiomsg.PUB)
    sub = ctx.socket(aiomsg.SUB)
    ep = await pub.bind("tcp://127.0.0.1:*")
    await sub.connect(ep)
    sub.subscribe(b"")
    await pubsub_sync(pub, sub, b"sync")
    await pub.send_multipart([b"topic", b"body", b""])
    await pub.send(b"")
    await pub.send(b"z")
    assert await recv_n(sub, 3) == [[b"topic", b"body", b""], [b""], [b"z"]]


async def test_fan_out_to_every_subscriber(ctx: aiomsg.Context) -> None:
    pub = ctx.socket(aiomsg.PUB)
    ep = await pub.bind("tcp://127.0.0.1:*")
    subs = [ctx.socket(aiomsg.SUB) for _ in range(3)]
    for i, sub in enumerate(subs):
        await sub.connect(ep)
        sub.subscribe(b"news")
        sub.subscribe(b"sync-%d" % i)
    for i, sub in enumerate(subs):
        await pubsub_sync(pub, sub, b"sync-%d" % i)
    for i in range(10):
        await pub.send(b"news %d" % i)
    await pub.send(b"news-end")
    expected = [b"news %d" % i for i in range(10)]
    for sub in subs:
        assert await _collect_until(sub, b"news-end") == expected


async def test_sub_binds_pub_connects(ctx: aiomsg.Context) -> None:
    sub = ctx.socket(aiomsg.SUB)
    pub = ctx.socket(aiomsg.PUB)
    sub.subscribe(b"t")
    ep = await sub.bind("tcp://127.0.0.1:*")
    await pub.connect(ep)
    await pubsub_sync(pub, sub, b"t-sync")
    await pub.send(b"t1")
    await pub.send(b"u1")
    await pub.send(b"t-end")
    assert await _collect_until(sub, b"t-end") == [b"t1"]


async def test_subscriptions_survive_publisher_restart(ctx: aiomsg.Context) -> None:
    """A reconnecting SUB sends its subscriptions again to the new publisher."""
    pub1 = ctx.socket(aiomsg.PUB, linger=0)
    ep = await pub1.bind("tcp://127.0.0.1:*")
    sub = ctx.socket(aiomsg.SUB, reconnect_ivl=10)
    mon = sub.monitor()
    await sub.connect(ep)
    sub.subscribe(b"keep")
    await pubsub_sync(pub1, sub, b"keep-sync")
    await pub1.aclose()
    await wait_event(mon, aiomsg.Event.DISCONNECTED)
    pub2 = ctx.socket(aiomsg.PUB)
    assert await pub2.bind(ep) == ep
    await pubsub_sync(pub2, sub, b"keep-sync2")
    await pub2.send(b"drop")
    await pub2.send(b"keep this")
    await pub2.send(b"keep-end")
    assert await _collect_until(sub, b"keep-end") == [b"keep this"]


async def test_pub_send_never_blocks_and_drops_for_slow_subscriber(ctx: aiomsg.Context) -> None:
    """A subscriber that never reads cannot make PUB block or grow without bound."""
    pub = ctx.socket(aiomsg.PUB, sndhwm=10)
    sub = ctx.socket(aiomsg.SUB, rcvhwm=10)
    ep = await pub.bind("tcp://127.0.0.1:*")
    await sub.connect(ep)
    sub.subscribe(b"")
    await pubsub_sync(pub, sub, b"sync")

    sent = 100_000
    blob = b"x" * 1024  # 100 MiB in all: far more than socket buffers hold
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    async with asyncio.timeout(30):
        for i in range(sent):
            await pub.send_multipart([b"%d" % i, blob])
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # ru_maxrss is in KiB on Linux, bytes on macOS.
    scale = 1 if sys.platform == "darwin" else 1024
    assert (rss_after - rss_before) * scale < 64 * 1024 * 1024

    # Now read what got through: a bounded number, in order, each one whole.
    received = []
    async with asyncio.timeout(30):
        while True:
            try:
                parts = await asyncio.wait_for(sub.recv_multipart(), 0.5)
            except TimeoutError:
                break
            assert len(parts) == 2 and parts[1] == blob
            received.append(int(parts[0]))
    assert 0 < len(received) < sent // 2, len(received)
    assert received == sorted(set(received))

    # And the subscriber is still served once it keeps up.
    await pubsub_sync(pub, sub, b"after")


async def test_pub_without_subscribers_returns_at_once(ctx: aiomsg.Context) -> None:
    pub = ctx.socket(aiomsg.PUB)
    await pub.bind("tcp://127.0.0.1:*")
    async with asyncio.timeout(5):
        for _ in range(5000):
            await pub.send(b"nobody listens")
        await pub.send(b"x", flags=aiomsg.NOBLOCK)
        pub.send_multipart_nowait([b"y"])


async def test_pub_with_unsubscribed_peer_does_not_block(ctx: aiomsg.Context) -> None:
    pub = ctx.socket(aiomsg.PUB, sndhwm=5)
    sub = ctx.socket(aiomsg.SUB)
    mon = pub.monitor()
    ep = await pub.bind("tcp://127.0.0.1:*")
    await sub.connect(ep)
    await wait_handshakes(mon)
    async with asyncio.timeout(5):
        for _ in range(5000):
            await pub.send(b"filtered out")


async def test_xpub_receives_subscriptions(ctx: aiomsg.Context) -> None:
    xpub = ctx.socket(aiomsg.XPUB)
    sub = ctx.socket(aiomsg.SUB)
    ep = await xpub.bind("tcp://127.0.0.1:*")
    await sub.connect(ep)
    sub.subscribe(b"weather")
    async with asyncio.timeout(5):
        assert await xpub.recv() == b"\x01weather"
        sub.unsubscribe(b"weather")
        assert await xpub.recv() == b"\x00weather"


async def test_xsub_subscribes_by_message(ctx: aiomsg.Context) -> None:
    pub = ctx.socket(aiomsg.PUB)
    xsub = ctx.socket(aiomsg.XSUB)
    ep = await pub.bind("tcp://127.0.0.1:*")
    await xsub.connect(ep)
    await xsub.send(b"\x01ab")
    await pubsub_sync(pub, xsub, b"ab-sync")
    await pub.send(b"zz")
    await pub.send(b"abc")
    await pub.send(b"ab-end")
    assert await _collect_until(xsub, b"ab-end") == [b"abc"]


async def test_sub_cannot_send(ctx: aiomsg.Context) -> None:
    sub = ctx.socket(aiomsg.SUB)
    async with asyncio.timeout(5):
        with pytest.raises(aiomsg.NotSupported):
            await sub.send(b"x")
        with pytest.raises(aiomsg.NotSupported):
            await sub.send_multipart([b"x", b"y"])


async def test_pub_cannot_recv(ctx: aiomsg.Context) -> None:
    pub = ctx.socket(aiomsg.PUB)
    async with asyncio.timeout(5):
        with pytest.raises(aiomsg.NotSupported):
            await pub.recv()
        with pytest.raises(aiomsg.NotSupported):
            await pub.recv_multipart()


async def test_subscribe_on_non_sub_fails(ctx: aiomsg.Context) -> None:
    push = ctx.socket(aiomsg.PUSH)
    with pytest.raises((aiomsg.NotSupported, AttributeError)):
        push.subscribe(b"x")
