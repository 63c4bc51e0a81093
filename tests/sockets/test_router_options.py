"""ROUTER: router_handover, router_notify and connect_routing_id."""

from __future__ import annotations

import asyncio

import pytest
from helpers import wait_event, wait_handshakes

import aiomsg


async def test_without_handover_a_duplicate_identity_is_refused(ctx: aiomsg.Context) -> None:
    router = ctx.socket(aiomsg.ROUTER)
    mon = router.monitor()
    endpoint = await router.bind("tcp://127.0.0.1:*")
    first = ctx.socket(aiomsg.DEALER, identity=b"X")
    await first.connect(endpoint)
    await wait_handshakes(mon)
    second = ctx.socket(aiomsg.DEALER, identity=b"X")
    await second.connect(endpoint)
    await wait_event(mon, aiomsg.Event.PEER_REFUSED)
    async with asyncio.timeout(5):
        await router.send_multipart([b"X", b"to the first"])
        assert await first.recv_multipart() == [b"to the first"]


async def test_handover_gives_the_identity_to_the_newcomer(ctx: aiomsg.Context) -> None:
    router = ctx.socket(aiomsg.ROUTER, router_handover=True)
    mon = router.monitor()
    endpoint = await router.bind("tcp://127.0.0.1:*")
    first = ctx.socket(aiomsg.DEALER, identity=b"X")
    await first.connect(endpoint)
    await wait_handshakes(mon)
    async with asyncio.timeout(5):
        await first.send(b"before")
        assert await router.recv_multipart() == [b"X", b"before"]
        second = ctx.socket(aiomsg.DEALER, identity=b"X", reconnect_ivl=-1)
        first_mon = first.monitor()
        await second.connect(endpoint)
        await first_mon.wait_for(aiomsg.Event.DISCONNECTED)  # the old peer is dropped
        await router.send_multipart([b"X", b"to the newcomer"])
        assert await second.recv_multipart() == [b"to the newcomer"]


async def test_router_notify_reports_connects_and_disconnects(ctx: aiomsg.Context) -> None:
    flags = aiomsg.NOTIFY_CONNECT | aiomsg.NOTIFY_DISCONNECT
    router = ctx.socket(aiomsg.ROUTER, router_notify=flags)
    endpoint = await router.bind("tcp://127.0.0.1:*")
    dealer = ctx.socket(aiomsg.DEALER, identity=b"D")
    await dealer.connect(endpoint)
    async with asyncio.timeout(5):
        assert await router.recv_multipart() == [b"D", b""]
        await dealer.send(b"hello")
        assert await router.recv_multipart() == [b"D", b"hello"]
        dealer.close(linger=-1)
        assert await router.recv_multipart() == [b"D", b""]


async def test_router_notify_connect_only(ctx: aiomsg.Context) -> None:
    router = ctx.socket(aiomsg.ROUTER, router_notify=aiomsg.NOTIFY_CONNECT)
    mon = router.monitor()
    endpoint = await router.bind("tcp://127.0.0.1:*")
    for name in (b"A", b"B"):
        dealer = ctx.socket(aiomsg.DEALER, identity=name)
        await dealer.connect(endpoint)
        async with asyncio.timeout(5):
            assert await router.recv_multipart() == [name, b""]
        dealer.close(linger=0)
        await wait_event(mon, aiomsg.Event.DISCONNECTED)
    with pytest.raises(aiomsg.Again):
        await router.recv_multipart(aiomsg.NOBLOCK)


def test_router_notify_takes_libzmq_flag_values(ctx: aiomsg.Context) -> None:
    router = ctx.socket(aiomsg.ROUTER)
    router.router_notify = 3
    with pytest.raises(aiomsg.InvalidOption):
        router.router_notify = 4


async def test_connect_routing_id_names_the_peer_at_once(ctx: aiomsg.Context) -> None:
    """ROUTER to ROUTER: the connecting side can send before the handshake."""
    bound = ctx.socket(aiomsg.ROUTER, identity=b"hub")
    endpoint = await bound.bind("tcp://127.0.0.1:*")
    node = ctx.socket(aiomsg.ROUTER, identity=b"node-1")
    node.connect_routing_id = b"the-hub"
    await node.connect(endpoint)
    assert node.connect_routing_id == b""  # it names one connection
    async with asyncio.timeout(5):
        await node.send_multipart([b"the-hub", b"hello"])
        assert await bound.recv_multipart() == [b"node-1", b"hello"]
        await bound.send_multipart([b"node-1", b"welcome"])
        assert await node.recv_multipart() == [b"the-hub", b"welcome"]


async def test_connect_routing_id_in_use_is_refused(ctx: aiomsg.Context) -> None:
    router = ctx.socket(aiomsg.ROUTER, connect_routing_id=b"peer")
    await router.connect("tcp://127.0.0.1:1")
    router.connect_routing_id = b"peer"
    with pytest.raises(aiomsg.InvalidState):
        await router.connect("tcp://127.0.0.1:2")
