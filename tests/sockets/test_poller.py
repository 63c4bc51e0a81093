"""aiomsg.Poller and Socket.poll: readiness of several sockets, as pyzmq's.

POLLIN means a receive would not wait, POLLOUT that a send would not. A poll
returns as soon as a registered socket becomes ready, or after its timeout,
and spends no CPU while it waits.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from helpers import wait_handshakes, yield_loop

import aiomsg

POLLIN, POLLOUT = aiomsg.POLLIN, aiomsg.POLLOUT


async def _linked(
    ctx: aiomsg.Context, kinds: tuple[aiomsg.SocketType, aiomsg.SocketType], transport: str = "tcp"
) -> tuple[aiomsg.Socket, aiomsg.Socket]:
    """A bound socket of kinds[0] and a connected one of kinds[1], handshaken."""
    bound, connecting = ctx.socket(kinds[0]), ctx.socket(kinds[1])
    events = connecting.monitor()
    endpoint = "tcp://127.0.0.1:*" if transport == "tcp" else f"inproc://poll-{id(bound)}"
    await connecting.connect(await bound.bind(endpoint))
    await wait_handshakes(events)
    return bound, connecting


async def test_poll_times_out_with_nothing_ready(ctx: aiomsg.Context) -> None:
    pull = ctx.socket(aiomsg.PULL)
    await pull.bind("tcp://127.0.0.1:*")
    poller = aiomsg.Poller()
    poller.register(pull, POLLIN)
    started = time.monotonic()
    cpu = time.process_time()
    assert await poller.poll(200) == []
    elapsed, spent = time.monotonic() - started, time.process_time() - cpu
    assert 0.19 <= elapsed < 2
    assert spent < 0.1, f"polling used {spent:.3f} s of CPU in {elapsed:.3f} s: a busy loop?"
    assert await poller.poll(0) == []


async def test_poll_wakes_when_a_message_arrives(ctx: aiomsg.Context) -> None:
    pull, push = await _linked(ctx, (aiomsg.PULL, aiomsg.PUSH))
    poller = aiomsg.Poller()
    poller.register(pull, POLLIN)
    polling = asyncio.create_task(poller.poll())  # no timeout
    await yield_loop(3)
    assert not polling.done()
    await push.send_multipart([b"job", b"1"])
    async with asyncio.timeout(5):
        assert await polling == [(pull, POLLIN)]
    assert pull.recv_multipart_nowait() == [b"job", b"1"]  # did not wait: POLLIN was honest


async def test_poll_reports_only_ready_sockets_and_wanted_events(ctx: aiomsg.Context) -> None:
    a, a_peer = await _linked(ctx, (aiomsg.PAIR, aiomsg.PAIR))
    b, b_peer = await _linked(ctx, (aiomsg.PAIR, aiomsg.PAIR))
    poller = aiomsg.Poller()
    poller.register(a, POLLIN)
    poller.register(b, POLLIN | POLLOUT)
    assert await poller.poll(0) == [(b, POLLOUT)]  # a is writable, but only POLLIN is wanted
    await a_peer.send(b"for a")
    async with asyncio.timeout(5):
        while len(ready := dict(await poller.poll())) < 2:
            pass
    assert ready == {a: POLLIN, b: POLLOUT}
    await b_peer.send(b"for b")
    async with asyncio.timeout(5):
        while dict(await poller.poll()).get(b) != POLLIN | POLLOUT:
            pass


async def test_pollout_follows_peers_and_the_high_water_mark(ctx: aiomsg.Context) -> None:
    push = ctx.socket(aiomsg.PUSH, sndhwm=2, immediate=True)
    assert push.events == 0  # immediate: nowhere to queue yet
    poller = aiomsg.Poller()
    poller.register(push, POLLOUT)
    polling = asyncio.create_task(poller.poll(5000))
    pull = ctx.socket(aiomsg.PULL, rcvhwm=2)
    await push.connect(await pull.bind("inproc://pollout"))
    async with asyncio.timeout(5):
        assert await polling == [(push, POLLOUT)]
        while push.events & POLLOUT:
            push.send_multipart_nowait([b"x"])
        polling = asyncio.create_task(poller.poll())
        await yield_loop(3)
        assert not polling.done()
        await pull.recv()  # room again
        while pull.events & POLLIN:
            await pull.recv()
        assert await polling == [(push, POLLOUT)]


async def test_req_rep_readiness_follows_the_lockstep(ctx: aiomsg.Context) -> None:
    rep, req = await _linked(ctx, (aiomsg.REP, aiomsg.REQ))
    assert (req.events, rep.events) == (POLLOUT, 0)
    await req.send(b"question")
    assert req.events == 0
    async with asyncio.timeout(5):
        assert await rep.poll() == POLLIN
    await rep.recv()
    assert rep.events == POLLOUT
    await rep.send(b"answer")
    async with asyncio.timeout(5):
        assert await req.poll(flags=POLLIN | POLLOUT) == POLLIN
    assert await req.recv() == b"answer"
    assert req.events == POLLOUT


async def test_router_pollout_with_router_mandatory(ctx: aiomsg.Context) -> None:
    router = ctx.socket(aiomsg.ROUTER)
    assert router.events == POLLOUT  # drops what it cannot route: never waits
    router.router_mandatory = True
    assert router.events == 0  # would wait for a peer with room, and has none
    dealer = ctx.socket(aiomsg.DEALER)
    events = router.monitor()
    await dealer.connect(await router.bind("inproc://router-pollout"))
    await wait_handshakes(events)
    assert router.events == POLLOUT


async def test_rest_of_a_message_read_with_recv_is_pollin(ctx: aiomsg.Context) -> None:
    pull, push = await _linked(ctx, (aiomsg.PULL, aiomsg.PUSH), "inproc")
    await push.send_multipart([b"a", b"b"])
    assert await pull.recv() == b"a"
    assert pull.events == POLLIN
    assert await pull.poll(0) == POLLIN
    assert await pull.recv() == b"b"
    assert pull.events == 0


async def test_cancelled_poll_takes_nothing_and_leaves_no_watcher(ctx: aiomsg.Context) -> None:
    pull, push = await _linked(ctx, (aiomsg.PULL, aiomsg.PUSH))
    poller = aiomsg.Poller()
    poller.register(pull, POLLIN)
    for _ in range(3):
        polling = asyncio.create_task(poller.poll())
        await yield_loop(2)
        polling.cancel()
        with pytest.raises(asyncio.CancelledError):
            await polling
    await push.send(b"kept")
    async with asyncio.timeout(5):
        assert await poller.poll() == [(pull, POLLIN)]
        assert await pull.recv() == b"kept"
    # A poll bounded by asyncio.timeout is cancel-safe in the same way.
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await poller.poll()


async def test_two_pollers_and_a_receiver_are_all_woken(ctx: aiomsg.Context) -> None:
    pull, push = await _linked(ctx, (aiomsg.PULL, aiomsg.PUSH), "inproc")
    first, second = aiomsg.Poller(), aiomsg.Poller()
    first.register(pull, POLLIN)
    second.register(pull, POLLIN)
    polls = [asyncio.create_task(p.poll(5000)) for p in (first, second)]
    receiving = asyncio.create_task(pull.recv())
    await yield_loop(3)
    await push.send(b"one")
    async with asyncio.timeout(5):
        assert await receiving == b"one"
        # Both pollers were woken; the receiver took the message first, so they
        # found nothing ready and went on waiting: readiness is never invented.
        await yield_loop(3)
        assert not any(p.done() for p in polls)
        await push.send(b"two")
        assert [await p for p in polls] == [[(pull, POLLIN)]] * 2


async def test_closing_a_socket_ends_its_poll(ctx: aiomsg.Context) -> None:
    pull = ctx.socket(aiomsg.PULL)
    poller = aiomsg.Poller()
    poller.register(pull, POLLIN)
    polling = asyncio.create_task(poller.poll())
    await yield_loop(2)
    pull.close()
    async with asyncio.timeout(5):
        with pytest.raises(aiomsg.Closed):
            await polling
    with pytest.raises(aiomsg.Closed):
        await poller.poll(0)


async def test_register_modify_unregister(ctx: aiomsg.Context) -> None:
    pull, push = ctx.socket(aiomsg.PULL), ctx.socket(aiomsg.PUSH)
    poller = aiomsg.Poller()
    poller.register(pull)
    assert poller.sockets == [(pull, POLLIN | POLLOUT)]
    poller.modify(pull, POLLIN)
    poller.register(push, POLLOUT)
    assert poller.sockets == [(pull, POLLIN), (push, POLLOUT)]
    poller.register(push, 0)  # flags 0 unregisters, as in pyzmq
    poller.unregister(pull)
    assert poller.sockets == []
    with pytest.raises(KeyError):
        poller.unregister(pull)
    with pytest.raises(TypeError, match="add_reader"):
        poller.register(3)  # type: ignore[arg-type]


async def test_socket_poll_timeout(ctx: aiomsg.Context) -> None:
    pull = ctx.socket(aiomsg.PULL)
    started = time.monotonic()
    assert await pull.poll(50) == 0
    assert time.monotonic() - started >= 0.045
    push = ctx.socket(aiomsg.PUSH)
    assert await push.poll(0, POLLOUT) == 0  # no peer: a send would wait


async def test_polling_a_socket_that_stays_ready_lets_other_tasks_run(
    ctx: aiomsg.Context,
) -> None:
    pub = ctx.socket(aiomsg.PUB)  # always POLLOUT: a PUB never waits
    poller = aiomsg.Poller()
    poller.register(pub, POLLOUT)
    turns = 0

    async def other_task() -> None:
        nonlocal turns
        while True:
            turns += 1
            await yield_loop()

    other = asyncio.create_task(other_task())
    try:
        for _ in range(100):
            assert await poller.poll() == [(pub, POLLOUT)]
    finally:
        other.cancel()
    assert turns >= 50


async def test_poll_a_server_and_a_client(ctx: aiomsg.Context) -> None:
    server, client = await _linked(ctx, (aiomsg.SERVER, aiomsg.CLIENT))
    poller = aiomsg.Poller()
    poller.register(server, POLLIN)
    poller.register(client, POLLIN | POLLOUT)
    assert await poller.poll(0) == [(client, POLLOUT)]
    await client.send(b"question")
    poller.modify(client, POLLIN)
    async with asyncio.timeout(5):
        assert await poller.poll() == [(server, POLLIN)]
    data, routing_id = await server.recv_from()
    assert server.events & POLLOUT  # the client has room
    await server.send(b"answer", routing_id=routing_id)
    async with asyncio.timeout(5):
        assert await client.poll() == POLLIN
    assert data == b"question" and await client.recv() == b"answer"
