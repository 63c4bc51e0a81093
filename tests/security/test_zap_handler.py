"""ZAP through a handler bound at inproc://zeromq.zap.01 (RFC 27), written as
any ZAP handler is, on aiomsg sockets of the same context; zap_enforce_domain.
Against libzmq: a pyzmq client authenticated by such a handler."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import zmq
import zmq.asyncio
from helpers import wait_event

import aiomsg

TIMEOUT = 5.0
ZAP = "inproc://zeromq.zap.01"


async def rep_handler(sock: aiomsg.Socket, seen: list[list[bytes]]) -> None:
    """A REP ZAP handler: admin/secret may in, as user "admin"; NULL in domain "ok"."""
    async for request in sock:
        seen.append(request)
        version, request_id, domain, _address, _identity, mechanism, *credentials = request
        allowed = (mechanism == b"PLAIN" and credentials == [b"admin", b"secret"]) or (
            mechanism == b"NULL" and domain == b"ok"
        )
        if allowed:
            await sock.send_multipart([version, request_id, b"200", b"OK", b"admin", b""])
        else:
            await sock.send_multipart([version, request_id, b"400", b"denied", b"", b""])


async def router_handler(sock: aiomsg.Socket) -> None:
    """The same, as a ROUTER handler sees it: the envelope first."""
    async for envelope_and_request in sock:
        peer, empty, version, request_id, *_ = envelope_and_request
        reply = [version, request_id, b"200", b"OK", b"via-router", b"\x04Role\x00\x00\x00\x05admin"]
        await sock.send_multipart([peer, empty, *reply])


@contextlib.asynccontextmanager
async def handler(ctx: aiomsg.Context, kind: str = "REP") -> AsyncIterator[list[list[bytes]]]:
    sock = ctx.socket(aiomsg.REP if kind == "REP" else aiomsg.ROUTER)
    await sock.bind(ZAP)
    seen: list[list[bytes]] = []
    serve = rep_handler(sock, seen) if kind == "REP" else router_handler(sock)
    task = asyncio.ensure_future(serve)
    try:
        yield seen
    finally:
        task.cancel()
        sock.close()


async def plain_pair(ctx: aiomsg.Context, password: str) -> tuple[aiomsg.Socket, aiomsg.Socket]:
    server = ctx.socket(aiomsg.REP, plain_server=True, zap_domain="global")
    client = ctx.socket(aiomsg.REQ, plain_username="admin", plain_password=password)
    await client.connect(await server.bind("tcp://127.0.0.1:*"))
    return server, client


async def test_rep_handler_accepts_and_refuses(ctx: aiomsg.Context) -> None:
    async with handler(ctx) as seen:
        server, client = await plain_pair(ctx, "secret")
        async with asyncio.timeout(TIMEOUT):
            await client.send(b"hello")
            message, properties = await server.recv_with_properties()
        assert message == [b"hello"] and properties["User-Id"] == "admin"
        version, request_id, domain, address, identity, mechanism, user, password = seen[0]
        assert (version, domain, address, mechanism) == (b"1.0", b"global", b"127.0.0.1", b"PLAIN")
        assert (user, password, identity) == (b"admin", b"secret", b"") and request_id
        bad = ctx.socket(aiomsg.REQ, plain_username="admin", plain_password="guess")
        mon = bad.monitor()
        await bad.connect(await server.bind("tcp://127.0.0.1:*"))
        failed = await wait_event(mon, aiomsg.Event.HANDSHAKE_FAILED)
        assert failed.value == 400


async def test_router_handler_and_metadata(ctx: aiomsg.Context) -> None:
    async with handler(ctx, "ROUTER"):
        server, client = await plain_pair(ctx, "anything")
        async with asyncio.timeout(TIMEOUT):
            await client.send(b"hi")
            _, properties = await server.recv_with_properties()
        assert properties["User-Id"] == "via-router" and properties["Role"] == "admin"


async def test_the_authenticator_comes_first(ctx: aiomsg.Context) -> None:
    async with handler(ctx) as seen:
        auth = aiomsg.Authenticator(ctx)
        auth.configure_plain(domain="*", passwords={"admin": "other"})
        auth.start()
        try:
            server, client = await plain_pair(ctx, "other")
            async with asyncio.timeout(TIMEOUT):
                await client.send(b"hi")
                assert await server.recv() == b"hi"
        finally:
            auth.stop()
        assert seen == []  # the inproc handler was not asked


async def test_null_with_a_domain_asks_the_handler(ctx: aiomsg.Context) -> None:
    async with handler(ctx) as seen:
        for domain, allowed in ((b"ok", True), (b"closed", False)):
            server = ctx.socket(aiomsg.PULL, zap_domain=domain)
            client = ctx.socket(aiomsg.PUSH)
            mon = server.monitor()
            await client.connect(await server.bind("tcp://127.0.0.1:*"))
            event = await wait_event(mon, aiomsg.Event.HANDSHAKE_SUCCEEDED, aiomsg.Event.HANDSHAKE_FAILED)
            assert (event.event is aiomsg.Event.HANDSHAKE_SUCCEEDED) is allowed
        assert [request[2] for request in seen] == [b"ok", b"closed"]


async def test_zap_enforce_domain_without_a_handler(ctx: aiomsg.Context) -> None:
    """libzmq: NULL with a domain and no handler is allowed, unless enforced."""
    for enforce in (False, True):
        server = ctx.socket(aiomsg.PULL, zap_domain="d", zap_enforce_domain=enforce)
        client = ctx.socket(aiomsg.PUSH)
        mon = server.monitor()
        await client.connect(await server.bind("tcp://127.0.0.1:*"))
        event = await wait_event(mon, aiomsg.Event.HANDSHAKE_SUCCEEDED, aiomsg.Event.HANDSHAKE_FAILED)
        assert (event.event is aiomsg.Event.HANDSHAKE_FAILED) is enforce


async def test_pyzmq_client_is_authenticated_by_the_handler(ctx: aiomsg.Context) -> None:
    zctx = zmq.asyncio.Context()
    try:
        async with handler(ctx) as seen:
            server = ctx.socket(aiomsg.REP, plain_server=True)
            endpoint = await server.bind("tcp://127.0.0.1:*")
            client = zctx.socket(zmq.REQ)
            client.plain_username, client.plain_password = b"admin", b"secret"
            client.connect(endpoint)
            async with asyncio.timeout(TIMEOUT):
                await client.send(b"from libzmq")
                message, properties = await server.recv_with_properties()
                assert message == [b"from libzmq"] and properties["User-Id"] == "admin"
                await server.send(b"welcome")
                assert await client.recv() == b"welcome"
            assert seen[0][5] == b"PLAIN"
    finally:
        zctx.destroy(linger=0)
