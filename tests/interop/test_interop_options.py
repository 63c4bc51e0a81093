"""Issue 12 part A options against libzmq (pyzmq), each library in each role.

ROUTER_NOTIFY and ONLY_FIRST_SUBSCRIBE are libzmq draft options: pyzmq from
PyPI is built without them, so their libzmq side skips there; aiomsg's side
is still tested against libzmq peers.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
import zmq

import aiomsg

from ._helpers import TIMEOUT, roles, wait_subscribed

pytestmark = pytest.mark.interop

DRAFT = pytest.mark.skipif(
    not zmq.has("draft"), reason="pyzmq's libzmq is built without the draft API"
)


async def _poke(*socks: Any) -> None:
    """Touch the libzmq sockets among *socks* until cancelled, so that they
    attach their peers and process commands (docs/wire/zmtp.md#lazy-socket)."""
    zsocks = [sock for sock in socks if isinstance(sock, zmq.Socket)]
    while zsocks:
        for zsock in zsocks:
            zsock.getsockopt(zmq.EVENTS)
        await asyncio.sleep(0.01)  # a keep-alive for libzmq, not a synchronisation


@contextlib.asynccontextmanager
async def poking(*socks: Any) -> AsyncIterator[None]:
    task = asyncio.create_task(_poke(*socks))
    try:
        yield
    finally:
        task.cancel()


@pytest.mark.parametrize("kind", ["REP", "ROUTER"])
async def test_aiomsg_req_correlate_relaxed_with_zmq(net, binder, kind):
    """The mirror of test_interop_reqrep.test_zmq_req_correlate_relaxed."""
    opts = {"req_correlate": True, "req_relaxed": True}
    req, server = await net.pair(("REQ", kind), ("aiomsg", "zmq"), binder, opts=(opts, {}))
    async with asyncio.timeout(TIMEOUT):
        await req.send_multipart([b"first"])
        await req.send_multipart([b"second"])
        for body in (b"first", b"second"):
            request = await server.recv_multipart()
            if kind == "REP":
                assert request == [body]
                await server.send_multipart([b"reply to " + body])
            else:
                rid, request_id, delimiter, got = request
                assert (len(request_id), delimiter, got) == (4, b"", body)
                await server.send_multipart([rid, request_id, b"", b"reply to " + body])
        assert await req.recv_multipart() == [b"reply to second"]


@pytest.mark.parametrize("lib", ["aiomsg", "zmq"])
async def test_router_handover_one_binder(net, lib):
    """The ROUTER binds; two peers of the other library share an identity."""
    other = "zmq" if lib == "aiomsg" else "aiomsg"
    router = net.socket(lib, "ROUTER", router_handover=1)
    endpoint = await net.bind(router)
    poke = asyncio.create_task(_poke(router)) if lib == "zmq" else None
    try:
        async with asyncio.timeout(TIMEOUT):
            dealers = []
            for n in range(2):
                dealer = net.socket(other, "DEALER", identity=b"X", reconnect_ivl=-1)
                mon = dealer.monitor() if other == "aiomsg" else None
                await net.connect(dealer, endpoint)
                if mon is not None:
                    await mon.wait_for(aiomsg.Event.HANDSHAKE_SUCCEEDED)
                await dealer.send_multipart([b"hello from %d" % n])
                assert await router.recv_multipart() == [b"X", b"hello from %d" % n]
                dealers.append(dealer)
            await router.send_multipart([b"X", b"to the owner"])
            assert await dealers[1].recv_multipart() == [b"to the owner"]
    finally:
        if poke is not None:
            poke.cancel()


@roles("DEALER", "ROUTER")
async def test_probe_router(net, libs, binder):
    dealer, router = await net.pair(
        ("DEALER", "ROUTER"), libs, binder, opts=({"probe_router": 1, "identity": b"P"}, {})
    )
    poke = asyncio.create_task(_poke(dealer)) if libs[0] == "zmq" else None
    try:
        async with asyncio.timeout(TIMEOUT):
            assert await router.recv_multipart() == [b"P", b""]
    finally:
        if poke is not None:
            poke.cancel()


@roles("ROUTER", "ROUTER")
async def test_connect_routing_id_router_to_router(net, libs, binder):
    """The connecting ROUTER names its peer and sends before any reply."""
    connecting_lib = libs[0] if binder == libs[1] else libs[1]
    bound_lib = binder
    bound = net.socket(bound_lib, "ROUTER", identity=b"hub")
    endpoint = await net.bind(bound)
    node = net.socket(connecting_lib, "ROUTER", identity=b"node", connect_routing_id=b"my-hub")
    await net.connect(node, endpoint)
    async with asyncio.timeout(TIMEOUT):
        # Sent at once: queued for the named peer until the handshake is done.
        await node.send_multipart([b"my-hub", b"hello"])
        assert await bound.recv_multipart() == [b"node", b"hello"]
        await bound.send_multipart([b"node", b"welcome"])
        assert await node.recv_multipart() == [b"my-hub", b"welcome"]


@pytest.mark.parametrize("binder_lib", ["aiomsg", "zmq"])
async def test_aiomsg_router_notify_with_zmq_dealers(net, binder_lib):
    router = net.socket("aiomsg", "ROUTER", router_notify=3)
    dealer = net.socket("zmq", "DEALER", identity=b"D")
    if binder_lib == "aiomsg":
        await net.link(router, [dealer])
    else:
        await net.link(dealer, [router])
    async with asyncio.timeout(TIMEOUT):
        assert await router.recv_multipart() == [b"D", b""]
        await dealer.send_multipart([b"work"])
        assert await router.recv_multipart() == [b"D", b"work"]
        dealer.close(linger=0)
        assert await router.recv_multipart() == [b"D", b""]


@DRAFT
async def test_zmq_router_notify_with_aiomsg_dealer(net):
    router = net.socket("zmq", "ROUTER", router_notify=3)
    dealer = net.socket("aiomsg", "DEALER", identity=b"D")
    await net.link(router, [dealer])
    async with asyncio.timeout(TIMEOUT):
        assert await router.recv_multipart() == [b"D", b""]
        dealer.close(linger=0)
        assert await router.recv_multipart() == [b"D", b""]


@pytest.mark.parametrize("option", ["xpub_verbose", "xpub_verboser"])
@roles("XPUB", "SUB")
async def test_xpub_verbose(net, libs, binder, option):
    xpub_lib, sub_lib = libs
    xpub = net.socket(xpub_lib, "XPUB", **{option: 1})
    subs = [net.socket(sub_lib, "SUB") for _ in range(2)]
    if binder == xpub_lib:
        await net.link(xpub, subs)
    else:
        for sub in subs:
            await net.link(sub, [xpub])
    async with asyncio.timeout(TIMEOUT), poking(*subs):
        for sub in subs:
            sub.subscribe(b"A")
            assert await xpub.recv_multipart() == [b"\x01A"]  # the repeat too
        for sub in subs:
            sub.unsubscribe(b"A")
        if option == "xpub_verboser":
            assert await xpub.recv_multipart() == [b"\x00A"]
        assert await xpub.recv_multipart() == [b"\x00A"]


@roles("XPUB", "XSUB")
async def test_xpub_manual(net, libs, binder):
    xpub, xsub = await net.pair(("XPUB", "XSUB"), libs, binder, opts=({"xpub_manual": 1}, {}))
    async with asyncio.timeout(TIMEOUT), poking(xpub, xsub):
        await xsub.send_multipart([b"\x01news"])
        assert await xpub.recv_multipart() == [b"\x01news"]
        xpub.subscribe(b"sports")  # what the application chose for that peer
        await wait_subscribed(xpub, xsub, b"sports")
        await xpub.send_multipart([b"news: not sent"])
        await xpub.send_multipart([b"sports: sent"])
        while (got := await xsub.recv_multipart()) == [b"sports"]:
            pass
        assert got == [b"sports: sent"]


@roles("XPUB", "SUB")
async def test_xpub_welcome_msg(net, libs, binder):
    xpub_lib, sub_lib = libs
    xpub = net.socket(xpub_lib, "XPUB", xpub_welcome_msg=b"WELCOME!")
    sub = net.socket(sub_lib, "SUB")
    sub.subscribe(b"WEL")
    poke = asyncio.create_task(_poke(xpub)) if xpub_lib == "zmq" else None
    try:
        if binder == xpub_lib:
            await net.link(xpub, [sub])
        else:
            await net.link(sub, [xpub])
        async with asyncio.timeout(TIMEOUT):
            assert await sub.recv_multipart() == [b"WELCOME!"]
    finally:
        if poke is not None:
            poke.cancel()


@roles("PUB", "SUB")
async def test_xpub_nodrop(net, libs, binder):
    """At the HWM a NOBLOCK send raises Again; nothing is ever dropped."""
    pub_lib, sub_lib = libs
    pub = net.socket(pub_lib, "PUB", xpub_nodrop=1, sndhwm=10)
    sub = net.socket(sub_lib, "SUB", rcvhwm=10)
    sub.subscribe(b"")
    if binder == pub_lib:
        await net.link(pub, [sub])
    else:
        await net.link(sub, [pub])
    payload = b"x" * 65536  # fills the kernel's buffers quickly
    async with asyncio.timeout(TIMEOUT):
        await wait_subscribed(pub, sub, b"")
        sent = 0
        while True:  # bounded by the timeout: the HWMs and buffers are finite
            try:
                await pub.send_multipart([b"%d" % sent, payload], flags=aiomsg.NOBLOCK)
            except (zmq.Again, aiomsg.Again):
                break
            sent += 1
        assert sent > 0
        received = 0
        while received < sent:
            first, _ = await sub.recv_multipart()
            if first == b"":
                continue  # a leftover of wait_subscribed
            assert first == b"%d" % received  # in order, none missing
            received += 1


@roles("PUB", "SUB")
async def test_invert_matching(net, libs, binder):
    pub, sub = await net.pair(
        ("PUB", "SUB"), libs, binder, opts=({"invert_matching": 1}, {"invert_matching": 1})
    )
    sub.subscribe(b"noise")
    async with asyncio.timeout(TIMEOUT):
        await wait_subscribed(pub, sub, b"sync")
        await pub.send_multipart([b"noise: filtered"])
        await pub.send_multipart([b"signal"])
        while (got := await sub.recv_multipart()) == [b"sync"]:
            pass
        assert got == [b"signal"]


@roles("XPUB", "XSUB")
async def test_subscription_frames_after_the_first(net, libs, binder):
    """By default libzmq reads every frame starting 01 of an upstream message as
    a subscription (xpub.cpp, xsub.cpp); aiomsg does the same, both ways."""
    xpub, xsub = await net.pair(("XPUB", "XSUB"), libs, binder)
    async with asyncio.timeout(TIMEOUT), poking(xpub, xsub):
        # A bound libzmq XSUB sends data only once it has attached the peer;
        # a subscription it replays then is the sign that it has.
        await xsub.send_multipart([b"\x01ready"])
        assert await xpub.recv_multipart() == [b"\x01ready"]
        await xsub.send_multipart([b"data", b"\x01topic"])
        got = []
        while len(got) < 2:
            got.extend(await xpub.recv_multipart())
        assert sorted(got) == [b"\x01topic", b"data"]
        await wait_subscribed(xpub, xsub, b"topic")


@DRAFT
@roles("XPUB", "XSUB")
async def test_only_first_subscribe(net, libs, binder):
    opts = {"only_first_subscribe": 1}
    xpub, xsub = await net.pair(("XPUB", "XSUB"), libs, binder, opts=(opts, opts))
    async with asyncio.timeout(TIMEOUT), poking(xpub, xsub):
        await xsub.send_multipart([b"\x01ready"])
        assert await xpub.recv_multipart() == [b"\x01ready"]
        await xsub.send_multipart([b"data", b"\x01topic"])
        assert await xpub.recv_multipart() == [b"data", b"\x01topic"]


async def test_zmq_push_to_aiomsg_conflating_pull(net, binder):
    push, pull = await net.pair(
        ("PUSH", "PULL"), ("zmq", "aiomsg"), binder, opts=({}, {"conflate": True})
    )
    async with asyncio.timeout(TIMEOUT):
        for n in range(100):
            await push.send_multipart([b"reading", b"%d" % n])
        while pull.stats().in_msgs < 100:
            await asyncio.sleep(0.005)  # polled condition, bounded by the timeout
        assert await pull.recv_multipart() == [b"reading", b"99"]  # whole


async def test_aiomsg_push_to_zmq_conflating_pull(net, binder):
    push, pull = await net.pair(
        ("PUSH", "PULL"), ("aiomsg", "zmq"), binder, opts=({}, {"conflate": 1})
    )
    count = 1000
    async with asyncio.timeout(TIMEOUT):
        for n in range(count):
            await push.send(b"%d" % n)
        received = []
        while not received or received[-1] != b"%d" % (count - 1):
            received.append(await pull.recv())
    # libzmq kept only the newest of what had arrived at each read.
    assert len(received) < count
    assert [int(m) for m in received] == sorted(int(m) for m in received)
