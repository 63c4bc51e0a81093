"""A bounded soak tier: churn, resets and random cancellation under load.

Scaled by ``AIOMSG_SOAK_SCALE`` (default 1: a few seconds; 50 gives the
10,000 connect/send/close cycles of the reliability report in
docs/reliability.md). Every loop is bounded by its count and every wait by a
timeout.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import os
import random
import resource
import sys
from dataclasses import dataclass

import pytest
from helpers import poll_until, wait_handshakes

import aiomsg
from aiomsg.testing import Faults, FaultyTransport

SCALE = int(os.environ.get("AIOMSG_SOAK_SCALE", "1"))
CYCLES = 200 * SCALE
MESSAGES = 2_000 * SCALE

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self")


@dataclass(frozen=True)
class Resources:
    fds: int
    tasks: int
    rss_kib: int

    @classmethod
    def now(cls) -> Resources:
        gc.collect()
        with open("/proc/self/statm") as statm:
            rss_pages = int(statm.read().split()[1])
        page_kib = resource.getpagesize() // 1024
        return cls(len(os.listdir("/proc/self/fd")), len(asyncio.all_tasks()), rss_pages * page_kib)


PEERS = {
    aiomsg.PULL: aiomsg.PUSH,
    aiomsg.ROUTER: aiomsg.DEALER,
    aiomsg.PUB: aiomsg.SUB,
}


async def cycle(ctx: aiomsg.Context, bound: aiomsg.Socket, endpoint: str) -> None:
    peer = ctx.socket(PEERS[bound.socket_type])
    monitor = peer.monitor()
    await peer.connect(endpoint)
    if bound.socket_type is aiomsg.PUB:
        peer.subscribe(b"")
        await wait_handshakes(monitor)
    else:
        await peer.send(b"cycle")
        assert (await bound.recv_multipart())[-1] == b"cycle"
    await peer.aclose(linger=0)


@pytest.mark.parametrize("bound_type", list(PEERS), ids=lambda t: t.name)
async def test_connect_send_close_cycles_leave_nothing_behind(
    ctx: aiomsg.Context, bound_type: aiomsg.SocketType
) -> None:
    bound = ctx.socket(bound_type)
    endpoint = await bound.bind("tcp://127.0.0.1:*")
    async with asyncio.timeout(30 + CYCLES * 0.05):
        for _ in range(20):  # warm up: caches, first allocations
            await cycle(ctx, bound, endpoint)
        await poll_until(lambda: bound.peer_count == 0)
        before = Resources.now()
        for _ in range(CYCLES):
            await cycle(ctx, bound, endpoint)
        await poll_until(lambda: bound.peer_count == 0 and not bound.stats().peers)
    after = Resources.now()
    print(f"\n{bound_type.name} x{CYCLES}: before {before}, after {after}")
    assert after.fds == before.fds
    assert after.tasks == before.tasks
    assert after.rss_kib - before.rss_kib < 16 * 1024


async def test_sequence_through_a_resetting_relay(ctx: aiomsg.Context) -> None:
    """Resets lose what was in flight; what arrives is never duplicated or
    reordered (docs/reliability.md#what-is-promised)."""
    transport = FaultyTransport("tcp", Faults(seed=11, reset=0.005))
    aiomsg.register_transport("soakrelay", transport)
    pull = ctx.socket(aiomsg.PULL)
    endpoint = await pull.bind("soakrelay://127.0.0.1:*")
    push = ctx.socket(aiomsg.PUSH, reconnect_ivl=10, sndhwm=MESSAGES)
    await push.connect(endpoint.replace("soakrelay", "tcp", 1))
    received: list[int] = []
    done = asyncio.Event()

    async def receive() -> None:
        while True:
            body = await pull.recv()
            if body == b"end":
                done.set()
            else:
                received.append(int(body))

    receiver = asyncio.ensure_future(receive())
    try:
        async with asyncio.timeout(60):
            for number in range(MESSAGES):
                await push.send(b"%d" % number)
            for _ in range(1000):  # the end marker may be lost in a reset too
                await push.send(b"end")
                try:
                    async with asyncio.timeout(0.05):
                        await done.wait()
                    break
                except TimeoutError:
                    continue
    finally:
        receiver.cancel()
    assert done.is_set()
    duplicated = len(received) - len(set(received))
    reordered = sum(1 for a, b in itertools.pairwise(received) if b < a)
    lost = MESSAGES - len(set(received))
    # Each reset loses one run of consecutive messages: those in flight.
    gaps = sum(1 for a, b in itertools.pairwise([-1, *received, MESSAGES]) if b > a + 1)
    resets = transport.counts.resets
    print(
        f"\n{MESSAGES} sent, {resets} resets, {push.stats().reconnects} reconnects: "
        f"{lost} lost in {gaps} runs, {duplicated} duplicated, {reordered} reordered"
    )
    assert resets > 0
    assert duplicated == 0 and reordered == 0
    assert gaps <= resets


@pytest.mark.parametrize("transport", ["inproc", "tcp"])
async def test_random_cancellation_loses_and_duplicates_nothing(
    ctx: aiomsg.Context, transport: str
) -> None:
    rng = random.Random(17)
    pull = ctx.socket(aiomsg.PULL, rcvhwm=4)
    push = ctx.socket(aiomsg.PUSH, sndhwm=4)
    endpoint = await pull.bind("inproc://soak-cancel" if transport == "inproc" else "tcp://127.0.0.1:*")
    await push.connect(endpoint)
    count = MESSAGES // 2
    received: list[int] = []

    async def produce() -> None:
        number = 0
        while number < count:
            send = asyncio.ensure_future(push.send(b"%d" % number))
            for _ in range(rng.randrange(3)):
                await asyncio.sleep(0)  # let it run a random number of steps
            if not send.done():
                send.cancel()
            try:
                await send
            except asyncio.CancelledError:
                continue  # not sent: send the same number again
            number += 1

    async def consume() -> None:
        while len(received) < count:
            recv = asyncio.ensure_future(pull.recv())
            for _ in range(rng.randrange(3)):
                await asyncio.sleep(0)
            if not recv.done():
                recv.cancel()
            try:
                received.append(int(await recv))
            except asyncio.CancelledError:
                continue  # nothing was taken

    async with asyncio.timeout(60):
        await asyncio.gather(produce(), consume())
    assert received == list(range(count))
