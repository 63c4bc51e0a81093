"""The draft socket types, aiomsg to aiomsg: CLIENT/SERVER, PEER, CHANNEL,
SCATTER/GATHER and RADIO/DISH over tcp, ipc and inproc (and RADIO/DISH over
udp), with the checklist of each type: what it cannot do, what it refuses,
and what it drops.
"""

from __future__ import annotations

import asyncio

import pytest
from helpers import (
    bind_endpoint,
    unique_endpoint,
    wait_event,
    wait_handshakes,
)

import aiomsg

TRANSPORTS = ["tcp", "ipc", "inproc"]
TIMEOUT = 5.0


async def linked(ctx: aiomsg.Context, bound: aiomsg.Socket, *connecting: aiomsg.Socket,
                 transport: str = "tcp") -> str:  # fmt: skip
    """Bind *bound*, connect the others; return once both ends of each link are up."""
    monitors = [sock.monitor() for sock in connecting]
    bound_monitor = bound.monitor()
    endpoint = await bound.bind(bind_endpoint(transport))
    for sock, monitor in zip(connecting, monitors, strict=True):
        await sock.connect(endpoint)
        await wait_handshakes(monitor)
    await wait_handshakes(bound_monitor, len(connecting))
    return endpoint


async def until_received(dish: aiomsg.Socket, send: object) -> tuple[bytes, bytes]:
    """Send until the DISH receives: its JOIN may reach the RADIO after the handshake."""
    async with asyncio.timeout(TIMEOUT):
        while True:
            await send()  # type: ignore[operator]
            try:
                return await asyncio.wait_for(dish.recv_with_group(), 0.05)
            except TimeoutError:
                continue


# ------------------------------------------------------------------- CLIENT/SERVER


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_server_replies_by_routing_id(ctx: aiomsg.Context, transport: str) -> None:
    server = ctx.socket(aiomsg.SERVER)
    clients = [ctx.socket(aiomsg.CLIENT) for _ in range(3)]
    await linked(ctx, server, *clients, transport=transport)
    async with asyncio.timeout(TIMEOUT):
        for index, client in enumerate(clients):
            await client.send(b"%d" % index)
        ids = {}
        for _ in clients:
            data, routing_id = await server.recv_from()
            ids[int(data)] = routing_id
        assert len(set(ids.values())) == 3 and all(0 < i < 2**32 for i in ids.values())
        for index, routing_id in ids.items():
            await server.send(b"re %d" % index, routing_id=routing_id)
        for index, client in enumerate(clients):
            assert await client.recv() == b"re %d" % index


async def test_server_refusals(ctx: aiomsg.Context) -> None:
    server = ctx.socket(aiomsg.SERVER)
    client = ctx.socket(aiomsg.CLIENT)
    await linked(ctx, server, client)
    await client.send(b"x")
    _, routing_id = await asyncio.wait_for(server.recv_from(), TIMEOUT)
    with pytest.raises(aiomsg.HostUnreachable):
        await server.send(b"x", routing_id=routing_id ^ 1)
    with pytest.raises(aiomsg.InvalidMessage, match="non-zero"):
        await server.send(b"x", routing_id=0)
    with pytest.raises(aiomsg.InvalidMessage, match="routing_id"):
        await server.send(b"no id")
    with pytest.raises(aiomsg.InvalidMessage, match="single frame"):
        await server.send_multipart([b"a", b"b"])
    with pytest.raises(aiomsg.NotSupported):
        await server.send(b"x", group="g")
    with pytest.raises(aiomsg.NotSupported):
        await client.send(b"x", routing_id=routing_id)
    with pytest.raises(aiomsg.NotSupported):
        await client.recv_from()


@pytest.mark.parametrize("kind", ["CLIENT", "SERVER", "SCATTER", "CHANNEL", "PEER", "RADIO"])
async def test_single_frame_types_refuse_multipart_sends(ctx: aiomsg.Context, kind: str) -> None:
    sock = ctx.socket(getattr(aiomsg, kind))
    for attempt in (
        lambda: sock.send_multipart([b"a", b"b"]),
        lambda: sock.send(b"a", aiomsg.SNDMORE),
        lambda: sock.send_many([[b"b", b"c"]]),
    ):
        with pytest.raises(aiomsg.InvalidMessage, match="single frame"):
            await attempt()
    with pytest.raises(aiomsg.InvalidMessage):
        sock.send_multipart_nowait([b"a", b"b"])


