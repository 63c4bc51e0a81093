"""A PUB encodes each message once for the links that write plain ZMTP frames.

``Distribute.send`` hands the links with ``send_encoded`` (tcp and ipc with
NULL or PLAIN) the byte strings one ``encode_once`` produced, and the others
(CURVE, ws, inproc) the message through ``try_send``. The tests below put
links of each kind behind one PUB and check that every subscriber gets
exactly what it subscribed to, in order, and that the high-water mark still
drops for a subscriber that does not read while the others get everything.
"""

from __future__ import annotations

import asyncio

import pytest
from helpers import unique_endpoint

import aiomsg
from aiomsg.transports.interface import encode_once

COUNT = 300


def _encoded_links(pub: aiomsg.Socket) -> dict[str, bool]:
    """For each of *pub*'s linked pipes (by its endpoint): whether its link
    takes the shared encoding (what decides which path Distribute takes)."""
    return {
        pipe.endpoint: pipe.send_encoded is not None
        for pipe in pub._pool.pipes
        if pipe.link is not None
    }


def _messages(count: int) -> list[list[bytes]]:
    """Single-frame and multipart, short and long frames, three topics."""
    messages = []
    for number in range(count):
        topic = (b"a", b"b", b"ab")[number % 3]
        if number % 4 == 0:
            messages.append([topic + b"%d" % number, b"x" * (number % 300), b"end"])
        else:
            messages.append([topic + b"%d" % number + b"y" * (number % 400)])
    return messages


async def _send_all(pub: aiomsg.Socket, messages: list[list[bytes]]) -> None:
    for message in messages:
        if len(message) == 1:
            await pub.send(message[0])
        else:
            await pub.send_multipart(message)


def test_encode_once_is_the_codecs_framing() -> None:
    """What encode_once produces is what the codec writes for a NULL peer."""
    from aiomsg._zmtp.codec import ZmtpCodec
    from aiomsg.constants import SocketType

    for message in [*_messages(12), [b"z" * 70000], [b""], [b"", b""]]:
        codec = ZmtpCodec(SocketType.PUB, greeting=False)
        size = codec.send_message(message)
        wire, encoded_size = encode_once(message)
        assert b"".join(wire) == b"".join(codec.take_output())
        assert encoded_size == size == sum(map(len, message))


@pytest.mark.skipif(not aiomsg.has_curve(), reason="needs libsodium")
async def test_one_pub_null_plain_and_curve_subscribers(ctx: aiomsg.Context) -> None:
    """A PUB connected to a NULL, a PLAIN and a CURVE SUB: the first two
    take the shared encoding, the CURVE one encrypts its own copy."""
    server_public, server_secret = aiomsg.curve_keypair()
    client_public, client_secret = aiomsg.curve_keypair()
    auth = aiomsg.Authenticator(ctx)
    auth.start()
    auth.configure_plain(domain="*", passwords={"user": "secret"})
    auth.configure_curve(domain="*", location=aiomsg.CURVE_ALLOW_ANY)
    null_sub = ctx.socket(aiomsg.SUB, rcvhwm=0)
    plain_sub = ctx.socket(aiomsg.SUB, rcvhwm=0, plain_server=True)
    curve_sub = ctx.socket(
        aiomsg.SUB, rcvhwm=0, curve_server=True, curve_secretkey=server_secret
    )
    pub = ctx.socket(aiomsg.PUB, sndhwm=0)
    topics = {null_sub: b"a", plain_sub: b"", curve_sub: b"ab"}
    async with asyncio.timeout(20):
        endpoints = {}
        for sub, topic in topics.items():
            sub.subscribe(topic)
            endpoints[sub] = await sub.bind("tcp://127.0.0.1:*")
        # The mechanism of a connection comes from the options when it is
        # made: one connection of each kind.
        await pub.connect(endpoints[null_sub])
        await pub.wait_subscribed(b"a", 1)
        pub.plain_username, pub.plain_password = b"user", b"secret"
        await pub.connect(endpoints[plain_sub])
        await pub.wait_subscribed(b"", 1)
        pub.curve_serverkey = server_public
        pub.curve_publickey, pub.curve_secretkey = client_public, client_secret
        await pub.connect(endpoints[curve_sub])
        await pub.wait_subscribed(b"ab", 3)  # "a", "" and "ab" prefix it
        assert _encoded_links(pub) == {
            endpoints[null_sub]: True,
            endpoints[plain_sub]: True,
            endpoints[curve_sub]: False,
        }
        messages = _messages(COUNT)
        await _send_all(pub, messages)
        for sub, topic in topics.items():
            expected = [m for m in messages if m[0].startswith(topic)]
            got = [await sub.recv_multipart() for _ in expected]
            assert got == expected
            assert not await sub.poll(50)
    await auth.aclose()


