"""The batch paths below send_many() and recv_many(): a batch goes down to the
link whole (Pipe.send_many, Link.try_send_many, StreamCodec.send_messages)
and comes up from the pipes whole (Receiver.recv_many). Each test drives one
branch and checks what the same messages sent one by one would give:
order, HWM bounds, a cancelled or closed batch, fairness between peers.
"""

from __future__ import annotations

import asyncio
import inspect

import pytest
from helpers import bind_endpoint, unique_endpoint

import aiomsg
from aiomsg._pool.strategies import Strategy
from aiomsg._sockets import SOCKET_CLASSES

TIMEOUT = 10

#: Short and long one-frame messages, multipart ones, and more than the
#: link's flush threshold (256 KiB) in one batch, so it writes mid-batch.
MIXED = [
    [b"%d" % n] if n % 3 == 0 else [b"%d" % n, b"", b"x" * (n % 300)] if n % 3 == 1
    else [b"%d" % n + b"y" * 10_000]
    for n in range(120)
]  # fmt: skip


async def _receive(pull: aiomsg.Socket, count: int, limit: int = 1024) -> list[list[bytes]]:
    received: list[list[bytes]] = []
    while len(received) < count:
        batch = await pull.recv_many(limit)
        assert 1 <= len(batch) <= limit
        received += batch
    return received


@pytest.mark.parametrize("transport", ["tcp", "ipc", "inproc", "ws"])
async def test_mixed_batches_keep_order_on_every_transport(
    ctx: aiomsg.Context, transport: str
) -> None:
    pull = ctx.socket(aiomsg.PULL)
    push = ctx.socket(aiomsg.PUSH)
    await push.connect(await pull.bind(bind_endpoint(transport)))
    async with asyncio.timeout(TIMEOUT):
        await push.wait_peers()
        sending = asyncio.create_task(push.send_many(MIXED * 3))
        received = await _receive(pull, len(MIXED) * 3, limit=50)
        await sending
    assert received == MIXED * 3
    assert push.stats().out_msgs == len(MIXED) * 3


@pytest.mark.skipif(not aiomsg.has_curve(), reason="no libsodium")
async def test_curve_batches_are_encrypted_message_by_message(ctx: aiomsg.Context) -> None:
    public, secret = aiomsg.curve_keypair()
    client_public, client_secret = aiomsg.curve_keypair()
    pull = ctx.socket(aiomsg.PULL, curve_server=True, curve_secretkey=secret)
    push = ctx.socket(
        aiomsg.PUSH,
        curve_serverkey=public,
        curve_publickey=client_public,
        curve_secretkey=client_secret,
    )
    await push.connect(await pull.bind("tcp://127.0.0.1:*"))
    async with asyncio.timeout(TIMEOUT):
        await push.wait_peers()
        await push.send_many(MIXED)
        assert await _receive(pull, len(MIXED)) == MIXED


async def test_one_batch_fills_the_peer_then_the_backlog_then_waits(
    ctx: aiomsg.Context,
) -> None:
    """inproc: the peer's inbound queue takes rcvhwm of the batch, our backlog
    sndhwm more, and the rest waits: what 20 single sends would do."""
    pull = ctx.socket(aiomsg.PULL, rcvhwm=5)
    push = ctx.socket(aiomsg.PUSH, sndhwm=4)
    await push.connect(await pull.bind(unique_endpoint("inproc")))
    batch = [[b"%d" % n] for n in range(20)]
    async with asyncio.timeout(TIMEOUT):
        await push.wait_peers()
        with pytest.raises(aiomsg.Again):
            await push.send_many(batch, flags=aiomsg.NOBLOCK)
        assert push.stats().out_msgs == 9
        assert pull.stats().queued_in == 5
        # Taking the first five drains the queue: the backlog follows.
        assert await pull.recv_many(100) == batch[:5]
        assert await pull.recv_many(100) == batch[5:9]
        with pytest.raises(aiomsg.Again):
            await pull.recv_many(flags=aiomsg.NOBLOCK)


async def test_a_batch_without_a_peer_queues_up_to_sndhwm(ctx: aiomsg.Context) -> None:
    push = ctx.socket(aiomsg.PUSH, sndhwm=3)
    endpoint = unique_endpoint("tcp")
    await push.connect(endpoint)  # no peer yet: the backlog takes three
    batch = [[b"%d" % n, b"tail"] for n in range(10)]
    with pytest.raises(aiomsg.Again):
        await push.send_many(batch, flags=aiomsg.NOBLOCK)
    assert push.stats().out_msgs == 3
    pull = ctx.socket(aiomsg.PULL)
    await pull.bind(endpoint)
    async with asyncio.timeout(TIMEOUT):
        assert await _receive(pull, 3) == batch[:3]
    with pytest.raises(aiomsg.Again):
        await pull.recv_many(flags=aiomsg.NOBLOCK)


