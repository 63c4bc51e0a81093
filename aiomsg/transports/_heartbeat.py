"""ZMTP heartbeats for one connection (RFC 37 PING/PONG, libzmq's options).

With ``heartbeat_ivl`` set, a PING goes to the peer every interval; if
nothing at all arrives within ``heartbeat_timeout`` of a PING, the peer is
taken for dead and the connection closed (a connecting socket then
reconnects). Independently, a peer's PING may carry a TTL: if that peer then
stays silent for the TTL, the connection is closed too. Any received byte
counts as a sign of life, as in libzmq.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

__all__ = ["Heartbeat"]


class Heartbeat:
    """Timers of one connection; :attr:`last_heard` is updated by its protocol.

    Args:
        loop: the event loop.
        send_ping: queues a PING carrying a TTL in ms.
        expire: closes the connection, given the reason.
    """

    __slots__ = (
        "_expire",
        "_interval",
        "_loop",
        "_ping_timer",
        "_ping_ttl",
        "_send_ping",
        "_timeout",
        "_timeout_timer",
        "_ttl",
        "_ttl_timer",
        "last_heard",
        "watching",
    )

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        send_ping: Callable[[int], None],
        expire: Callable[[str], None],
    ) -> None:
        self._loop = loop
        self._send_ping = send_ping
        self._expire = expire
        self._interval = self._timeout = self._ttl = 0.0
        self._ping_ttl = 0
        self._ping_timer: asyncio.TimerHandle | None = None
        self._timeout_timer: asyncio.TimerHandle | None = None
        self._ttl_timer: asyncio.TimerHandle | None = None
        self.last_heard = loop.time()
        #: Whether a timer reads :attr:`last_heard`: the protocol updates it
        #: on each read only then (a loop.time() call per read saved when
        #: heartbeats are off, as they are by default).
        self.watching = False

    def start(self, interval_ms: int, timeout_ms: int, ttl_ms: int) -> None:
        """Send PINGs every *interval_ms* (0: never) once the handshake is done."""
        if interval_ms > 0:
            self.last_heard = self._loop.time()
            self.watching = True
            self._interval = interval_ms / 1000
            self._timeout = (timeout_ms if timeout_ms >= 0 else interval_ms) / 1000
            self._ping_ttl = ttl_ms
            self._ping_timer = self._loop.call_later(self._interval, self._ping)

    def peer_ttl(self, ttl_ms: int) -> None:
        """The peer asked (in a PING) to be dropped if silent for *ttl_ms*."""
        self._ttl = ttl_ms / 1000
        if ttl_ms <= 0:
            if self._ttl_timer is not None:  # the peer no longer asks for one
                self._ttl_timer.cancel()
                self._ttl_timer = None
                self.watching = self._ping_timer is not None
        elif self._ttl_timer is None:
            if not self.watching:
                # Called for a read that just happened (the PING asking for it).
                self.last_heard = self._loop.time()
                self.watching = True
            self._ttl_timer = self._loop.call_later(self._ttl, self._check_ttl)

    def stop(self) -> None:
        for timer in (self._ping_timer, self._timeout_timer, self._ttl_timer):
            if timer is not None:
                timer.cancel()
        self._ping_timer = self._timeout_timer = self._ttl_timer = None
        self.watching = False

    def _ping(self) -> None:
        now = self._loop.time()
        self._send_ping(self._ping_ttl)
        self._ping_timer = self._loop.call_later(self._interval, self._ping)
        # Armed by a PING unless already armed; any traffic since disarms it.
        if self._timeout > 0 and self._timeout_timer is None:
            self._timeout_timer = self._loop.call_later(self._timeout, self._check_timeout, now)

    def _check_timeout(self, pinged_at: float) -> None:
        self._timeout_timer = None
        if self.last_heard < pinged_at:
            self._expire(f"no traffic within {self._timeout * 1000:.0f} ms of a PING")

    def _check_ttl(self) -> None:
        self._ttl_timer = None
        silent = self._loop.time() - self.last_heard
        if silent >= self._ttl:
            self._expire(f"peer silent for longer than the TTL it asked for ({self._ttl:.1f} s)")
        else:
            self._ttl_timer = self._loop.call_later(self._ttl - silent, self._check_ttl)
