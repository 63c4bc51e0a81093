"""The ``raw-asyncio`` baseline: a bare length-prefixed protocol on asyncio.

Each message is a 4-byte big-endian length and the body. It is the ceiling
the ZeroMQ libraries are measured against: the same per-message
``await send()`` / ``await recv()`` shape, the same kind of flow control (a
receive high-water mark and write pausing), but no framing flags, no
handshake and no routing. Everything in it is there because a profile showed
it to be the cheapest way to do that part in pure Python on uvloop:

* **Sending** appends the header and the body to a list (no copy, no join:
  two appends cost less than building one ``bytes``) and, on the first
  message of a loop tick, schedules one flush with ``loop.call_soon``; the
  flush hands the whole tick's list to ``transport.writelines`` in one call.
  ``send`` yields to the loop only after :data:`YIELD_EVERY` messages or
  :data:`FLUSH_BYTES` (one counter for both), which is what ends a tick for a
  sender that never blocks; a receiver about to wait flushes first, so a
  reply goes out without waiting for the next tick (that is what REQ/REP
  latency needs). Write pausing can only start inside a flush, so ``send``
  checks for it once per tick, at the tick's first message.
* **Receiving** is an :class:`asyncio.BufferedProtocol`: the loop reads into
  our buffer, each read is parsed with an offset loop into a deque, and
  ``await recv()`` pops from the deque without creating a future when a
  message is there (it creates one only when it has to wait). A message of
  :data:`BIG_MESSAGE` bytes or more gets a buffer of its own and the kernel
  reads the rest of it straight into that buffer, so a large payload is not
  copied by Python at all after the read (only the part that arrived in the
  same read as its header is copied once); such a message is returned as a
  ``bytearray``.
* **In process** (:class:`RawChannel`, the inproc row's ceiling): no
  socket at all, a bounded deque between two coroutines of one loop. A send
  appends and a receive pops without a future while there is room / a
  message; the sender parks on a future while the deque holds ``hwm``
  messages, the receiver while it is empty, and each wakes the other with
  ``set_result``. That is the least an ``await send()`` / ``await recv()``
  pair with a high-water mark can do per message in pure Python; aiomsg's
  inproc transport adds the socket (fairness, counters, pipes, the
  strategy) on top of the same shape.
* **Fan-out** (:class:`RawPublisher`) frames a message once into a list
  shared by all subscribers, and at the end of the tick hands the same bytes
  (the tick's messages joined once) to every subscriber's transport.
* **Fan-in** (:class:`RawRouter`, the scale rows' ROUTER with N peers) keeps
  each connection's deque and takes from the connections that have messages
  in turn, one message each, as a ZeroMQ ROUTER's fair queue does: with many
  peers each message comes from a different connection's objects, which is
  the cost the peers curve is about.
"""

from __future__ import annotations

import asyncio
import collections
import socket as _socket
import struct
from collections.abc import Callable
from typing import Any

__all__ = [
    "BIG_MESSAGE",
    "FLUSH_BYTES",
    "YIELD_EVERY",
    "RawChannel",
    "RawPublisher",
    "RawRouter",
    "RawServer",
    "RawStream",
    "open_raw_connection",
    "start_raw_server",
]

_HEADER = struct.Struct(">I")
_pack: Callable[[int], bytes] = _HEADER.pack
#: A sender that never blocks yields to the loop once per this many messages:
#: that ends the tick, and the tick's messages go out in one writelines call.
#: 256 rather than 64: a quarter of the writev calls and loop iterations per
#: message on both sides (measured: about 0.1-0.2 µs less CPU per 16 B message
#: on each side, noisy); more than 256 made no further difference.
YIELD_EVERY = 256
#: ...or as soon as this many bytes are pending, so large messages are not held
#: (256 KiB rather than 64: about 0.3 µs less CPU per 1 KiB message on each side).
FLUSH_BYTES = 256 * 1024
#: What one message counts for against FLUSH_BYTES besides its body, so that a tick
#: holds at most YIELD_EVERY messages: one counter checks both limits.
_MESSAGE_COST = FLUSH_BYTES // YIELD_EVERY
#: Bytes read from the socket at most per read for small messages (uvloop's own
#: read size): a read of many small messages is parsed in one go.
READ_SIZE = 256 * 1024
#: Messages at least this large are read straight into a buffer of their own.
BIG_MESSAGE = 64 * 1024