@pytest.mark.parametrize(
    ("receiver", "sender"),
    [("SERVER", "DEALER"), ("CLIENT", "ROUTER"), ("GATHER", "PUSH"), ("CHANNEL", "PAIR")],
)
async def test_classic_types_are_refused(ctx: aiomsg.Context, receiver: str, sender: str) -> None:
    ours = ctx.socket(getattr(aiomsg, receiver))
    theirs = ctx.socket(getattr(aiomsg, sender))
    monitor = ours.monitor()
    await theirs.connect(await ours.bind("tcp://127.0.0.1:*"))
    event = await wait_event(monitor, aiomsg.Event.HANDSHAKE_FAILED)
    assert sender in event.reason and ours.peer_count == 0


async def test_server_waits_for_a_full_peer_and_never_drops(ctx: aiomsg.Context) -> None:
    server = ctx.socket(aiomsg.SERVER, sndhwm=2)
    client = ctx.socket(aiomsg.CLIENT, rcvhwm=2)
    await linked(ctx, server, client, transport="inproc")
    await client.send(b"hi")
    _, routing_id = await asyncio.wait_for(server.recv_from(), TIMEOUT)
    sent = 0
    with pytest.raises(aiomsg.Again):
        for sent in range(100):  # bounded: the HWMs stop it
            await server.send(b"%d" % sent, aiomsg.NOBLOCK, routing_id=routing_id)
    assert sent == 4  # the peer's rcvhwm plus our sndhwm (inproc)
    got = [await asyncio.wait_for(client.recv(), TIMEOUT) for _ in range(sent)]
    assert got == [b"%d" % i for i in range(sent)]


# --------------------------------------------------------------------------- PEER


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_connect_peer_returns_the_id_before_the_connection(
    ctx: aiomsg.Context, transport: str
) -> None:
    a, b = ctx.socket(aiomsg.PEER), ctx.socket(aiomsg.PEER)
    endpoint = unique_endpoint(transport)
    routing_id = await a.connect_peer(endpoint)
    assert 0 < routing_id < 2**32
    await a.send(b"queued before the bind", routing_id=routing_id)
    await b.bind(endpoint)
    async with asyncio.timeout(TIMEOUT):
        data, back = await b.recv_from()
        assert data == b"queued before the bind"
        await b.send(b"answer", routing_id=back)
        assert await a.recv_from() == (b"answer", routing_id)
    with pytest.raises(aiomsg.NotSupported):
        await ctx.socket(aiomsg.SERVER).connect_peer(endpoint)


# ------------------------------------------------------------------------ CHANNEL


async def test_channel_takes_one_peer(ctx: aiomsg.Context) -> None:
    bound, first, second = (ctx.socket(aiomsg.CHANNEL) for _ in range(3))
    endpoint = await linked(ctx, bound, first)
    monitor = bound.monitor()
    await second.connect(endpoint)
    event = await wait_event(monitor, aiomsg.Event.PEER_REFUSED)
    assert "one peer" in event.reason
    await first.send(b"ping")
    assert await asyncio.wait_for(bound.recv(), TIMEOUT) == b"ping"
    await bound.send(b"pong")
    assert await asyncio.wait_for(first.recv(), TIMEOUT) == b"pong"


# ------------------------------------------------------------------ SCATTER/GATHER


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_scatter_round_robins_to_gathers(ctx: aiomsg.Context, transport: str) -> None:
    scatter = ctx.socket(aiomsg.SCATTER)
    gathers = [ctx.socket(aiomsg.GATHER) for _ in range(2)]
    await linked(ctx, scatter, *gathers, transport=transport)
    for index in range(6):
        await scatter.send(b"%d" % index)
    async with asyncio.timeout(TIMEOUT):
        got = [[await gather.recv() for _ in range(3)] for gather in gathers]
    assert sorted(got) == [[b"0", b"2", b"4"], [b"1", b"3", b"5"]]
    with pytest.raises(aiomsg.NotSupported):
        await scatter.recv()
    with pytest.raises(aiomsg.NotSupported):
        await gathers[0].send(b"x")


# ---------------------------------------------------------------------- RADIO/DISH


@pytest.mark.parametrize("transport", [*TRANSPORTS, "udp"])
async def test_dish_receives_only_joined_groups(ctx: aiomsg.Context, transport: str) -> None:
    radio, dish = ctx.socket(aiomsg.RADIO), ctx.socket(aiomsg.DISH)
    await dish.join("weather")
    if transport == "udp":
        await radio.connect(await dish.bind("udp://127.0.0.1:*"))
    else:
        await linked(ctx, dish, radio, transport=transport)

    async def publish() -> None:
        await radio.send(b"no", group="news")
        await radio.send(b"sunny", group=b"weather")

    assert await until_received(dish, publish) == (b"sunny", b"weather")
    await dish.join(b"news")
    assert dish.groups == {b"weather", b"news"}

    async def news() -> None:
        await radio.send(b"yes", group="news")

    async with asyncio.timeout(TIMEOUT):
        while (await until_received(dish, news))[1] != b"news":
            pass
    with pytest.raises(aiomsg.NotSupported):
        await dish.send(b"x")
    with pytest.raises(aiomsg.NotSupported):
        await radio.recv()


