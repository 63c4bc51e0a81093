"""REQ/REP: lockstep, round robin over servers, envelopes with DEALER/ROUTER."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from helpers import wait_handshakes

import aiomsg


async def _echo_server(rep: aiomsg.Socket, name: bytes) -> None:
    while True:
        parts = await rep.recv_multipart()
        await rep.send_multipart([name, *parts])


async def test_round_trip(ctx: aiomsg.Context) -> None:
    rep = ctx.socket(aiomsg.REP)
    req = ctx.socket(aiomsg.REQ)
    ep = await rep.bind("tcp://127.0.0.1:*")
    await req.connect(ep)
    async with asyncio.timeout(5):
        for i in range(3):
            await req.send(b"ping %d" % i)
            assert await rep.recv() == b"ping %d" % i
            await rep.send(b"pong %d" % i)
            assert await req.recv() == b"pong %d" % i


async def test_multipart_request_and_reply(ctx: aiomsg.Context) -> None:
    rep = ctx.socket(aiomsg.REP)
    req = ctx.socket(aiomsg.REQ)
    ep = await rep.bind("tcp://127.0.0.1:*")
    await req.connect(ep)
    async with asyncio.timeout(5):
        await req.send_multipart([b"a", b"", b"c"])
        assert await rep.recv_multipart() == [b"a", b"", b"c"]
        await rep.send_multipart([b"x", b"y"])
        assert await req.recv_multipart() == [b"x", b"y"]


async def test_req_alternates_between_two_reps(ctx: aiomsg.Context) -> None:
    rep1 = ctx.socket(aiomsg.REP)
    rep2 = ctx.socket(aiomsg.REP)
    req = ctx.socket(aiomsg.REQ)
    mon = req.monitor()
    ep1 = await rep1.bind("tcp://127.0.0.1:*")
    ep2 = await rep2.bind("tcp://127.0.0.1:*")
    await req.connect(ep1)
    await req.connect(ep2)
    await wait_handshakes(mon, 2)
    servers = [
        asyncio.create_task(_echo_server(rep1, b"one")),
        asyncio.create_task(_echo_server(rep2, b"two")),
    ]
    try:
        names = []
        async with asyncio.timeout(5):
            for i in range(6):
                await req.send(b"req %d" % i)
                name, body = await req.recv_multipart()
                assert body == b"req %d" % i
                names.append(name)
    finally:
        for task in servers:
            task.cancel()
        await asyncio.gather(*servers, return_exceptions=True)
    assert set(names) == {b"one", b"two"}
    assert all(a != b for a, b in itertools.pairwise(names)), names


async def test_req_send_twice_raises_invalid_state(ctx: aiomsg.Context) -> None:
    rep = ctx.socket(aiomsg.REP)
    req = ctx.socket(aiomsg.REQ)
    ep = await rep.bind("tcp://127.0.0.1:*")
    await req.connect(ep)
    async with asyncio.timeout(5):
        await req.send(b"first")
        with pytest.raises(aiomsg.InvalidState):
            await req.send(b"second")
        # The socket still works: the first request is answered.
        assert await rep.recv() == b"first"
        await rep.send(b"answer")
        assert await req.recv() == b"answer"
        # And a new request may go out now.
        await req.send(b"third")
        assert await rep.recv() == b"third"


async def test_req_recv_before_send_raises_invalid_state(ctx: aiomsg.Context) -> None:
    req = ctx.socket(aiomsg.REQ)
    async with asyncio.timeout(5):
        with pytest.raises(aiomsg.InvalidState):
            await req.recv()
        with pytest.raises(aiomsg.InvalidState):
            await req.recv_multipart()


async def test_rep_send_before_recv_raises_invalid_state(ctx: aiomsg.Context) -> None:
    rep = ctx.socket(aiomsg.REP)
    await rep.bind("tcp://127.0.0.1:*")
    async with asyncio.timeout(5):
        with pytest.raises(aiomsg.InvalidState):
            await rep.send(b"unsolicited")
        with pytest.raises(aiomsg.InvalidState):
            await rep.send_multipart([b"un", b"solicited"])


async def test_rep_send_twice_raises_invalid_state(ctx: aiomsg.Context) -> None:
    rep = ctx.socket(aiomsg.REP)
    req = ctx.socket(aiomsg.REQ)
    ep = await rep.bind("tcp://127.0.0.1:*")
    await req.connect(ep)
    async with asyncio.timeout(5):
        await req.send(b"q")
        assert await rep.recv() == b"q"
        await rep.send(b"a")
        with pytest.raises(aiomsg.InvalidState):
            await rep.send(b"again")
        assert await req.recv() == b"a"


async def test_rep_serves_dealer_with_empty_delimiter(ctx: aiomsg.Context) -> None:
    rep = ctx.socket(aiomsg.REP)
    dealer = ctx.socket(aiomsg.DEALER)
    ep = await rep.bind("tcp://127.0.0.1:*")
    await dealer.connect(ep)
    async with asyncio.timeout(5):
        await dealer.send_multipart([b"", b"hello", b"world"])
        assert await rep.recv_multipart() == [b"hello", b"world"]
        await rep.send(b"reply")
        assert await dealer.recv_multipart() == [b"", b"reply"]


async def test_rep_keeps_routing_envelope(ctx: aiomsg.Context) -> None:
    """A request with extra envelope frames is answered with the same envelope."""
    rep = ctx.socket(aiomsg.REP)
    dealer = ctx.socket(aiomsg.DEALER)
    ep = await rep.bind("tcp://127.0.0.1:*")
    await dealer.connect(ep)
    async with asyncio.timeout(5):
        await dealer.send_multipart([b"hop1", b"hop2", b"", b"body"])
        assert await rep.recv_multipart() == [b"body"]
        await rep.send(b"answer")
        assert await dealer.recv_multipart() == [b"hop1", b"hop2", b"", b"answer"]


async def test_req_talks_to_router(ctx: aiomsg.Context) -> None:
    router = ctx.socket(aiomsg.ROUTER)
    req = ctx.socket(aiomsg.REQ)
    ep = await router.bind("tcp://127.0.0.1:*")
    await req.connect(ep)
    async with asyncio.timeout(5):
        await req.send(b"question")
        rid, delimiter, body = await router.recv_multipart()
        assert (delimiter, body) == (b"", b"question")
        await router.send_multipart([rid, b"", b"answer"])
        assert await req.recv() == b"answer"


async def test_req_ignores_reply_from_router_without_delimiter(ctx: aiomsg.Context) -> None:
    """A malformed reply (no empty delimiter) is not handed to the REQ application."""
    router = ctx.socket(aiomsg.ROUTER)
    req = ctx.socket(aiomsg.REQ)
    ep = await router.bind("tcp://127.0.0.1:*")
    await req.connect(ep)
    async with asyncio.timeout(5):
        await req.send(b"question")
        rid, _, _ = await router.recv_multipart()
        await router.send_multipart([rid, b"bad reply"])
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(req.recv(), 0.3)


async def test_rep_fair_queues_two_reqs(ctx: aiomsg.Context) -> None:
    rep = ctx.socket(aiomsg.REP)
    ep = await rep.bind("tcp://127.0.0.1:*")
    reqs = [ctx.socket(aiomsg.REQ) for _ in range(2)]
    for r in reqs:
        await r.connect(ep)
    async with asyncio.timeout(5):
        for i, r in enumerate(reqs):
            await r.send(b"from %d" % i)
        seen = set()
        for _ in range(2):
            body = await rep.recv()
            seen.add(body)
            await rep.send(b"re: " + body)
        assert seen == {b"from 0", b"from 1"}
        for i, r in enumerate(reqs):
            assert await r.recv() == b"re: from %d" % i


async def test_cancelled_req_recv_keeps_state(ctx: aiomsg.Context) -> None:
    rep = ctx.socket(aiomsg.REP)
    req = ctx.socket(aiomsg.REQ)
    ep = await rep.bind("tcp://127.0.0.1:*")
    await req.connect(ep)
    async with asyncio.timeout(5):
        await req.send(b"q")
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(req.recv(), 0.1)
        assert await rep.recv() == b"q"
        await rep.send(b"a")
        assert await req.recv() == b"a"