class RawStream(asyncio.BufferedProtocol):
    """One connection: ``await send(body)`` and ``await recv()`` with flow control."""

    def __init__(self, hwm: int = 1000) -> None:
        self.hwm = hwm
        self.transport: asyncio.Transport | None = None
        self.loop = asyncio.get_running_loop()
        #: The RawRouter this stream's messages are taken through, if any.
        self.router: RawRouter | None = None
        self.connected: asyncio.Future[None] = self.loop.create_future()
        self.closed: asyncio.Future[None] = self.loop.create_future()
        # sending
        self._out: list[bytes] = []
        self._budget = FLUSH_BYTES  # what this tick may still queue (see send)
        self._writable: asyncio.Future[None] | None = None
        # receiving
        self._inbound: collections.deque[bytes] = collections.deque()
        self._reader: asyncio.Future[None] | None = None
        self._reading_paused = False
        self._buffer = bytearray(READ_SIZE)
        self._view = memoryview(self._buffer)
        self._filled = 0  # bytes of a partial message kept at the start of _buffer
        self._big: bytearray | None = None  # a large message being read in place
        self._big_view: memoryview | None = None
        self._big_filled = 0

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

    def get_buffer(self, sizehint: int) -> memoryview:
        big_view = self._big_view
        if big_view is not None:
            return big_view[self._big_filled :]  # the kernel fills the message itself
        return self._view[self._filled :]

    def buffer_updated(self, nbytes: int) -> None:
        inbound = self._inbound
        was_empty = not inbound
        if self._big is not None:
            self._big_filled += nbytes
            if self._big_filled < len(self._big):
                return
            inbound.append(self._big)  # type: ignore[arg-type]  # bytes-like, not copied
            self._big = self._big_view = None
        else:
            end = self._filled + nbytes
            # One copy of the read into an immutable bytes, which every message
            # is then sliced from (uvloop's data_received path makes the same copy).
            data = bytes(self._view[:end])
            offset = 0
            last = end - 4  # the last offset a header can start at
            unpack_from = _HEADER.unpack_from
            append = inbound.append
            while offset <= last:
                (size,) = unpack_from(data, offset)
                start = offset + 4
                stop = start + size
                if stop > end:
                    break
                append(data[start:stop])
                offset = stop
            rest = end - offset
            if rest >= 4 and _HEADER.unpack_from(data, offset)[0] >= BIG_MESSAGE:
                size = _HEADER.unpack_from(data, offset)[0]
                self._big = bytearray(size)
                self._big_view = memoryview(self._big)
                self._big_filled = rest - 4
                self._big_view[: rest - 4] = self._view[offset + 4 : end]
                self._filled = 0
            else:
                if rest and offset:
                    self._buffer[:rest] = data[offset:]
                self._filled = rest
        if was_empty and inbound:
            if self.router is not None:
                self.router.stream_ready(self)
            else:
                reader = self._reader
                if reader is not None and not reader.done():
                    reader.set_result(None)
        if len(inbound) >= self.hwm > 0 and not self._reading_paused and self.transport:
            self._reading_paused = True
            self.transport.pause_reading()

    # -- sending ---------------------------------------------------------------

    @property
    def paused(self) -> bool:
        return self._writable is not None

    async def wait_writable(self) -> None:
        waiter = self._writable
        if waiter is not None:
            await waiter

    async def send(self, body: bytes) -> None:
        if not self._out:
            # The first message since a flush: only a flush can have paused writing
            # (pause_writing is called from inside transport.write), so this is
            # where to wait for the transport; then schedule this tick's flush.
            waiter = self._writable
            if waiter is not None:
                await waiter
            if not self._out:
                self.loop.call_soon(self.flush)
        out = self._out
        size = len(body)
        out.append(_pack(size))
        out.append(body)
        # One counter for both limits: each message costs its bytes plus a fixed share.
        self._budget -= size + _MESSAGE_COST
        if self._budget <= 0:
            self.flush()
            await asyncio.sleep(0)  # end the tick

    def flush(self) -> None:
        self._budget = FLUSH_BYTES
        if self._out and self.transport is not None and not self.transport.is_closing():
            out, self._out = self._out, []
            self.transport.writelines(out)

    # -- receiving -------------------------------------------------------------

    async def recv(self) -> bytes:
        try:
            body = self._inbound.popleft()  # the common case: no future, no check
        except IndexError:
            body = await self._recv_later()
        if self._reading_paused:
            self._resume_reading()
        return body

    async def _recv_later(self) -> bytes:
        """Wait for a message: flush what this tick queued first, since we are about to wait."""
        if self._out:
            self.flush()
        inbound = self._inbound
        while not inbound:
            if self.closed.done():
                raise ConnectionError("connection closed")
            self._reader = self.loop.create_future()
            try:
                await self._reader
            finally:
                self._reader = None
        return inbound.popleft()

    def _resume_reading(self) -> None:
        if len(self._inbound) <= self.hwm // 2 and self.transport is not None:
            self._reading_paused = False
            self.transport.resume_reading()

    async def close(self) -> None:
        """Flush, wait (bounded) until the kernel has the bytes, and close."""
        self.flush()
        transport = self.transport
        if transport is None:
            return
        for _ in range(5000):  # at most about five seconds
            if not transport.get_write_buffer_size() or self.closed.done():
                break
            await asyncio.sleep(0.001)
        transport.close()
        await asyncio.wait_for(asyncio.shield(self.closed), 5)