async def test_one_pub_tcp_ipc_inproc_and_ws_subscribers(ctx: aiomsg.Context) -> None:
    """tcp and ipc take the shared encoding; ws (its own framing) and inproc
    (the list by reference) take try_send. A subscriber's list is its own."""
    pub = ctx.socket(aiomsg.PUB, sndhwm=0)
    kinds = ["tcp", "inproc", "ws", "ipc"]
    endpoints = [await pub.bind(unique_endpoint(kind)) for kind in kinds]
    topics = {"tcp": b"a", "inproc": b"", "ws": b"b", "ipc": b"ab"}
    subs = {}
    async with asyncio.timeout(20):
        for kind, endpoint in zip(kinds, endpoints, strict=True):
            sub = ctx.socket(aiomsg.SUB, rcvhwm=0)
            sub.subscribe(topics[kind])
            await sub.connect(endpoint)
            subs[kind] = sub
        await pub.wait_subscribed(b"ab", 3)  # tcp, inproc, ipc
        await pub.wait_subscribed(b"b", 2)  # ws, inproc
        linked = _encoded_links(pub)
        # Accepted pipes are named by the bound endpoint.
        assert {kind: linked[endpoint] for kind, endpoint in zip(kinds, endpoints, strict=True)} == {
            "tcp": True, "inproc": False, "ws": False, "ipc": True
        }
        messages = _messages(COUNT)
        await _send_all(pub, messages)
        received = {}
        for kind, sub in subs.items():
            expected = [m for m in messages if m[0].startswith(topics[kind])]
            received[kind] = [await sub.recv_multipart() for _ in expected]
            assert received[kind] == expected, kind
            assert not await sub.poll(50)
    received["inproc"][0].append(b"changed")  # its own list: nobody else sees this
    assert received["tcp"][0] == messages[0] == [b"a0", b"", b"end"]


async def test_slow_subscriber_misses_messages_the_others_get(ctx: aiomsg.Context) -> None:
    """A subscriber that does not read fills its connection: its pipe queues
    up to sndhwm and the PUB drops (and counts) the rest for it alone, while
    the shared encoding keeps going to the subscribers that read."""
    size, count = 64 * 1024, 200
    pub = ctx.socket(aiomsg.PUB, sndhwm=2, sndbuf=size)
    endpoint = await pub.bind("tcp://127.0.0.1:*")
    fast = [ctx.socket(aiomsg.SUB, rcvhwm=0) for _ in range(2)]
    slow = ctx.socket(aiomsg.SUB, rcvhwm=1, rcvbuf=size)
    for sub in (*fast, slow):
        sub.subscribe(b"")
        await sub.connect(endpoint)
    async with asyncio.timeout(30):
        await pub.wait_subscribed(b"", 3)
        assert set(_encoded_links(pub).values()) == {True}
        for number in range(count):
            await pub.send(b"%08d" % number + b"x" * (size - 8))
            for sub in fast:  # paced by the readers: nothing drops for them
                assert (await sub.recv())[:8] == b"%08d" % number
        assert pub.stats().dropped > 0
        got: list[int] = []
        # What reached it, its pipe's queue included (bounded: a poll that
        # times out means nothing more is on the way).
        while await slow.poll(2000):
            got.append(int((await slow.recv(aiomsg.NOBLOCK))[:8]))
    assert got[0] == 0
    assert got == sorted(set(got))
    stats = pub.stats()
    assert len(got) < count
    assert stats.out_msgs + stats.dropped == 3 * count
    assert stats.dropped == count - len(got)


