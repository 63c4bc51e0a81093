"""Heartbeats: PINGs on an interval, dead peers dropped, the peer's TTL honoured."""

from __future__ import annotations

import asyncio
import contextlib

import zmq
import zmq.asyncio
from helpers import command, raw_handshake, read_frame, wait_handshakes

import aiomsg

PING, PONG = b"\x04PING", b"\x04PONG"


async def closed_or_reset(reader: asyncio.StreamReader) -> None:
    """Read until the connection ends: a peer taken for dead is reset (its
    unread bytes dropped), so the end may be a reset rather than EOF."""
    with contextlib.suppress(ConnectionResetError):
        while await reader.read(4096):
            pass


async def test_silent_peer_is_dropped_after_a_ping(ctx: aiomsg.Context) -> None:
    pull = ctx.socket(aiomsg.PULL, heartbeat_ivl=50, heartbeat_timeout=150, heartbeat_ttl=2500)
    mon = pull.monitor()
    ep = await pull.bind("tcp://127.0.0.1:*")
    reader, writer = await raw_handshake(ep, b"PUSH")
    try:
        async with asyncio.timeout(5):
            flags, body = await read_frame(reader)  # the raw peer never answers
            assert flags == 0x04 and body == PING + b"\x00\x19"  # TTL 2.5 s in deciseconds
            event = await mon.wait_for(aiomsg.Event.HEARTBEAT_TIMEOUT)
            assert "PING" in event.reason
            await mon.wait_for(aiomsg.Event.DISCONNECTED)
            await closed_or_reset(reader)
    finally:
        writer.close()
    assert pull.peer_count == 0


async def test_peer_ttl_is_honoured(ctx: aiomsg.Context) -> None:
    pull = ctx.socket(aiomsg.PULL)
    mon = pull.monitor()
    ep = await pull.bind("tcp://127.0.0.1:*")
    reader, writer = await raw_handshake(ep, b"PUSH")
    try:
        writer.write(command(b"PING", b"\x00\x03ctx"))  # TTL 300 ms, then silence
        async with asyncio.timeout(5):
            flags, body = await read_frame(reader)
            assert flags == 0x04 and body == PONG + b"ctx"
            event = await mon.wait_for(aiomsg.Event.HEARTBEAT_TIMEOUT)
            assert "TTL" in event.reason
            await closed_or_reset(reader)
    finally:
        writer.close()


async def test_a_ping_read_with_messages_is_answered_at_once(ctx: aiomsg.Context) -> None:
    """A message and a PING in one write (one read, as loopback delivers a
    few bytes written at once): the read takes the messages-only branch of
    PeerProtocol.data_received, which must still flush the PONG the codec
    queued, though this PULL never sends anything that would carry it."""
    pull = ctx.socket(aiomsg.PULL)
    ep = await pull.bind("tcp://127.0.0.1:*")
    reader, writer = await raw_handshake(ep, b"PUSH")
    try:
        writer.write(b"\x00\x01a" + command(b"PING", b"\x00\x00ctx") + b"\x00\x01b")
        async with asyncio.timeout(5):
            assert [await pull.recv(), await pull.recv()] == [b"a", b"b"]
            flags, body = await read_frame(reader)
            assert flags == 0x04 and body == PONG + b"ctx"
    finally:
        writer.close()


async def test_traffic_keeps_a_ttl_connection_alive(ctx: aiomsg.Context) -> None:
    pull = ctx.socket(aiomsg.PULL)
    mon = pull.monitor()
    ep = await pull.bind("tcp://127.0.0.1:*")
    _, writer = await raw_handshake(ep, b"PUSH")
    try:
        writer.write(command(b"PING", b"\x00\x03"))  # TTL 300 ms
        async with asyncio.timeout(5):
            for i in range(12):  # a message every ~50 ms for 600 ms: twice the TTL
                writer.write(b"\x00\x01" + bytes([i]))
                assert await pull.recv() == bytes([i])
                waited = asyncio.ensure_future(mon.wait_for(aiomsg.Event.HEARTBEAT_TIMEOUT))
                done, _ = await asyncio.wait({waited}, timeout=0.05)
                waited.cancel()
                assert not done, "a peer that keeps talking must not time out"
    finally:
        writer.close()


async def test_heartbeats_with_libzmq_both_ways(ctx: aiomsg.Context) -> None:
    """libzmq answers our PINGs and we answer its PINGs: nobody times out."""
    zctx = zmq.asyncio.Context()
    try:
        # Timeouts well above the interval: a loaded CI machine must not fail this.
        pull = ctx.socket(aiomsg.PULL, heartbeat_ivl=30, heartbeat_timeout=500)
        mon = pull.monitor()
        ep = await pull.bind("tcp://127.0.0.1:*")
        push = zctx.socket(zmq.PUSH)
        push.setsockopt(zmq.LINGER, 0)
        push.setsockopt(zmq.HEARTBEAT_IVL, 30)
        push.setsockopt(zmq.HEARTBEAT_TIMEOUT, 500)
        push.setsockopt(zmq.HEARTBEAT_TTL, 1000)
        push.connect(ep)
        await wait_handshakes(mon)
        async with asyncio.timeout(5):
            for i in range(10):  # about half a second: several PINGs each way
                await push.send(b"%d" % i)
                assert await pull.recv() == b"%d" % i
                ended = asyncio.ensure_future(
                    mon.wait_for(aiomsg.Event.HEARTBEAT_TIMEOUT, aiomsg.Event.DISCONNECTED)
                )
                done, _ = await asyncio.wait({ended}, timeout=0.05)
                ended.cancel()
                assert not done
        assert pull.peer_count == 1
    finally:
        zctx.destroy(linger=0)


async def test_heartbeat_options_round_trip(ctx: aiomsg.Context) -> None:
    sock = ctx.socket(aiomsg.DEALER, heartbeat_ivl=1000, heartbeat_ttl=5000)
    assert (sock.heartbeat_ivl, sock.heartbeat_timeout, sock.heartbeat_ttl) == (1000, -1, 5000)
    sock.heartbeat_timeout = 3000
    assert sock.heartbeat_timeout == 3000
