"""PUSH/PULL, PAIR, empty frames and large messages between aiomsg and libzmq (pyzmq)."""

from __future__ import annotations

import asyncio
import os

import pytest
import zmq
from zmq.utils.monitor import recv_monitor_message

import aiomsg

from ._helpers import TIMEOUT, roles

pytestmark = pytest.mark.interop

COUNT = 2000  # more than the default HWM on either side, so back-pressure is exercised

EMPTY_FRAME_CASES = [
    [b""],
    [b"", b""],
    [b"", b"a", b"", b""],
    [b"a", b""],
    [b"", b"a"],
]


@roles("PUSH", "PULL")
async def test_push_pull_order(net, libs, binder):
    push, pull = await net.pair(("PUSH", "PULL"), libs, binder)

    async def produce():
        for i in range(COUNT):
            await push.send_multipart([b"%d" % i, b"x" * (i % 7)])

    async with asyncio.timeout(TIMEOUT), asyncio.TaskGroup() as tg:
        tg.create_task(produce())
        for i in range(COUNT):
            assert await pull.recv_multipart() == [b"%d" % i, b"x" * (i % 7)]


@roles("PAIR", "PAIR")
async def test_pair_both_ways(net, libs, binder):
    a, b = await net.pair(("PAIR", "PAIR"), libs, binder)
    async with asyncio.timeout(TIMEOUT):
        for i in range(5):
            await a.send_multipart([b"ping %d" % i])
            assert await b.recv_multipart() == [b"ping %d" % i]
            await b.send_multipart([b"pong %d" % i, b"more"])
            assert await a.recv_multipart() == [b"pong %d" % i, b"more"]
        # Both directions in flight at once.
        for i in range(5):
            await a.send_multipart([b"a%d" % i])
            await b.send_multipart([b"b%d" % i])
        assert [await b.recv_multipart() for _ in range(5)] == [[b"a%d" % i] for i in range(5)]
        assert [await a.recv_multipart() for _ in range(5)] == [[b"b%d" % i] for i in range(5)]


@roles("PAIR", "PAIR")
async def test_empty_frames_pair(net, libs, binder):
    a, b = await net.pair(("PAIR", "PAIR"), libs, binder)
    async with asyncio.timeout(TIMEOUT):
        for frames in EMPTY_FRAME_CASES:
            await a.send_multipart(frames)
            assert await b.recv_multipart() == frames
            await b.send_multipart(frames)
            assert await a.recv_multipart() == frames


@roles("PUSH", "PULL")
async def test_empty_frames_push_pull(net, libs, binder):
    push, pull = await net.pair(("PUSH", "PULL"), libs, binder)
    async with asyncio.timeout(TIMEOUT):
        for frames in EMPTY_FRAME_CASES:
            await push.send_multipart(frames)
        for frames in EMPTY_FRAME_CASES:
            assert await pull.recv_multipart() == frames


@pytest.mark.parametrize(
    ("transport", "libs"),
    [
        ("tcp", ("aiomsg", "zmq")),
        ("tcp", ("zmq", "aiomsg")),
        ("ipc", ("aiomsg", "zmq")),
        ("ipc", ("zmq", "aiomsg")),
    ],
    ids=["tcp-aiomsg-to-zmq", "tcp-zmq-to-aiomsg", "ipc-aiomsg-to-zmq", "ipc-zmq-to-aiomsg"],
)
async def test_16mib_message(net, libs, binder):
    body = os.urandom(16 * 1024 * 1024)
    sender, receiver = await net.pair(("PAIR", "PAIR"), libs, binder)
    async with asyncio.timeout(TIMEOUT):
        send = asyncio.ensure_future(sender.send_multipart([b"head", body, b""]))
        head, got, tail = await receiver.recv_multipart()
        await send
        assert (head, len(got), tail) == (b"head", len(body), b"")
        assert got == body
        # The connection is still usable afterwards.
        await sender.send_multipart([b"after"])
        assert await receiver.recv_multipart() == [b"after"]


async def test_pair_refuses_a_second_libzmq_peer_with_a_reason(net):
    # The refusal comes before aiomsg's READY, as an ERROR: the libzmq peer
    # never sees a handshake, and stops reconnecting (a protocol error for it).
    binder = net.socket("aiomsg", "PAIR")
    refusals = binder.monitor()
    endpoint = await net.bind(binder)
    first = net.socket("zmq", "PAIR")
    first.connect(endpoint)
    second = net.socket("zmq", "PAIR", reconnect_ivl=10)
    events = second.get_monitor_socket()
    async with asyncio.timeout(TIMEOUT):
        await first.send_multipart([b"first"])
        assert await binder.recv_multipart() == [b"first"]
        second.connect(endpoint)
        refused = await refusals.wait_for(aiomsg.Event.PEER_REFUSED)
        assert refused.reason == "socket already has its one peer"
        seen = []
        while zmq.EVENT_DISCONNECTED not in seen:
            seen.append((await recv_monitor_message(events))["event"])
    assert zmq.EVENT_HANDSHAKE_SUCCEEDED not in seen
    with pytest.raises(TimeoutError):  # no reconnection, though reconnect_ivl is 10 ms
        async with asyncio.timeout(0.3):
            await recv_monitor_message(events)
    events.close()
    async with asyncio.timeout(TIMEOUT):
        await binder.send_multipart([b"still yours"])
        assert await first.recv_multipart() == [b"still yours"]