@pytest.mark.parametrize("size", [16, 16 * 1024])
async def test_burst_to_encoded_links_arrives_whole(ctx: aiomsg.Context, size: int) -> None:
    """A burst through send_encoded takes each branch of its coalescing: the
    lone first message written at once, the rest of a tick gathered in a
    run (Distribute) and written at its end, and (16 KiB: 16 of them fill a
    run) runs written before the tick ends, which the link coalesces until
    it passes 256 KiB; a paused transport queues in the pipe (sndhwm=0:
    nothing dropped)."""
    pub = ctx.socket(aiomsg.PUB, sndhwm=0)
    endpoint = await pub.bind("tcp://127.0.0.1:*")
    subs = [ctx.socket(aiomsg.SUB, rcvhwm=0) for _ in range(2)]
    for sub in subs:
        sub.subscribe(b"")
        await sub.connect(endpoint)
    count = 1000
    async with asyncio.timeout(30):
        await pub.wait_subscribed(b"", 2)
        for number in range(count):
            await pub.send(b"%08d" % number + b"x" * (size - 8))
        for sub in subs:
            for number in range(count):
                assert await sub.recv() == b"%08d" % number + b"x" * (size - 8)
    stats = pub.stats()
    assert (stats.out_msgs, stats.dropped) == (2 * count, 0)


async def test_subscriber_to_everything_then_to_one_topic(ctx: aiomsg.Context) -> None:
    """A SUB subscribed to the empty topic keeps a whole read as it is; once
    that subscription goes, the same reads are matched message by message
    (here locally: the PUB may not have heard of the cancel yet)."""
    pub = ctx.socket(aiomsg.PUB, sndhwm=0)
    sub = ctx.socket(aiomsg.SUB, rcvhwm=0)
    sub.subscribe(b"")
    sub.subscribe(b"a")
    await sub.connect(await pub.bind("tcp://127.0.0.1:*"))
    messages = _messages(COUNT)
    async with asyncio.timeout(20):
        await pub.wait_subscribed(b"b", 1)
        await _send_all(pub, messages)
        assert [await sub.recv_multipart() for _ in messages] == messages
        sub.unsubscribe(b"")
        await _send_all(pub, [*messages, [b"a-end"]])
        expected = [m for m in messages if m[0].startswith(b"a")] + [[b"a-end"]]
        assert [await sub.recv_multipart() for _ in expected] == expected
        assert not await sub.poll(50)


async def _burst_then(ctx: aiomsg.Context, change: str) -> None:
    """A PUB with two SUBs sends a burst (a run, held for the end of the
    tick) and in the same tick closes, disconnects or unbinds: the run goes
    out first, so each SUB gets the whole burst. The PUB connects to the
    SUBs, or binds for ``unbind``."""
    pub = ctx.socket(aiomsg.PUB, sndhwm=0, linger=-1)
    subs = [ctx.socket(aiomsg.SUB, rcvhwm=0) for _ in range(2)]
    endpoints = []
    if change == "unbind":
        endpoints.append(await pub.bind("tcp://127.0.0.1:*"))
    for sub in subs:
        sub.subscribe(b"")
        if change == "unbind":
            await sub.connect(endpoints[0])
        else:
            endpoints.append(await sub.bind("tcp://127.0.0.1:*"))
            await pub.connect(endpoints[-1])
    count = 50
    async with asyncio.timeout(20):
        await pub.wait_subscribed(b"", 2)
        for number in range(count):
            await pub.send(b"%d" % number)
        if change == "close":
            pub.close()
        elif change == "unbind":
            await pub.unbind(endpoints[0])
        else:
            for endpoint in endpoints:
                await pub.disconnect(endpoint)
        for sub in subs:
            assert [await sub.recv() for _ in range(count)] == [b"%d" % n for n in range(count)]
    await pub.aclose()


@pytest.mark.parametrize("change", ["close", "disconnect", "unbind"])
async def test_a_burst_goes_whole_when_the_pub_closes_disconnects_or_unbinds(
    ctx: aiomsg.Context, change: str
) -> None:
    await _burst_then(ctx, change)


async def test_xsub_data_upstream_keeps_its_order_with_subscriptions(ctx: aiomsg.Context) -> None:
    """An XSUB's data messages to two publishers (a run) go before a
    subscription sent after them in the same tick."""
    xpubs = [ctx.socket(aiomsg.XPUB, rcvhwm=0) for _ in range(2)]
    xsub = ctx.socket(aiomsg.XSUB, sndhwm=0)
    for xpub in xpubs:
        await xsub.connect(await xpub.bind("tcp://127.0.0.1:*"))
    async with asyncio.timeout(20):
        await xsub.wait_peers(2)
        data = [b"d%d" % number for number in range(5)]
        for message in data:
            await xsub.send(message)
        await xsub.send(b"\x01topic")
        for xpub in xpubs:
            assert [await xpub.recv() for _ in range(6)] == [*data, b"\x01topic"]
