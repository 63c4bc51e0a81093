"""Issue 12 part B: kernel socket tuning, use_fd, connect_timeout, reconnect_stop,
sndtimeo/rcvtimeo, read back from the real sockets or seen in behaviour."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
import struct
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from helpers import tcp_host_port, wait_event, wait_handshakes

import aiomsg

LINUX = sys.platform.startswith("linux")

TUNED = {
    "tcp_keepalive": 1,
    "tcp_keepalive_idle": 31,
    "tcp_keepalive_cnt": 4,
    "tcp_keepalive_intvl": 7,
    "tcp_maxrt": 7000,
    "tos": 0x20,
    "sndbuf": 65536,
    "rcvbuf": 131072,
}


def kernel_socket(sock: aiomsg.Socket) -> socket.socket:
    """The OS socket under *sock*'s only connection."""
    (pipe,) = [pipe for pipe in sock._pool.pipes if pipe.link is not None]
    raw = pipe.link._transport.get_extra_info("socket")  # type: ignore[union-attr]
    assert raw is not None
    return raw  # type: ignore[no-any-return]


def check_tuned(raw: socket.socket) -> None:
    tcp = socket.IPPROTO_TCP
    assert raw.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
    assert raw.getsockopt(tcp, socket.TCP_KEEPIDLE) == 31
    assert raw.getsockopt(tcp, socket.TCP_KEEPCNT) == 4
    assert raw.getsockopt(tcp, socket.TCP_KEEPINTVL) == 7
    assert raw.getsockopt(tcp, socket.TCP_USER_TIMEOUT) == 7000
    assert raw.getsockopt(socket.IPPROTO_IP, socket.IP_TOS) == 0x20
    # Linux doubles the value asked for (bookkeeping overhead), as socket(7) says.
    assert raw.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) == 2 * 65536
    assert raw.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) == 2 * 131072


@pytest.mark.skipif(not LINUX, reason="reads Linux socket options back")
@pytest.mark.parametrize("side", ["connecting", "accepting"])
async def test_tcp_options_reach_the_kernel(ctx: aiomsg.Context, side: str) -> None:
    tuned = ctx.socket(aiomsg.PAIR, **TUNED)
    plain = ctx.socket(aiomsg.PAIR)
    binder, connecter = (plain, tuned) if side == "connecting" else (tuned, plain)
    monitors = [tuned.monitor(), plain.monitor()]
    await connecter.connect(await binder.bind("tcp://127.0.0.1:*"))
    for mon in monitors:
        await wait_handshakes(mon)
    check_tuned(kernel_socket(tuned))
    # The untuned side kept the OS defaults.
    assert kernel_socket(plain).getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 0


@pytest.mark.skipif(not LINUX, reason="reads Linux socket options back")
async def test_keepalive_zero_turns_it_off_and_minus_one_leaves_it(ctx: aiomsg.Context) -> None:
    """libzmq: -1 leaves SO_KEEPALIVE alone, 0 clears it; probe timings only with 1."""
    off = ctx.socket(aiomsg.PAIR, tcp_keepalive=0, tcp_keepalive_idle=99)
    peer = ctx.socket(aiomsg.PAIR)
    mon = off.monitor()  # the connecting side: linked once its handshake is done
    await off.connect(await peer.bind("tcp://127.0.0.1:*"))
    await wait_handshakes(mon)
    raw = kernel_socket(off)
    assert raw.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 0
    assert raw.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) != 99


@pytest.mark.skipif(not LINUX, reason="TCP_INFO of a listening socket is Linux's")
async def test_backlog_is_the_listen_queue(ctx: aiomsg.Context) -> None:
    sock = ctx.socket(aiomsg.PULL, backlog=7)
    ep = await sock.bind("tcp://127.0.0.1:*")
    listener = sock._pool.bindings[ep]._server.sockets[0]  # type: ignore[attr-defined]
    # For a listener, tcpi_sacked holds the accept queue's maximum (tcp_get_info).
    info = listener.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    assert struct.unpack_from("I", info, 28)[0] == 7
    default = ctx.socket(aiomsg.PULL)
    ep = await default.bind("tcp://127.0.0.1:*")
    listener = default._pool.bindings[ep]._server.sockets[0]  # type: ignore[attr-defined]
    info = listener.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    assert struct.unpack_from("I", info, 28)[0] == 100  # libzmq's default


