"""Pipe: a socket's end of one peer, with per-direction queues and high-water marks.

A pipe outlives the connections it carries on the connecting side, so
messages queued while the peer is away are sent once it is back (RFC 28).
The connection itself is a :class:`Link`: a ZMTP protocol for tcp/ipc, or the
other pipe's inbound queue for inproc.
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from aiomsg.socket import Socket

__all__ = ["Link", "Pipe", "peer_host"]

Message = list[bytes]


def peer_host(peer_address: str) -> str:
    """The host part of ``host:port`` / ``[v6]:port`` (libzmq's Peer-Address and
    ZAP address carry no port); other addresses (ipc, inproc) unchanged."""
    host, separator, port = peer_address.rpartition(":")
    if not separator or not port.isdigit():
        return peer_address
    return host[1:-1] if host.startswith("[") else host


class Link(Protocol):
    """What a pipe needs from the connection that currently carries it."""

    @property
    def writable(self) -> bool:
        """False while the transport asked us to stop writing."""

    def try_send(self, message: Message) -> bool:
        """Send a whole message if :attr:`writable`; return whether it was sent.

        One call rather than a check and a send: it is the hot path.
        """

    def send_subscription(self, topic: bytes, subscribe: bool) -> None:
        """Send a subscribe/cancel in the form the peer expects."""

    def pause_reading(self) -> None:
        """Stop taking messages from the peer (our inbound queue is full)."""

    def resume_reading(self) -> None:
        """Take messages from the peer again."""

    def close(self, reason: str) -> None:
        """Close the connection after writing what it already holds."""

    @property
    def pending_output(self) -> int:
        """Bytes accepted but not yet handed to the operating system."""


class Pipe:
    """Queues and flow control between a socket and one peer.

    Attributes:
        inbound: complete messages received and not yet taken by the socket.
        backlog: messages waiting for the link to accept them (outbound HWM).
        link: the live connection, or None while disconnected.
        routing_id: the peer's id on a ROUTER (its Identity, or generated).
        endpoint: the socket endpoint this pipe came from (bind or connect).
        peer_address: the remote address, as text.
        inbound_filter: per-socket-type hook on each received message; returns
            the message to queue, or None to drop it (SUB filtering, PUB
            subscription bookkeeping).
    """

    __slots__ = (
        "backlog",
        "endpoint",
        "immediate",
        "inbound",
        "inbound_filter",
        "link",
        "peer_address",
        "peer_properties",
        "rcvhwm",
        "reading_paused",
        "routing_id",
        "sndhwm",
        "socket",
        "topics",
    )

    def __init__(self, socket: Socket, endpoint: str) -> None:
        self.socket = socket
        self.endpoint = endpoint
        self.inbound: collections.deque[Message] = collections.deque()
        self.backlog: collections.deque[Message] = collections.deque()
        self.link: Link | None = None
        self.routing_id = b""
        self.peer_address = ""
        self.peer_properties: dict[bytes, bytes] = {}
        self.sndhwm: int = socket.sndhwm
        self.rcvhwm: int = socket.rcvhwm
        # With the immediate option, a pipe without a live peer takes nothing.
        self.immediate: bool = socket.immediate
        self.reading_paused = False
        self.inbound_filter: Callable[[Pipe, Message], Message | None] | None = None
        # The peer's subscriptions (on PUB/XPUB), as a tuple for str.startswith.
        self.topics: tuple[bytes, ...] = ()

    def __repr__(self) -> str:
        state = "linked" if self.link is not None else "unlinked"
        return f"<Pipe {self.endpoint} {self.peer_address} {state}>"

    # -- outbound ------------------------------------------------------------

    @property
    def full(self) -> bool:
        """True when a message sent now would exceed the send high-water mark."""
        if self.link is not None and not self.backlog and self.link.writable:
            return False
        return self._backlog_full()

    def _backlog_full(self) -> bool:
        """No room to queue: at the send HWM, or (immediate) no live peer."""
        return (self.link is None and self.immediate) or 0 < self.sndhwm <= len(self.backlog)

    def send(self, message: Message) -> bool:
        """Send or queue a whole message; False (nothing queued) when full."""
        link = self.link
        if link is not None and not self.backlog and link.try_send(message):
            return True
        if self._backlog_full():
            return False
        self.backlog.append(message)
        return True

    def flush_backlog(self) -> None:
        """Move queued messages to the link while it accepts them.

        Called when a link is attached and when the transport resumes writing.
        """
        link = self.link
        backlog = self.backlog
        if link is None or not backlog:
            return
        was_full = self._backlog_full()
        while backlog and link.try_send(backlog[0]):
            backlog.popleft()
        if was_full and not self._backlog_full():
            self.socket._pipe_writable()

    # -- inbound -------------------------------------------------------------

    def deliver(self, message: Message) -> None:
        """Queue a message received from the peer; pause reading at the HWM."""
        if self.inbound_filter is not None:
            filtered = self.inbound_filter(self, message)
            if filtered is None:
                return
            message = filtered
        self.queue(message)

    def queue(self, message: Message) -> None:
        """Queue *message* for the socket as is (no inbound filter)."""
        inbound = self.inbound
        inbound.append(message)
        if len(inbound) == 1:
            self.socket._pipe_readable(self)
        if 0 < self.rcvhwm <= len(inbound) and not self.reading_paused and self.link is not None:
            self.reading_paused = True
            self.link.pause_reading()

    def take(self) -> Message:
        """Remove the oldest received message; resume reading at the low-water mark."""
        message = self.inbound.popleft()
        if self.reading_paused:
            self.maybe_resume_reading()
        return message

    def maybe_resume_reading(self) -> None:
        """Resume reading once the inbound queue has drained to half the HWM."""
        if len(self.inbound) <= self.rcvhwm // 2:
            self.reading_paused = False
            if self.link is not None:
                self.link.resume_reading()

    # -- lifecycle -----------------------------------------------------------

    def attach_link(self, link: Link, peer_address: str, properties: dict[bytes, bytes]) -> None:
        self.link = link
        self.peer_address = peer_address
        self.peer_properties = properties
        self.reading_paused = False
        if 0 < self.rcvhwm <= len(self.inbound):
            self.reading_paused = True
            link.pause_reading()

    def detach_link(self) -> None:
        self.link = None
        self.reading_paused = False
