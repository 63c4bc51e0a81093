"""jszmq (npm ``jszmq`` 0.1.2, a pure JavaScript ZWS 2.0 stack) against aiomsg.

jszmq offers only bare ``ZWS2.0``: no mechanism, no READY, each side's
first message its routing id (docs/wire/draft.md#zws-jszmq). aiomsg's ws
server accepts that for the classic types under NULL, on its own ``ws://``
listener and on routes mounted in aiohttp and Starlette (aiomsg.web).

The other way round fails, as the wire notes found with libzmq: jszmq's
server accepts whatever subprotocol is offered first (our ``ZWS2.0/NULL``)
and then speaks bare ZWS2.0 anyway, sending a routing id where our READY
handshake expects READY. That is reported as a failed handshake, not
worked around.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import pytest
from web._servers import SERVERS, asgi_missing

import aiomsg

from ._helpers import TIMEOUT
from ._node import JSZMQ_SCRIPT, NodePeer, NodeSocket, jszmq_missing
from .test_interop_draft import send_until

Exchange = Callable[[aiomsg.Socket, NodeSocket], Awaitable[None]]


@pytest.fixture
async def jszmq() -> AsyncIterator[NodePeer]:
    """A Node process running jszmq; skips without it."""
    if missing := jszmq_missing():
        pytest.skip(missing)
    peer = await NodePeer.start(script=JSZMQ_SCRIPT)
    assert peer.hello["version"] == "0.1.2", peer.hello
    try:
        yield peer
    finally:
        await peer.close()


async def pub_sub(ours: aiomsg.Socket, theirs: NodeSocket) -> None:
    """A weather feed: the jszmq SUB gets only its zipcode's updates."""
    await theirs.subscribe(b"10001 ")

    async def publish() -> None:
        await ours.send(b"90210 80 20")
        await ours.send(b"10001 72 35")

    assert await send_until(publish, theirs.recv_multipart()) == [b"10001 72 35"]
    # The subscription filters at our PUB: the next one is the zipcode's too.
    await ours.send(b"90210 81 21")
    await ours.send(b"10001 73 36")
    assert await theirs.recv_multipart() == [b"10001 73 36"]


async def router_dealer(ours: aiomsg.Socket, theirs: NodeSocket) -> None:
    await theirs.send_multipart([b"hello", b"two"])
    routing_id, *body = await ours.recv_multipart()
    assert body == [b"hello", b"two"] and routing_id
    await ours.send_multipart([routing_id, b"back", b"x" * 70000])
    assert await theirs.recv_multipart() == [b"back", b"x" * 70000]


async def rep_req(ours: aiomsg.Socket, theirs: NodeSocket) -> None:
    for n in range(3):
        await theirs.send_multipart([b"request %d" % n])
        assert await ours.recv_multipart() == [b"request %d" % n]
        await ours.send_multipart([b"reply %d" % n, b"part"])
        assert await theirs.recv_multipart() == [b"reply %d" % n, b"part"]


async def pull_push(ours: aiomsg.Socket, theirs: NodeSocket) -> None:
    for i in range(20):
        await theirs.send_multipart([b"%d" % i, b"y" * (i * 13)])
    for i in range(20):
        assert await ours.recv_multipart() == [b"%d" % i, b"y" * (i * 13)]


async def push_pull(ours: aiomsg.Socket, theirs: NodeSocket) -> None:
    for i in range(20):
        await ours.send_multipart([b"%d" % i])
    assert [await theirs.recv_multipart() for _ in range(20)] == [[b"%d" % i] for i in range(20)]


# aiomsg's type, jszmq's, the exchange.
PAIRS: dict[str, tuple[int, str, Exchange]] = {
    "PUB-Sub": (aiomsg.PUB, "Sub", pub_sub),
    "ROUTER-Dealer": (aiomsg.ROUTER, "Dealer", router_dealer),
    "REP-Req": (aiomsg.REP, "Req", rep_req),
    "PULL-Push": (aiomsg.PULL, "Push", pull_push),
    "PUSH-Pull": (aiomsg.PUSH, "Pull", push_pull),
}


@asynccontextmanager
async def ws_bind(sock: aiomsg.Socket, route: str) -> AsyncIterator[str]:
    yield await sock.bind(f"ws://127.0.0.1:*{route}")


def mounted(server: str) -> Callable[[aiomsg.Socket, str], AbstractAsyncContextManager[str]]:
    @asynccontextmanager
    async def serve(sock: aiomsg.Socket, route: str) -> AsyncIterator[str]:
        if server == "starlette" and (missing := asgi_missing()):
            pytest.skip(missing)
        async with SERVERS[server](sock, route) as port:
            yield f"ws://127.0.0.1:{port}{route}"

    return serve


WHERE = {"ws-bind": ws_bind, "aiohttp": mounted("aiohttp"), "starlette": mounted("starlette")}


@pytest.mark.parametrize("where", sorted(WHERE))
@pytest.mark.parametrize("pair", sorted(PAIRS))
async def test_jszmq_client(ctx: aiomsg.Context, jszmq: NodePeer, pair: str, where: str) -> None:
    our_type, their_type, exchange = PAIRS[pair]
    ours = ctx.socket(our_type, linger=0)
    monitor = ours.monitor()
    theirs = await jszmq.socket(their_type)
    async with WHERE[where](ours, "/zmq") as endpoint:
        try:
            await theirs.connect(endpoint)
            async with asyncio.timeout(TIMEOUT):
                await monitor.wait_for(aiomsg.Event.HANDSHAKE_SUCCEEDED)
                await exchange(ours, theirs)
        finally:
            monitor.close()
            await theirs.close()


async def test_bare_zws_refused_under_curve(ctx: aiomsg.Context, jszmq: NodePeer) -> None:
    """Bare ZWS2.0 has no mechanism: a CURVE server must not fall back to it."""
    if not aiomsg.has_curve():
        pytest.skip("CURVE needs PyNaCl")
    _, secret = aiomsg.curve_keypair()
    pull = ctx.socket(aiomsg.PULL, linger=0, curve_server=True, curve_secretkey=secret)
    monitor = pull.monitor()
    push = await jszmq.socket("Push")
    try:
        await push.connect(await pull.bind("ws://127.0.0.1:*/zmq"))
        async with asyncio.timeout(TIMEOUT):
            event = await monitor.wait_for(aiomsg.Event.HANDSHAKE_FAILED)
        assert "ZWS2.0/CURVE" in event.reason, event
    finally:
        monitor.close()
        await push.close()


async def test_aiomsg_client_to_jszmq_server_fails_cleanly(
    ctx: aiomsg.Context, jszmq: NodePeer
) -> None:
    """jszmq's server picks our ZWS2.0/NULL, then sends a bare routing id:
    our DEALER reports the failed handshake and stays usable."""
    router = await jszmq.socket("Router")
    dealer = ctx.socket(aiomsg.DEALER, linger=0, reconnect_ivl=50)
    monitor = dealer.monitor()
    try:
        await dealer.connect(await router.bind_path("/zmq"))
        async with asyncio.timeout(TIMEOUT):
            event = await monitor.wait_for(aiomsg.Event.HANDSHAKE_FAILED)
        assert "before the handshake" in event.reason, event
        assert not dealer.closed
    finally:
        monitor.close()
        await router.close()
