"""Fault injection for your own tests: a transport that misbehaves on purpose.

:class:`FaultyTransport` wraps a real transport (tcp, ipc, inproc...) and,
seeded so a failing run can be replayed, delays, drops, corrupts, cuts
(resets) or blackholes the messages that cross it. It is written against the
public transport interface only (:mod:`aiomsg.transports`), like any
transport of your own::

    import aiomsg
    from aiomsg.testing import Faults, FaultyTransport

    faulty = FaultyTransport("tcp", Faults(seed=7, reset=0.01, delay=0.002))
    aiomsg.register_transport("faulty", faulty)

    endpoint = await pull.bind("faulty://127.0.0.1:*")  # "faulty://127.0.0.1:40213"
    await push.connect(endpoint.replace("faulty", "tcp", 1))

Faults apply to each message in each direction, at the boundary between a
socket's pipe and its connection, on the side that used the faulty scheme.
Use it on one side of a connection (the other side uses the plain scheme,
as above), or each message meets the faults twice. The application then
sees what a misbehaving network or peer would make it see: a reset loses
what was in flight and the connecting side reconnects; a blackhole keeps the
connection open and alive (heartbeats still pass, as with a peer that
stopped processing) but carries no message, which only an
application-level timeout detects.

It is a testing aid: nothing in aiomsg uses it unless you register it.
"""

from __future__ import annotations

import asyncio
import collections
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar, cast

from aiomsg.transports import (
    Binding,
    Connector,
    Endpoint,
    Engine,
    Link,
    Message,
    PipeEnd,
    Transport,
    get_transport,
)
from aiomsg.transports.interface import Delivered

__all__ = ["FaultCounts", "Faults", "FaultyTransport"]

# A message either way it travels: a list of frames as sent, and as
# received also the bytes of a single frame (Delivered); faults keep its form.
_M = TypeVar("_M", bound=Delivered)


@dataclass(frozen=True)
class Faults:
    """What goes wrong, and how often. Probabilities are per message.

    Attributes:
        seed: seeds the random choices; the same seed and traffic give the
            same faults.
        delay: seconds every message is held before it goes on (order is
            kept).
        drop: probability that a message is lost. Datagram transports lose
            messages; over a stream transport this breaks its no-loss
            promise, which is only useful to test your own recovery.
        corrupt: probability that one byte of a message is flipped.
        reset: probability that the connection is cut (reset) instead of
            carrying the message; what was in flight is lost.
        blackhole_after: after this many messages in either direction the
            connection stops carrying anything, without closing.
    """

    seed: int = 0
    delay: float = 0.0
    drop: float = 0.0
    corrupt: float = 0.0
    reset: float = 0.0
    blackhole_after: int | None = None

    def __post_init__(self) -> None:
        for name in ("drop", "corrupt", "reset"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} is a probability (0 to 1), not {value!r}")
        if self.delay < 0:
            raise ValueError(f"delay must be 0 or more, not {self.delay!r}")


@dataclass
class FaultCounts:
    """What a :class:`FaultyTransport` did so far."""

    messages: int = 0
    delayed: int = 0
    dropped: int = 0
    corrupted: int = 0
    resets: int = 0
    blackholed: int = 0


@dataclass
class _Injector:
    """The seeded decisions, shared by every connection of one transport."""

    faults: Faults
    counts: FaultCounts = field(default_factory=FaultCounts)
    random: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.random = random.Random(self.faults.seed)

    def decide(self, message: _M, link: Link | None) -> _M | None:
        """The message to pass on (maybe corrupted), or None if it is lost.

        A reset aborts *link*; the caller checks ``link`` afterwards.
        """
        faults, counts, chance = self.faults, self.counts, self.random.random
        counts.messages += 1
        if faults.blackhole_after is not None and counts.messages > faults.blackhole_after:
            counts.blackholed += 1
            return None
        if faults.reset and chance() < faults.reset and link is not None:
            counts.resets += 1
            link.abort("fault injected: connection reset")
            return None
        if faults.drop and chance() < faults.drop:
            counts.dropped += 1
            return None
        if faults.corrupt and chance() < faults.corrupt:
            counts.corrupted += 1
            return self._corrupted(message)
        return message

    def _corrupted(self, message: _M) -> _M:
        # A single-frame message may come as its bytes (Delivered): the same
        # choices as for its list of one, and it goes on in its own form.
        frames: Message = [message] if isinstance(message, bytes) else message
        candidates = [index for index, frame in enumerate(frames) if frame]
        if not candidates:
            return message
        index = self.random.choice(candidates)
        frame = bytearray(frames[index])
        frame[self.random.randrange(len(frame))] ^= 1 << self.random.randrange(8)
        if isinstance(message, bytes):
            return cast(_M, bytes(frame))
        return cast(_M, [*frames[:index], bytes(frame), *frames[index + 1 :]])


