"""ZWS 2.0 (ws://) against libzmq 4.3.5's ws transport (zeromq.js under Node).

Every pair in both directions (aiomsg on each side of it), each library
binding in turn, under NULL and CURVE (and PLAIN for two pairs). pyzmq's wheels leave the ws
transport out, so zeromq.js is the libzmq here (docs/wire/draft.md#zws).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

import aiomsg

from ._helpers import TIMEOUT
from ._node import NodePeer, NodeSocket
from .test_interop_draft import send_until

Exchange = Callable[[aiomsg.Socket, NodeSocket], Awaitable[None]]


async def req_rep(ours: aiomsg.Socket, theirs: NodeSocket) -> None:
    await ours.send_multipart([b"request", b"two parts"])
    assert await theirs.recv_multipart() == [b"request", b"two parts"]
    await theirs.send_multipart([b"reply"])
    assert await ours.recv_multipart() == [b"reply"]


async def rep_req(ours: aiomsg.Socket, theirs: NodeSocket) -> None:
    await theirs.send_multipart([b"request", b""])
    assert await ours.recv_multipart() == [b"request", b""]
    await ours.send_multipart([b"reply", b"x" * 70000])
    assert await theirs.recv_multipart() == [b"reply", b"x" * 70000]


async def dealer_router(ours: aiomsg.Socket, theirs: NodeSocket) -> None:
    await ours.send_multipart([b"hello"])
    routing_id, body = await theirs.recv_multipart()
    assert body == b"hello"
    await theirs.send_multipart([routing_id, b"back", b"x" * 300])
    assert await ours.recv_multipart() == [b"back", b"x" * 300]


async def router_dealer(ours: aiomsg.Socket, theirs: NodeSocket) -> None:
    await theirs.send_multipart([b"hello"])
    routing_id, body = await ours.recv_multipart()
    assert body == b"hello"
    await ours.send_multipart([routing_id, b"back"])
    assert await theirs.recv_multipart() == [b"back"]


async def pub_sub(ours: aiomsg.Socket, theirs: NodeSocket) -> None:
    await theirs.subscribe(b"weather")

    async def publish() -> None:
        await ours.send(b"news: filtered out")
        await ours.send(b"weather: sunny")

    assert await send_until(publish, theirs.recv_multipart()) == [b"weather: sunny"]


async def sub_pub(ours: aiomsg.Socket, theirs: NodeSocket) -> None:
    ours.subscribe(b"weather")

    async def publish() -> None:
        await theirs.send_multipart([b"news: filtered out"])
        await theirs.send_multipart([b"weather: sunny", b"more"])

    assert await send_until(publish, ours.recv_multipart()) == [b"weather: sunny", b"more"]


async def push_pull(ours: aiomsg.Socket, theirs: NodeSocket) -> None:
    for i in range(50):
        await ours.send_multipart([b"%d" % i, b"y" * (i * 7)])
    for i in range(50):
        assert await theirs.recv_multipart() == [b"%d" % i, b"y" * (i * 7)]


async def pull_push(ours: aiomsg.Socket, theirs: NodeSocket) -> None:
    for i in range(50):
        await theirs.send_multipart([b"%d" % i, b"y" * (i * 7)])
    for i in range(50):
        assert await ours.recv_multipart() == [b"%d" % i, b"y" * (i * 7)]


async def radio_dish(ours: aiomsg.Socket, theirs: NodeSocket) -> None:
    await theirs.join(b"weather")

    async def publish() -> None:
        await ours.send(b"news", group=b"news")
        await ours.send(b"sunny", group=b"weather")

    assert await send_until(publish, theirs.recv()) == (b"sunny", b"weather")


async def dish_radio(ours: aiomsg.Socket, theirs: NodeSocket) -> None:
    await ours.join(b"weather")

    async def publish() -> None:
        await theirs.send(b"news", group=b"news")
        await theirs.send(b"sunny", group=b"weather")

    assert await send_until(publish, ours.recv_with_group()) == (b"sunny", b"weather")


PAIRS: dict[str, tuple[str, str, Exchange]] = {
    "REQ-Rep": ("REQ", "Rep", req_rep),
    "REP-Req": ("REP", "Req", rep_req),
    "DEALER-Router": ("DEALER", "Router", dealer_router),
    "ROUTER-Dealer": ("ROUTER", "Dealer", router_dealer),
    "PUB-Sub": ("PUB", "Sub", pub_sub),
    "SUB-Pub": ("SUB", "Pub", sub_pub),
    "PUSH-Pull": ("PUSH", "Pull", push_pull),
    "PULL-Push": ("PULL", "Push", pull_push),
    "RADIO-Dish": ("RADIO", "Dish", radio_dish),
    "DISH-Radio": ("DISH", "Radio", dish_radio),
}


def security(mechanism: str, aiomsg_is_server: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """Socket options for (aiomsg, zeromq.js): NULL, or PLAIN or CURVE with
    the binder as server."""
    if mechanism == "NULL":
        return {}, {}
    if mechanism == "PLAIN":
        if aiomsg_is_server:
            return {"plain_server": True}, {"plainUsername": "ann", "plainPassword": "pw"}
        return {"plain_username": "ann", "plain_password": "pw"}, {"plainServer": True}
    server_public, server_secret = aiomsg.curve_keypair()
    client_public, client_secret = aiomsg.curve_keypair()
    server = {"curve_server": True, "curve_secretkey": server_secret}
    client = {
        "curve_serverkey": server_public,
        "curve_publickey": client_public,
        "curve_secretkey": client_secret,
    }
    zjs_server = {"curveServer": True, "curveSecretKey": server_secret.decode()}
    zjs_client = {key: value.decode() for key, value in zip(
        ("curveServerKey", "curvePublicKey", "curveSecretKey"),
        (server_public, client_public, client_secret),
        strict=True,
    )}  # fmt: skip
    return (server, zjs_client) if aiomsg_is_server else (client, zjs_server)


# PLAIN adds nothing type-specific: a request-reply and a pipeline pair suffice.
CASES = [
    (pair, mechanism)
    for mechanism in ("NULL", "CURVE", "PLAIN")
    for pair in PAIRS
    if mechanism != "PLAIN" or pair in ("REQ-Rep", "PULL-Push")
]


@pytest.mark.parametrize("binder", ["aiomsg", "zjs"], ids=["aiomsg-binds", "zjs-binds"])
@pytest.mark.parametrize(("pair", "mechanism"), CASES)
async def test_ws_interop(
    ctx: aiomsg.Context, zjs: NodePeer, pair: str, binder: str, mechanism: str
) -> None:
    if mechanism == "CURVE" and not aiomsg.has_curve():
        pytest.skip("CURVE needs PyNaCl")
    if mechanism == "PLAIN":
        if binder == "zjs":
            pytest.skip("a libzmq PLAIN server needs a ZAP handler, which peer.js does not run")
        auth = aiomsg.Authenticator(ctx)
        auth.start()
        auth.configure_plain(domain="*", passwords={"ann": "pw"})
    our_type, their_type, exchange = PAIRS[pair]
    our_options, their_options = security(mechanism, aiomsg_is_server=binder == "aiomsg")
    ours = ctx.socket(getattr(aiomsg, our_type), linger=0, **our_options)
    theirs = await zjs.socket(their_type, **their_options)
    monitor = ours.monitor()
    try:
        if binder == "aiomsg":
            endpoint = await ours.bind("ws://127.0.0.1:*/zmq")
            await theirs.connect(endpoint)
        else:
            endpoint = await theirs.bind("ws://127.0.0.1:*/zmq")
            await ours.connect(endpoint)
        async with asyncio.timeout(TIMEOUT):
            await monitor.wait_for(aiomsg.Event.HANDSHAKE_SUCCEEDED)
            await exchange(ours, theirs)
    finally:
        monitor.close()
        await theirs.close()
