"""Edge cases found in review: each once lost a message, leaked, or hung."""

from __future__ import annotations

import asyncio
import socket as _socket

import pytest
from helpers import (
    loop_errors,
    message,
    raw_handshake,
    read_frame,
    unique_endpoint,
    wait_handshakes,
)

import aiomsg


@pytest.mark.parametrize("types", [(aiomsg.REQ, aiomsg.REP)])
async def test_recv_many_on_lockstep_sockets_returns_one_message(
    ctx: aiomsg.Context, types: tuple[aiomsg.SocketType, aiomsg.SocketType]
) -> None:
    req, rep = ctx.socket(types[0]), ctx.socket(types[1])
    ep = await rep.bind("inproc://lockstep-many")
    await req.connect(ep)
    async with asyncio.timeout(5):
        await req.send(b"ask")
        assert await rep.recv_many() == [[b"ask"]]
        await rep.send(b"answer")
        assert await req.recv_many() == [[b"answer"]]
        await req.send(b"again")  # the lockstep is intact on both sides
        assert await rep.recv() == b"again"


@pytest.mark.parametrize("transport", ["tcp", "inproc"])
async def test_bound_socket_lingers_for_its_accepted_peers(
    ctx: aiomsg.Context, transport: str
) -> None:
    """close() keeps sending what is queued for accepted peers, not only connected ones."""
    # Small kernel buffers: "every queue on the way" then holds thousands of
    # messages, not the hundreds of thousands loopback's defaults take.
    push = ctx.socket(aiomsg.PUSH, sndhwm=50, sndbuf=8192)
    mon = push.monitor()
    ep = await push.bind(unique_endpoint(transport))
    pull = ctx.socket(aiomsg.PULL, rcvhwm=10, rcvbuf=8192)
    await pull.connect(ep)
    await wait_handshakes(mon)
    sent = 0
    async with asyncio.timeout(10):
        while True:  # fill every queue on the way
            try:
                await push.send(b"%d" % sent, flags=aiomsg.NOBLOCK)
            except aiomsg.Again:
                break
            sent += 1
        closing = asyncio.ensure_future(push.aclose(linger=-1))
        got = [await pull.recv() for _ in range(sent)]
        await closing
    assert got == [b"%d" % i for i in range(sent)]


async def test_cancelled_bind_leaves_nothing_listening(ctx: aiomsg.Context) -> None:
    pull = ctx.socket(aiomsg.PULL)
    probe = _socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    binding = asyncio.ensure_future(pull.bind(f"tcp://127.0.0.1:{port}"))
    for _ in range(3):  # cancel at each step the bind may be suspended at
        if binding.done():
            break
        await asyncio.sleep(0)
        binding.cancel()
    try:
        await binding
    except asyncio.CancelledError:
        with pytest.raises(OSError):  # nothing accepts at that port
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
    else:  # the bind completed before the cancel: then it must be registered
        pull.close(linger=0)


async def test_abandoned_endpoint_takes_no_messages(ctx: aiomsg.Context) -> None:
    """A PUSH connected to a PULL and to an incompatible PUB: every message reaches
    the PULL, none is queued for the PUB that will never be a peer."""
    pull = ctx.socket(aiomsg.PULL)
    good = await pull.bind("tcp://127.0.0.1:*")
    pub = ctx.socket(aiomsg.PUB)
    wrong = await pub.bind("tcp://127.0.0.1:*")
    push = ctx.socket(aiomsg.PUSH)
    mon = push.monitor()
    await push.connect(wrong)
    async with asyncio.timeout(5):
        await mon.wait_for(aiomsg.Event.PEER_REFUSED)
    await push.connect(good)
    async with asyncio.timeout(5):
        for i in range(10):
            await push.send(b"%d" % i)
        assert [await pull.recv() for _ in range(10)] == [b"%d" % i for i in range(10)]
        await push.aclose()  # and closing does not wait for the abandoned endpoint


async def test_inproc_refused_peer_does_not_recurse(ctx: aiomsg.Context) -> None:
    """A PAIR connecting to two inproc PAIRs links to one; the other refusal is calm."""
    first, second = ctx.socket(aiomsg.PAIR), ctx.socket(aiomsg.PAIR)
    await first.bind("inproc://pair-one")
    await second.bind("inproc://pair-two")
    pair = ctx.socket(aiomsg.PAIR, reconnect_ivl=-1)
    await pair.connect("inproc://pair-one")
    await pair.connect("inproc://pair-two")  # refused by our own PAIR: already linked
    async with asyncio.timeout(5):
        await pair.send(b"hello")
        assert await first.recv() == b"hello"


async def test_mandatory_router_send_fails_when_the_peer_leaves(ctx: aiomsg.Context) -> None:
    router = ctx.socket(aiomsg.ROUTER, router_mandatory=True, sndhwm=1)
    mon = router.monitor()
    ep = await router.bind("tcp://127.0.0.1:*")
    dealer = ctx.socket(aiomsg.DEALER, identity=b"slow", rcvhwm=1)
    await dealer.connect(ep)
    await wait_handshakes(mon)
    async with asyncio.timeout(10):
        blocked = None
        for i in range(100_000):  # fill the dealer's queues until a send must wait
            sending = asyncio.ensure_future(router.send_multipart([b"slow", b"x" * 1024]))
            done, _ = await asyncio.wait({sending}, timeout=0.05 if i % 100 == 99 else 0)
            if not done:
                blocked = sending
                break
        assert blocked is not None
        await dealer.aclose(linger=0)
        with pytest.raises(aiomsg.HostUnreachable):
            await blocked


async def test_peer_cannot_claim_a_user_id(ctx: aiomsg.Context) -> None:
    pull = ctx.socket(aiomsg.PULL)
    ep = await pull.bind("tcp://127.0.0.1:*")
    _, writer = await raw_handshake(ep, b"PUSH", **{"User-Id": b"admin"})
    try:
        writer.write(message(b"hi"))
        async with asyncio.timeout(5):
            frames, properties = await pull.recv_with_properties()
        assert frames == [b"hi"]
        assert "User-Id" not in properties
    finally:
        writer.close()


async def test_push_drops_what_its_peer_sends(ctx: aiomsg.Context) -> None:
    """A PULL peer that sends data anyway cannot raise into the loop or fill memory."""
    push = ctx.socket(aiomsg.PUSH)
    ep = await push.bind("tcp://127.0.0.1:*")
    with loop_errors() as errors:
        reader, writer = await raw_handshake(ep, b"PULL")
        try:
            writer.write(message(b"upstream?") * 3)
            async with asyncio.timeout(5):
                await push.send(b"down")
                while (await read_frame(reader))[1] != b"down":
                    pass  # only our own message can come
        finally:
            writer.close()
    assert not errors, errors
    assert push.peer_count in (0, 1)
