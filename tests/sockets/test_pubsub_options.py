"""PUB/XPUB/SUB/XSUB options: xpub_verbose, xpub_verboser, xpub_manual,
xpub_welcome_msg, xpub_nodrop, invert_matching and only_first_subscribe."""

from __future__ import annotations

import asyncio

import pytest
from helpers import assert_nothing_received, pubsub_sync, wait_handshakes

import aiomsg


async def _xpub_with_subs(
    ctx: aiomsg.Context, count: int, kind: aiomsg.SocketType = aiomsg.SUB, **xpub_options: object
) -> tuple[aiomsg.Socket, list[aiomsg.Socket]]:
    xpub = ctx.socket(aiomsg.XPUB, **xpub_options)
    mon = xpub.monitor()
    endpoint = await xpub.bind("tcp://127.0.0.1:*")
    subs = [ctx.socket(kind) for _ in range(count)]
    for sub in subs:
        sub_mon = sub.monitor()
        await sub.connect(endpoint)
        # Linked on the subscriber's side too: a subscription made earlier
        # is replayed as one, however often it was made.
        await wait_handshakes(sub_mon)
        sub_mon.close()
    await wait_handshakes(mon, count)
    return xpub, subs


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, [b"\x01A", b"\x00A"]),
        ({"xpub_verbose": True}, [b"\x01A", b"\x01A", b"\x00A"]),
        ({"xpub_verboser": True}, [b"\x01A", b"\x01A", b"\x00A", b"\x00A"]),
    ],
    ids=["default", "verbose", "verboser"],
)
async def test_which_subscriptions_an_xpub_passes_up(
    ctx: aiomsg.Context, options: dict[str, bool], expected: list[bytes]
) -> None:
    xpub, (first, second) = await _xpub_with_subs(ctx, 2, **options)
    first.subscribe(b"A")
    second.subscribe(b"A")
    seen = []
    async with asyncio.timeout(5):
        seen.append(await xpub.recv())
        if options:
            seen.append(await xpub.recv())
        first.unsubscribe(b"A")
        second.unsubscribe(b"A")
        second.subscribe(b"end")  # travels after the cancels: marks the end
        while (message := await xpub.recv()) != b"\x01end":
            seen.append(message)
    assert seen == expected


async def test_verboser_passes_up_a_leaving_peers_topics(ctx: aiomsg.Context) -> None:
    xpub, (first, second) = await _xpub_with_subs(ctx, 2, xpub_verboser=True)
    first.subscribe(b"A")
    second.subscribe(b"A")
    async with asyncio.timeout(5):
        assert [await xpub.recv(), await xpub.recv()] == [b"\x01A", b"\x01A"]
        first.close(linger=0)
        assert await xpub.recv() == b"\x00A"  # though the second still holds A


async def test_manual_xpub_applies_only_what_the_application_says(ctx: aiomsg.Context) -> None:
    # An XSUB, which does not filter: what reaches it is the XPUB's choice.
    xpub, (sub,) = await _xpub_with_subs(ctx, 1, kind=aiomsg.XSUB, xpub_manual=True)
    sub.subscribe(b"news")
    async with asyncio.timeout(5):
        assert await xpub.recv() == b"\x01news"
        await xpub.send(b"news: not yet")
        xpub.subscribe(b"sports")  # the application's choice, for that peer
        await pubsub_sync(xpub, sub, b"sports")
        await xpub.send(b"news: still filtered")
        await xpub.send(b"sports: delivered")
        assert await sub.recv() == b"sports: delivered"
        sub.unsubscribe(b"news")
        assert await xpub.recv() == b"\x00news"
        xpub.unsubscribe(b"sports")
        sub.subscribe(b"sync")
        assert await xpub.recv() == b"\x01sync"
        xpub.subscribe(b"sync")
        await pubsub_sync(xpub, sub, b"sync")
        await xpub.send(b"sports: now filtered")
    await assert_nothing_received(sub, 0.2)


async def test_manual_xpub_reports_a_leaving_peers_requests(ctx: aiomsg.Context) -> None:
    xpub, (sub,) = await _xpub_with_subs(ctx, 1, xpub_manual=True)
    sub.subscribe(b"A")
    sub.subscribe(b"A")  # repeats are passed up too: the application decides
    async with asyncio.timeout(5):
        assert [await xpub.recv(), await xpub.recv()] == [b"\x01A", b"\x01A"]
        sub.close(linger=0)
        assert await xpub.recv() == b"\x00A"
        xpub.subscribe(b"A")  # that peer is gone: nothing happens


async def test_xpub_subscribe_needs_manual_mode(ctx: aiomsg.Context) -> None:
    xpub = ctx.socket(aiomsg.XPUB)
    with pytest.raises(aiomsg.InvalidState):
        xpub.subscribe(b"A")