@pytest.mark.skipif(not LINUX, reason="reads Linux socket options back")
async def test_buffer_sizes_apply_to_ipc(ctx: aiomsg.Context, tmp_path: Any) -> None:
    tuned = ctx.socket(aiomsg.PAIR, sndbuf=32768, rcvbuf=32768)
    peer = ctx.socket(aiomsg.PAIR)
    mon = tuned.monitor()
    await tuned.connect(await peer.bind(f"ipc://{tmp_path}/b.ipc"))
    await wait_handshakes(mon)
    raw = kernel_socket(tuned)
    assert raw.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) == 2 * 32768


@contextlib.contextmanager
def listening(family: int = socket.AF_INET, path: str | None = None) -> Iterator[socket.socket]:
    raw = socket.socket(family, socket.SOCK_STREAM)
    try:
        raw.bind(path if path is not None else ("127.0.0.1", 0))
        raw.listen(5)
        yield raw
    finally:
        raw.close()


@pytest.mark.parametrize("transport", ["tcp", "ipc"])
async def test_use_fd_adopts_a_listening_socket(
    ctx: aiomsg.Context, transport: str, tmp_path: Any
) -> None:
    """As systemd socket activation hands one over: bind() serves on it."""
    family = socket.AF_INET if transport == "tcp" else socket.AF_UNIX
    path = f"{tmp_path}/activated.ipc" if transport == "ipc" else None
    with listening(family, path) as raw:
        name = raw.getsockname()
        fd = raw.detach()  # the socket is aiomsg's now, as libzmq takes it over
        pull = ctx.socket(aiomsg.PULL, use_fd=fd)
        if transport == "tcp":
            address = await pull.bind("tcp://127.0.0.1:*")
            assert tcp_host_port(address)[1] == name[1]  # the adopted socket's port
        else:
            address = await pull.bind(f"ipc://{path}")
        push = ctx.socket(aiomsg.PUSH)
        await push.connect(address)
        async with asyncio.timeout(5):
            await push.send(b"activated")
            assert await pull.recv() == b"activated"
        await pull.unbind(address)
        with pytest.raises(OSError) as info:  # closed on unbind, as libzmq closes it
            socket.socket(fileno=fd).detach()
        assert info.value.errno == errno.EBADF


async def test_use_fd_refuses_what_is_not_a_listener(ctx: aiomsg.Context) -> None:
    with socket.socket() as unbound:
        pull = ctx.socket(aiomsg.PULL, use_fd=unbound.fileno())
        with pytest.raises(aiomsg.EndpointError, match="not a listening socket"):
            await pull.bind("tcp://127.0.0.1:*")
        assert unbound.fileno() >= 0  # left open: not ours


@pytest.mark.skipif(not LINUX, reason="relies on Linux dropping SYNs to a full accept queue")
async def test_connect_timeout_retries_a_connect_that_hangs(ctx: aiomsg.Context) -> None:
    with listening() as raw:
        raw.listen(0)
        port = raw.getsockname()[1]
        # Fill the accept queue: the kernel now drops further SYNs, so a
        # connect neither succeeds nor fails until the timeout.
        fillers = [socket.socket() for _ in range(2)]
        for filler in fillers:
            filler.setblocking(False)  # the second one hangs, as ours must
            filler.connect_ex(("127.0.0.1", port))
        try:
            push = ctx.socket(aiomsg.PUSH, connect_timeout=100, reconnect_ivl=50)
            mon = push.monitor()
            await push.connect(f"tcp://127.0.0.1:{port}")
            event = await wait_event(mon, aiomsg.Event.CONNECT_RETRIED)
            assert "connect_timeout (100 ms)" in event.reason
            assert event.value == errno.ETIMEDOUT
        finally:
            for filler in fillers:
                filler.close()


async def test_reconnect_stop_conn_refused_gives_up(ctx: aiomsg.Context) -> None:
    with listening() as raw:
        port = raw.getsockname()[1]
    push = ctx.socket(aiomsg.PUSH, reconnect_stop=aiomsg.RECONNECT_STOP_CONN_REFUSED)
    mon = push.monitor()
    endpoint = f"tcp://127.0.0.1:{port}"
    await push.connect(endpoint)
    event = await wait_event(mon, aiomsg.Event.CLOSED, aiomsg.Event.CONNECT_RETRIED)
    # libzmq's sequence: CONNECT_DELAYED, CLOSED, and no CONNECT_RETRIED.
    assert event.event is aiomsg.Event.CLOSED and event.endpoint == endpoint
    assert "not reconnecting" in event.reason
    assert push.stats().peers == ()  # the endpoint's pipe is gone, nothing queues
    with pytest.raises(aiomsg.EndpointError):
        await push.disconnect(endpoint)


