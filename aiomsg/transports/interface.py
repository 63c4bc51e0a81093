"""The declared interface between a socket's engine and its transports.

Four roles meet here; libzmq's ``i_pipe_events`` and ``i_engine`` are the
model. Everything a transport may use of a socket is named below, so a
transport written outside aiomsg needs nothing private (a test registers
one that imports only :mod:`aiomsg` and :mod:`aiomsg.transports`).

- An :class:`Engine` is the socket as a transport sees it: the options a
  transport reads, the events it reports, and the two calls that matter,
  :meth:`~Engine.peer_ready` when a peer finished its handshake and
  :meth:`~Engine.peer_lost` when its connection ended.
- A :class:`PipeEnd` is the socket's end of one peer: the transport delivers
  what that peer sent into it.
- A :class:`Link` is the transport's end of one peer: the pipe sends
  through it, and pauses it when its inbound queue is full.
- A :class:`Transport` turns ``bind`` and ``connect`` into a
  :class:`Binding` (accepting peers) or a :class:`Connector` (keeping one
  outgoing connection up).

Who calls what, over one connection's life (connecting side)::

    Socket.connect ─> Transport.connect(engine, endpoint, pipe) ─> Connector
    Connector: handshake done ─> engine.peer_ready(pipe, link, ...) ─> PipeEnd
    peer's messages ─> pipe.deliver(message) ... socket recv()
      (a message of one frame may be delivered as its bytes: see Delivered)
    socket send() ─> pipe ─> link.try_send(message)
                  (or ─> the link's direct sender, if it has one: see Link)
    socket send_many() ─> pipe ─> link.try_send_many(messages, start), if it has it
    connection lost ─> engine.peer_lost(pipe, keep=True); reconnect later
    gave up for good ─> engine.connector_failed(connector)

An accepting side passes ``pipe=None`` to :meth:`Engine.peer_ready`, which
makes a pipe for the peer, and drops it on loss (``keep=False``).
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from aiomsg._endpoint import Endpoint
from aiomsg._monitor import Event, ZmqEvent
from aiomsg._zmtp.frames import (
    LAST_HEADERS,
    LAST_HEADERS_LIMIT,
    LONG,
    LONG_HEADER,
    encode_message,
)
from aiomsg._zmtp.mechanism import Mechanism, ZapReply, ZapRequest
from aiomsg.constants import SocketType

__all__ = [
    "ALL_GROUPS",
    "Binding",
    "Connector",
    "Delivered",
    "Endpoint",
    "Engine",
    "Event",
    "Link",
    "Mechanism",
    "Message",
    "PipeEnd",
    "SendEncoded",
    "SendingPipe",
    "Transport",
    "ZapReply",
    "ZapRequest",
    "ZmqEvent",
    "encode_all",
    "encode_once",
]

#: A message: its frames, in order.
Message = list[bytes]

#: A received message as a transport delivers it to a pipe, and as the
#: pipe queues it until the socket hands it out: either its frames
#: (:data:`Message`), or, for a message of exactly one frame, that frame
#: alone as a ``bytes`` object (exactly ``bytes``, not a subclass: what is
#: queued is told apart with ``type(message) is bytes``, which costs the
#: same for both forms, where ``isinstance`` is ~250 instructions dearer on
#: a list). The two forms mean the same message; a transport may
#: deliver either (tcp, ipc and inproc deliver their single-frame
#: messages as bytes, ws, udp and pgm lists, and a transport written
#: outside aiomsg that delivers lists works unchanged). Whatever takes a
#: queued message (the socket's receive calls, the receiving strategies,
#: the inbound filters) accepts both, and the socket's API hands out lists
#: wherever it promises them (``recv_multipart``, ``recv_many``).
#:
#: Why: the cyclic garbage collector tracks every list and none of the
#: bytes, and traverses each queued list in its young collections, which a
#: receiver with thousands of messages queued pays for per message in
#: instructions and, with many peers, in cache misses
#: (docs/internals.md#one-frame-messages-queued-as-bytes).
Delivered = bytes | Message

#: A peer property a transport sets in :meth:`Engine.peer_ready` when the
#: peer filters itself and wants every message: a udp DISH, which never sends
#: JOIN (docs/wire/draft.md#udp-datagram), gets every RADIO group; a
#: multicast group of SUBs (epgm, pgm) gets every PUB topic, and an XPUB
#: hears no subscription for it (docs/wire/pgm.md#pgm-subscriptions).
ALL_GROUPS = b"X-All-Groups"

T = TypeVar("T")

#: A link's optional ``send_encoded(wire, size, now)``: :meth:`Link.try_send`
#: for messages already in their ZMTP wire form (:func:`encode_once`, or
#: several messages' frames joined), *size* their payload bytes. With *now*
#: the link writes at once, with what it queued before, rather than at the
#: end of the tick (a fan-out's run, written at the end of its own tick).
SendEncoded = Callable[[list[bytes], int, bool], bool]


def encode_once(message: Message) -> tuple[list[bytes], int]:
    """*message*'s ZMTP 3.x data frames as written to a NULL or PLAIN peer
    (flags and size, then the body, per frame), and its payload size: what a
    link's ``send_encoded`` takes. A fan-out encodes a message once and hands
    the same byte strings to every link that has ``send_encoded``."""
    if len(message) == 1:
        # The common case, inlined: one frame.
        body = message[0]
        size = len(body)
        header = LAST_HEADERS[size] if size < LAST_HEADERS_LIMIT else LONG_HEADER.pack(LONG, size)
        return [header, body], size
    wire: list[bytes] = []
    encode_message(message, wire)
    return wire, sum(map(len, message))


def encode_all(messages: list[Message]) -> list[bytes]:
    """:func:`encode_once` for several messages: the frames of each, in
    order, in one list (a fan-out's run, encoded when it is written)."""
    wire: list[bytes] = []
    append = wire.append
    for message in messages:
        if len(message) == 1:
            body = message[0]
            size = len(body)
            if size < LAST_HEADERS_LIMIT:
                append(LAST_HEADERS[size])
            else:
                append(LONG_HEADER.pack(LONG, size))
            append(body)
        else:
            encode_message(message, wire)
    return wire


class Link(Protocol):
    """What a pipe needs from the connection that currently carries it.

    A link may also have a ``send_encoded`` attribute (:data:`SendEncoded`,
    or None): a link that writes plain ZMTP frames (tcp and ipc with the NULL
    or PLAIN mechanism) then takes a message that :func:`encode_once`
    encoded, the same byte strings for every such link of a fan-out. It is
    optional and read once, when the link starts carrying a pipe; a link
    without it (inproc hands the message list over, CURVE encrypts per
    connection, ws frames differently, a transport written outside aiomsg)
    gets :meth:`try_send`.

    A link that hands messages straight to another pipe of this process
    (inproc, whose :meth:`try_send` is that pipe's :meth:`PipeEnd.offer`)
    may name it in a ``peer`` attribute, read once like ``send_encoded``:
    the pipe then appends to that pipe's queue itself, one call fewer per
    message. Only a pipe of aiomsg's own kind is used so.

    A link may also have ``direct_sender(pipe)`` (a method; the pipe is a
    :class:`SendingPipe`), called once when the link starts carrying the
    pipe. What it returns is called instead of the pipe's ``send``, one
    Python call per message rather than two (the pipe's and
    :meth:`try_send`): it writes the message and counts it in the pipe's
    ``out_msgs`` when the link is :attr:`writable`, and otherwise hands it
    to the pipe's ``send`` (which queues it in the backlog, or refuses it at
    the send high-water mark). It may take a writable link to mean an empty
    backlog: a pipe's backlog waits only while its link is not writable,
    and a link that becomes writable again calls
    :meth:`PipeEnd.flush_backlog`, which empties it before anything else is
    sent (:meth:`try_send` takes every message while writable).
    """

    @property
    def writable(self) -> bool:
        """False while the connection cannot take a message now."""

    def try_send(self, message: Message) -> bool:
        """Send a whole message if :attr:`writable`; return whether it was sent.

        One call rather than a check and a send: it is the hot path.

        A link may also have ``try_send_many(messages, start) -> int``: send
        ``messages[start:]`` in order while it can, and return the index of
        the first message not sent (``send_many``'s batch, handed down whole
        to be encoded in one call). It is optional: the pipe sends a batch
        through :meth:`try_send`, message by message, over a link without it.
        """

    def send_subscription(self, topic: bytes, subscribe: bool) -> None:
        """Send a subscribe or cancel in the form the peer expects."""

    def pause_reading(self) -> None:
        """Stop taking messages from the peer (the pipe's inbound queue is full)."""

    def resume_reading(self) -> None:
        """Take messages from the peer again."""

    def close(self, reason: str) -> None:
        """Close the connection after writing what it already holds."""

    def abort(self, reason: str) -> None:
        """Close the connection at once, dropping what is not yet written
        (the peer is dead, or the socket's linger ran out)."""

    @property
    def pending_output(self) -> int:
        """Bytes accepted but not yet handed to the operating system."""


class SendingPipe(Protocol):
    """What a pipe lends a link's direct sender (see :class:`Link`)."""

    #: Messages sent (or queued) to the peer: the direct sender counts
    #: those it writes.
    out_msgs: int

    def send(self, message: Message) -> bool:
        """Send *message* through the link, or queue it behind the backlog;
        False (nothing queued) at the send high-water mark."""


class PipeEnd(Protocol):
    """The socket's end of one peer, as a transport uses it.

    A transport that carries bytes adds what it reads and writes for this
    peer to :attr:`in_bytes` and :attr:`out_bytes` (``Socket.stats()``).
    The tcp, ipc and ws connections count every byte they read, but only
    the messages' bytes (their frames' contents) that they write, as they
    queue each message: the ZMTP framing, the handshake and the commands
    they write are not counted (summing every string written cost the send
    path ~200 instructions per small message, and a fan-out as much per
    subscriber). pgm counts the packets it sends.
    """

    in_bytes: int
    out_bytes: int

    @property
    def endpoint(self) -> str:
        """The socket endpoint this pipe came from (bound or connected)."""

    @property
    def has_room(self) -> bool:
        """Whether :meth:`offer` would take a message now."""

    def deliver(self, message: Delivered) -> None:
        """Queue a message received from the peer (its frames, or the bytes
        of its one frame: :data:`Delivered`).

        Always takes it (the bytes were read already); at the receive
        high-water mark the pipe pauses its link's reading.
        """

    def deliver_many(self, messages: Sequence[Delivered]) -> None:
        """:meth:`deliver` each of *messages*, in order: what one read
        completed. One call per read instead of one per message (the tcp
        receive path; measured in docs/internals.md). The pipe may keep
        *messages*' items but not the list itself.
        """

    def offer(self, message: Delivered) -> bool:
        """Queue *message* if the inbound queue has room; else return False.

        For links that hand messages over directly (inproc): a refused
        sender keeps the message, and is resumed through its
        ``flush_backlog`` once this pipe has drained.
        """

    def offer_many(self, messages: Sequence[Delivered], start: int) -> int:
        """:meth:`offer` ``messages[start:]`` in order, as many as the inbound
        queue has room for; return the index of the first one not taken.
        The pipe keeps the messages, not the list."""

    def deliver_subscription(self, topic: bytes, subscribe: bool) -> None:
        """A subscribe or cancel from the peer (dropped by sockets that do not publish)."""

    def flush_backlog(self) -> None:
        """The link can take messages again: send what waited for it."""


class Engine(Protocol):
    """A socket as its transports see it.

    Transports read the options below, report what happens with
    :meth:`emit`, and hand each peer over with :meth:`peer_ready`.
    """

    @property
    def socket_type(self) -> SocketType:
        """The socket's type (sent as ``Socket-Type`` in the handshake)."""

    @property
    def closed(self) -> bool:
        """Whether the socket was closed (it may still be flushing)."""

    @property
    def identity(self) -> bytes:
        """The ``identity`` option: the routing id announced to peers."""

    @property
    def maxmsgsize(self) -> int:
        """The ``maxmsgsize`` option (bytes per frame; -1: no limit)."""

    @property
    def max_message_size(self) -> int:
        """The ``max_message_size`` option (bytes per whole message; -1: no limit)."""

    @property
    def handshake_ivl(self) -> int:
        """The ``handshake_ivl`` option (ms; 0: no limit)."""

    @property
    def heartbeat_ivl(self) -> int:
        """The ``heartbeat_ivl`` option (ms between PINGs; 0: none)."""

    @property
    def heartbeat_timeout(self) -> int:
        """The ``heartbeat_timeout`` option (ms; -1: ``heartbeat_ivl``)."""

    @property
    def heartbeat_ttl(self) -> int:
        """The ``heartbeat_ttl`` option (ms, sent in PINGs)."""

    @property
    def reconnect_ivl(self) -> int:
        """The ``reconnect_ivl`` option (ms; -1: never reconnect)."""

    @property
    def reconnect_ivl_max(self) -> int:
        """The ``reconnect_ivl_max`` option (ms; 0: no backoff)."""

    # The kernel socket options the stream transports apply
    # (transports/_tuning.py), and the reconnect policy.

    @property
    def tcp_keepalive(self) -> int:
        """``SO_KEEPALIVE``: -1 leaves the OS default, 0 turns it off, 1 on."""

    @property
    def tcp_keepalive_idle(self) -> int:
        """``TCP_KEEPIDLE`` in seconds, with ``tcp_keepalive=1``; -1: OS default."""

    @property
    def tcp_keepalive_cnt(self) -> int:
        """``TCP_KEEPCNT``, with ``tcp_keepalive=1``; -1: OS default."""

    @property
    def tcp_keepalive_intvl(self) -> int:
        """``TCP_KEEPINTVL`` in seconds, with ``tcp_keepalive=1``; -1: OS default."""

    @property
    def tcp_maxrt(self) -> int:
        """``TCP_USER_TIMEOUT`` in ms; 0: OS default."""

    @property
    def connect_timeout(self) -> int:
        """ms one connect attempt may take before it is retried; 0: the OS's limit."""

    @property
    def reconnect_stop(self) -> int:
        """``RECONNECT_STOP_*`` flags: which failures end reconnecting for good."""

    @property
    def tos(self) -> int:
        """``IP_TOS`` (``IPV6_TCLASS``) of connections and listeners."""

    @property
    def sndbuf(self) -> int:
        """``SO_SNDBUF`` in bytes; -1: OS default."""

    @property
    def rcvbuf(self) -> int:
        """``SO_RCVBUF`` in bytes; -1: OS default."""

    @property
    def backlog(self) -> int:
        """The ``listen()`` backlog of a bind."""

    @property
    def use_fd(self) -> int:
        """A listening socket's fd that ``bind`` adopts instead of making one; -1: none."""
    @property
    def wss_cert_pem(self) -> str:
        """The ``wss_cert_pem`` option: our TLS certificate chain, PEM ("": none)."""

    @property
    def wss_key_pem(self) -> str:
        """The ``wss_key_pem`` option: its private key, PEM."""

    @property
    def wss_trust_pem(self) -> str:
        """The ``wss_trust_pem`` option: CA certificates a TLS client trusts, PEM."""

    @property
    def wss_hostname(self) -> str:
        """The ``wss_hostname`` option: the name a TLS client checks ("": the host)."""

    @property
    def wss_trust_system(self) -> bool:
        """The ``wss_trust_system`` option: a TLS client also trusts the system's CAs."""

    @property
    def rate(self) -> int:
        """The ``rate`` option: kbit/s of a PGM source's ODATA."""

    @property
    def recovery_ivl(self) -> int:
        """The ``recovery_ivl`` option: ms of data a PGM window holds."""

    @property
    def multicast_hops(self) -> int:
        """The ``multicast_hops`` option: ``IP_MULTICAST_TTL``."""

    @property
    def multicast_maxtpdu(self) -> int:
        """The ``multicast_maxtpdu`` option: bytes of the largest PGM packet,
        IP and UDP headers included."""

    @property
    def multicast_loop(self) -> bool:
        """The ``multicast_loop`` option: ``IP_MULTICAST_LOOP``."""

    def new_mechanism(self) -> Mechanism:
        """A fresh security mechanism for one new connection, from the options."""

    async def authenticate(self, request: ZapRequest, peer_address: str) -> ZapReply:
        """Answer a mechanism's authentication request (ZAP semantics).

        Cancelling is safe: nothing is recorded until it returns.
        """

    def emit(
        self,
        event: Event,
        endpoint: str,
        peer: str = "",
        reason: str = "",
        *,
        zmq_event: ZmqEvent | None = None,
        value: int = 0,
    ) -> None:
        """Report a connection event: logged, and queued for the socket's monitors.

        *zmq_event* names libzmq's event when it is more precise than
        ``event.zmq_event`` (which kind of handshake failure); *value* is
        libzmq's event value where it carries one (see ``MonitorEvent``).
        """

    def refusal(self, pipe: PipeEnd | None, properties: dict[bytes, bytes]) -> str | None:
        """Why the socket would turn away a peer with these handshake
        *properties* on *pipe* (None: an accepted peer), or None to take it.

        Asked before the handshake completes, so that a refused peer hears
        the reason (an ERROR command) instead of a READY followed by a close;
        :meth:`peer_ready` still refuses a peer that was not asked about.
        """

    def peer_ready(
        self,
        pipe: PipeEnd | None,
        link: Link,
        endpoint: str,
        peer_address: str,
        properties: dict[bytes, bytes],
    ) -> PipeEnd | None:
        """A peer finished its handshake: link it to *pipe*, or refuse it.

        *pipe* is the connecting side's pipe (from :meth:`Transport.connect`),
        or None for an accepted peer (a pipe is made for it). *properties*
        are the peer's (``Socket-Type``, ``Identity``, ``User-Id``...).
        Returns the linked pipe, or None if the socket refused the peer: the
        transport then closes the connection.
        """

    def peer_lost(self, pipe: PipeEnd, *, keep: bool) -> None:
        """The connection of *pipe* ended; *keep* the pipe (connecting side:
        messages wait for the reconnect) or drop it (accepted peers)."""

    def connector_failed(self, connector: Connector, reason: str = "") -> None:
        """*connector* gave up for good (refused, incompatible, or a
        ``reconnect_stop`` condition): forget it and drop its pipe, so nothing
        is queued for a peer that never comes. Reported as ``CLOSED`` with
        *reason*, libzmq's last event for an endpoint it stops retrying."""

    def transport_state(self, kind: type[T]) -> T:
        """The one ``kind()`` shared by every socket of this socket's context,
        made on first use (inproc keeps its names there)."""


class Binding(abc.ABC):
    """A socket listening at an endpoint; ``endpoint`` is the resolved text."""

    endpoint: str

    @abc.abstractmethod
    def stop_accepting(self) -> None:
        """Accept no new peers; those accepted here stay connected. Idempotent."""

    @abc.abstractmethod
    def close(self) -> None:
        """Stop accepting peers, and disconnect those accepted here (as ``zmq_unbind``)."""


class Connector(abc.ABC):
    """A socket's outgoing connection to one endpoint, kept up in the background."""

    pipe: PipeEnd

    @abc.abstractmethod
    def close(self) -> None:
        """Stop connecting and drop the current link, if any."""

    def check(self, message: Message) -> None:
        """Raise :class:`~aiomsg.InvalidMessage` if this connection could never
        carry *message* (a datagram transport's size limits), so the socket
        refuses it before sending it anywhere. Connections that carry any
        message keep this default, which does nothing."""
        return None


class Transport(abc.ABC):
    """Makes bindings and connectors for one endpoint scheme."""

    @abc.abstractmethod
    async def bind(self, engine: Engine, endpoint: Endpoint) -> Binding:
        """Start accepting peers for *engine*.

        Raises:
            EndpointError: the address is malformed.
            AddressInUse: the address is taken.

        Cancelling must leave nothing listening.
        """

    @abc.abstractmethod
    def connect(self, engine: Engine, endpoint: Endpoint, pipe: PipeEnd) -> Connector:
        """Start connecting *pipe* to *endpoint* in the background.

        Raises:
            EndpointError: the address is malformed.
        """