async def test_dish_joins_again_after_a_reconnect(ctx: aiomsg.Context) -> None:
    dish = ctx.socket(aiomsg.DISH, reconnect_ivl=10)
    await dish.join("g")
    radio = ctx.socket(aiomsg.RADIO)
    endpoint = unique_endpoint("tcp")
    monitor = dish.monitor()
    await radio.bind(endpoint)
    await dish.connect(endpoint)
    await wait_handshakes(monitor)

    async def publish() -> None:
        await radio.send(b"m", group="g")

    await until_received(dish, publish)
    radio.close(linger=0)
    await wait_event(monitor, aiomsg.Event.DISCONNECTED)
    again = ctx.socket(aiomsg.RADIO)
    await again.bind(endpoint)
    await wait_handshakes(monitor)

    async def publish_again() -> None:
        await again.send(b"back", group="g")

    assert await until_received(dish, publish_again) == (b"back", b"g")


async def test_group_rules_are_checked_before_sending(ctx: aiomsg.Context) -> None:
    radio, dish = ctx.socket(aiomsg.RADIO), ctx.socket(aiomsg.DISH)
    await dish.join("g")
    with pytest.raises(aiomsg.InvalidState):
        await dish.join("g")
    with pytest.raises(aiomsg.InvalidState):
        await dish.leave("other")
    for bad in (b"x" * 256, b"a\x00b"):
        with pytest.raises(aiomsg.InvalidMessage):
            await dish.join(bad)
        with pytest.raises(aiomsg.InvalidMessage):
            await radio.send(b"x", group=bad)
    with pytest.raises(aiomsg.InvalidMessage, match="group="):
        await radio.send(b"no group")
    await dish.join(b"y" * 255)  # the longest group is fine over ZMTP
    # Over udp libzmq 4.3.5 takes at most 127 bytes of group and 8192 in all.
    await radio.connect(await dish.bind("udp://127.0.0.1:*"))
    with pytest.raises(aiomsg.InvalidMessage, match="127"):
        await radio.send(b"x", group=b"y" * 128)
    with pytest.raises(aiomsg.InvalidMessage, match="8192"):
        await radio.send(b"x" * 8191, group=b"g")
    await radio.send(b"x" * 8191, group=b"")  # exactly 8192 bytes: sent
    await dish.join(b"")
    data, group = await asyncio.wait_for(dish.recv_with_group(), TIMEOUT)
    assert (len(data), group) == (8191, b"")


async def test_dish_drops_multipart_from_a_raw_radio(ctx: aiomsg.Context) -> None:
    """A message that is not a [group, body] pair is dropped and counted."""
    dish = ctx.socket(aiomsg.DISH)
    await dish.join("g")
    # An XPUB speaks plain ZMTP; as a RADIO stand-in we use a RADIO's wire
    # form through a second RADIO and a malformed message over inproc.
    radio = ctx.socket(aiomsg.RADIO)
    await linked(ctx, dish, radio, transport="inproc")

    async def publish() -> None:
        await radio.send(b"ok", group="g")

    await until_received(dish, publish)
    # inproc hands lists over: a three-frame message is what a broken RADIO would send.
    pipe = radio._pool.pipes[0]
    assert pipe.link is not None and pipe.link.try_send([b"g", b"a", b"b"])
    await publish()
    assert await asyncio.wait_for(dish.recv_with_group(), TIMEOUT) == (b"ok", b"g")
    assert dish.dropped == 1


async def test_single_frame_receivers_drop_multipart(ctx: aiomsg.Context) -> None:
    gather, scatter = ctx.socket(aiomsg.GATHER), ctx.socket(aiomsg.SCATTER)
    await linked(ctx, gather, scatter, transport="inproc")
    pipe = scatter._pool.pipes[0]
    assert pipe.link is not None and pipe.link.try_send([b"a", b"b"])
    await scatter.send(b"single")
    assert await asyncio.wait_for(gather.recv_multipart(), TIMEOUT) == [b"single"]
    assert gather.dropped == 1


async def test_radio_never_waits(ctx: aiomsg.Context) -> None:
    radio = ctx.socket(aiomsg.RADIO, sndhwm=1)
    dish = ctx.socket(aiomsg.DISH, rcvhwm=1)
    await dish.join("g")
    await linked(ctx, dish, radio, transport="inproc")

    async def publish() -> None:
        await radio.send(b"m", group="g")

    await until_received(dish, publish)
    async with asyncio.timeout(TIMEOUT):
        for _ in range(10):
            await radio.send(b"m", group="g")
    assert radio.dropped > 0