class _Delay(Generic[_M]):
    """Holds messages for ``Faults.delay`` seconds, then passes them on in order."""

    def __init__(self, seconds: float, deliver: Callable[[_M], object]) -> None:
        self.seconds = seconds
        self._deliver = deliver
        self._held: collections.deque[tuple[float, _M]] = collections.deque()
        self._timer: asyncio.TimerHandle | None = None

    def hold(self, message: _M) -> None:
        loop = asyncio.get_running_loop()
        self._held.append((loop.time() + self.seconds, message))
        if self._timer is None:
            self._timer = loop.call_at(self._held[0][0], self._release)

    def _release(self) -> None:
        # One timer for the head of the queue (timers due at the same moment
        # would not keep their order).
        loop = asyncio.get_running_loop()
        held, now = self._held, loop.time()
        while held and held[0][0] <= now:
            self._deliver(held.popleft()[1])
        self._timer = loop.call_at(held[0][0], self._release) if held else None


class _FaultyLink:
    """Wraps the connection's link: faults on what our socket sends."""

    def __init__(self, inner: Link, injector: _Injector) -> None:
        self.inner = inner
        self._injector = injector
        delay = injector.faults.delay
        # Past its delay a message is sent if the link can take it; a link
        # that cannot (gone, full) loses it, as a network would.
        self._delay = _Delay(delay, inner.try_send) if delay else None

    @property
    def writable(self) -> bool:
        return self.inner.writable

    def try_send(self, message: Message) -> bool:
        if not self.inner.writable:
            return False
        passed = self._injector.decide(message, self.inner)
        if passed is None:
            return True  # taken, and lost on the way
        if self._delay is not None:
            self._injector.counts.delayed += 1
            self._delay.hold(passed)
            return True
        return self.inner.try_send(passed)

    def send_subscription(self, topic: bytes, subscribe: bool) -> None:
        self.inner.send_subscription(topic, subscribe)

    def pause_reading(self) -> None:
        self.inner.pause_reading()

    def resume_reading(self) -> None:
        self.inner.resume_reading()

    def close(self, reason: str) -> None:
        self.inner.close(reason)

    def abort(self, reason: str) -> None:
        self.inner.abort(reason)

    @property
    def pending_output(self) -> int:
        return self.inner.pending_output


class _FaultyPipe:
    """Wraps the socket's pipe as the transport sees it: faults on what arrives."""

    def __init__(self, inner: PipeEnd, injector: _Injector) -> None:
        self.inner = inner
        self._injector = injector
        delay = injector.faults.delay
        self._delay = _Delay(delay, inner.deliver) if delay else None
        self._cut = False
        self.link: Link | None = None

    def carried_by(self, link: Link) -> None:
        """A (new) connection carries this pipe; resets abort it."""
        self.link = link
        self._cut = False

    @property
    def endpoint(self) -> str:
        return self.inner.endpoint

    @property
    def has_room(self) -> bool:
        return self.inner.has_room

    @property
    def in_bytes(self) -> int:
        return self.inner.in_bytes

    @in_bytes.setter
    def in_bytes(self, value: int) -> None:
        self.inner.in_bytes = value

    @property
    def out_bytes(self) -> int:
        return self.inner.out_bytes

    @out_bytes.setter
    def out_bytes(self, value: int) -> None:
        self.inner.out_bytes = value

    def deliver(self, message: Delivered) -> None:
        if self._cut:
            return  # read in the same chunk as the reset: lost with the connection
        resets = self._injector.counts.resets
        passed = self._injector.decide(message, self.link)
        if self._injector.counts.resets != resets:
            self._cut = True
        if passed is None:
            return
        if self._delay is not None:
            self._injector.counts.delayed += 1
            self._delay.hold(passed)
        else:
            self.inner.deliver(passed)

    def deliver_many(self, messages: Sequence[Delivered]) -> None:
        for message in messages:
            self.deliver(message)

    def offer(self, message: Delivered) -> bool:
        if not self.inner.has_room:
            return self.inner.offer(message)  # refused: the sender keeps it
        self.deliver(message)
        return True

    def offer_many(self, messages: Sequence[Delivered], start: int) -> int:
        # One by one, so that each meets its faults (as try_send_many is
        # left to the pipe's per-message fallback on _FaultyLink).
        while start < len(messages) and self.offer(messages[start]):
            start += 1
        return start

    def deliver_subscription(self, topic: bytes, subscribe: bool) -> None:
        self.inner.deliver_subscription(topic, subscribe)

    def flush_backlog(self) -> None:
        self.inner.flush_backlog()


