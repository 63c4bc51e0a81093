"""REQ's req_relaxed and req_correlate, and probe_router on DEALER and REQ."""

from __future__ import annotations

import asyncio

import pytest
from helpers import assert_nothing_received, poll_until, wait_handshakes

import aiomsg


async def _req_and_router(
    ctx: aiomsg.Context, **req_options: object
) -> tuple[aiomsg.Socket, aiomsg.Socket]:
    router = ctx.socket(aiomsg.ROUTER)
    mon = router.monitor()
    endpoint = await router.bind("tcp://127.0.0.1:*")
    req = ctx.socket(aiomsg.REQ, **req_options)
    await req.connect(endpoint)
    await wait_handshakes(mon)
    return req, router


async def test_strict_req_refuses_a_second_request(ctx: aiomsg.Context) -> None:
    req, _ = await _req_and_router(ctx)
    await req.send(b"one")
    with pytest.raises(aiomsg.InvalidState):
        await req.send(b"two")


async def test_correlate_puts_a_request_id_before_the_delimiter(ctx: aiomsg.Context) -> None:
    req, router = await _req_and_router(ctx, req_correlate=True)
    async with asyncio.timeout(5):
        await req.send(b"first")
        rid, request_id, delimiter, body = await router.recv_multipart()
        assert (len(request_id), delimiter, body) == (4, b"", b"first")
        # A reply echoing another id is dropped; the one echoing ours is taken.
        await router.send_multipart([rid, b"\xff\xff\xff\xff", b"", b"forged"])
        await router.send_multipart([rid, request_id, b"", b"answer"])
        assert await req.recv_multipart() == [b"answer"]
        await req.send(b"second")
        _, next_id, _, _ = await router.recv_multipart()
        assert next_id != request_id


async def test_relaxed_correlated_req_takes_only_the_latest_reply(ctx: aiomsg.Context) -> None:
    req, router = await _req_and_router(ctx, req_relaxed=True, req_correlate=True)
    async with asyncio.timeout(5):
        await req.send(b"first")
        await req.send(b"second")  # no InvalidState: relaxed
        first = await router.recv_multipart()
        second = await router.recv_multipart()
        await router.send_multipart([*first[:3], b"late reply"])
        await router.send_multipart([*second[:3], b"reply to second"])
        assert await req.recv_multipart() == [b"reply to second"]
    await req.send(b"third")  # the lockstep goes on
    with pytest.raises(aiomsg.Again):
        await req.recv_multipart(aiomsg.NOBLOCK)


async def test_relaxed_req_drops_stale_replies_when_it_sends(ctx: aiomsg.Context) -> None:
    """Without correlate, a reply already queued when a new request goes out is
    dropped (libzmq's req_t::xsend), so it cannot answer the new request."""
    req, router = await _req_and_router(ctx, req_relaxed=True)
    async with asyncio.timeout(5):
        await req.send(b"first")
        rid, delimiter, _ = await router.recv_multipart()
        await router.send_multipart([rid, delimiter, b"stale"])
        await poll_until(lambda: req.stats().queued_in == 1)
        await req.send(b"second")
        await router.recv_multipart()
        await router.send_multipart([rid, delimiter, b"fresh"])
        assert await req.recv_multipart() == [b"fresh"]


async def test_relaxed_req_still_needs_a_request_before_recv(ctx: aiomsg.Context) -> None:
    req = ctx.socket(aiomsg.REQ, req_relaxed=True)
    with pytest.raises(aiomsg.InvalidState):
        await req.recv(aiomsg.NOBLOCK)


@pytest.mark.parametrize("kind", ["DEALER", "REQ", "ROUTER"])
async def test_probe_router_sends_an_empty_message_to_each_new_peer(
    ctx: aiomsg.Context, kind: str
) -> None:
    router = ctx.socket(aiomsg.ROUTER)
    endpoint = await router.bind("tcp://127.0.0.1:*")
    prober = ctx.socket(getattr(aiomsg, kind), probe_router=True, identity=b"prober")
    await prober.connect(endpoint)
    async with asyncio.timeout(5):
        assert await router.recv_multipart() == [b"prober", b""]


async def test_without_probe_router_nothing_is_sent(ctx: aiomsg.Context) -> None:
    router = ctx.socket(aiomsg.ROUTER)
    mon = router.monitor()
    endpoint = await router.bind("tcp://127.0.0.1:*")
    dealer = ctx.socket(aiomsg.DEALER)
    await dealer.connect(endpoint)
    await wait_handshakes(mon)
    await assert_nothing_received(router, 0.2)
