"""Connection events of a socket, for logging, metrics and tests.

``sock.monitor()`` returns a :class:`Monitor`, an async iterator of
:class:`MonitorEvent`. Each event also goes to the ``aiomsg`` logger, so a
peer that misbehaves is always reported even when nobody monitors.
"""

from __future__ import annotations

import asyncio
import collections
import enum
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

__all__ = ["Event", "Monitor", "MonitorEvent", "ZmqEvent"]

logger = logging.getLogger("aiomsg")


class ZmqEvent(enum.IntFlag):
    """libzmq's monitor events, with the names and numbers of ``zmq.h`` 4.3.5
    (``ZMQ_EVENT_*``, as pyzmq's ``zmq.Event``). :attr:`Event.zmq_event` and
    :attr:`MonitorEvent.zmq_event` say which one an aiomsg event is."""

    CONNECTED = 0x0001
    CONNECT_DELAYED = 0x0002
    CONNECT_RETRIED = 0x0004
    LISTENING = 0x0008
    BIND_FAILED = 0x0010
    ACCEPTED = 0x0020
    ACCEPT_FAILED = 0x0040
    CLOSED = 0x0080
    CLOSE_FAILED = 0x0100
    DISCONNECTED = 0x0200
    MONITOR_STOPPED = 0x0400
    HANDSHAKE_FAILED_NO_DETAIL = 0x0800
    HANDSHAKE_SUCCEEDED = 0x1000
    HANDSHAKE_FAILED_PROTOCOL = 0x2000
    HANDSHAKE_FAILED_AUTH = 0x4000
    PIPES_STATS = 0x10000  # draft: never emitted by aiomsg (see Socket.stats())


class Event(enum.Enum):
    """What happened; names follow libzmq's ``ZMQ_EVENT_*`` where one exists.

    :attr:`zmq_event` is libzmq's event for it, None for those aiomsg adds
    (``PROTOCOL_ERROR``, ``PEER_REFUSED`` and ``HEARTBEAT_TIMEOUT``, which
    libzmq reports only as the ``DISCONNECTED`` that follows them here too,
    and ``DATA_LOST``: multicast data that could not be repaired, which
    libzmq does not report at all; its value is the packets lost).
    libzmq's three handshake failures are one aiomsg event,
    ``HANDSHAKE_FAILED``; each occurrence says which in
    :attr:`MonitorEvent.zmq_event`.
    """

    LISTENING = "listening"
    BIND_FAILED = "bind_failed"
    ACCEPTED = "accepted"
    ACCEPT_FAILED = "accept_failed"
    CONNECTED = "connected"
    CONNECT_DELAYED = "connect_delayed"
    CONNECT_RETRIED = "connect_retried"
    HANDSHAKE_SUCCEEDED = "handshake_succeeded"
    HANDSHAKE_FAILED = "handshake_failed"
    PROTOCOL_ERROR = "protocol_error"
    PEER_REFUSED = "peer_refused"
    HEARTBEAT_TIMEOUT = "heartbeat_timeout"
    DATA_LOST = "data_lost"
    DISCONNECTED = "disconnected"
    CLOSED = "closed"
    CLOSE_FAILED = "close_failed"
    MONITOR_STOPPED = "monitor_stopped"

    @property
    def zmq_event(self) -> ZmqEvent | None:
        """libzmq's event for this one (``HANDSHAKE_FAILED``: the no-detail one)."""
        return _ZMQ_EVENTS.get(self)

    @property
    def number(self) -> int:
        """libzmq's ``ZMQ_EVENT_*`` number, 0 for the events libzmq does not have."""
        zmq_event = _ZMQ_EVENTS.get(self)
        return 0 if zmq_event is None else int(zmq_event)


_ZMQ_EVENTS: dict[Event, ZmqEvent] = {
    event: ZmqEvent[event.name]
    for event in Event
    if event.name in ZmqEvent.__members__
}
_ZMQ_EVENTS[Event.HANDSHAKE_FAILED] = ZmqEvent.HANDSHAKE_FAILED_NO_DETAIL


# Events that mean a peer misbehaved or was turned away: logged as warnings.
_WARNINGS = frozenset(
    {
        Event.HANDSHAKE_FAILED,
        Event.PROTOCOL_ERROR,
        Event.PEER_REFUSED,
        Event.HEARTBEAT_TIMEOUT,
        Event.DATA_LOST,
    }
)