class RawChannel:
    """raw-asyncio's "inproc": a bounded deque between two coroutines of one loop.

    ``await send(body)`` appends while fewer than *hwm* messages wait, else
    parks until the receiver takes one; ``await recv()`` pops while one
    waits, else parks until the sender appends. One sender and one receiver
    (a second parked one of either side would not be woken). It does
    nothing else: no fairness yield (the sender parks at *hwm*, which bounds
    its run), no counters, no cancellation handling beyond what a future
    gives. It measures the await shape alone, the floor under any inproc
    transport of an asyncio library.
    """

    __slots__ = ("_getter", "_loop", "_putter", "_queue", "hwm")

    def __init__(self, hwm: int = 1000) -> None:
        if hwm < 1:
            raise ValueError("a RawChannel needs a high-water mark of at least 1")
        self.hwm = hwm
        self._queue: collections.deque[bytes] = collections.deque()
        self._loop = asyncio.get_running_loop()
        self._getter: asyncio.Future[None] | None = None  # the parked receiver
        self._putter: asyncio.Future[None] | None = None  # the parked sender

    async def send(self, body: bytes) -> None:
        queue = self._queue
        while len(queue) >= self.hwm:
            self._putter = waiter = self._loop.create_future()
            await waiter
        queue.append(body)
        getter = self._getter
        if getter is not None:
            self._getter = None
            if not getter.done():
                getter.set_result(None)

    async def recv(self) -> bytes:
        queue = self._queue
        while not queue:
            self._getter = waiter = self._loop.create_future()
            await waiter
        body = queue.popleft()
        putter = self._putter
        if putter is not None:
            self._putter = None
            if not putter.done():
                putter.set_result(None)
        return body

    async def close(self) -> None:
        """Nothing to release (the AsyncEnd shape wants a close)."""


class RawPublisher:
    """raw-asyncio's PUB: frames each message once, and writes each tick's bytes once
    per subscriber: the same object to every subscriber's transport.

    The messages of a tick go into one list shared by all subscribers, so the
    per-message cost does not grow with their number; only the flush (one
    ``write`` per subscriber per tick) does. Lossless: it waits while any
    subscriber's transport has paused writing, where a ZeroMQ PUB would drop
    (the fan-out row reports loss, which is then zero).
    """

    def __init__(self, server: RawServer) -> None:
        self.server = server
        self.loop = asyncio.get_running_loop()
        self._out: list[bytes] = []
        self._budget = FLUSH_BYTES
        self._big_in_tick = False

    async def send(self, body: bytes) -> None:
        if not self._out:
            # The first message since a flush: wait for any subscriber whose
            # transport that flush paused, then schedule this tick's flush.
            for stream in self.server.streams:
                if stream._writable is not None:
                    await stream.wait_writable()
            if not self._out:
                self.loop.call_soon(self.flush)
        out = self._out
        if len(body) < BIG_MESSAGE:
            out.append(_pack(len(body)) + body)  # one object, shared by every subscriber
        else:
            out.append(_pack(len(body)))
            out.append(body)  # never copied
            self._big_in_tick = True
        self._budget -= len(body) + _MESSAGE_COST
        if self._budget <= 0:
            self.flush()
            await asyncio.sleep(0)  # end the tick

    def flush(self) -> None:
        self._budget = FLUSH_BYTES
        if not self._out:
            return
        out, self._out = self._out, []
        # Small messages: join the tick once and hand the same bytes to everyone;
        # with a large one in the tick, the same list (no copy of the body).
        data = None if self._big_in_tick else b"".join(out)
        self._big_in_tick = False
        for stream in self.server.streams:
            transport = stream.transport
            if transport is None or transport.is_closing():
                continue
            if data is not None:
                transport.write(data)
            else:
                transport.writelines(out)


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


