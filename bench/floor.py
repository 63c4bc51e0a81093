"""``python -m bench floor``: the irreducible per-message calls of the await shape.

What one message costs at the least in pure Python with a per-message
``await send()`` / ``await recv()`` API, piece by piece, with no sockets: each
piece runs N times inside a coroutine on uvloop (asyncio's loop without it),
and the figure is the median of several rounds in ns per message. Read the
pieces against the ``raw-asyncio`` row's CPU per message: what that row
spends beyond their sum is the kernel and the event loop.

* ``loop``: an empty ``for`` loop (the measuring loop itself);
* ``await``: ``await f()`` of a coroutine that returns at once;
* ``recv``: that, plus a deque ``popleft`` and its checks (raw-asyncio's
  ``recv()`` when a message is waiting);
* ``send``: that, plus a 4-byte header ``pack`` and two list appends
  (raw-asyncio's ``send()`` between flushes);
* ``parse``: the receiving side's offset loop per message: ``unpack_from``,
  a slice and a deque ``append`` (16 B bodies);
* ``raw send`` / ``raw recv``: :class:`bench.rawproto.RawStream` itself, with a
  stub transport (no system calls), fed and drained in 256 KiB reads;
* ``raw inproc``: a message through :class:`bench.rawproto.RawChannel`, a
  sending and a receiving task (high-water mark 1000): the inproc ceiling;
* ``inproc``: the same through :class:`InprocFloor`: that shape plus the
  least per-message work of ZeroMQ's semantics (pyzmq's signatures,
  fairness, both high-water marks, a counter, fair queuing), the inproc
  floor;
* ``seal`` / ``open`` (when PyNaCl is installed): CURVE's irreducible call
  per message on each side, libsodium's ``crypto_box_easy_afternm`` /
  ``crypto_box_open_easy_afternm`` through PyNaCl's cffi module exactly as
  ``aiomsg._zmtp.curve`` calls them (the inner flags byte and the body,
  sealed in place in a per-connection buffer at fixed pointers; opened
  into a scratch buffer): libsodium's work plus cffi's call, which releases
  and retakes the GIL around it;
* ``seal frame`` / ``open frame``: that call with the rest of what a MESSAGE
  frame needs on each side, in the fewest steps known (aiomsg's per frame):
  the counter, header and body written in, sealed, the frame copied out as
  ``bytes``; the header read, name and counter checked, the nonce written,
  the box opened, the payload copied out (short frames: up to 222 bytes).

With ``--null-cpu SEND RECV`` (a NULL PUSH -> PULL row's CPU per message on
each side, in µs, from ``python -m bench``), it also prints the CURVE floor:
each side's NULL cost plus its box call, then plus the frame's whole work,
and each time the rate the slower side allows.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import statistics
import struct
import time
from collections.abc import Callable, Coroutine
from typing import Any

from aiomsg._socket import _LARGE, _SIZE_SHIFT, _YIELD_BUDGET
from aiomsg._zmtp.curve import (
    _MESSAGE_FROM_CLIENT,
    _MESSAGE_NAME,
    _MESSAGE_START,
    _NONCE,
    _OUT_BODY,
    _OUT_BOX,
    _OUT_NONCE_AT,
    _OUT_PLAIN,
    _OUT_SHORT_32,
    _SHORT_BODY_MAX,
    _SHORT_START,
)
from aiomsg._zmtp.frames import ONE_DIGIT_MAX
from bench import rawproto

_HEADER = struct.Struct(">I")


class _StubTransport(asyncio.Transport):
    """Takes writes and does nothing: the protocol's own cost, without system calls."""

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default

    def write(self, data: Any) -> None:
        pass

    def writelines(self, list_of_data: Any) -> None:
        pass

    def is_closing(self) -> bool:
        return False

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def get_write_buffer_size(self) -> int:
        return 0

    def close(self) -> None:
        pass