@pytest.mark.parametrize("kind", ["PUB", "XPUB"])
async def test_welcome_message_skips_publisher_filtering(ctx: aiomsg.Context, kind: str) -> None:
    pub = ctx.socket(getattr(aiomsg, kind), xpub_welcome_msg=b"WELCOME!")
    endpoint = await pub.bind("tcp://127.0.0.1:*")
    xsub = ctx.socket(aiomsg.XSUB)  # subscribed to nothing, and does not filter
    sub = ctx.socket(aiomsg.SUB)
    sub.subscribe(b"WEL")  # a SUB filters the welcome like any message
    await xsub.connect(endpoint)
    await sub.connect(endpoint)
    async with asyncio.timeout(5):
        assert await xsub.recv() == b"WELCOME!"
        assert await sub.recv() == b"WELCOME!"


async def test_nodrop_waits_at_the_hwm_instead_of_dropping(ctx: aiomsg.Context) -> None:
    pub = ctx.socket(aiomsg.PUB, xpub_nodrop=True, sndhwm=2)
    endpoint = await pub.bind("inproc://nodrop")
    sub = ctx.socket(aiomsg.SUB, rcvhwm=2)
    sub.subscribe(b"")
    mon = pub.monitor()
    await sub.connect(endpoint)
    await wait_handshakes(mon)
    await pubsub_sync(pub, sub, b"")
    sent = 0
    with pytest.raises(aiomsg.Again):
        for sent in range(100):  # bounded: the HWMs hold 4
            await pub.send(b"%d" % sent, aiomsg.NOBLOCK)
    assert 0 < sent < 100
    async with asyncio.timeout(5):
        late = asyncio.create_task(pub.send(b"%d" % sent))  # waits for room
        received = [await sub.recv() for _ in range(sent + 1)]
        await late
    assert received == [b"%d" % n for n in range(sent + 1)]
    assert pub.stats().dropped == 0


async def test_invert_matching_delivers_what_matches_no_topic(ctx: aiomsg.Context) -> None:
    pub = ctx.socket(aiomsg.PUB)
    pub.invert_matching = True  # composition options may change until bind/connect
    endpoint = await pub.bind("tcp://127.0.0.1:*")
    sub = ctx.socket(aiomsg.SUB, invert_matching=True)
    sub.subscribe(b"noise")
    await sub.connect(endpoint)
    async with asyncio.timeout(5):
        await pubsub_sync(pub, sub, b"sync")
        await pub.send(b"noise: dropped")
        await pub.send(b"signal")
        assert await sub.recv() == b"signal"
    await assert_nothing_received(sub, 0.2)


async def test_composition_options_are_fixed_once_peers_may_exist(ctx: aiomsg.Context) -> None:
    sub = ctx.socket(aiomsg.SUB)
    sub.subscribe(b"kept")
    sub.invert_matching = True
    await sub.bind("tcp://127.0.0.1:*")
    with pytest.raises(aiomsg.InvalidState):
        sub.invert_matching = False
    assert sub.invert_matching is True
    pub = ctx.socket(aiomsg.PUB)
    await pub.connect("tcp://127.0.0.1:1")
    with pytest.raises(aiomsg.InvalidState):
        pub.xpub_nodrop = True
    pub.xpub_welcome_msg = b"hello"  # not a composition option: any time


@pytest.mark.parametrize("only_first", [False, True])
async def test_only_first_subscribe(ctx: aiomsg.Context, only_first: bool) -> None:
    """By default every frame starting 01/00 of an upstream message is a
    subscription, as in libzmq; with only_first_subscribe the first frame
    decides for the whole message."""
    xpub, (xsub,) = await _xpub_with_subs(ctx, 1, kind=aiomsg.XSUB, only_first_subscribe=only_first)
    xsub.only_first_subscribe = True  # so the XSUB sends the message as it is
    async with asyncio.timeout(5):
        await xsub.send_multipart([b"data", b"\x01topic"])
        if only_first:
            assert await xpub.recv_multipart() == [b"data", b"\x01topic"]
        else:
            assert await xpub.recv_multipart() == [b"\x01topic"]
            assert await xpub.recv_multipart() == [b"data"]


@pytest.mark.parametrize("only_first", [False, True])
async def test_xsub_only_first_subscribe(ctx: aiomsg.Context, only_first: bool) -> None:
    xpub, (xsub,) = await _xpub_with_subs(ctx, 1, kind=aiomsg.XSUB, only_first_subscribe=True)
    xsub.only_first_subscribe = only_first
    async with asyncio.timeout(5):
        await xsub.send_multipart([b"data", b"\x01topic"])
        if only_first:  # sent whole, no subscription made
            assert await xpub.recv_multipart() == [b"data", b"\x01topic"]
        else:  # a subscription, and the data frame on its own
            got = [await xpub.recv_multipart(), await xpub.recv_multipart()]
            assert sorted(got) == [[b"\x01topic"], [b"data"]]
