"""aiomsg.testing.FaultyTransport: each fault does what it says, reproducibly."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from helpers import assert_nothing_received, poll_until, wait_handshakes

import aiomsg
from aiomsg.testing import Faults, FaultyTransport

_schemes = itertools.count()


def faulty(inner: str = "tcp", **faults: object) -> tuple[str, FaultyTransport]:
    """A FaultyTransport registered under a fresh scheme."""
    transport = FaultyTransport(inner, Faults(**faults))  # type: ignore[arg-type]
    scheme = f"faulty{next(_schemes)}"
    aiomsg.register_transport(scheme, transport)
    return scheme, transport


async def pipeline(ctx: aiomsg.Context, scheme: str, **options: object) -> tuple[aiomsg.Socket, aiomsg.Socket]:
    pull = ctx.socket(aiomsg.PULL)
    push = ctx.socket(aiomsg.PUSH, **options)
    monitor = push.monitor()
    endpoint = await pull.bind(f"{scheme}://127.0.0.1:*")
    assert endpoint.startswith(f"{scheme}://127.0.0.1:")
    # Only one side uses the faulty scheme: each message meets the faults once.
    await push.connect(endpoint.replace(scheme, "tcp", 1))
    await wait_handshakes(monitor)
    return push, pull


def test_faults_are_checked() -> None:
    with pytest.raises(ValueError, match="probability"):
        Faults(drop=1.5)
    with pytest.raises(ValueError, match="delay"):
        Faults(delay=-1)


async def test_delay_keeps_order_and_holds_each_message(ctx: aiomsg.Context) -> None:
    scheme, transport = faulty(delay=0.05)
    push, pull = await pipeline(ctx, scheme)
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with asyncio.timeout(5):
        for number in range(50):
            await push.send(b"%d" % number)
        received = [await pull.recv() for _ in range(50)]
    assert received == [b"%d" % n for n in range(50)]
    # uvloop's clock counts whole milliseconds, and the difference of two such
    # times in float can fall a hair under the 50 ms it stands for.
    assert loop.time() - started >= 0.05 - 1e-6
    assert transport.counts.delayed == 50


@pytest.mark.parametrize("seed", [1, 2])
async def test_corruption_flips_one_bit_reproducibly(ctx: aiomsg.Context, seed: int) -> None:
    results = []
    for _ in range(2):  # the same seed, the same corruption
        scheme, transport = faulty(seed=seed, corrupt=1.0)
        push, pull = await pipeline(ctx, scheme)
        async with asyncio.timeout(5):
            await push.send_multipart([b"\x00" * 8, b"\x00" * 8])
            message = await pull.recv_multipart()
        flipped = [bin(byte).count("1") for frame in message for byte in frame]
        assert sum(flipped) == 1 and transport.counts.corrupted == 1
        results.append(message)
    assert results[0] == results[1]


async def test_drop_loses_what_it_counts(ctx: aiomsg.Context) -> None:
    scheme, transport = faulty("inproc", seed=3, drop=0.3)
    pull = ctx.socket(aiomsg.PULL)
    await pull.bind(f"{scheme}://drops")
    push = ctx.socket(aiomsg.PUSH)
    await push.connect(f"{scheme}://drops")
    for number in range(200):
        await push.send(b"%d" % number)
    arrived = []
    while True:
        try:
            arrived.append(pull.recv_multipart_nowait())
        except aiomsg.Again:
            break
    assert 0 < transport.counts.dropped < 200
    assert len(arrived) == 200 - transport.counts.dropped
    numbers = [int(m[0]) for m in arrived]
    assert numbers == sorted(numbers)  # lost, never reordered


async def test_blackhole_keeps_the_connection_but_carries_nothing(ctx: aiomsg.Context) -> None:
    scheme, transport = faulty(blackhole_after=5)
    push, pull = await pipeline(ctx, scheme)
    async with asyncio.timeout(5):
        for number in range(10):
            await push.send(b"%d" % number)
        assert [await pull.recv() for _ in range(5)] == [b"%d" % n for n in range(5)]
    await assert_nothing_received(pull, 0.2)
    assert transport.counts.blackholed == 5
    assert push.peer_count == pull.peer_count == 1


async def test_reset_cuts_the_connection_and_the_socket_reconnects(ctx: aiomsg.Context) -> None:
    scheme, transport = faulty(seed=5, reset=0.05)
    push, pull = await pipeline(ctx, scheme, reconnect_ivl=10)
    got: list[int] = []

    async def receive() -> None:
        while True:
            got.append(int(await pull.recv()))

    receiver = asyncio.ensure_future(receive())
    try:
        async with asyncio.timeout(10):
            for number in range(300):
                await push.send(b"%d" % number)
            await poll_until(lambda: push.stats().reconnects >= 1 and bool(got), timeout=10)
    finally:
        receiver.cancel()
    assert transport.counts.resets >= 1
    assert got == sorted(set(got))  # messages lost in a reset, never duplicated or reordered