async def test_reconnect_ivl_minus_one_reports_closed(ctx: aiomsg.Context) -> None:
    with listening() as raw:
        port = raw.getsockname()[1]
    push = ctx.socket(aiomsg.PUSH, reconnect_ivl=-1)
    mon = push.monitor()
    await push.connect(f"tcp://127.0.0.1:{port}")
    retried = await wait_event(mon, aiomsg.Event.CONNECT_RETRIED)
    assert retried.value == errno.ECONNREFUSED
    assert "reconnect_ivl" in (await wait_event(mon, aiomsg.Event.CLOSED)).reason


async def test_reconnect_stop_handshake_failed_gives_up(ctx: aiomsg.Context) -> None:
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"GET / HTTP/1.0\r\n\r\n")
        writer.close()

    server = await asyncio.start_server(garbage, "127.0.0.1", 0)
    async with server:
        port = server.sockets[0].getsockname()[1]
        flags = aiomsg.RECONNECT_STOP_HANDSHAKE_FAILED
        push = ctx.socket(aiomsg.PUSH, reconnect_stop=flags, reconnect_ivl=10)
        mon = push.monitor()
        await push.connect(f"tcp://127.0.0.1:{port}")
        failed = await wait_event(mon, aiomsg.Event.HANDSHAKE_FAILED)
        assert failed.zmq_event is aiomsg.ZmqEvent.HANDSHAKE_FAILED_PROTOCOL
        closed = await wait_event(mon, aiomsg.Event.CLOSED, aiomsg.Event.CONNECT_RETRIED)
        assert closed.event is aiomsg.Event.CLOSED, closed
        assert "handshake failed" in closed.reason


async def test_without_reconnect_stop_a_refused_connect_is_retried(ctx: aiomsg.Context) -> None:
    with listening() as raw:
        port = raw.getsockname()[1]
    push = ctx.socket(aiomsg.PUSH, reconnect_ivl=10)
    mon = push.monitor()
    await push.connect(f"tcp://127.0.0.1:{port}")
    assert (await wait_event(mon, aiomsg.Event.CONNECT_DELAYED)).value == errno.EINPROGRESS
    for _ in range(2):
        await wait_event(mon, aiomsg.Event.CONNECT_RETRIED)


@pytest.mark.parametrize(
    ("name", "value"),
    [("tcp_keepalive", 2), ("tcp_keepalive", -2), ("reconnect_stop", 8), ("tos", 256)],
)
def test_ranges_are_checked(ctx: aiomsg.Context, name: str, value: int) -> None:
    with pytest.raises(aiomsg.InvalidOption):
        ctx.socket(aiomsg.PAIR, **{name: value})


def test_defaults_are_libzmqs(ctx: aiomsg.Context) -> None:
    sock = ctx.socket(aiomsg.PAIR)
    assert (sock.tcp_keepalive, sock.tcp_keepalive_idle, sock.tcp_keepalive_cnt) == (-1, -1, -1)
    assert (sock.tcp_keepalive_intvl, sock.tcp_maxrt, sock.connect_timeout) == (-1, 0, 0)
    assert (sock.reconnect_stop, sock.tos, sock.sndbuf, sock.rcvbuf) == (0, 0, -1, -1)
    assert (sock.backlog, sock.use_fd, sock.sndtimeo, sock.rcvtimeo) == (100, -1, -1, -1)
    assert sock.stream_notify is True and sock.zap_enforce_domain is False


# ---------------------------------------------------------------- sndtimeo, rcvtimeo


async def test_rcvtimeo_raises_again(ctx: aiomsg.Context) -> None:
    pull = ctx.socket(aiomsg.PULL, rcvtimeo=30)
    await pull.bind("tcp://127.0.0.1:*")
    with pytest.raises(aiomsg.Again, match="rcvtimeo"):
        await pull.recv()
    pull.rcvtimeo = 0  # 0: at once, as NOBLOCK
    with pytest.raises(aiomsg.Again):
        await pull.recv_multipart()


async def test_rcvtimeo_lets_a_message_through(ctx: aiomsg.Context) -> None:
    pull = ctx.socket(aiomsg.PULL, rcvtimeo=5000)
    push = ctx.socket(aiomsg.PUSH)
    await push.connect(await pull.bind("inproc://rcvtimeo"))
    receiving = asyncio.ensure_future(pull.recv())
    await push.send(b"in time")
    async with asyncio.timeout(5):
        assert await receiving == b"in time"


async def test_sndtimeo_raises_again_when_no_peer_takes_it(ctx: aiomsg.Context) -> None:
    push = ctx.socket(aiomsg.PUSH, sndtimeo=30)
    with pytest.raises(aiomsg.Again, match="sndtimeo"):
        await push.send(b"nobody")
    push.sndtimeo = -1  # for ever: only the caller's timeout ends it
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await push.send(b"nobody")