async def test_a_cancelled_batch_sent_a_prefix_once(ctx: aiomsg.Context) -> None:
    pull = ctx.socket(aiomsg.PULL, rcvhwm=2)
    push = ctx.socket(aiomsg.PUSH, sndhwm=2)
    await push.connect(await pull.bind(unique_endpoint("inproc")))
    batch = [[b"%d" % n] for n in range(10)]
    async with asyncio.timeout(TIMEOUT):
        await push.wait_peers()
        sending = asyncio.create_task(push.send_many(batch))
        while push.stats().out_msgs < 4:  # both queues full: the batch waits
            await asyncio.sleep(0)
        assert not sending.done()
        sending.cancel()
        with pytest.raises(asyncio.CancelledError):
            await sending
        after = asyncio.create_task(push.send_many([[b"after"]]))  # waits for room too
        received = await _receive(pull, 5)
        await after
    assert received == [*batch[:4], [b"after"]]
    with pytest.raises(aiomsg.Again):
        await pull.recv_many(flags=aiomsg.NOBLOCK)


async def test_closing_the_socket_ends_a_waiting_batch(ctx: aiomsg.Context) -> None:
    push = ctx.socket(aiomsg.PUSH, sndhwm=1)
    await push.connect(unique_endpoint("tcp"))
    sending = asyncio.create_task(push.send_many([[b"a"], [b"b"], [b"c"]]))
    async with asyncio.timeout(TIMEOUT):
        while push.stats().out_msgs < 1:
            await asyncio.sleep(0)
        push.close(linger=0)
        with pytest.raises(aiomsg.Closed):
            await sending
    with pytest.raises(aiomsg.Closed):
        await push.send_many([[b"d"]])


async def test_a_malformed_message_raises_before_any_is_sent(ctx: aiomsg.Context) -> None:
    pull = ctx.socket(aiomsg.PULL)
    push = ctx.socket(aiomsg.PUSH)
    await push.connect(await pull.bind(unique_endpoint("inproc")))
    await push.wait_peers()
    with pytest.raises(TypeError):
        await push.send_many([[b"ok"], ["text"]])
    with pytest.raises(ValueError):
        await push.send_many([[b"ok"], []])
    assert push.stats().out_msgs == 0
    # Frames of any buffer type are taken, as bytes of their own.
    await push.send_many([[bytearray(b"ab")], (memoryview(b"cd"), b"e")])
    async with asyncio.timeout(TIMEOUT):
        assert await _receive(pull, 2) == [[b"ab"], [b"cd", b"e"]]


async def test_fair_queue_batch_takes_one_per_peer_then_a_run(ctx: aiomsg.Context) -> None:
    """Several pipes hold messages: one from each in turn (as recv() takes
    them); once one pipe is left, its messages as a run, cut at the limit."""
    pull = ctx.socket(aiomsg.PULL)
    endpoint = await pull.bind(unique_endpoint("inproc"))
    pushes = [ctx.socket(aiomsg.PUSH) for _ in range(3)]
    for push in pushes:
        await push.connect(endpoint)
        await push.wait_peers()
    a, b, c = pushes
    await a.send_many([[b"a%d" % n] for n in range(2)])
    await b.send_many([[b"b%d" % n] for n in range(8)])
    await c.send_many([[b"c%d" % n] for n in range(3)])
    assert pull.stats().queued_in == 13

    def names(batch: list[list[bytes]]) -> list[bytes]:
        return [message[0] for message in batch]

    assert names(await pull.recv_many(4)) == [b"a0", b"b0", b"c0", b"a1"]
    assert names(await pull.recv_many(3)) == [b"b1", b"c1", b"b2"]
    assert names(await pull.recv_many(2)) == [b"c2", b"b3"]
    assert names(await pull.recv_many(2)) == [b"b4", b"b5"]  # a run, cut at the limit
    assert names(await pull.recv_many(10)) == [b"b6", b"b7"]  # the rest of the run
    assert pull.stats().queued_in == 0


async def test_a_run_resumes_a_peer_paused_at_rcvhwm(ctx: aiomsg.Context) -> None:
    pull = ctx.socket(aiomsg.PULL, rcvhwm=10)
    push = ctx.socket(aiomsg.PUSH, sndhwm=10)
    await push.connect(await pull.bind("tcp://127.0.0.1:*"))
    batch = [[b"%d" % n] for n in range(5000)]
    async with asyncio.timeout(TIMEOUT):
        await push.wait_peers()
        sending = asyncio.create_task(push.send_many(batch))
        assert await _receive(pull, len(batch), limit=7) == batch
        await sending


async def test_push_to_several_peers_takes_turns_within_a_batch(ctx: aiomsg.Context) -> None:
    push = ctx.socket(aiomsg.PUSH)
    endpoint = await push.bind(unique_endpoint("inproc"))
    pulls = [ctx.socket(aiomsg.PULL) for _ in range(2)]
    for pull in pulls:
        await pull.connect(endpoint)
    async with asyncio.timeout(TIMEOUT):
        await push.wait_peers(2)
        await push.send_many([[b"%d" % n] for n in range(6)])
        got = {tuple(m[0] for m in await _receive(pull, 3)) for pull in pulls}
    assert got == {(b"0", b"2", b"4"), (b"1", b"3", b"5")}


