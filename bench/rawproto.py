"""The ``raw-asyncio`` baseline: a bare length-prefixed protocol on asyncio.

Each message is a 4-byte big-endian length and the body. The sender
coalesces writes per loop tick (one ``writelines`` at the end of the tick, or
earlier past a byte threshold); the receiver parses each received chunk with
an offset loop. It has the same per-message ``await send()`` /
``await recv()`` shape as the libraries it is compared with, and the same
kind of flow control (a receive high-water mark and write pausing), but no
framing flags, no handshake, no routing: it is the pure-Python ceiling.
"""

from __future__ import annotations

import asyncio
import collections
import socket as _socket
import struct

__all__ = ["RawServer", "RawStream", "open_raw_connection", "start_raw_server"]

_HEADER = struct.Struct(">I")
_FLUSH_THRESHOLD = 256 * 1024
_YIELD_EVERY = 64


class RawStream(asyncio.Protocol):
    """One connection: ``await send(body)`` and ``await recv()`` with flow control."""

    def __init__(self, hwm: int = 1000) -> None:
        self.hwm = hwm
        self.transport: asyncio.Transport | None = None
        self.loop = asyncio.get_running_loop()
        self.connected: asyncio.Future[None] = self.loop.create_future()
        self.closed: asyncio.Future[None] = self.loop.create_future()
        self._out: list[bytes] = []
        self._pending = 0
        self._flush_scheduled = False
        self._writable: asyncio.Future[None] | None = None
        self._ops = 0
        self._inbound: collections.deque[bytes] = collections.deque()
        self._reader: asyncio.Future[None] | None = None
        self._reading_paused = False
        self._chunks: list[bytes] = []
        self._buffered = 0
        self._needed = 4

    # -- asyncio.Protocol ------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        raw = transport.get_extra_info("socket")
        if raw is not None and raw.family in (_socket.AF_INET, _socket.AF_INET6):
            raw.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
        if not self.connected.done():
            self.connected.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)
        for waiter in (self._reader, self._writable):
            if waiter is not None and not waiter.done():
                waiter.set_exception(ConnectionError("connection lost"))

    def pause_writing(self) -> None:
        if self._writable is None:
            self._writable = self.loop.create_future()

    def resume_writing(self) -> None:
        waiter, self._writable = self._writable, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def data_received(self, data: bytes) -> None:
        if self._chunks:
            self._chunks.append(data)
            self._buffered += len(data)
            if self._buffered < self._needed:
                return
            data = b"".join(self._chunks)
            self._chunks = []
        inbound = self._inbound
        was_empty = not inbound
        offset, end = 0, len(data)
        unpack_from = _HEADER.unpack_from
        while end - offset >= 4:
            (size,) = unpack_from(data, offset)
            stop = offset + 4 + size
            if stop > end:
                break
            inbound.append(data[offset + 4 : stop])
            offset = stop
        if offset < end:
            rest = data[offset:] if offset else data
            self._chunks = [rest]
            self._buffered = len(rest)
            self._needed = 4 + _HEADER.unpack_from(rest)[0] if len(rest) >= 4 else 4
        if was_empty and inbound:
            reader = self._reader
            if reader is not None and not reader.done():
                reader.set_result(None)
        if len(inbound) >= self.hwm > 0 and not self._reading_paused and self.transport:
            self._reading_paused = True
            self.transport.pause_reading()

    # -- sending ---------------------------------------------------------------

    def queue(self, body: bytes) -> None:
        """Queue one message for the end of this loop tick; never waits."""
        self._out.append(_HEADER.pack(len(body)))
        self._out.append(body)
        self._pending += len(body)
        if self._pending > _FLUSH_THRESHOLD:
            self.flush()
        elif not self._flush_scheduled:
            self._flush_scheduled = True
            self.loop.call_soon(self.flush)

    @property
    def paused(self) -> bool:
        return self._writable is not None

    async def wait_writable(self) -> None:
        waiter = self._writable
        if waiter is not None:
            await waiter

    async def send(self, body: bytes) -> None:
        self.queue(body)
        self._ops += 1
        if self._ops >= _YIELD_EVERY:
            self._ops = 0
            await asyncio.sleep(0)
        waiter = self._writable
        if waiter is not None:
            await waiter

    def flush(self) -> None:
        self._flush_scheduled = False
        self._pending = 0
        if self._out and self.transport is not None and not self.transport.is_closing():
            out, self._out = self._out, []
            self.transport.writelines(out)

    # -- receiving -------------------------------------------------------------

    async def recv(self) -> bytes:
        self._ops += 1
        if self._ops >= _YIELD_EVERY:
            self._ops = 0
            await asyncio.sleep(0)
        inbound = self._inbound
        while not inbound:
            if self.closed.done():
                raise ConnectionError("connection closed")
            self._reader = self.loop.create_future()
            await self._reader
            self._reader = None
        body = inbound.popleft()
        if self._reading_paused and len(inbound) <= self.hwm // 2 and self.transport:
            self._reading_paused = False
            self.transport.resume_reading()
        return body

    async def close(self) -> None:
        """Flush, wait until the kernel has the bytes, and close."""
        self.flush()
        transport = self.transport
        if transport is None:
            return
        while transport.get_write_buffer_size() and not self.closed.done():
            await asyncio.sleep(0.001)
        transport.close()
        await self.closed


class RawServer:
    """A listening server; :attr:`streams` holds one RawStream per accepted peer."""

    def __init__(self, hwm: int) -> None:
        self.hwm = hwm
        self.streams: list[RawStream] = []
        self.arrived = asyncio.Event()
        self.server: asyncio.Server | None = None
        self.address = ""

    def _factory(self) -> RawStream:
        stream = RawStream(self.hwm)
        self.streams.append(stream)
        self.arrived.set()
        return stream

    async def first_stream(self) -> RawStream:
        await self.arrived.wait()
        stream = self.streams[0]
        await stream.connected
        return stream

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
        for stream in self.streams:
            if stream.transport is not None:
                stream.transport.close()


async def start_raw_server(endpoint: str, hwm: int = 1000) -> RawServer:
    """Listen on ``tcp://host:port`` (port ``*`` = ephemeral) or ``ipc://path``."""
    loop = asyncio.get_running_loop()
    raw = RawServer(hwm)
    scheme, _, address = endpoint.partition("://")
    if scheme == "tcp":
        host, _, port = address.rpartition(":")
        raw.server = await loop.create_server(raw._factory, host, 0 if port == "*" else int(port))
        bound_port = raw.server.sockets[0].getsockname()[1]
        raw.address = f"tcp://{host}:{bound_port}"
    elif scheme == "ipc":
        raw.server = await loop.create_unix_server(raw._factory, address)
        raw.address = endpoint
    else:
        raise ValueError(f"raw-asyncio does not support {endpoint!r}")
    return raw


async def open_raw_connection(endpoint: str, hwm: int = 1000) -> RawStream:
    """Connect to a :func:`start_raw_server` endpoint, retrying briefly while it starts."""
    loop = asyncio.get_running_loop()
    scheme, _, address = endpoint.partition("://")
    for _attempt in range(200):
        try:
            if scheme == "tcp":
                host, _, port = address.rpartition(":")
                _, stream = await loop.create_connection(lambda: RawStream(hwm), host, int(port))
            elif scheme == "ipc":
                _, stream = await loop.create_unix_connection(lambda: RawStream(hwm), address)
            else:
                raise ValueError(f"raw-asyncio does not support {endpoint!r}")
        except OSError:
            await asyncio.sleep(0.01)
            continue
        return stream
    raise ConnectionError(f"could not connect to {endpoint}")