class RawRouter(RawServer):
    """raw-asyncio's ROUTER: ``await recv()`` returns ``(stream, body)`` from
    the accepted connections that have messages, one message from each in
    turn (the fair queue of a ZeroMQ ROUTER; the stream stands for the
    routing id). A stream is in the turn order exactly while its deque holds
    a message: :meth:`stream_ready` adds it when a read fills an empty deque, and
    :meth:`recv` puts it back at the end while messages remain."""

    def __init__(self, hwm: int) -> None:
        super().__init__(hwm)
        self._ready: collections.deque[RawStream] = collections.deque()
        self._reader: asyncio.Future[None] | None = None

    def _factory(self) -> RawStream:
        stream = super()._factory()
        stream.router = self
        return stream

    def stream_ready(self, stream: RawStream) -> None:
        """*stream*'s deque went from empty to holding messages."""
        self._ready.append(stream)
        reader = self._reader
        if reader is not None and not reader.done():
            reader.set_result(None)

    async def recv(self) -> tuple[RawStream, bytes]:
        ready = self._ready
        while not ready:
            self._reader = asyncio.get_running_loop().create_future()
            try:
                await self._reader
            finally:
                self._reader = None
        stream = ready.popleft()
        inbound = stream._inbound
        body = inbound.popleft()
        if inbound:
            ready.append(stream)  # its next message after every other ready stream's
        if stream._reading_paused:
            stream._resume_reading()
        return stream, body


def _split(endpoint: str) -> tuple[str, str]:
    scheme, _, address = endpoint.partition("://")
    if scheme not in ("tcp", "ipc"):
        raise ValueError(f"raw-asyncio does not support {endpoint!r}")
    return scheme, address


async def start_raw_server(
    endpoint: str, hwm: int = 1000, backlog: int = 1024, kind: type[RawServer] = RawServer
) -> RawServer:
    """Listen on ``tcp://host:port`` (port ``*`` = ephemeral) or ``ipc://path``
    with a *kind* of server (:class:`RawServer`, or :class:`RawRouter`)."""
    loop = asyncio.get_running_loop()
    raw = kind(hwm)
    scheme, address = _split(endpoint)
    if scheme == "tcp":
        host, _, port = address.rpartition(":")
        raw.server = await loop.create_server(
            raw._factory, host, 0 if port == "*" else int(port), backlog=backlog
        )
        bound_port = raw.server.sockets[0].getsockname()[1]
        raw.address = f"tcp://{host}:{bound_port}"
    else:
        raw.server = await loop.create_unix_server(raw._factory, address, backlog=backlog)
        raw.address = endpoint
    return raw


async def open_raw_connection(endpoint: str, hwm: int = 1000) -> RawStream:
    """Connect to a :func:`start_raw_server` endpoint, retrying briefly while it starts."""
    loop = asyncio.get_running_loop()
    scheme, address = _split(endpoint)
    for _attempt in range(200):
        try:
            stream: Any
            if scheme == "tcp":
                host, _, port = address.rpartition(":")
                _, stream = await loop.create_connection(lambda: RawStream(hwm), host, int(port))
            else:
                _, stream = await loop.create_unix_connection(lambda: RawStream(hwm), address)
        except OSError:
            await asyncio.sleep(0.01)
            continue
        assert isinstance(stream, RawStream)
        return stream
    raise ConnectionError(f"could not connect to {endpoint}")