@pytest.mark.parametrize("transport", ["tcp", "inproc"])
async def test_router_dealer_batches_keep_their_envelopes(
    ctx: aiomsg.Context, transport: str
) -> None:
    router = ctx.socket(aiomsg.ROUTER)
    dealer = ctx.socket(aiomsg.DEALER, identity=b"dealer-1")
    await dealer.connect(await router.bind(bind_endpoint(transport)))
    async with asyncio.timeout(TIMEOUT):
        await dealer.wait_peers()
        await dealer.send_many([[b"q1"], [b"q2", b"x"]])
        assert await _receive(router, 2) == [[b"dealer-1", b"q1"], [b"dealer-1", b"q2", b"x"]]
        await router.send_many([[b"dealer-1", b"r1"], [b"dealer-1", b"", b"r2"]])
        assert await _receive(dealer, 2) == [[b"r1"], [b"", b"r2"]]


async def test_pair_batches_both_ways(ctx: aiomsg.Context) -> None:
    left, right = ctx.socket(aiomsg.PAIR), ctx.socket(aiomsg.PAIR)
    await right.connect(await left.bind(unique_endpoint("inproc")))
    async with asyncio.timeout(TIMEOUT):
        await right.wait_peers()
        await right.send_many([[b"1"], [b"2", b"3"]])
        assert await _receive(left, 2) == [[b"1"], [b"2", b"3"]]
        await left.send_many([[b"4"]])
        assert await _receive(right, 1) == [[b"4"]]


async def test_dish_batch_takes_the_group_frame_off_each_message(ctx: aiomsg.Context) -> None:
    radio, dish = ctx.socket(aiomsg.RADIO), ctx.socket(aiomsg.DISH)
    await dish.join("g")
    await radio.connect(await dish.bind(unique_endpoint("inproc")))
    async with asyncio.timeout(TIMEOUT):
        while not dish.stats().queued_in:  # the JOIN may follow the link
            await radio.send(b"probe", group="g")
            await asyncio.sleep(0)
        await dish.recv_many()
        for n in range(3):
            await radio.send(b"%d" % n, group="g")
        assert await _receive(dish, 3) == [[b"0"], [b"1"], [b"2"]]
        assert dish.recv_with_group  # the group of the last stays readable
        assert dish._pool.receiver.last_group == b"g"  # type: ignore[union-attr]


async def test_req_rep_batches_take_one_message_per_turn(ctx: aiomsg.Context) -> None:
    rep, req = ctx.socket(aiomsg.REP), ctx.socket(aiomsg.REQ)
    await req.connect(await rep.bind(unique_endpoint("inproc")))
    async with asyncio.timeout(TIMEOUT):
        await req.send_many([[b"ask"]])
        assert await rep.recv_many() == [[b"ask"]]
        with pytest.raises(aiomsg.InvalidState):
            await rep.recv_many()
        with pytest.raises(aiomsg.InvalidState):
            await rep.send_many([[b"one"], [b"two"]])  # the second breaks the lockstep
        assert await req.recv_many() == [[b"one"]]


@pytest.mark.parametrize("socket_type", sorted(SOCKET_CLASSES, key=lambda t: t.name),
                         ids=lambda t: t.name)  # fmt: skip
async def test_bound_batch_calls_are_strategy_methods(
    ctx: aiomsg.Context, socket_type: aiomsg.SocketType
) -> None:
    """As send() and recv() (tests/architecture/test_composition.py), the batch
    calls go straight to the strategies' own send_many and recv_many."""
    sock = ctx.socket(socket_type)
    pool = sock._pool
    sides = (
        (sock._send_batch, pool.sender, socket_type.can_send, "send_many"),
        (sock._recv_batch, pool.receiver, socket_type.can_recv, "recv_many"),
    )
    for bound, strategy, able, name in sides:
        if not able:
            with pytest.raises(aiomsg.NotSupported):
                bound([[b"x"]], 0) if name == "send_many" else bound(1)  # type: ignore[call-arg]
            continue
        assert isinstance(strategy, Strategy)
        assert inspect.ismethod(bound) and bound.__self__ is strategy
        assert bound.__func__ is getattr(type(strategy), name)
    sock.close()
    with pytest.raises(aiomsg.Closed):
        await sock.send_many([[b"x"]])
    with pytest.raises(aiomsg.Closed):
        await sock.recv_many()


async def test_a_conflating_backlog_keeps_the_last_message_of_a_batch(
    ctx: aiomsg.Context,
) -> None:
    push = ctx.socket(aiomsg.PUSH, conflate=True)
    endpoint = unique_endpoint("tcp")
    await push.connect(endpoint)  # no peer yet: the whole batch meets the backlog
    await push.send_many([[b"%d" % n, b"tail"] for n in range(10)])
    pull = ctx.socket(aiomsg.PULL)
    await pull.bind(endpoint)
    async with asyncio.timeout(TIMEOUT):
        assert await pull.recv_many() == [[b"9", b"tail"]]
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(pull.recv_many(), 0.3)
