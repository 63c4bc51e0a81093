"""The draft socket types against libzmq 4.3.5 with drafts (zeromq.js under Node).

Every pair in both directions, each library binding in turn, over tcp and
ipc (RADIO/DISH over udp: test_interop_udp.py). pyzmq's wheels have no draft
types, so zeromq.js is the libzmq here (docs/wire/draft.md#draft-peers).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

import aiomsg

from ._helpers import TIMEOUT
from ._node import NodePeer, NodeSocket

T = TypeVar("T")


def endpoint_for(transport: str, ipc_dir: Path, name: str = "s") -> str:
    return "tcp://127.0.0.1:*" if transport == "tcp" else f"ipc://{ipc_dir}/{name}.ipc"


async def link(
    ours: aiomsg.Socket, theirs: NodeSocket, binder: str, transport: str, ipc_dir: Path
) -> str:
    """Bind one side, connect the other; return once our side's handshake is done."""
    monitor = ours.monitor()
    try:
        if binder == "aiomsg":
            endpoint = await ours.bind(endpoint_for(transport, ipc_dir))
            await theirs.connect(endpoint)
        else:
            endpoint = await theirs.bind(endpoint_for(transport, ipc_dir))
            await ours.connect(endpoint)
        async with asyncio.timeout(TIMEOUT):
            await monitor.wait_for(aiomsg.Event.HANDSHAKE_SUCCEEDED)
    finally:
        monitor.close()
    return endpoint


async def send_until(send: Callable[[], Awaitable[None]], receive: Awaitable[T]) -> T:
    """Send until *receive* completes: a JOIN may reach the RADIO after the
    handshake, so the first messages may go to nobody (bounded by TIMEOUT)."""
    task = asyncio.ensure_future(receive)
    try:
        async with asyncio.timeout(TIMEOUT):
            while True:
                await send()
                done, _ = await asyncio.wait({task}, timeout=0.05)
                if done:
                    return task.result()
    finally:
        task.cancel()


binders = pytest.mark.parametrize("binder", ["aiomsg", "zjs"], ids=["aiomsg-binds", "zjs-binds"])


@binders
async def test_aiomsg_client_zjs_server(
    ctx: aiomsg.Context, zjs: NodePeer, transport: str, binder: str, ipc_dir: Path
) -> None:
    client = ctx.socket(aiomsg.CLIENT, linger=0)
    server = await zjs.socket("Server")
    await link(client, server, binder, transport, ipc_dir)
    async with asyncio.timeout(TIMEOUT):
        await client.send(b"hello")
        data, routing_id = await server.recv()
        assert data == b"hello"
        assert isinstance(routing_id, int) and routing_id != 0
        await server.send(b"reply", routing_id=routing_id)
        assert await client.recv() == b"reply"


@binders
async def test_zjs_client_aiomsg_server(
    ctx: aiomsg.Context, zjs: NodePeer, transport: str, binder: str, ipc_dir: Path
) -> None:
    server = ctx.socket(aiomsg.SERVER, linger=0)
    client = await zjs.socket("Client")
    await link(server, client, binder, transport, ipc_dir)
    async with asyncio.timeout(TIMEOUT):
        await client.send(b"hello")
        data, routing_id = await server.recv_from()
        assert data == b"hello" and routing_id != 0
        await server.send(b"reply", routing_id=routing_id)
        assert await client.recv() == (b"reply", None)
        with pytest.raises(aiomsg.HostUnreachable):
            await server.send(b"nobody", routing_id=routing_id ^ 0xFFFF)


async def test_aiomsg_server_tells_zjs_clients_apart(
    ctx: aiomsg.Context, zjs: NodePeer, transport: str, ipc_dir: Path
) -> None:
    server = ctx.socket(aiomsg.SERVER, linger=0)
    monitor = server.monitor()
    endpoint = await server.bind(endpoint_for(transport, ipc_dir))
    clients = [await zjs.socket("Client") for _ in range(3)]
    async with asyncio.timeout(TIMEOUT):
        for client in clients:
            await client.connect(endpoint)
            await monitor.wait_for(aiomsg.Event.HANDSHAKE_SUCCEEDED)
        for index, client in enumerate(clients):
            await client.send(b"%d" % index)
        ids = {}
        for _ in clients:
            data, routing_id = await server.recv_from()
            ids[int(data)] = routing_id
        assert len(set(ids.values())) == 3 and 0 not in ids.values()
        for index, routing_id in ids.items():
            await server.send(b"for %d" % index, routing_id=routing_id)
        for index, client in enumerate(clients):
            assert await client.recv() == (b"for %d" % index, None)


@binders
async def test_aiomsg_scatter_zjs_gather(
    ctx: aiomsg.Context, zjs: NodePeer, transport: str, binder: str, ipc_dir: Path
) -> None:
    scatter = ctx.socket(aiomsg.SCATTER, linger=0)
    gather = await zjs.socket("Gather")
    await link(scatter, gather, binder, transport, ipc_dir)
    async with asyncio.timeout(TIMEOUT):
        for index in range(5):
            await scatter.send(b"task %d" % index)
        got = [(await gather.recv())[0] for _ in range(5)]
    assert got == [b"task %d" % index for index in range(5)]


@binders
async def test_zjs_scatter_aiomsg_gather(
    ctx: aiomsg.Context, zjs: NodePeer, transport: str, binder: str, ipc_dir: Path
) -> None:
    gather = ctx.socket(aiomsg.GATHER, linger=0)
    scatter = await zjs.socket("Scatter")
    await link(gather, scatter, binder, transport, ipc_dir)
    async with asyncio.timeout(TIMEOUT):
        for index in range(5):
            await scatter.send(b"task %d" % index)
        got = [await gather.recv() for _ in range(5)]
    assert got == [b"task %d" % index for index in range(5)]


