"""PUB/SUB and XPUB/XSUB between aiomsg and libzmq (pyzmq).

No sleeps: a subscriber is known to be in force once a message published on the
topic it subscribed to LAST has arrived (``wait_subscribed``), or once the XPUB has
read the subscription message.
"""

from __future__ import annotations

import asyncio

import pytest

from ._helpers import SYNC, TIMEOUT, recv_until, roles, subscribe, unsubscribe, wait_subscribed

pytestmark = pytest.mark.interop

END = [SYNC + b".end"]  # matches the SYNC subscription: marks the end of a batch


@roles("PUB", "SUB")
async def test_pub_sub_topic_filter(net, libs, binder):
    pub, sub = await net.pair(("PUB", "SUB"), libs, binder)
    async with asyncio.timeout(TIMEOUT):
        for topic in (b"news.", b"sport.", SYNC):
            sub.subscribe(topic)
        await wait_subscribed(pub, sub)
        published = [
            b"news.1",
            b"weather.1",
            b"sport.1",
            b"newsletter",
            b"news.2",
            b"other",
            b"sport.2",
            b"sport",
            b"",
            b"news.3",
        ]
        for msg in published:
            await pub.send_multipart([msg])
        await pub.send_multipart(END)
        got = await recv_until(sub, END, skip=[SYNC])
        assert got == [[m] for m in published if m.startswith((b"news.", b"sport."))]

        # Unsubscribing stops a topic; a fresh subscription fences the change.
        sub.unsubscribe(b"news.")
        sub.subscribe(b"fence")
        await wait_subscribed(pub, sub, b"fence")
        for msg in (b"news.4", b"sport.3"):
            await pub.send_multipart([msg])
        await pub.send_multipart(END)
        assert await recv_until(sub, END, skip=[b"fence"]) == [[b"sport.3"]]


@roles("PUB", "SUB")
async def test_pub_sub_multipart_topic_frame(net, libs, binder):
    """Publishers send [topic, body]; only the first frame is matched."""
    pub, sub = await net.pair(("PUB", "SUB"), libs, binder)
    async with asyncio.timeout(TIMEOUT):
        sub.subscribe(b"weather")
        sub.subscribe(SYNC)
        await wait_subscribed(pub, sub)
        published = [
            [b"sport", b"weather in the body does not count"],
            [b"weather", b"sunny"],
            [b"weather.eu", b"rain", b"", b"three more frames"],
            [b"", b"weather"],
            [b"weather", b""],
        ]
        for msg in published:
            await pub.send_multipart(msg)
        await pub.send_multipart(END)
        got = await recv_until(sub, END, skip=[SYNC])
        assert got == [m for m in published if m[0].startswith(b"weather")]


@pytest.mark.parametrize("kind", ["SUB", "XSUB"])
@roles("XPUB", "subscriber")
async def test_xpub_sees_subscriptions(net, libs, binder, kind):
    xpub, sub = await net.pair(("XPUB", kind), libs, binder)
    async with asyncio.timeout(TIMEOUT):
        # A pending recv keeps a libzmq subscriber "touched", so that a bound one attaches
        # the new connection (and sends its subscriptions) without further calls.
        received = asyncio.ensure_future(sub.recv_multipart())
        await subscribe(sub, kind, b"topic")
        assert await xpub.recv_multipart() == [b"\x01topic"]
        # The subscription is in force once the XPUB has seen it.
        await xpub.send_multipart([b"nope", b"x"])
        await xpub.send_multipart([b"topic.1", b"payload"])
        assert await received == [b"topic.1", b"payload"]

        await unsubscribe(sub, kind, b"topic")
        assert await xpub.recv_multipart() == [b"\x00topic"]


@roles("PUB", "XSUB")
async def test_xsub_subscription_message_subscribes_pub(net, libs, binder):
    """An XSUB subscribes by *sending* b"\\x01topic" (and unsubscribes with b"\\x00topic")."""
    pub, xsub = await net.pair(("PUB", "XSUB"), libs, binder)
    async with asyncio.timeout(TIMEOUT):
        await xsub.send_multipart([b"\x01topic"])
        await xsub.send_multipart([b"\x01" + SYNC])
        await wait_subscribed(pub, xsub)
        for msg in ([b"other"], [b"topic", b"1"], [b"topical"], [b"top"]):
            await pub.send_multipart(msg)
        await pub.send_multipart(END)
        assert await recv_until(xsub, END, skip=[SYNC]) == [[b"topic", b"1"], [b"topical"]]

        await xsub.send_multipart([b"\x00topic"])
        await xsub.send_multipart([b"\x01fence"])
        await wait_subscribed(pub, xsub, b"fence")
        await pub.send_multipart([b"topic", b"2"])
        await pub.send_multipart(END)
        assert await recv_until(xsub, END, skip=[b"fence"]) == []


@roles("PUB", "SUB")
async def test_duplicate_subscriptions(net, libs, binder):
    """libzmq SUB semantics: subscriptions are counted locally; the topic stays until the
    last unsubscribe (a libzmq SUB sends SUBSCRIBE twice but CANCEL once, so a PUB must keep
    a set per peer, not a count)."""
    pub, sub = await net.pair(("PUB", "SUB"), libs, binder)
    async with asyncio.timeout(TIMEOUT):
        sub.subscribe(b"dup")
        sub.subscribe(b"dup")
        sub.subscribe(SYNC)
        await wait_subscribed(pub, sub)
        for step in (1, 2):
            sub.unsubscribe(b"dup")
            fence = b"fence%d" % step
            sub.subscribe(fence)
            await wait_subscribed(pub, sub, fence)
            await pub.send_multipart([b"dup", b"%d" % step])
            await pub.send_multipart(END)
            still_subscribed = step == 1
            expected = [[b"dup", b"%d" % step]] if still_subscribed else []
            assert await recv_until(sub, END, skip=[fence]) == expected


@pytest.mark.parametrize("kind", ["SUB", "XSUB"])
@roles("XPUB", "subscriber")
async def test_xpub_unsubscribe_on_disconnect(net, libs, kind):
    """When a subscriber goes away, the XPUB reports its topics as unsubscribed.

    Only for an XPUB that binds: a libzmq XPUB that *connected* keeps the pipe (and its
    subscriptions) while it reconnects, so it reports nothing.
    """
    xpub, sub = await net.pair(("XPUB", kind), libs, binder=libs[0])
    async with asyncio.timeout(TIMEOUT):
        received = asyncio.ensure_future(sub.recv_multipart())  # keeps a libzmq peer touched
        await subscribe(sub, kind, b"gone")
        assert await xpub.recv_multipart() == [b"\x01gone"]
        received.cancel()
        sub.close(linger=0)
        assert await xpub.recv_multipart() == [b"\x00gone"]
