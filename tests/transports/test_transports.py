"""One conformance suite, run over every transport: tcp, ipc and inproc."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
from collections.abc import Iterator

import pytest
from helpers import (
    assert_nothing_received,
    bind_endpoint,
    cleanup_ipc,
    free_tcp_port,
    pubsub_sync,
    recv_n,
    unique_endpoint,
    wait_event,
    wait_handshakes,
)

import aiomsg

TRANSPORTS = ["tcp", "ipc", "inproc", "ws"]
MiB = 1024 * 1024


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "ipc" and sys.platform == "win32":
        pytest.skip("no ipc on Windows")
    yield request.param


@pytest.fixture
def endpoints() -> Iterator[list[str]]:
    """Endpoints a test used; ipc socket files are removed afterwards."""
    used: list[str] = []
    yield used
    for ep in used:
        cleanup_ipc(ep)


async def _bind(sock: aiomsg.Socket, transport: str, endpoints: list[str]) -> str:
    ep = await sock.bind(bind_endpoint(transport))
    endpoints.append(ep)
    return ep


async def _pair(
    ctx: aiomsg.Context, transport: str, endpoints: list[str], *, pull_binds: bool = True
) -> tuple[aiomsg.Socket, aiomsg.Socket, str]:
    push = ctx.socket(aiomsg.PUSH)
    pull = ctx.socket(aiomsg.PULL)
    binder, connecter = (pull, push) if pull_binds else (push, pull)
    mon = connecter.monitor()
    ep = await _bind(binder, transport, endpoints)
    await connecter.connect(ep)
    await wait_handshakes(mon)
    return push, pull, ep


@pytest.mark.parametrize("pull_binds", [True, False], ids=["pull-binds", "push-binds"])
async def test_round_trip(
    ctx: aiomsg.Context, transport: str, endpoints: list[str], pull_binds: bool
) -> None:
    push, pull, ep = await _pair(ctx, transport, endpoints, pull_binds=pull_binds)
    assert ep.startswith(transport + "://")
    async with asyncio.timeout(5):
        for i in range(100):
            await push.send(b"msg %d" % i)
        assert await recv_n(pull, 100) == [[b"msg %d" % i] for i in range(100)]


async def test_multipart_and_empty_frames(
    ctx: aiomsg.Context, transport: str, endpoints: list[str]
) -> None:
    push, pull, _ = await _pair(ctx, transport, endpoints)
    messages = [
        [b""],
        [b"", b""],
        [b"a", b"", b"b"],
        [b"", b"x", b""],
        [b"head"] + [b"%d" % i for i in range(50)],
        [b"y" * 255, b"z" * 256],  # short and long frame sizes
    ]
    async with asyncio.timeout(5):
        for parts in messages:
            await push.send_multipart(parts)
        assert await recv_n(pull, len(messages)) == messages


async def test_sixteen_mib_message(
    ctx: aiomsg.Context, transport: str, endpoints: list[str]
) -> None:
    push, pull, _ = await _pair(ctx, transport, endpoints)
    big = bytes(range(256)) * (16 * MiB // 256)
    async with asyncio.timeout(15):
        await push.send(big)
        await push.send_multipart([b"small", big, b""])
        await push.send(b"after")
        got = await recv_n(pull, 3, timeout=15)
    assert len(got[0]) == 1 and got[0][0] == big
    assert got[1][0] == b"small" and got[1][1] == big and got[1][2] == b""
    assert got[2] == [b"after"]


async def test_large_messages_back_to_back_stay_distinct(
    ctx: aiomsg.Context, transport: str, endpoints: list[str]
) -> None:
    # Large frames are read into a buffer kept for the next one (tcp, ipc):
    # each message received must be its own bytes, still intact once later
    # ones have arrived, whatever the sizes around the direct-read threshold.
    push, pull, _ = await _pair(ctx, transport, endpoints)
    sizes = [300_000, 2 * MiB, 256 * 1024 + 1, 5 * MiB, 256 * 1024 - 1, 300_000]
    sent = [[b"%d" % i, bytes([i + 1]) * size] for i, size in enumerate(sizes)]
    async with asyncio.timeout(15):
        for message in sent:
            await push.send_multipart(message)
        await push.send(b"after")
        got = await recv_n(pull, len(sent) + 1, timeout=15)
    assert got == [*sent, [b"after"]]
    assert all(type(frame) is bytes for message in got for frame in message)


async def test_connect_before_bind(
    ctx: aiomsg.Context, transport: str, endpoints: list[str]
) -> None:
    ep = unique_endpoint(transport)
    endpoints.append(ep)
    push = ctx.socket(aiomsg.PUSH, reconnect_ivl=10)
    await push.connect(ep)
    async with asyncio.timeout(5):
        await push.send_multipart([b"sent", b"before bind"])
    pull = ctx.socket(aiomsg.PULL)
    assert await pull.bind(ep) == ep
    async with asyncio.timeout(5):
        assert await pull.recv_multipart() == [b"sent", b"before bind"]
        await push.send(b"after")
        assert await pull.recv() == b"after"


async def test_reqrep(ctx: aiomsg.Context, transport: str, endpoints: list[str]) -> None:
    rep = ctx.socket(aiomsg.REP)
    req = ctx.socket(aiomsg.REQ)
    ep = await _bind(rep, transport, endpoints)
    await req.connect(ep)
    async with asyncio.timeout(5):
        for i in range(5):
            await req.send_multipart([b"q", b"%d" % i])
            assert await rep.recv_multipart() == [b"q", b"%d" % i]
            await rep.send(b"a%d" % i)
            assert await req.recv() == b"a%d" % i


async def test_pubsub(ctx: aiomsg.Context, transport: str, endpoints: list[str]) -> None:
    pub = ctx.socket(aiomsg.PUB)
    sub = ctx.socket(aiomsg.SUB)
    ep = await _bind(pub, transport, endpoints)
    await sub.connect(ep)
    sub.subscribe(b"yes")
    await pubsub_sync(pub, sub, b"yes-sync")
    await pub.send(b"no thanks")
    await pub.send_multipart([b"yes please", b"body"])
    await pub.send(b"yes-end")
    async with asyncio.timeout(5):
        assert await sub.recv_multipart() == [b"yes please", b"body"]
        assert await sub.recv() == b"yes-end"


async def test_router_dealer(ctx: aiomsg.Context, transport: str, endpoints: list[str]) -> None:
    router = ctx.socket(aiomsg.ROUTER)
    dealer = ctx.socket(aiomsg.DEALER, identity=b"D")
    ep = await _bind(router, transport, endpoints)
    await dealer.connect(ep)
    async with asyncio.timeout(5):
        await dealer.send(b"hi")
        assert await router.recv_multipart() == [b"D", b"hi"]
        await router.send_multipart([b"D", b"hello", b""])
        assert await dealer.recv_multipart() == [b"hello", b""]


async def test_pair(ctx: aiomsg.Context, transport: str, endpoints: list[str]) -> None:
    a = ctx.socket(aiomsg.PAIR)
    b = ctx.socket(aiomsg.PAIR)
    ep = await _bind(a, transport, endpoints)
    await b.connect(ep)
    async with asyncio.timeout(5):
        await a.send(b"ab")
        await b.send(b"ba")
        assert await b.recv() == b"ab"
        assert await a.recv() == b"ba"


async def test_unbind_releases_endpoint(
    ctx: aiomsg.Context, transport: str, endpoints: list[str]
) -> None:
    push, pull, ep = await _pair(ctx, transport, endpoints)
    # _pair watched push's handshake; watch its disconnect with a fresh monitor
    mon = push.monitor()
    push.reconnect_ivl = 10
    async with asyncio.timeout(5):
        await push.send(b"one")
        assert await pull.recv() == b"one"
    await pull.unbind(ep)
    await wait_event(mon, aiomsg.Event.DISCONNECTED)
    # The endpoint is free again: another socket can bind it, and the pusher
    # (still connecting) reaches the new one.
    pull2 = ctx.socket(aiomsg.PULL)
    assert await pull2.bind(ep) == ep
    async with asyncio.timeout(5):
        await push.send(b"two")
        assert await pull2.recv() == b"two"
    await assert_nothing_received(pull, 0.2)


async def test_disconnect_stops_delivery(
    ctx: aiomsg.Context, transport: str, endpoints: list[str]
) -> None:
    push, pull, ep = await _pair(ctx, transport, endpoints, pull_binds=True)
    pull_mon = pull.monitor()
    async with asyncio.timeout(5):
        await push.send(b"one")
        assert await pull.recv() == b"one"
    await push.disconnect(ep)
    await wait_event(pull_mon, aiomsg.Event.DISCONNECTED)
    # No peer left: a send now waits (and times out).
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(push.send(b"lost"), 0.2)
    with pytest.raises(aiomsg.Again):
        await push.send(b"lost", flags=aiomsg.NOBLOCK)
    # Connecting again works.
    mon = push.monitor()
    await push.connect(ep)
    await wait_handshakes(mon)
    async with asyncio.timeout(5):
        await push.send(b"two")
        assert await pull.recv() == b"two"


async def test_disconnect_one_of_two(
    ctx: aiomsg.Context, transport: str, endpoints: list[str]
) -> None:
    pulls = [ctx.socket(aiomsg.PULL) for _ in range(2)]
    eps = [await _bind(p, transport, endpoints) for p in pulls]
    push = ctx.socket(aiomsg.PUSH)
    mon = push.monitor()
    for ep in eps:
        await push.connect(ep)
    await wait_handshakes(mon, 2)
    await push.disconnect(eps[0])
    await wait_event(mon, aiomsg.Event.DISCONNECTED)
    async with asyncio.timeout(5):
        for i in range(4):
            await push.send(b"%d" % i)
        assert await recv_n(pulls[1], 4) == [[b"%d" % i] for i in range(4)]


async def test_bind_same_endpoint_twice_fails(
    ctx: aiomsg.Context, transport: str, endpoints: list[str]
) -> None:
    if transport == "ipc":
        pytest.skip("ipc: libzmq replaces a stale socket file; not asserted here")
    first = ctx.socket(aiomsg.PULL)
    ep = await _bind(first, transport, endpoints)
    second = ctx.socket(aiomsg.PULL)
    with pytest.raises(aiomsg.AddressInUse) as info:
        await second.bind(ep)
    assert ep in str(info.value)


async def test_close_with_linger_zero_is_prompt(
    ctx: aiomsg.Context, transport: str, endpoints: list[str]
) -> None:
    push, pull, _ = await _pair(ctx, transport, endpoints)
    push.linger = 0
    async with asyncio.timeout(2):
        await push.aclose()
        await pull.aclose()


# ---------------------------------------------------------------- address forms


async def test_tcp_wildcard_and_zero_port(ctx: aiomsg.Context) -> None:
    pull = ctx.socket(aiomsg.PULL)
    ep = await pull.bind("tcp://127.0.0.1:0")
    port = int(ep.rsplit(":", 1)[1])
    assert port > 0
    push = ctx.socket(aiomsg.PUSH)
    await push.connect(f"tcp://127.0.0.1:{port}")
    async with asyncio.timeout(5):
        await push.send(b"zero")
        assert await pull.recv() == b"zero"


async def test_tcp_bind_all_interfaces(ctx: aiomsg.Context) -> None:
    port = free_tcp_port()
    pull = ctx.socket(aiomsg.PULL)
    await pull.bind(f"tcp://*:{port}")
    push = ctx.socket(aiomsg.PUSH)
    await push.connect(f"tcp://127.0.0.1:{port}")
    async with asyncio.timeout(5):
        await push.send(b"star")
        assert await pull.recv() == b"star"


async def test_tcp_connect_by_hostname(ctx: aiomsg.Context) -> None:
    pull = ctx.socket(aiomsg.PULL)
    ep = await pull.bind("tcp://127.0.0.1:*")
    push = ctx.socket(aiomsg.PUSH)
    await push.connect(ep.replace("127.0.0.1", "localhost"))
    async with asyncio.timeout(5):
        await push.send(b"by name")
        assert await pull.recv() == b"by name"


def _have_ipv6_loopback() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _have_ipv6_loopback(), reason="no IPv6 loopback")
async def test_tcp_ipv6_loopback(ctx: aiomsg.Context) -> None:
    pull = ctx.socket(aiomsg.PULL)
    ep = await pull.bind("tcp://[::1]:*")
    assert ep.startswith("tcp://[::1]:")
    push = ctx.socket(aiomsg.PUSH)
    await push.connect(ep)
    async with asyncio.timeout(5):
        await push.send(b"v6")
        assert await pull.recv() == b"v6"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux abstract sockets")
async def test_ipc_abstract_namespace(ctx: aiomsg.Context) -> None:
    ep = unique_endpoint("ipc-abstract")
    pull = ctx.socket(aiomsg.PULL)
    assert await pull.bind(ep) == ep
    push = ctx.socket(aiomsg.PUSH)
    await push.connect(ep)
    async with asyncio.timeout(5):
        await push.send(b"abstract")
        assert await pull.recv() == b"abstract"


async def test_inproc_is_per_context(ctx: aiomsg.Context) -> None:
    """An inproc name bound in one context is not reachable from another."""
    ep = unique_endpoint("inproc")
    pull = ctx.socket(aiomsg.PULL)
    await pull.bind(ep)
    async with aiomsg.Context() as other:
        push = other.socket(aiomsg.PUSH, linger=0)
        await push.connect(ep)
        # Whether it queues (waiting for a bind in *its* context) or not,
        # nothing reaches the other context's socket.
        with contextlib.suppress(aiomsg.Again):
            await push.send(b"x", flags=aiomsg.NOBLOCK)
        await assert_nothing_received(pull, 0.2)
        push.close(linger=0)


async def test_inproc_passes_messages_by_reference(ctx: aiomsg.Context) -> None:
    push = ctx.socket(aiomsg.PUSH)
    pull = ctx.socket(aiomsg.PULL)
    ep = unique_endpoint("inproc")
    await pull.bind(ep)
    await push.connect(ep)
    payload = b"by reference " * 1000
    async with asyncio.timeout(5):
        await push.send(payload)
        got = await pull.recv()
    assert got == payload
    assert got is payload


async def test_ipc_socket_file_removed_on_close(ctx: aiomsg.Context) -> None:
    ep = unique_endpoint("ipc")
    pull = ctx.socket(aiomsg.PULL)
    await pull.bind(ep)
    path = ep[len("ipc://") :]
    assert os.path.exists(path)
    await pull.aclose()
    assert not os.path.exists(path)


async def test_backpressure_is_bounded(
    ctx: aiomsg.Context, transport: str, endpoints: list[str]
) -> None:
    """A reader that does not read makes the sender wait after a bounded amount;
    once it reads, everything arrives, in order, and sending resumes."""
    pull = ctx.socket(aiomsg.PULL, rcvhwm=4)
    push = ctx.socket(aiomsg.PUSH, sndhwm=4)
    mon = push.monitor()
    ep = await _bind(pull, transport, endpoints)
    await push.connect(ep)
    await wait_handshakes(mon)
    payload = b"p" * 65536
    sent = 0
    async with asyncio.timeout(20):
        while True:
            try:
                await asyncio.wait_for(push.send_multipart([b"%d" % sent, payload]), 0.2)
            except TimeoutError:
                break
            sent += 1
            # 3000 x 64 KiB is far beyond any socket buffer: the queue must stop.
            assert sent < 3000, "sender never felt back-pressure"
    assert sent >= 4
    if transport == "inproc":
        assert sent <= 2 * (4 + 4), sent  # only the two HWMs hold messages
    got = await recv_n(pull, sent, timeout=20)
    assert [int(m[0]) for m in got] == list(range(sent))
    assert all(m[1] == payload for m in got)
    async with asyncio.timeout(5):
        await push.send(b"again")
        assert await pull.recv() == b"again"


@pytest.mark.parametrize("endpoint", ["ipc://*", "inproc://*"])
async def test_connect_to_a_wildcard_is_refused(ctx: aiomsg.Context, endpoint: str) -> None:
    # A wildcard asks bind() for a fresh address; there is nothing to connect to.
    push = ctx.socket(aiomsg.PUSH)
    with pytest.raises(aiomsg.EndpointError, match="bind"):
        await push.connect(endpoint)
    assert push.peer_count == 0
