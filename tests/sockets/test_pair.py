"""PAIR: one peer at a time, both directions."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from helpers import assert_nothing_received, unique_endpoint, wait_event, wait_handshakes

import aiomsg


async def test_pair_both_directions(ctx: aiomsg.Context) -> None:
    a = ctx.socket(aiomsg.PAIR)
    b = ctx.socket(aiomsg.PAIR)
    ep = await a.bind("tcp://127.0.0.1:*")
    await b.connect(ep)
    async with asyncio.timeout(5):
        await b.send(b"to a")
        assert await a.recv() == b"to a"
        await a.send_multipart([b"to", b"b"])
        assert await b.recv_multipart() == [b"to", b"b"]


async def test_pair_refuses_second_peer(ctx: aiomsg.Context) -> None:
    binder = ctx.socket(aiomsg.PAIR)
    mon = binder.monitor()
    ep = await binder.bind("tcp://127.0.0.1:*")
    first = ctx.socket(aiomsg.PAIR)
    await first.connect(ep)
    await wait_handshakes(mon)

    second = ctx.socket(aiomsg.PAIR)
    await second.connect(ep)
    refused = await wait_event(mon, aiomsg.Event.PEER_REFUSED)
    assert refused.reason

    # The second peer's message, if it can be queued at all, never arrives.
    with contextlib.suppress(aiomsg.Again):
        await second.send(b"from second", flags=aiomsg.NOBLOCK)

    async with asyncio.timeout(5):
        await first.send(b"from first")
        assert await binder.recv() == b"from first"
        await binder.send(b"to first")
        assert await first.recv() == b"to first"
    await asyncio.gather(
        assert_nothing_received(binder),
        assert_nothing_received(second),
    )
    assert binder.peer_count == 1


async def test_pair_accepts_new_peer_after_first_leaves(ctx: aiomsg.Context) -> None:
    binder = ctx.socket(aiomsg.PAIR)
    mon = binder.monitor()
    ep = await binder.bind("tcp://127.0.0.1:*")
    first = ctx.socket(aiomsg.PAIR)
    await first.connect(ep)
    await wait_handshakes(mon)
    async with asyncio.timeout(5):
        await first.send(b"1")
        assert await binder.recv() == b"1"
        first.close(linger=0)
    await wait_event(mon, aiomsg.Event.DISCONNECTED)
    replacement = ctx.socket(aiomsg.PAIR)
    await replacement.connect(ep)
    await wait_handshakes(mon)
    async with asyncio.timeout(5):
        await replacement.send(b"2")
        assert await binder.recv() == b"2"
        await binder.send(b"3")
        assert await replacement.recv() == b"3"


@pytest.mark.parametrize("transport", ["tcp", "ipc", "inproc"])
async def test_messages_of_a_peer_that_left_are_still_received(
    ctx: aiomsg.Context, transport: str
) -> None:
    """A PAIR delivers what its peer sent before leaving (as libzmq does)."""
    bound = ctx.socket(aiomsg.PAIR)
    mon = bound.monitor()
    ep = await bound.bind(unique_endpoint(transport))
    peer = ctx.socket(aiomsg.PAIR)
    await peer.connect(ep)
    await wait_handshakes(mon)
    await peer.send_multipart([b"last", b"words"])
    await peer.aclose()
    async with asyncio.timeout(5):
        await mon.wait_for(aiomsg.Event.DISCONNECTED)
        assert await bound.recv_multipart() == [b"last", b"words"]


async def test_refused_second_peer_is_told_why_and_stops(ctx: aiomsg.Context) -> None:
    binder = ctx.socket(aiomsg.PAIR)
    ep = await binder.bind("tcp://127.0.0.1:*")
    first = ctx.socket(aiomsg.PAIR)
    first_events = first.monitor()
    await first.connect(ep)
    await wait_handshakes(first_events)

    second = ctx.socket(aiomsg.PAIR, reconnect_ivl=10)
    second_events = second.monitor()
    await second.connect(ep)
    failed = await wait_event(
        second_events, aiomsg.Event.HANDSHAKE_FAILED, aiomsg.Event.HANDSHAKE_SUCCEEDED
    )
    # Refused before the handshake completes, with the reason, for good.
    assert failed.event is aiomsg.Event.HANDSHAKE_FAILED
    assert failed.reason.endswith("socket already has its one peer")
    with pytest.raises(TimeoutError):
        await wait_event(second_events, aiomsg.Event.CONNECTED, timeout=0.3)
    async with asyncio.timeout(5):
        await first.send(b"still served")
        assert await binder.recv() == b"still served"
