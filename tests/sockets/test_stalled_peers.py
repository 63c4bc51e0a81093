"""Peers that stop reading: what we owe them stays bounded, and they are dropped.

The raw peer here is a plain socket with a small receive buffer that never
calls ``recv()`` once its handshake is sent, so our writes to it block.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import sys

import pytest
from helpers import GREETING, command, message, poll_until, ready, tcp_host_port, wait_event

import aiomsg

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads TCP_INFO (Linux only)")

_TCP_CLOSE = 7  # tcpi_state after a reset (linux/tcp_states.h)
BODY = b"x" * 65536


async def stalled_peer(endpoint: str, socket_type: bytes, *, then: bytes = b"") -> socket.socket:
    """Connect, send greeting + READY (+ *then*), and never read again."""
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.setblocking(False)
    loop = asyncio.get_running_loop()
    await loop.sock_connect(raw, tcp_host_port(endpoint))
    await loop.sock_sendall(raw, GREETING + ready(socket_type) + then)
    return raw


def tcp_state(raw: socket.socket) -> int:
    return raw.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0]


async def fill(sock: aiomsg.Socket) -> int:
    """Send 64 KiB messages until the socket would wait; return how many went."""
    sent = 0
    with contextlib.suppress(aiomsg.Again):
        while sent < 10_000:  # bounded; the HWM and buffers stop it far sooner
            await sock.send(BODY, flags=aiomsg.NOBLOCK)
            sent += 1
    return sent


async def test_heartbeat_drops_a_peer_that_stopped_reading(ctx: aiomsg.Context) -> None:
    push = ctx.socket(aiomsg.PUSH, sndhwm=10, heartbeat_ivl=100, heartbeat_timeout=300)
    monitor = push.monitor()
    endpoint = await push.bind("tcp://127.0.0.1:*")
    raw = await stalled_peer(endpoint, b"PULL")
    try:
        await wait_event(monitor, aiomsg.Event.HANDSHAKE_SUCCEEDED)
        assert await fill(push) > 0
        async with asyncio.timeout(3):
            timeout = await monitor.wait_for(aiomsg.Event.HEARTBEAT_TIMEOUT)
            await monitor.wait_for(aiomsg.Event.DISCONNECTED)
        assert "PING" in timeout.reason
        await poll_until(lambda: tcp_state(raw) == _TCP_CLOSE, timeout=2)
        assert push.peer_count == 0
    finally:
        raw.close()


@pytest.mark.parametrize("linger", [0, 100])
async def test_close_aborts_a_stalled_connection_once_linger_is_over(
    ctx: aiomsg.Context, linger: int
) -> None:
    push = ctx.socket(aiomsg.PUSH, sndhwm=10)
    monitor = push.monitor()
    endpoint = await push.bind("tcp://127.0.0.1:*")
    raw = await stalled_peer(endpoint, b"PULL")
    try:
        await wait_event(monitor, aiomsg.Event.HANDSHAKE_SUCCEEDED)
        await fill(push)
        assert tcp_state(raw) != _TCP_CLOSE
        async with asyncio.timeout(3):
            await push.aclose(linger=linger)
        # The connection is reset, not left ESTABLISHED waiting to flush.
        await poll_until(lambda: tcp_state(raw) == _TCP_CLOSE, timeout=2)
    finally:
        raw.close()


async def test_pings_from_a_peer_that_never_reads_leave_bounded_pongs(
    ctx: aiomsg.Context,
) -> None:
    """16 MiB of PINGs from a peer that reads nothing: the PONGs owed to it are
    coalesced while our writes are blocked, so what we hold stays small."""
    router = ctx.socket(aiomsg.ROUTER)
    endpoint = await router.bind("tcp://127.0.0.1:*")
    ping = command(b"PING", struct.pack(">H", 0) + b"c" * 16)
    flood = ping * (16 * 1024 * 1024 // len(ping))
    raw = await stalled_peer(endpoint, b"DEALER", then=flood + message(b"done"))
    try:
        async with asyncio.timeout(30):
            _, last = await router.recv_multipart()
        assert last == b"done"  # every PING before it was read and answered
        (pipe,) = router._pool.pipes
        link = pipe.link
        assert link is not None
        held = link.pending_output + sum(map(len, link._codec.output))  # type: ignore[attr-defined]
        assert held < 1024 * 1024, f"{held} bytes held for a peer that does not read"
    finally:
        raw.close()
