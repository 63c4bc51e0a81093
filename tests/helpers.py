"""Small shared helpers for the socket and transport behaviour tests.

Nothing here sleeps to synchronise: waits are on monitor events, on received
messages, or on a condition polled inside an ``asyncio.timeout`` bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import socket
import tempfile
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import aiomsg

# ---------------------------------------------------------------- endpoints


def free_tcp_port() -> int:
    """A loopback TCP port that was free a moment ago (bound to 0, read, closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_tcp_endpoint() -> str:
    return f"tcp://127.0.0.1:{free_tcp_port()}"


_counter = itertools.count()


def unique_endpoint(transport: str) -> str:
    """An endpoint nobody uses yet: a concrete address, valid for connect-before-bind."""
    if transport == "tcp":
        return free_tcp_endpoint()
    if transport == "ws":
        return "ws://" + free_tcp_endpoint().removeprefix("tcp://") + "/zmq"
    tag = f"{os.getpid()}-{next(_counter)}-{uuid.uuid4().hex[:8]}"
    if transport == "ipc":
        # Short on purpose: AF_UNIX paths are limited to about 107 bytes.
        return f"ipc://{tempfile.gettempdir()}/aiomsg-{tag}.sock"
    if transport == "ipc-abstract":
        return f"ipc://@aiomsg-{tag}"
    if transport == "inproc":
        return f"inproc://aiomsg-{tag}"
    raise ValueError(transport)


def bind_endpoint(transport: str) -> str:
    """What to pass to ``bind``: an ephemeral port for tcp and ws, else a unique address."""
    if transport in ("tcp", "ws"):
        return f"{transport}://127.0.0.1:*" + ("/zmq" if transport == "ws" else "")
    return unique_endpoint(transport)


def tcp_host_port(endpoint: str) -> tuple[str, int]:
    assert endpoint.startswith("tcp://"), endpoint
    host, _, port = endpoint[len("tcp://") :].rpartition(":")
    return host.strip("[]"), int(port)


def cleanup_ipc(endpoint: str) -> None:
    if endpoint.startswith("ipc:///"):
        with contextlib.suppress(OSError):
            os.unlink(endpoint[len("ipc://") :])


# ---------------------------------------------------------------- waiting


async def wait_event(
    mon: aiomsg.Monitor, *events: aiomsg.Event, timeout: float = 5.0
) -> aiomsg.MonitorEvent:
    """The next monitor event of one of *events*, within *timeout* seconds."""
    async with asyncio.timeout(timeout):
        return await mon.wait_for(*events)


async def wait_handshakes(mon: aiomsg.Monitor, count: int = 1, timeout: float = 5.0) -> None:
    """Wait until *count* HANDSHAKE_SUCCEEDED events were seen on *mon*."""
    async with asyncio.timeout(timeout):
        for _ in range(count):
            await mon.wait_for(aiomsg.Event.HANDSHAKE_SUCCEEDED)


async def yield_loop(times: int = 1) -> None:
    """Let other tasks run *times* loop iterations (a cancel point, not a time wait)."""
    loop = asyncio.get_running_loop()
    for _ in range(times):
        fut = loop.create_future()
        loop.call_soon(fut.set_result, None)
        await fut


async def poll_until(
    predicate: Callable[[], bool], timeout: float = 5.0, interval: float = 0.005
) -> None:
    """Poll *predicate* until true; fail with TimeoutError after *timeout* seconds."""
    async with asyncio.timeout(timeout):
        while not predicate():
            # A polled condition, bounded by the timeout above (not a timed wait).
            await asyncio.sleep(interval)


async def assert_nothing_received(sock: Any, wait: float = 0.3) -> None:
    """Negative check: no message arrives on *sock* within *wait* seconds."""
    try:
        parts = await asyncio.wait_for(sock.recv_multipart(), wait)
    except TimeoutError:
        return
    raise AssertionError(f"unexpected message {parts!r}")


async def recv_n(sock: Any, n: int, timeout: float = 5.0) -> list[list[bytes]]:
    """Receive *n* whole messages within *timeout* seconds."""
    out: list[list[bytes]] = []
    async with asyncio.timeout(timeout):
        while len(out) < n:
            out.append(await sock.recv_multipart())
    return out


async def pubsub_sync(pub: Any, sub: Any, topic: bytes, timeout: float = 5.0) -> None:
    """Publish *topic* until *sub* (subscribed to it) gets one: subscriptions are live.

    Afterwards drains any further copies of *topic* that are already in flight by
    publishing ``topic + b"-end"`` and reading up to it.
    """
    async with asyncio.timeout(timeout):
        while True:
            await pub.send(topic)
            try:
                got = await asyncio.wait_for(sub.recv(), 0.05)
            except TimeoutError:
                continue
            assert got == topic
            break
        end = topic + b"-end"
        await pub.send(end)
        while (got := await sub.recv()) != end:
            assert got == topic


@contextlib.contextmanager
def loop_errors() -> Iterator[list[dict[str, Any]]]:
    """Collect what reaches the loop's exception handler (unhandled errors)."""
    loop = asyncio.get_running_loop()
    errors: list[dict[str, Any]] = []
    old = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    try:
        yield errors
    finally:
        loop.set_exception_handler(old)


# ---------------------------------------------------------------- raw ZMTP


def greeting(mechanism: bytes = b"NULL", major: int = 3, minor: int = 1) -> bytes:
    """A 64-byte ZMTP 3.x greeting (as-server 0)."""
    return (
        b"\xff"
        + b"\x00" * 8
        + b"\x7f"
        + bytes([major, minor])
        + mechanism.ljust(20, b"\x00")
        + b"\x00"
        + b"\x00" * 31
    )


GREETING = greeting()


def frame(body: bytes, *, more: bool = False, command: bool = False) -> bytes:
    """One ZMTP frame: flags, 1- or 8-byte size, body."""
    flags = (0x01 if more else 0) | (0x04 if command else 0)
    if len(body) > 255:
        return bytes([flags | 0x02]) + len(body).to_bytes(8, "big") + body
    return bytes([flags, len(body)]) + body


def command(name: bytes, data: bytes = b"") -> bytes:
    return frame(bytes([len(name)]) + name + data, command=True)


def prop(name: bytes, value: bytes) -> bytes:
    return bytes([len(name)]) + name + len(value).to_bytes(4, "big") + value


def ready(socket_type: bytes, **extra: bytes) -> bytes:
    """A READY command with Socket-Type (and extra properties, e.g. Identity=b"x")."""
    body = prop(b"Socket-Type", socket_type)
    for name, value in extra.items():
        body += prop(name.encode(), value)
    return command(b"READY", body)


def message(*parts: bytes) -> bytes:
    """The frames of one multipart message."""
    return b"".join(frame(p, more=i < len(parts) - 1) for i, p in enumerate(parts))


async def read_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    flags = (await reader.readexactly(1))[0]
    if flags & 0x02:
        size = int.from_bytes(await reader.readexactly(8), "big")
    else:
        size = (await reader.readexactly(1))[0]
    return flags, await reader.readexactly(size)


async def raw_connect(endpoint: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    host, port = tcp_host_port(endpoint)
    return await asyncio.open_connection(host, port)


async def raw_handshake(
    endpoint: str, socket_type: bytes, **props: bytes
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Connect to a tcp endpoint and complete a NULL handshake as *socket_type*."""
    reader, writer = await raw_connect(endpoint)
    writer.write(GREETING + ready(socket_type, **props))
    peer_greeting = await reader.readexactly(64)
    assert peer_greeting[0] == 0xFF and peer_greeting[9] & 1, peer_greeting
    assert peer_greeting[10] == 3, peer_greeting
    flags, body = await read_frame(reader)
    assert flags & 0x04 and body.startswith(b"\x05READY"), (flags, body)
    return reader, writer


async def read_until_closed(reader: asyncio.StreamReader, timeout: float = 5.0) -> bytes:
    """Read until the peer closes the connection (EOF or reset); fail after *timeout*."""
    data = bytearray()
    async with asyncio.timeout(timeout):
        while True:
            try:
                chunk = await reader.read(65536)
            except (ConnectionResetError, BrokenPipeError):
                break
            if not chunk:
                break
            data += chunk
    return bytes(data)