@dataclass(frozen=True, slots=True)
class MonitorEvent:
    """One connection event.

    Attributes:
        event: what happened.
        endpoint: the socket's endpoint the event concerns (bound or connected).
        peer: the remote address as text, when known.
        reason: why, for failures and refusals.
        time: ``time.monotonic()`` when it happened.
        zmq_event: libzmq's event for this occurrence (a handshake failure's
            own kind: no detail, protocol or authentication), or None.
        value: libzmq's event value where it means something portable: the
            ZAP status code of ``HANDSHAKE_FAILED_AUTH`` (``400``), the
            ``errno`` of a failed connect attempt or bind; else 0.
        routing_id: the peer's routing id on sockets that have them (ROUTER,
            STREAM, SERVER, PEER), for ``HANDSHAKE_SUCCEEDED`` and
            ``DISCONNECTED``; else empty.
    """

    event: Event
    endpoint: str
    peer: str = ""
    reason: str = ""
    time: float = field(default_factory=time.monotonic)
    zmq_event: ZmqEvent | None = None
    value: int = 0
    routing_id: bytes = b""


class Monitor:
    """An async iterator over a socket's events, from its creation on.

    At most *maxlen* events are kept; older ones are dropped if the reader
    falls behind, so a forgotten monitor cannot grow without bound. A monitor
    has one reader at a time; make one monitor per task that watches.
    """

    __slots__ = ("_closed", "_events", "_waiter")

    def __init__(self, maxlen: int = 1000) -> None:
        self._events: collections.deque[MonitorEvent] = collections.deque(maxlen=maxlen)
        self._waiter: asyncio.Future[None] | None = None
        self._closed = False

    def _push(self, event: MonitorEvent) -> None:
        self._events.append(event)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def close(self) -> None:
        """Stop recording; the iteration ends once the queued events are read."""
        self._closed = True
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def __aiter__(self) -> AsyncIterator[MonitorEvent]:
        return self

    async def __anext__(self) -> MonitorEvent:
        """The next event; safe to cancel (no event is lost)."""
        while not self._events:
            if self._closed:
                raise StopAsyncIteration
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._events.popleft()

    async def wait_for(self, *events: Event) -> MonitorEvent:
        """Return the next event whose kind is one of *events*, skipping others.

        Raises:
            StopAsyncIteration: the monitor was closed first.

        Bound it with ``asyncio.timeout``; cancelling is safe.
        """
        async for item in self:
            if item.event in events:
                return item
        raise StopAsyncIteration


# The same warning (event, endpoint, reason) is repeated at most this often;
# a peer that reconnects every 100 ms only to be refused would flood the log.
_WARNING_INTERVAL = 60.0
_WARNED_MAX = 1000


class EventHub:
    """Fans a socket's events out to the log and to every open monitor."""

    __slots__ = ("_monitors", "_owner", "_warned", "counts")

    def __init__(self, owner: str) -> None:
        self._owner = owner
        self._monitors: list[Monitor] = []
        self._warned: dict[tuple[Event, str, str], float] = {}
        #: How many times each event happened (for ``Socket.stats()``).
        self.counts: collections.Counter[Event] = collections.Counter()

    def monitor(self, maxlen: int = 1000) -> Monitor:
        monitor = Monitor(maxlen)
        self._monitors.append(monitor)
        return monitor

    def emit(
        self,
        event: Event,
        endpoint: str,
        peer: str = "",
        reason: str = "",
        *,
        zmq_event: ZmqEvent | None = None,
        value: int = 0,
        routing_id: bytes = b"",
    ) -> None:
        self.counts[event] += 1
        if any(monitor._closed for monitor in self._monitors):
            # A monitor closed by its reader stops receiving (and is dropped).
            self._monitors = [monitor for monitor in self._monitors if not monitor._closed]
        level = logging.DEBUG
        if event in _WARNINGS:
            key, now = (event, endpoint, reason), time.monotonic()
            if now - self._warned.get(key, -_WARNING_INTERVAL) >= _WARNING_INTERVAL:
                if len(self._warned) >= _WARNED_MAX:
                    self._warned.clear()  # reasons vary (addresses, keys): stay bounded
                self._warned[key] = now
                level = logging.WARNING
        if logger.isEnabledFor(level):
            logger.log(level, "%s %s %s %s %s", self._owner, event.value, endpoint, peer, reason)
        if self._monitors:
            item = MonitorEvent(
                event,
                endpoint,
                peer,
                reason,
                zmq_event=zmq_event or event.zmq_event,
                value=value,
                routing_id=routing_id,
            )
            for monitor in self._monitors:
                monitor._push(item)

    def close(self) -> None:
        """The socket closed: report MONITOR_STOPPED (libzmq's last event),
        then end every monitor's iteration."""
        self.emit(Event.MONITOR_STOPPED, "")
        for monitor in self._monitors:
            monitor.close()
        self._monitors.clear()