async def test_aiomsg_scatter_round_robins_over_zjs_gathers(
    ctx: aiomsg.Context, zjs: NodePeer, transport: str, ipc_dir: Path
) -> None:
    scatter = ctx.socket(aiomsg.SCATTER, linger=0)
    monitor = scatter.monitor()
    endpoint = await scatter.bind(endpoint_for(transport, ipc_dir))
    gathers = [await zjs.socket("Gather") for _ in range(2)]
    async with asyncio.timeout(TIMEOUT):
        for gather in gathers:
            await gather.connect(endpoint)
            await monitor.wait_for(aiomsg.Event.HANDSHAKE_SUCCEEDED)
        for index in range(6):
            await scatter.send(b"%d" % index)
        first = [(await gathers[0].recv())[0] for _ in range(3)]
        second = [(await gathers[1].recv())[0] for _ in range(3)]
    assert sorted([first, second]) == [[b"0", b"2", b"4"], [b"1", b"3", b"5"]]


@binders
async def test_aiomsg_dish_zjs_radio(
    ctx: aiomsg.Context, zjs: NodePeer, transport: str, binder: str, ipc_dir: Path
) -> None:
    dish = ctx.socket(aiomsg.DISH, linger=0)
    await dish.join("weather")
    radio = await zjs.socket("Radio")
    await link(dish, radio, binder, transport, ipc_dir)

    async def publish() -> None:
        await radio.send(b"news", group=b"news")  # not joined: filtered out
        await radio.send(b"sunny", group=b"weather")

    assert await send_until(publish, dish.recv_with_group()) == (b"sunny", b"weather")
    await dish.join(b"news")  # a JOIN after the handshake reaches the RADIO too
    got = await send_until(publish, _recv_group(dish, b"news"))
    assert got == (b"news", b"news")
    await dish.leave("news")
    # Drain until the LEAVE took effect: then only "weather" arrives.
    async with asyncio.timeout(TIMEOUT):
        while True:
            await radio.send(b"news", group=b"news")
            await radio.send(b"end", group=b"weather")
            if await _last_before(dish, b"end") == []:
                break
    assert dish.dropped == 0


async def _recv_group(dish: aiomsg.Socket, group: bytes) -> tuple[bytes, bytes]:
    while True:
        data, got = await dish.recv_with_group()
        if got == group:
            return data, got


async def _last_before(dish: aiomsg.Socket, end: bytes) -> list[bytes]:
    """The groups other than weather received before *end* (b"sunny" ignored)."""
    others = []
    while True:
        data, group = await dish.recv_with_group()
        if data == end:
            return others
        if group != b"weather":
            others.append(group)


@binders
async def test_zjs_dish_aiomsg_radio(
    ctx: aiomsg.Context, zjs: NodePeer, transport: str, binder: str, ipc_dir: Path
) -> None:
    radio = ctx.socket(aiomsg.RADIO, linger=0)
    dish = await zjs.socket("Dish")
    await dish.join(b"weather")
    await link(radio, dish, binder, transport, ipc_dir)

    async def publish() -> None:
        await radio.send(b"news", group="news")
        await radio.send(b"sunny", group="weather")

    assert await send_until(publish, dish.recv()) == (b"sunny", b"weather")
    long_group = b"g" * 255  # the longest group: a short frame with MORE
    await dish.join(long_group)

    async def publish_long() -> None:
        await radio.send(b"long", group=long_group)

    got = await send_until(publish_long, _zjs_recv_group(dish, long_group))
    assert got == (b"long", long_group)


async def _zjs_recv_group(dish: NodeSocket, group: bytes) -> tuple[bytes, Any]:
    while True:
        data, got = await dish.recv()
        if got == group:
            return data, got


async def test_zjs_dish_with_heartbeats_keeps_our_radio(
    ctx: aiomsg.Context, zjs: NodePeer, transport: str, ipc_dir: Path
) -> None:
    """A libzmq DISH that PINGs gets no PONG from us: a PONG would make it
    drop the connection for good (docs/wire/draft.md#dish-heartbeats)."""
    radio = ctx.socket(aiomsg.RADIO, linger=0, heartbeat_ivl=50)
    dish = await zjs.socket("Dish", heartbeatInterval=50, heartbeatTimeout=5000)
    await dish.join(b"g")
    await link(radio, dish, "aiomsg", transport, ipc_dir)

    async def publish() -> None:
        await radio.send(b"m", group="g")

    await send_until(publish, dish.recv())
    # Ten heartbeat intervals later the connection still carries messages.
    loop = asyncio.get_running_loop()
    until = loop.time() + 0.5
    async with asyncio.timeout(TIMEOUT):
        while loop.time() < until:
            await send_until(publish, dish.recv())
    assert radio.peer_count == 1


async def test_zjs_dealer_is_refused_by_our_server(
    ctx: aiomsg.Context, zjs: NodePeer, transport: str, ipc_dir: Path
) -> None:
    server = ctx.socket(aiomsg.SERVER, linger=0)
    monitor = server.monitor()
    endpoint = await server.bind(endpoint_for(transport, ipc_dir))
    dealer = await zjs.socket("Dealer")
    await dealer.connect(endpoint)
    async with asyncio.timeout(TIMEOUT):
        event = await monitor.wait_for(aiomsg.Event.HANDSHAKE_FAILED)
    assert "DEALER" in event.reason
    assert server.peer_count == 0
