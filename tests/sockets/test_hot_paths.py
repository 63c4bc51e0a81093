"""Both copies of each inlined hot-path step, driven on purpose.

``Socket.send()`` and ``Socket.recv()`` inline their take-now step
(``_send_now``/``_recv_now``), and ``Pipe.offer`` inlines ``Pipe.queue``
for unfiltered pipes. Each test below runs the inlined copy and the
original through the same situations: a message waiting, none waiting (the
park step), more than the fairness yield interval in a row, and a full peer.
"""

from __future__ import annotations

import asyncio

import pytest

import aiomsg

# More than the fairness interval (64): the yield path runs several times.
MANY = 300


@pytest.mark.parametrize("api", ["recv", "recv_multipart"])
async def test_receive_take_now_park_and_yield(ctx: aiomsg.Context, api: str) -> None:
    pull, push = ctx.socket(aiomsg.PULL), ctx.socket(aiomsg.PUSH)
    await pull.bind("inproc://hot-recv")
    await push.connect("inproc://hot-recv")

    async def receive() -> bytes:
        if api == "recv":
            return await pull.recv()
        return (await pull.recv_multipart())[0]

    async with asyncio.timeout(10):
        # Waiting already: the take-now step, MANY times in a row.
        for number in range(MANY):
            await push.send(b"%d" % number)
        assert [await receive() for _ in range(MANY)] == [b"%d" % n for n in range(MANY)]
        # None waiting, MANY times: park, then one message arrives (a trickle).
        for number in range(MANY):
            parked = asyncio.ensure_future(receive())
            await asyncio.sleep(0)
            assert not parked.done()
            await push.send(b"%d" % number)
            assert await parked == b"%d" % number
        # None waiting: park, then a burst arrives while parked.
        for _ in range(3):
            parked = asyncio.ensure_future(receive())
            await asyncio.sleep(0)
            assert not parked.done()
            for number in range(MANY):
                await push.send(b"%d" % number)
            assert await parked == b"0"
            assert [await receive() for _ in range(MANY - 1)] == [
                b"%d" % n for n in range(1, MANY)
            ]


@pytest.mark.parametrize("api", ["send", "send_multipart"])
async def test_send_take_now_park_and_yield(ctx: aiomsg.Context, api: str) -> None:
    push = ctx.socket(aiomsg.PUSH, sndhwm=5)
    pull = ctx.socket(aiomsg.PULL, rcvhwm=5)

    async def send(body: bytes) -> None:
        if api == "send":
            await push.send(body)
        else:
            await push.send_multipart([body])

    await push.connect("inproc://hot-send")
    async with asyncio.timeout(10):
        # No peer yet: the take-now step queues up to the HWM, then parks.
        for number in range(5):
            await send(b"%d" % number)
        parked = asyncio.ensure_future(send(b"5"))
        await asyncio.sleep(0)
        assert not parked.done()
        await pull.bind("inproc://hot-send")
        await parked
        # MANY in a row against a reader: take-now, yield, and park on a full peer.
        sender = asyncio.ensure_future(
            asyncio.gather(*[send(b"%d" % n) for n in range(6, MANY)])
        )
        received = [await pull.recv() for _ in range(MANY)]
        await sender
    assert sorted(received, key=int) == [b"%d" % n for n in range(MANY)]
    assert received[:6] == [b"%d" % n for n in range(6)]


@pytest.mark.parametrize("socket_type", [aiomsg.PULL, aiomsg.SUB], ids=["plain", "filtered"])
async def test_inproc_offer_both_paths_with_flow_control(
    ctx: aiomsg.Context, socket_type: aiomsg.SocketType
) -> None:
    """PULL pipes take Pipe.offer's inlined queue; SUB pipes go through the
    filter and Pipe.queue. Both stop at rcvhwm and resume as the reader drains."""
    receiver = ctx.socket(socket_type, rcvhwm=10)
    sender = ctx.socket(aiomsg.PUSH if socket_type == aiomsg.PULL else aiomsg.PUB, sndhwm=1000)
    if socket_type == aiomsg.SUB:
        receiver.subscribe(b"")
    await receiver.bind("inproc://hot-offer")
    await sender.connect("inproc://hot-offer")
    async with asyncio.timeout(10):
        for number in range(MANY):
            await sender.send(b"%d" % number)
        received = [await receiver.recv() for _ in range(MANY)]
    assert received == [b"%d" % n for n in range(MANY)]