class _FaultyEngine:
    """The socket's engine as the inner transport sees it: every peer is
    linked through a faulty link and delivers into a faulty pipe.

    It implements :class:`~aiomsg.transports.Engine` by passing the options
    and services through to the real engine (``__getattr__``) and wrapping
    the three calls that carry pipes, links and connectors.
    """

    def __init__(self, inner: Engine, injector: _Injector) -> None:
        self._inner = inner
        self._injector = injector
        self._pipes: dict[int, _FaultyPipe] = {}  # id(real pipe) -> its wrapper
        #: The connector handed to the real engine (connecting side only).
        self.connector: _FaultyConnector | None = None

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    def wrap(self, pipe: PipeEnd) -> _FaultyPipe:
        wrapper = self._pipes.get(id(pipe))
        if wrapper is None:
            wrapper = self._pipes[id(pipe)] = _FaultyPipe(pipe, self._injector)
        return wrapper

    def peer_ready(
        self,
        pipe: PipeEnd | None,
        link: Link,
        endpoint: str,
        peer_address: str,
        properties: dict[bytes, bytes],
    ) -> PipeEnd | None:
        linked = self._inner.peer_ready(
            _real(pipe), _FaultyLink(link, self._injector), endpoint, peer_address, properties
        )
        if linked is None:
            return None
        wrapper = self.wrap(linked)
        wrapper.carried_by(link)
        return wrapper

    def peer_lost(self, pipe: PipeEnd, *, keep: bool) -> None:
        real = pipe.inner if isinstance(pipe, _FaultyPipe) else pipe
        if not keep:
            self._pipes.pop(id(real), None)
        self._inner.peer_lost(real, keep=keep)

    def connector_failed(self, connector: Connector, reason: str = "") -> None:
        # A connector that fails while it is being made (inproc, an
        # incompatible peer) is reported with a wrapper made on the spot.
        self._inner.connector_failed(self.connector or _FaultyConnector(connector), reason)


def _real(pipe: PipeEnd | None) -> PipeEnd | None:
    return pipe.inner if isinstance(pipe, _FaultyPipe) else pipe


class _FaultyConnector(Connector):
    """The inner transport's connector, with the real pipe the socket knows."""

    def __init__(self, inner: Connector) -> None:
        real = _real(inner.pipe)
        assert real is not None
        self.pipe = real
        self._inner = inner

    def close(self) -> None:
        self._inner.close()


class _FaultyBinding(Binding):
    def __init__(self, inner: Binding, scheme: str, inner_scheme: str) -> None:
        self._inner = inner
        self.endpoint = scheme + inner.endpoint[len(inner_scheme) :]

    def stop_accepting(self) -> None:
        self._inner.stop_accepting()

    def close(self) -> None:
        self._inner.close()


class FaultyTransport(Transport):
    """A transport that carries another one's connections, with :class:`Faults`.

    Args:
        inner: the scheme of the transport that does the real work
            (``"tcp"``, ``"ipc"``, ``"inproc"``...).
        faults: what goes wrong, and how often.

    Register it under a scheme of your choice with
    :func:`aiomsg.register_transport`; endpoints of that scheme take the
    inner transport's addresses. :attr:`counts` tells what it did.
    """

    def __init__(self, inner: str, faults: Faults | None = None) -> None:
        self.inner = inner
        self.faults = faults or Faults()
        self._injector = _Injector(self.faults)

    @property
    def counts(self) -> FaultCounts:
        """What the faults did so far (shared by every connection)."""
        return self._injector.counts

    def _inner_endpoint(self, endpoint: Endpoint) -> Endpoint:
        return Endpoint(f"{self.inner}://{endpoint.address}", self.inner, endpoint.address)

    async def bind(self, engine: Engine, endpoint: Endpoint) -> Binding:
        inner = self._inner_endpoint(endpoint)
        faulty = _FaultyEngine(engine, self._injector)
        binding = await get_transport(inner).bind(_as_engine(faulty), inner)
        return _FaultyBinding(binding, endpoint.scheme, self.inner)

    def connect(self, engine: Engine, endpoint: Endpoint, pipe: PipeEnd) -> Connector:
        inner = self._inner_endpoint(endpoint)
        faulty = _FaultyEngine(engine, self._injector)
        connector = get_transport(inner).connect(_as_engine(faulty), inner, faulty.wrap(pipe))
        faulty.connector = _FaultyConnector(connector)
        return faulty.connector


def _as_engine(faulty: _FaultyEngine) -> Engine:
    # The options and services come through __getattr__, which a static
    # checker cannot see: the protocol is met at run time.
    return cast(Engine, faulty)
