"""The documented service envelope spoken by raw pyzmq (libzmq) sockets.

A zmq.asyncio DEALER or REQ talks to an aiomsg RequestServer, and a
zmq.asyncio ROUTER answers an aiomsg RequestClient, frame by frame as
docs/services.md describes. Both libraries share the test's event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import zmq
import zmq.asyncio

import aiomsg
from aiomsg._service import RequestClient, RequestServer

pytestmark = pytest.mark.interop

TIMEOUT = 10.0


@pytest.fixture
async def zctx() -> AsyncIterator[zmq.asyncio.Context]:
    context = zmq.asyncio.Context()
    try:
        yield context
    finally:
        context.destroy(linger=0)


async def handler(frames: list[bytes]) -> list[bytes]:
    if frames == [b"fail"]:
        raise RuntimeError("asked to fail")
    return [frame.upper() for frame in frames]


async def test_pyzmq_dealer_speaks_envelope_to_request_server(ctx, zctx):
    router = ctx.socket(aiomsg.ROUTER, linger=0)
    endpoint = await router.bind("tcp://127.0.0.1:*")
    dealer = zctx.socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    dealer.connect(endpoint)
    try:
        async with RequestServer(router, handler), asyncio.timeout(TIMEOUT):
            # Pipelined: several requests in flight, ids chosen by the client.
            for i in range(5):
                request_id = (1000 + i).to_bytes(8, "big")
                await dealer.send_multipart([b"", request_id, b"hello %d" % i, b"x"])
            replies = [await dealer.recv_multipart() for _ in range(5)]
            replies.sort(key=lambda frames: frames[1])
            for i, reply in enumerate(replies):
                assert reply == [b"", (1000 + i).to_bytes(8, "big"), b"OK", b"HELLO %d" % i, b"X"]

            await dealer.send_multipart([b"", b"\x00" * 7 + b"\x09", b"fail"])
            assert await dealer.recv_multipart() == [
                b"",
                b"\x00" * 7 + b"\x09",
                b"ERR",
                b"RuntimeError",
                b"asked to fail",
            ]
    finally:
        dealer.close(linger=0)


async def test_pyzmq_req_is_a_client_too(ctx, zctx):
    router = ctx.socket(aiomsg.ROUTER, linger=0)
    endpoint = await router.bind("tcp://127.0.0.1:*")
    req = zctx.socket(zmq.REQ)
    req.setsockopt(zmq.LINGER, 0)
    req.connect(endpoint)
    try:
        async with RequestServer(router, handler), asyncio.timeout(TIMEOUT):
            # REQ adds the empty delimiter itself and strips it from the reply.
            await req.send_multipart([b"id-1", b"abc"])
            assert await req.recv_multipart() == [b"id-1", b"OK", b"ABC"]
    finally:
        req.close(linger=0)


async def test_request_client_against_pyzmq_router_server(ctx, zctx):
    router = zctx.socket(zmq.ROUTER)
    router.setsockopt(zmq.LINGER, 0)
    port = router.bind_to_random_port("tcp://127.0.0.1")
    dealer = ctx.socket(aiomsg.DEALER, linger=0)
    await dealer.connect(f"tcp://127.0.0.1:{port}")

    async def serve(count: int) -> None:
        for _ in range(count):
            routing_id, delimiter, request_id, *payload = await router.recv_multipart()
            assert delimiter == b"" and len(request_id) == 8
            if payload == [b"boom"]:
                await router.send_multipart(
                    [routing_id, b"", request_id, b"ERR", b"KeyError", b"boom"]
                )
            else:
                await router.send_multipart([routing_id, b"", request_id, b"OK", *payload[::-1]])

    try:
        async with RequestClient(dealer) as client, asyncio.timeout(TIMEOUT):
            server = asyncio.create_task(serve(11))
            replies = await asyncio.gather(*(client.request([b"a%d" % i, b"b"]) for i in range(10)))
            assert replies == [[b"b", b"a%d" % i] for i in range(10)]
            with pytest.raises(aiomsg.RemoteError) as info:
                await client.request(b"boom")
            assert (info.value.error_type, info.value.message) == ("KeyError", "boom")
            await server
    finally:
        router.close(linger=0)