async def _loop(n: int, size: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        pass
    return time.perf_counter() - t0


async def _nothing() -> None:
    return None


async def _await(n: int, size: int) -> float:
    f = _nothing
    t0 = time.perf_counter()
    for _ in range(n):
        await f()
    return time.perf_counter() - t0


class _Shape:
    """The smallest send/recv pair of the shape, with no transport at all."""

    def __init__(self) -> None:
        self.inbound: collections.deque[bytes] = collections.deque()
        self.out: list[bytes] = []

    async def recv(self) -> bytes:
        inbound = self.inbound
        if not inbound:
            raise RuntimeError("empty")
        return inbound.popleft()

    async def send(self, body: bytes) -> None:
        out = self.out
        out.append(_HEADER.pack(len(body)))
        out.append(body)
        if len(out) >= 2 * rawproto.YIELD_EVERY:
            self.out = []


async def _recv(n: int, size: int) -> float:
    shape = _Shape()
    shape.inbound.extend([b"x" * size] * n)
    recv = shape.recv
    t0 = time.perf_counter()
    for _ in range(n):
        await recv()
    return time.perf_counter() - t0


async def _send(n: int, size: int) -> float:
    shape = _Shape()
    send, body = shape.send, b"x" * size
    t0 = time.perf_counter()
    for _ in range(n):
        await send(body)
    return time.perf_counter() - t0


async def _parse(n: int, size: int) -> float:
    data = (_HEADER.pack(size) + b"x" * size) * n
    inbound: collections.deque[bytes] = collections.deque()
    append, unpack_from = inbound.append, _HEADER.unpack_from
    t0 = time.perf_counter()
    offset, end = 0, len(data)
    while end - offset >= 4:
        (length,) = unpack_from(data, offset)
        stop = offset + 4 + length
        append(data[offset + 4 : stop])
        offset = stop
    return time.perf_counter() - t0


def _stream(hwm: int) -> rawproto.RawStream:
    stream = rawproto.RawStream(hwm)
    stream.connection_made(_StubTransport())
    return stream


async def _raw_send(n: int, size: int) -> float:
    stream = _stream(1000)
    send, body = stream.send, b"x" * size
    t0 = time.perf_counter()
    for _ in range(n):
        await send(body)
    stream.flush()
    return time.perf_counter() - t0


async def _raw_recv(n: int, size: int) -> float:
    stream = _stream(0)  # no receive high-water mark: the stub cannot pause anyway
    wire = memoryview((_HEADER.pack(size) + b"x" * size) * n)
    loop = asyncio.get_running_loop()
    position = 0

    def read() -> None:
        # One simulated read per loop iteration, as a transport would deliver them.
        nonlocal position
        if position < len(wire):
            buffer = stream.get_buffer(-1)
            count = min(len(buffer), len(wire) - position, rawproto.READ_SIZE)
            buffer[:count] = wire[position : position + count]
            position += count
            stream.buffer_updated(count)
            loop.call_soon(read)

    recv = stream.recv
    t0 = time.perf_counter()
    loop.call_soon(read)
    for _ in range(n):
        await recv()
    return time.perf_counter() - t0


#: "No high-water mark" as a bound an int compares with cheaply, as
#: aiomsg._pool.pipe's direct_room has it.
_NO_ROOM_BOUND = ONE_DIGIT_MAX


class _FloorPipe:
    """One direction of an :class:`InprocFloor`: the receiving end's queue,
    and the sending end's backlog (always empty here, but checked: a message
    must not overtake one waiting before it)."""

    __slots__ = ("backlog", "handed", "inbound", "paused", "resume_at", "room")

    def __init__(self, hwm: int) -> None:
        self.inbound: collections.deque[bytes] = collections.deque()
        self.backlog: collections.deque[bytes] = collections.deque()
        self.room = hwm if hwm > 0 else _NO_ROOM_BOUND
        self.resume_at = hwm // 2
        self.paused = False
        self.handed = 0  # messages handed over: the statistics counter


class InprocFloor:
    """The least per-message work of a ZeroMQ PUSH → PULL pair over inproc
    with a per-message ``await send()`` / ``await recv()`` API on asyncio:
    the floor under the inproc row, as :class:`bench.rawproto.RawChannel`
    (a bare deque between two coroutines) is the ceiling.

    Each step below is one a socket library must take on every message, in
    the fewest operations known; the rest of a library (the classes its
    socket types and transports are made of) is left out:

    * pyzmq's signatures, ``send(data, flags=0, routing_id=None, group=None)``
      (one ``send`` for every socket type, the draft types' addresses
      included) and ``recv(flags=0)``: the flags and addresses tested, and
      the per-task multipart state (frames gathered by ``SNDMORE``, or
      left from a multipart message ``recv`` returns frame by frame);
    * any buffer accepted, as pyzmq does: its type tested, since a message
      handed over by reference must be immutable ``bytes``;
    * fairness on asyncio: a call that completes without suspending counts
      (1, plus 1 per 16 KiB), and the end yields to the loop once the count
      reaches aiomsg's budget, or a sender that never waits starves every
      other task;
    * both high-water marks: a message goes straight into the receiver's
      queue while it is under ``rcvhwm`` and nothing waits in the sender's
      backlog; at the mark the sender parks until the queue has drained to
      half (flow control);
    * a message counter (socket statistics);
    * fair queuing on the receiving end: a deque of the pipes holding
      messages, one message per pipe per turn, so that a PULL with several
      PUSH peers takes from each in turn;
    * the receive side's check for other receiving tasks to wake.

    What is not this shape (multipart messages, flags, addresses, a second
    peer, several receiving tasks) raises :class:`NotImplementedError`: the
    floor times the per-message fast path and nothing else. One sender and
    one receiver.

    Its steps read like aiomsg's own (``Socket.send``'s inproc hand-over,
    ``Socket.recv``'s inlined fair-queue take) because those are already
    the fewest known; what it leaves out is the structure around them
    (pool, pipes, links, strategies), which is what the row measures.
    """

    def __init__(self, hwm: int = 1000) -> None:
        self._loop = asyncio.get_running_loop()
        self._pipe = _FloorPipe(hwm)
        self._ready: collections.deque[_FloorPipe] = collections.deque()
        self._send_ops = self._recv_ops = 0
        self._send_parts: dict[object, list[bytes]] = {}
        self._recv_parts: dict[object, list[bytes]] = {}
        self._recv_waiters = 0
        self._getter: asyncio.Future[None] | None = None  # the parked receiver
        self._putter: asyncio.Future[None] | None = None  # the parked sender

    async def send(
        self, data: bytes, flags: int = 0, routing_id: int | None = None, group: bytes | None = None
    ) -> None:
        if routing_id is not None or group is not None or flags or self._send_parts:
            raise NotImplementedError("the floor times single-frame sends without flags only")
        if type(data) is not bytes:
            data = bytes(data)
        ops = self._send_ops + 1
        if len(data) >= _LARGE:
            ops += len(data) >> _SIZE_SHIFT
        self._send_ops = ops
        pipe = self._pipe
        while True:
            if ops < _YIELD_BUDGET:
                inbound = pipe.inbound
                queued = len(inbound)
                if queued < pipe.room and not pipe.backlog:
                    inbound.append(data)
                    pipe.handed += 1
                    if not queued:
                        self._ready.append(pipe)
                        getter = self._getter
                        if getter is not None:
                            self._getter = None
                            getter.set_result(None)
                    return
                pipe.paused = True
                self._putter = waiter = self._loop.create_future()
                await waiter
            else:
                await asyncio.sleep(0)
            ops = self._send_ops = 1  # suspended: the count starts again, with this call

    async def recv(self, flags: int = 0) -> bytes:
        if flags or self._recv_parts:
            raise NotImplementedError("the floor times single-frame receives without flags only")
        while True:
            ready = self._ready
            ops = self._recv_ops
            if ready and ops < _YIELD_BUDGET:
                pipe = ready.popleft()
                inbound = pipe.inbound
                message = inbound.popleft()
                if inbound:
                    ready.append(pipe)
                if pipe.paused and len(inbound) <= pipe.resume_at:
                    pipe.paused = False
                    putter = self._putter
                    if putter is not None:
                        self._putter = None
                        putter.set_result(None)
                self._recv_ops = ops + 1
                if len(message) >= _LARGE:
                    self._recv_ops += len(message) >> _SIZE_SHIFT
                if self._recv_waiters:
                    raise NotImplementedError("the floor has one receiving task")
                return message
            if ops < _YIELD_BUDGET:
                self._getter = waiter = self._loop.create_future()
                await waiter
            else:
                await asyncio.sleep(0)
            self._recv_ops = 0

    @property
    def handed(self) -> int:
        """Messages handed to the receiving end so far."""
        return self._pipe.handed

    async def close(self) -> None:
        """Nothing to release (the AsyncEnd shape wants a close)."""


# CURVE's per-message buffer layout and frame fields are aiomsg._zmtp.curve's
# own (its sealing buffer: libsodium's nonce, then the frame from
# _SHORT_START, the box from _OUT_BOX, the plain text from _OUT_PLAIN, a
# short frame's body from _OUT_BODY; _OUT_SHORT_32 writes all but the body
# and the box), so that the pieces below time what aiomsg does.


def _sodium() -> tuple[Any, Any] | None:
    """PyNaCl's ``(ffi, lib)`` as CURVE uses them, or None without PyNaCl."""
    try:
        from aiomsg._zmtp.sodium import sodium_lib

        return sodium_lib()
    except Exception:  # NotSupported: no PyNaCl here
        return None


def _key(ffi: Any) -> Any:
    return ffi.new("unsigned char[32]", bytes(range(32)))


async def _seal(n: int, size: int) -> float:
    sodium = _sodium()
    assert sodium is not None
    ffi, lib = sodium
    buffer = ffi.new("unsigned char[]", _OUT_PLAIN + 1 + size)
    box, plain, key = buffer + _OUT_BOX, buffer + _OUT_PLAIN, _key(ffi)
    seal, length = lib.crypto_box_easy_afternm, size + 1
    t0 = time.perf_counter()
    for _ in range(n):
        seal(box, plain, length, buffer, key)
    return time.perf_counter() - t0


async def _open(n: int, size: int) -> float:
    sodium = _sodium()
    assert sodium is not None
    ffi, lib = sodium
    nonce, key = ffi.new("unsigned char[24]"), _key(ffi)
    sealed = ffi.new("unsigned char[]", 17 + size)
    lib.crypto_box_easy_afternm(sealed, ffi.new("unsigned char[]", 1 + size), 1 + size, nonce, key)
    # Opened from a received chunk (bytes) through a pointer into it.
    chunk = bytes(16) + ffi.buffer(sealed)[:]
    box = ffi.from_buffer(chunk) + 16
    out = ffi.new("unsigned char[]", 17 + size)
    unbox, length = lib.crypto_box_open_easy_afternm, 17 + size
    if unbox(out, box, length, nonce, key):
        raise RuntimeError("the box did not open")
    t0 = time.perf_counter()
    for _ in range(n):
        unbox(out, box, length, nonce, key)
    return time.perf_counter() - t0


#: The largest body a short MESSAGE frame holds (its size byte counts the
#: name, the counter, the MAC and the flags byte too: 33 more).
FRAME_BODY_MAX = _SHORT_BODY_MAX
#: The pieces that time whole frames: short ones only.
FRAME_PIECES = ("seal frame", "open frame")


async def _seal_frame(n: int, size: int) -> float:
    """``seal`` with the rest of a frame's work: the counter, header and
    body written into the buffer (one ``pack_into`` for a short frame, as
    aiomsg's), sealed, and the frame copied out as the ``bytes`` a
    transport takes."""
    sodium = _sodium()
    assert sodium is not None
    ffi, lib = sodium
    if size > FRAME_BODY_MAX:
        raise ValueError(f"the frame pieces time short frames (bodies up to {FRAME_BODY_MAX} bytes)")
    buffer = ffi.new("unsigned char[]", _OUT_BODY + size)
    view = ffi.buffer(buffer)
    view[:16] = _MESSAGE_FROM_CLIENT
    box, plain, key = buffer + _OUT_BOX, buffer + _OUT_PLAIN, _key(ffi)
    pack = struct.Struct(f"{_OUT_SHORT_32.format}{size}s").pack_into  # as its packers
    seal, length, end, body = lib.crypto_box_easy_afternm, size + 1, _OUT_BODY + size, b"x" * size
    t0 = time.perf_counter()
    for sent in range(1, n + 1):
        pack(view, _OUT_NONCE_AT, sent, 33 + size, _MESSAGE_NAME, sent, 0, body)
        if seal(box, plain, length, buffer, key):
            raise RuntimeError("libsodium failed to seal")
        view[_SHORT_START:end]
    return time.perf_counter() - t0


async def _open_frame(n: int, size: int) -> float:
    """``open`` with the rest of a frame's work, over *n* short frames in
    one received chunk: the header read, the name and the counter checked
    (it must rise), the counter written into the nonce, the box opened,
    the inner flags read, and the payload copied out as ``bytes``."""
    sodium = _sodium()
    assert sodium is not None
    ffi, lib = sodium
    if size > FRAME_BODY_MAX:
        raise ValueError(f"the frame pieces time short frames (bodies up to {FRAME_BODY_MAX} bytes)")
    key = _key(ffi)
    nonce = ffi.new("unsigned char[24]", _MESSAGE_FROM_CLIENT)
    nonce_view = ffi.buffer(nonce)
    frames = []
    sealed = ffi.new("unsigned char[]", 17 + size)
    for counter in range(1, n + 1):  # the chunk, sealed as a peer would (not timed)
        _NONCE.pack_into(nonce_view, 16, counter)
        lib.crypto_box_easy_afternm(sealed, b"\x00" + b"x" * size, 1 + size, nonce, key)
        frames.append(bytes((0, 33 + size)) + _MESSAGE_START.pack(_MESSAGE_NAME, counter))
        frames.append(ffi.buffer(sealed)[:])
    data = b"".join(frames)
    pointer = ffi.from_buffer(data)
    out = ffi.new("unsigned char[]", 17 + size)
    out_view = ffi.buffer(out)
    unbox, unpack, pack = lib.crypto_box_open_easy_afternm, _MESSAGE_START.unpack_from, _NONCE.pack_into
    offset = received = 0
    t0 = time.perf_counter()
    for _ in range(n):
        length = data[offset + 1]
        start = offset + 2
        name, value = unpack(data, start)
        if name != _MESSAGE_NAME or value <= received:
            raise RuntimeError("not a MESSAGE, or a replayed one")
        pack(nonce_view, 16, value)
        if unbox(out, pointer + (start + 16), length - 16, nonce, key):
            raise RuntimeError("the box did not open")
        received = value
        out[0] & 3
        out_view[1 : length - 32]
        offset = start + length
    return time.perf_counter() - t0


async def _pair(n: int, size: int, channel: rawproto.RawChannel | InprocFloor) -> float:
    """*n* messages through *channel*, a sending and a receiving task."""
    send, recv, body = channel.send, channel.recv, b"x" * size

    async def sending() -> None:
        for _ in range(n):
            await send(body)

    async def receiving() -> None:
        for _ in range(n):
            await recv()

    t0 = time.perf_counter()
    await asyncio.gather(sending(), receiving())
    return time.perf_counter() - t0


async def _raw_inproc(n: int, size: int) -> float:
    return await _pair(n, size, rawproto.RawChannel(1000))


async def _inproc(n: int, size: int) -> float:
    return await _pair(n, size, InprocFloor(1000))


PIECES: dict[str, Callable[[int, int], Coroutine[Any, Any, float]]] = {
    "loop": _loop,
    "await": _await,
    "recv": _recv,
    "send": _send,
    "parse": _parse,
    "raw send": _raw_send,
    "raw recv": _raw_recv,
    "raw inproc": _raw_inproc,
    "inproc": _inproc,
}
if _sodium() is not None:
    PIECES["seal"] = _seal
    PIECES["open"] = _open
    PIECES["seal frame"] = _seal_frame
    PIECES["open frame"] = _open_frame


#: The CURVE pieces, in the order a floor row reports them.
CURVE_PIECES = ("seal", "open", "seal frame", "open frame")


def curve_pieces(count: int, size: int) -> dict[str, float]:
    """ns per message of each of :data:`CURVE_PIECES`, one round each, on
    uvloop where it is installed (the loop aiomsg's CURVE row runs on).

    Raises:
        RuntimeError: PyNaCl is not installed.
    """
    if _sodium() is None:
        raise RuntimeError("the CURVE floor needs PyNaCl")

    async def main() -> dict[str, float]:
        pieces = [name for name in CURVE_PIECES if size <= FRAME_BODY_MAX or name not in FRAME_PIECES]
        return {name: await PIECES[name](count, size) / count * 1e9 for name in pieces}

    return _run(main())


def curve_floor_peer(spec: dict[str, Any]) -> None:
    """The ``curve-floor`` peer role: :func:`curve_pieces` for the spec's
    count and size, reported as one ``result`` (``bench.harness`` runs it
    among the CURVE rows, in their rounds)."""
    from bench.peers import emit

    found = curve_pieces(spec["count"], spec["size"])
    emit("result", **{name.replace(" ", "_") + "_ns": ns for name, ns in found.items()})


#: Peer roles (bench.peers.ROLE_MODULES).
ROLES = {"curve-floor": curve_floor_peer}


def curve_floor(found: dict[str, float], send_us: float, recv_us: float) -> list[str]:
    """Lines stating CURVE's floor: each side's NULL CPU per message (µs)
    plus its box call alone (``seal``, ``open`` in *found*, ns), then plus
    the whole frame's work (``seal frame``, ``open frame``, when measured),
    and each time the rate the slower side allows (messages per second)."""
    null = {"seal": send_us * 1000, "open": recv_us * 1000}
    lines = []
    for what, suffix in (("the box calls", ""), ("the frames", " frame")):
        if f"seal{suffix}" not in found:
            continue
        send = null["seal"] + found[f"seal{suffix}"]
        recv = null["open"] + found[f"open{suffix}"]
        lines += [
            f"CURVE floor, NULL plus {what}: "
            f"send {null['seal']:,.0f} + seal{suffix} {found[f'seal{suffix}']:,.0f} = {send:,.0f} ns, "
            f"recv {null['open']:,.0f} + open{suffix} {found[f'open{suffix}']:,.0f} = {recv:,.0f} ns "
            "per message",
            f"at most {1e9 / max(send, recv):,.0f} msg/s (the slower side, CPU-bound)",
        ]
    return lines


def measure(count: int, size: int, rounds: int) -> dict[str, float]:
    """Median ns per message of each piece over *rounds* rounds of *count* messages."""

    async def main() -> dict[str, float]:
        found: dict[str, float] = {}
        for name, piece in PIECES.items():
            if name in FRAME_PIECES and size > FRAME_BODY_MAX:
                continue  # they time short frames only
            times = [await piece(count, size) for _ in range(rounds)]
            found[name] = statistics.median(times) / count * 1e9
        return found

    return _run(main())


def _run(coro: Coroutine[Any, Any, dict[str, float]]) -> dict[str, float]:
    """Run *coro* on uvloop, or on asyncio's loop without it."""
    try:
        import uvloop

        factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    except ImportError:
        factory = asyncio.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(coro)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench floor",
        description="The per-message floor of the await shape, piece by piece (no sockets).",
    )
    parser.add_argument("--count", type=int, default=100_000, help="messages per round")
    parser.add_argument("--size", type=int, default=16, help="message size in bytes")
    parser.add_argument("--rounds", type=int, default=5, help="rounds (median)")
    parser.add_argument(
        "--null-cpu",
        type=float,
        nargs=2,
        metavar=("SEND", "RECV"),
        help="a NULL PUSH/PULL row's CPU µs per message (sender, receiver): "
        "also print the CURVE floor (NULL plus seal, NULL plus open)",
    )
    args = parser.parse_args(argv)
    if args.count < 1 or args.size < 0 or args.rounds < 1:
        parser.error("--count and --rounds must be at least 1, --size at least 0")
    found = measure(args.count, args.size, args.rounds)
    print(f"per message, {args.size} B, median of {args.rounds} rounds of {args.count:,}:")
    print("| piece | ns/message |")
    print("| --- | ---: |")
    for name, ns in found.items():
        print(f"| {name} | {ns:,.0f} |")
    if args.null_cpu:
        if "seal" not in found:
            print("CURVE floor: PyNaCl is not installed")
            return 1
        for line in curve_floor(found, *args.null_cpu):
            print(line)
    return 0
