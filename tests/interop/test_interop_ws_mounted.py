"""libzmq 4.3.5's ws transport (zeromq.js) connecting to aiomsg sockets mounted in
web apps (aiomsg.web): an aiohttp app and a Starlette app under uvicorn.

A mounted socket only binds, so zeromq.js always connects. The route is one
path segment: a libzmq 4.3.5 client sends only the last segment of its
endpoint as the request target (docs/wire/draft.md#zws-upgrade), so a
deeper route would not match. NULL for every pair; PLAIN and CURVE with
aiomsg as the server.
"""

from __future__ import annotations

import asyncio

import pytest
from web._servers import SERVERS, asgi_missing

import aiomsg

from ._helpers import TIMEOUT
from ._node import NodePeer
from .test_interop_ws import PAIRS, security

# Every pair under NULL on aiohttp; on Starlette, which shares everything
# below the WebSocket, one of each family. PLAIN and CURVE: a request-reply
# and a pipeline pair (CURVE also pub-sub, whose subscriptions are boxed).
FAMILIES = ("REQ-Rep", "ROUTER-Dealer", "PUB-Sub", "PULL-Push", "RADIO-Dish")
CASES = [
    *[("aiohttp", pair, "NULL") for pair in PAIRS],
    *[("starlette", pair, "NULL") for pair in FAMILIES],
    *[(server, pair, "CURVE") for server in SERVERS for pair in ("REQ-Rep", "SUB-Pub")],
    *[(server, pair, "PLAIN") for server in SERVERS for pair in ("REP-Req", "PULL-Push")],
]


@pytest.mark.parametrize(("server", "pair", "mechanism"), CASES)
async def test_zjs_to_mounted_route(
    ctx: aiomsg.Context, zjs: NodePeer, server: str, pair: str, mechanism: str
) -> None:
    if server == "starlette" and (missing := asgi_missing()):
        pytest.skip(missing)
    if mechanism == "CURVE" and not aiomsg.has_curve():
        pytest.skip("CURVE needs PyNaCl")
    if mechanism == "PLAIN":
        auth = aiomsg.Authenticator(ctx)
        auth.start()
        auth.configure_plain(domain="*", passwords={"ann": "pw"})
    our_type, their_type, exchange = PAIRS[pair]
    our_options, their_options = security(mechanism, aiomsg_is_server=True)
    ours = ctx.socket(getattr(aiomsg, our_type), linger=0, **our_options)
    theirs = await zjs.socket(their_type, **their_options)
    monitor = ours.monitor()
    async with SERVERS[server](ours, "/zmq") as port:
        try:
            await theirs.connect(f"ws://127.0.0.1:{port}/zmq")
            async with asyncio.timeout(TIMEOUT):
                event = await monitor.wait_for(aiomsg.Event.HANDSHAKE_SUCCEEDED)
                assert event.endpoint.startswith("web://"), event
                await exchange(ours, theirs)
        finally:
            monitor.close()
            await theirs.close()
