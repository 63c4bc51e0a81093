"""ROUTER/DEALER: routing by identity, generated ids, unroutable messages."""

from __future__ import annotations

import asyncio

import pytest
from helpers import assert_nothing_received, recv_n, wait_handshakes

import aiomsg


async def _router_with_dealers(
    ctx: aiomsg.Context, *identities: bytes, **router_options: object
) -> tuple[aiomsg.Socket, dict[bytes, aiomsg.Socket]]:
    router = ctx.socket(aiomsg.ROUTER, **router_options)
    mon = router.monitor()
    ep = await router.bind("tcp://127.0.0.1:*")
    dealers = {}
    for identity in identities:
        dealer = ctx.socket(aiomsg.DEALER, identity=identity)
        await dealer.connect(ep)
        dealers[identity] = dealer
    await wait_handshakes(mon, len(identities))
    return router, dealers


async def test_router_routes_by_identity(ctx: aiomsg.Context) -> None:
    router, dealers = await _router_with_dealers(ctx, b"A", b"B")
    async with asyncio.timeout(5):
        await router.send_multipart([b"B", b"x"])
        await router.send_multipart([b"A", b"y"])
        assert await dealers[b"B"].recv_multipart() == [b"x"]
        # A's first message is its own: "x" did not go there.
        assert await dealers[b"A"].recv_multipart() == [b"y"]
        await router.send_multipart([b"A", b"multi", b"", b"part"])
        assert await dealers[b"A"].recv_multipart() == [b"multi", b"", b"part"]
    await assert_nothing_received(dealers[b"B"], 0.2)


async def test_router_prefixes_sender_identity(ctx: aiomsg.Context) -> None:
    router, dealers = await _router_with_dealers(ctx, b"A", b"B")
    async with asyncio.timeout(5):
        await dealers[b"A"].send(b"from a")
        assert await router.recv_multipart() == [b"A", b"from a"]
        await dealers[b"B"].send_multipart([b"from", b"b"])
        assert await router.recv_multipart() == [b"B", b"from", b"b"]


async def test_router_drops_unroutable_silently(ctx: aiomsg.Context) -> None:
    router, dealers = await _router_with_dealers(ctx, b"A")
    async with asyncio.timeout(5):
        await router.send_multipart([b"nobody", b"lost"])
        router.send_multipart_nowait([b"nobody", b"lost too"])
        await router.send_multipart([b"A", b"after"])
        assert await dealers[b"A"].recv_multipart() == [b"after"]
    await assert_nothing_received(dealers[b"A"], 0.2)


async def test_router_mandatory_raises_host_unreachable(ctx: aiomsg.Context) -> None:
    router, dealers = await _router_with_dealers(ctx, b"A", router_mandatory=True)
    assert router.router_mandatory is True
    async with asyncio.timeout(5):
        with pytest.raises(aiomsg.HostUnreachable):
            await router.send_multipart([b"nobody", b"lost"])
        with pytest.raises(aiomsg.HostUnreachable):
            router.send_multipart_nowait([b"nobody", b"lost"])
        # Still usable for known peers.
        await router.send_multipart([b"A", b"ok"])
        assert await dealers[b"A"].recv_multipart() == [b"ok"]


async def test_router_mandatory_set_as_attribute(ctx: aiomsg.Context) -> None:
    router = ctx.socket(aiomsg.ROUTER)
    await router.bind("tcp://127.0.0.1:*")
    router.router_mandatory = True
    async with asyncio.timeout(5):
        with pytest.raises(aiomsg.HostUnreachable):
            await router.send_multipart([b"nobody", b"lost"])


async def test_router_generates_id_for_anonymous_peer(ctx: aiomsg.Context) -> None:
    router = ctx.socket(aiomsg.ROUTER)
    ep = await router.bind("tcp://127.0.0.1:*")
    anon1 = ctx.socket(aiomsg.DEALER)
    anon2 = ctx.socket(aiomsg.DEALER)
    await anon1.connect(ep)
    await anon2.connect(ep)
    async with asyncio.timeout(5):
        await anon1.send(b"hi 1")
        await anon2.send(b"hi 2")
        ids = {}
        for _ in range(2):
            rid, body = await router.recv_multipart()
            assert len(rid) == 5 and rid[0] == 0, rid
            ids[body] = rid
        assert ids[b"hi 1"] != ids[b"hi 2"]
        await router.send_multipart([ids[b"hi 2"], b"back 2"])
        await router.send_multipart([ids[b"hi 1"], b"back 1"])
        assert await anon1.recv() == b"back 1"
        assert await anon2.recv() == b"back 2"


async def test_identity_set_as_attribute_before_connect(ctx: aiomsg.Context) -> None:
    router = ctx.socket(aiomsg.ROUTER)
    ep = await router.bind("tcp://127.0.0.1:*")
    dealer = ctx.socket(aiomsg.DEALER)
    dealer.identity = b"late-name"
    await dealer.connect(ep)
    async with asyncio.timeout(5):
        await dealer.send(b"hello")
        assert await router.recv_multipart() == [b"late-name", b"hello"]


async def test_dealer_round_robins_and_fair_queues(ctx: aiomsg.Context) -> None:
    dealer = ctx.socket(aiomsg.DEALER)
    mon = dealer.monitor()
    routers = [ctx.socket(aiomsg.ROUTER) for _ in range(2)]
    for router in routers:
        await dealer.connect(await router.bind("tcp://127.0.0.1:*"))
    await wait_handshakes(mon, 2)
    async with asyncio.timeout(5):
        for i in range(4):
            await dealer.send(b"%d" % i)
        received = [await recv_n(router, 2) for router in routers]
        bodies = [[m[1] for m in msgs] for msgs in received]
        assert sorted(bodies[0] + bodies[1]) == [b"0", b"1", b"2", b"3"]
        # Replies from both routers come back through the one dealer.
        for router, msgs in zip(routers, received, strict=True):
            await router.send_multipart([msgs[0][0], b"reply"])
        assert await recv_n(dealer, 2) == [[b"reply"], [b"reply"]]


async def test_router_to_router_by_identity(ctx: aiomsg.Context) -> None:
    server = ctx.socket(aiomsg.ROUTER, identity=b"server")
    client = ctx.socket(aiomsg.ROUTER, identity=b"client")
    mon = client.monitor()
    ep = await server.bind("tcp://127.0.0.1:*")
    await client.connect(ep)
    await wait_handshakes(mon)
    async with asyncio.timeout(5):
        await client.send_multipart([b"server", b"hello"])
        assert await server.recv_multipart() == [b"client", b"hello"]
        await server.send_multipart([b"client", b"welcome"])
        assert await client.recv_multipart() == [b"server", b"welcome"]
