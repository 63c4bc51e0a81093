"""The socket facade every type shares: options, endpoints, send, receive, close.

A socket type is a thin subclass that composes strategies
(:mod:`aiomsg._pool.strategies`) in its pool (:mod:`aiomsg._pool.pool`);
this module is the public API on top of that pool.

Every send goes through one take-now step (:meth:`Socket._send_now`) and,
when that cannot complete, one park step (:meth:`Socket._send_later`);
every receive likewise (:meth:`Socket._recv_now`, :meth:`Socket._recv_later`).
``send()`` and ``recv()`` carry inlined copies of their take-now step,
marked as such; tests/sockets/test_hot_paths.py drives both copies.

A message built or read frame by frame (``SNDMORE``, ``recv()`` with
``rcvmore``) belongs to the task that started it: its frames are kept per
task, so tasks sharing a socket never mix their frames.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine, Iterable
from itertools import chain
from typing import Any, ClassVar, NoReturn

from aiomsg._closing import ClosesOnExit
from aiomsg._endpoint import parse_endpoint
from aiomsg._monitor import Event, Monitor
from aiomsg._pool.pipe import Delivered, Message, Pipe, message_frames, peer_host
from aiomsg._pool.pool import ContextState, Pool
from aiomsg._pool.readiness import wait_ready
from aiomsg._pool.stats import SocketStats
from aiomsg._pool.strategies.base import Filter, Receiver, Sender
from aiomsg._pool.strategies.distribute import Distribute
from aiomsg._pool.strategies.groups import GroupQueue, as_group
from aiomsg._replacements import install as install_replacements
from aiomsg._replacements import unsupported_option
from aiomsg._security.config import mechanism_kind
from aiomsg.constants import (
    NOBLOCK,
    SNDMORE,
    PollEvent,
    SecurityMechanism,
    SocketOption,
    SocketType,
)
from aiomsg.errors import (
    Again,
    AiomsgError,
    Closed,
    EndpointError,
    InvalidMessage,
    InvalidOption,
    InvalidState,
    NotSupported,
)
from aiomsg.options import Option, TransportOptions
from aiomsg.serialization import TypedMessages
from aiomsg.transports import get_transport

__all__ = ["Socket"]

# Fairness: a send or receive that completes without suspending yields to
# the event loop once the calls since the last suspension have cost
# _YIELD_BUDGET, so one busy socket cannot starve the others. A call costs 1,
# plus 1 per 16 KiB of its message (size >> _SIZE_SHIFT): the yield comes
# after 256 messages or about 4 MiB, whichever first.
# - 256 calls rather than 64: a quarter of the yields (and of the loop turns
#   and writes they bring) for small messages.
# - The bytes: 256 calls of 64 KiB (16 MiB per tick) cost those messages
#   about a third of their throughput under uvloop, 128 (8 MiB) as much;
#   64 (4 MiB) did not, nor do the 51 a tick now takes, within the bench's
#   spread. A 256 KiB budget (4 of them a tick) measured worse too, under
#   load (docs/internals.md#fairness).
# - A message under 16 KiB is only compared, never shifted: the count then
#   costs ~230 instructions per call (callgrind), a shift ~400.
# - A whole message (send_multipart, recv_multipart) counts its last frame,
#   where an enveloped message's body is: summing every frame
#   (sum(map(len, ...))) cost ~1,700 instructions per message, len() of
#   one ~250. recv() counts every frame it returns.
_YIELD_BUDGET = 256
_SIZE_SHIFT = 14
_LARGE = 1 << _SIZE_SHIFT
# send_many() yields once per this many messages, for the same reason.
_BATCH_YIELD = 1024
# What send_many() checks every frame's type against.
_BYTES_ONLY = frozenset({bytes})
# The types that address their peers by routing id (RFC 41, RFC 51).
_ROUTED = frozenset({SocketType.SERVER, SocketType.PEER})


def _as_frames(frames: Iterable[Any]) -> Message:
    message = [frame if type(frame) is bytes else _as_bytes(frame) for frame in frames]
    if not message:
        raise ValueError("a message needs at least one frame")
    return message


def _lists(messages: list[Delivered]) -> list[Message]:
    """Queued messages as the API hands them out: each a list of frames (a
    single-frame message is queued as its bytes: see Delivered). This is
    ``pipe.message_frames`` over a batch, inlined: one call per batch, not
    one per message."""
    return [[m] if type(m) is bytes else m for m in messages]  # type: ignore[misc]


def _as_bytes(frame: Any) -> bytes:
    if isinstance(frame, str):
        raise TypeError("frames are bytes; use send_string() or encode str yourself")
    try:
        return memoryview(frame).tobytes()  # any buffer; not bytes(int)
    except TypeError:
        raise TypeError(f"a frame must be bytes-like, not {type(frame).__name__}") from None


# -- frames kept per task ----------------------------------------------------------

Task = asyncio.Task[Any] | None  # None: called outside any task


def _current_task() -> Task:
    try:
        return asyncio.current_task()
    except RuntimeError:  # no running loop: a plain call, such as reading rcvmore
        return None


def _frames_of(table: dict[Task, Message], task: Task) -> Message:
    """*task*'s list of frames in *table*, made on first use."""
    frames = table.get(task)
    if frames is None:
        # A task that ended in the middle of a message left its frames: drop them.
        for done in [other for other in table if other is not None and other.done()]:
            del table[done]
        frames = table[task] = []
    return frames


# Options read through getsockopt that are not plain option values.
_READ_ONLY = frozenset(
    {
        SocketOption.RCVMORE,
        SocketOption.EVENTS,
        SocketOption.TYPE,
        SocketOption.LAST_ENDPOINT,
        SocketOption.MECHANISM,
    }
)
_WRITE_ONLY = frozenset({SocketOption.SUBSCRIBE, SocketOption.UNSUBSCRIBE})


class Socket(TransportOptions, TypedMessages, ClosesOnExit):
    """An asyncio ZeroMQ socket. Create it with :meth:`Context.socket`.

    Options are keyword arguments of :meth:`Context.socket` and attributes of
    the socket (``sndhwm``, ``rcvhwm``, ``linger``, ``identity``,
    ``reconnect_ivl``, ``reconnect_ivl_max``, ``maxmsgsize``,
    ``handshake_ivl``, ``router_mandatory``...; see :mod:`aiomsg.options`),
    or, as in pyzmq, :meth:`setsockopt` / :meth:`getsockopt` with libzmq's
    option numbers (``aiomsg.SNDHWM``...). Assigning any other attribute
    raises ``AttributeError``, so a misspelled option cannot pass unnoticed.

    Several tasks may share a socket: every whole-message call is atomic, and
    a message built or read frame by frame belongs to the task that began it.
    """

    __slots__ = (
        "_close_waiters",
        "_direct_pipe",
        "_last_endpoint",
        "_linger_task",
        "_ops",
        "_pool",
        "_ready_pipes",
        "_recv_batch",
        "_recv_message",
        "_recv_parts",
        "_recv_strategy",
        "_recv_waiters",
        "_send_batch",
        "_send_message",
        "_send_parts",
        "_single_frame",
        "context",
    )

    socket_type: ClassVar[SocketType]
    #: Whether the peer's SUBSCRIBE/CANCEL reach this socket (PUB and XPUB).
    wants_subscriptions: ClassVar[bool] = False

    sndhwm = Option[int]()
    rcvhwm = Option[int]()
    linger = Option[int]()
    max_subscriptions = Option[int]()
    max_subscription_bytes = Option[int]()
    router_mandatory = Option[bool]()
    immediate = Option[bool]()
    plain_server = Option[bool]()
    plain_username = Option[bytes]()
    plain_password = Option[bytes]()
    curve_server = Option[bool]()
    curve_secretkey = Option[bytes]()
    curve_publickey = Option[bytes]()
    curve_serverkey = Option[bytes]()
    zap_domain = Option[bytes]()
    req_relaxed = Option[bool]()
    req_correlate = Option[bool]()
    probe_router = Option[bool]()
    router_handover = Option[bool]()
    router_notify = Option[int]()
    connect_routing_id = Option[bytes]()
    xpub_verbose = Option[bool]()
    xpub_verboser = Option[bool]()
    xpub_manual = Option[bool]()
    xpub_welcome_msg = Option[bytes]()
    xpub_nodrop = Option[bool]()
    invert_matching = Option[bool]()
    only_first_subscribe = Option[bool]()
    conflate = Option[bool]()
    sndtimeo = Option[int]()
    rcvtimeo = Option[int]()
    stream_notify = Option[bool]()
    zap_enforce_domain = Option[bool]()

    #: The options a socket type's composition depends on (see :meth:`_compose`):
    #: they may change only before the first bind or connect.
    composed_from: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, context: ContextState, **options: Any) -> None:
        TransportOptions.__init__(self, **options)
        #: The :class:`~aiomsg.Context` that made this socket.
        self.context = context
        self._pool = pool = Pool(
            self.socket_type, self._options, context, wants_subscriptions=self.wants_subscriptions
        )
        # The strategies' send/recv, bound once: the hot path calls them
        # directly. After close() both raise Closed, so the hot path needs
        # no separate check.
        self._send_message = pool.send
        # The pipe whose handover send() does inline (Pool.direct_pipe), or None.
        self._direct_pipe = pool.direct_pipe
        pool.send_changed = self._send_changed
        self._recv_message = pool.recv
        # A FairQueue's pipes holding messages, which recv() and
        # recv_multipart() take from themselves (Receiver.ready_queue), or
        # None: they call _recv_message. None after close(), which makes
        # them call the _recv_message that raises Closed.
        self._ready_pipes = pool.ready_pipes
        # The receiving strategy, whose `last` such a take records.
        self._recv_strategy = pool.receiver
        # The same for the batch calls (send_many, recv_many).
        self._send_batch = pool.send_many
        self._recv_batch = pool.recv_many
        self._recv_waiters = pool.recv_waiters
        self._single_frame = self.socket_type.single_frame
        # Frames of messages in the making (SNDMORE) and in the reading
        # (recv() with rcvmore), per task: see the module docstring.
        self._send_parts: dict[Task, Message] = {}
        self._recv_parts: dict[Task, Message] = {}
        self._ops = 0  # what the calls since the last suspension cost (see _YIELD_BUDGET)
        self._close_waiters: list[asyncio.Future[None]] = []
        self._linger_task: asyncio.Task[None] | None = None
        self._last_endpoint = ""

    def _send_changed(self) -> None:
        """The pool's send moved (a pipe joined or left: ``Sender.direct``):
        bind it again, unless close() has bound the one that raises."""
        if not self._pool.closed:
            self._send_message = self._pool.send
            self._direct_pipe = self._pool.direct_pipe

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"{len(self._pool.pipes)} pipes"
        return f"<aiomsg.Socket {self.socket_type.name} {state}>"

    def _use(
        self, sender: Sender | None, receiver: Receiver | None, filter: Filter | None = None
    ) -> None:
        """Compose the socket type from strategies (called by subclasses)."""
        self._pool.use(sender, receiver, filter)
        self._send_message = self._pool.send
        self._direct_pipe = self._pool.direct_pipe
        self._recv_message = self._pool.recv
        self._ready_pipes = self._pool.ready_pipes
        self._recv_strategy = receiver
        self._send_batch = self._pool.send_many
        self._recv_batch = self._pool.recv_many

    def _compose(self) -> None:
        """Pick the strategies the options in :attr:`composed_from` ask for.

        A socket type with such options calls this from ``__init__``, and it
        runs again whenever one of them is set: the hot path then carries no
        per-message check of the option.
        """

    def _set_option(self, name: str, value: Any) -> None:
        if name not in self.composed_from:
            self._options[name] = value
            return
        pool = self._pool
        if pool.pipes or pool.bindings:
            # Strategies hold their pipes' state: they are chosen before any peer.
            raise InvalidState(f"set {name} before bind() and connect()")
        self._options[name] = value
        self._compose()

    # -- options -------------------------------------------------------------

    @property
    def hwm(self) -> int:
        """The send high-water mark; setting it sets both ``sndhwm`` and ``rcvhwm``."""
        return self.sndhwm

    @hwm.setter
    def hwm(self, value: int) -> None:
        self.sndhwm = value
        self.rcvhwm = value

    @property
    def routing_id(self) -> bytes:
        """Alias of :attr:`identity` (libzmq's newer name)."""
        return self.identity

    @routing_id.setter
    def routing_id(self, value: bytes) -> None:
        self.identity = value

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has been called."""
        return self._pool.closed

    @property
    def peer_count(self) -> int:
        """The number of peers currently connected and past their handshake."""
        return self._pool.peer_count

    @property
    def rcvmore(self) -> bool:
        """After :meth:`recv`: whether more frames of the same message remain
        (for the calling task: each task reads its own message)."""
        return bool(self._recv_parts) and bool(self._recv_parts.get(_current_task()))

    @property
    def type(self) -> SocketType:
        """The socket type (pyzmq's name; also :attr:`socket_type`)."""
        return self.socket_type

    @property
    def last_endpoint(self) -> bytes:
        """The endpoint last bound (resolved, as :meth:`bind` returned it) or
        connected, as libzmq's ``ZMQ_LAST_ENDPOINT``; ``b""`` before either."""
        return self._last_endpoint.encode()

    @property
    def mechanism(self) -> SecurityMechanism:
        """The security mechanism the options select: ``aiomsg.NULL``,
        ``PLAIN`` or ``CURVE`` (libzmq's ``ZMQ_MECHANISM``)."""
        return mechanism_kind(self._options)

    @property
    def lingering(self) -> bool:
        """Closed, but still sending queued messages (see :meth:`close`)."""
        return self._linger_task is not None and not self._linger_task.done()

    # -- options by libzmq number, as pyzmq ------------------------------------

    def set(self, option: int, value: Any) -> None:
        """Set *option*, a libzmq option number (``aiomsg.SNDHWM``,
        ``aiomsg.SUBSCRIBE``...), to *value*: pyzmq's ``setsockopt``.

        Raises:
            InvalidOption: an unknown or read-only option, or a bad value.
            NotSupported: a libzmq option aiomsg does not have (the message
                names what to use instead).
            Closed: subscribing on a closed socket.
        """
        name = self._option_name(option)
        if option in _READ_ONLY:
            raise InvalidOption(f"option {name} is read-only")
        if option in _WRITE_ONLY:
            getattr(self, name)(value)  # subscribe() / unsubscribe()
        else:
            setattr(self, name, value)

    def get(self, option: int) -> Any:
        """The value of *option*, a libzmq option number: pyzmq's ``getsockopt``.

        Raises:
            InvalidOption: an unknown or write-only option (SUBSCRIBE).
            NotSupported: a libzmq option aiomsg does not have.
            Closed: ``EVENTS`` of a closed socket.
        """
        name = self._option_name(option)
        if option in _WRITE_ONLY:
            raise InvalidOption(f"option {name} is write-only")
        return getattr(self, name)

    def set_string(self, option: int, value: str, encoding: str = "utf-8") -> None:
        """:meth:`set` *value* encoded (pyzmq's ``setsockopt_string``)."""
        self.set(option, value.encode(encoding))

    def get_string(self, option: int, encoding: str = "utf-8") -> str:
        """:meth:`get` decoded (pyzmq's ``getsockopt_string``).

        Raises:
            TypeError: the option does not hold bytes.
        """
        value = self.get(option)
        if not isinstance(value, bytes):
            raise TypeError(f"option {self._option_name(option)} is not a string option")
        return value.decode(encoding)

    setsockopt = set
    getsockopt = get
    setsockopt_string = set_string
    getsockopt_string = get_string

    @staticmethod
    def _option_name(option: int) -> str:
        """The attribute that holds libzmq option *option* (``sndhwm``...)."""
        try:
            return SocketOption(option).name.lower()
        except ValueError:
            error = unsupported_option(option)
            if error is not None:
                raise error from None
            known = ", ".join(SocketOption.__members__)
            raise InvalidOption(f"unknown socket option {option!r}; aiomsg has {known}") from None

    # -- readiness -------------------------------------------------------------

    @property
    def events(self) -> PollEvent:
        """What would not wait now: ``POLLIN`` (a receive), ``POLLOUT`` (a send),
        both or neither (libzmq's ``ZMQ_EVENTS``).

        Raises:
            Closed: the socket is closed.
        """
        self._check_open()
        events = PollEvent(self._pool.readiness())
        if self._recv_parts and self._recv_parts.get(_current_task()):
            events |= PollEvent.POLLIN  # the rest of this task's message
        return events

    def watch(self, waiter: asyncio.Future[None], events: int) -> None:
        """Set *waiter*'s result when the socket may have become ready for
        *events* (POLLIN, POLLOUT): a wake-up, after which :attr:`events` says
        what is ready. For pollers (:class:`aiomsg.Poller` is built on it);
        closing the socket sets the exception :class:`Closed` instead.

        Raises:
            Closed: the socket is closed.
            InvalidState: the socket belongs to another event loop.
        """
        self._check_open()
        self._pool.watch(waiter, events)

    def unwatch(self, waiter: asyncio.Future[None]) -> None:
        """Stop waking *waiter* (see :meth:`watch`)."""
        self._pool.unwatch(waiter)

    async def poll(self, timeout: float | None = None, flags: int = PollEvent.POLLIN) -> int:
        """Wait until the socket is ready for *flags* (pyzmq's ``poll``); return
        the events ready, 0 if *timeout* milliseconds passed first (None: no
        limit; 0: do not wait).

        Raises:
            Closed: the socket is (or gets) closed.
            InvalidState: the socket belongs to another event loop.

        Cancelling is safe: polling takes nothing from the socket.
        """
        ready = await wait_ready([(self, flags)], timeout)
        return ready[0][1] if ready else 0

    def subscribe(self, topic: bytes | str) -> None:
        """Receive messages whose first frame starts with *topic* (SUB and XSUB).

        Raises:
            NotSupported: this socket type has no subscriptions.
        """
        raise NotSupported(f"{self.socket_type.name} sockets have no subscriptions")

    def unsubscribe(self, topic: bytes | str) -> None:
        """Undo one :meth:`subscribe` of *topic* (SUB and XSUB).

        Raises:
            NotSupported: this socket type has no subscriptions.
        """
        raise NotSupported(f"{self.socket_type.name} sockets have no subscriptions")

    def stats(self) -> SocketStats:
        """The socket's counters now, and each peer's: messages and bytes in and
        out, drops, reconnects, handshake failures, refused peers, queue depths.

        See :class:`~aiomsg.SocketStats`. Cheap enough to poll: it walks the
        socket's pipes once.
        """
        return self._pool.stats()

    async def join(self, group: bytes | str) -> None:
        """Receive the messages RADIO peers send to *group* (DISH).

        Raises:
            NotSupported: this socket type has no groups.
        """
        raise NotSupported(f"{self.socket_type.name} sockets have no groups")

    async def leave(self, group: bytes | str) -> None:
        """Stop receiving the messages of *group* (DISH).

        Raises:
            NotSupported: this socket type has no groups.
        """
        raise NotSupported(f"{self.socket_type.name} sockets have no groups")

    # -- readiness to await --

    async def wait_peers(self, n: int = 1) -> None:
        """Return once at least *n* peers are connected and past their
        handshake (:attr:`peer_count`), at once if they already are.

        Woken by each peer that links, never by polling. Bound it with
        ``asyncio.timeout()``; cancelling is safe.

        Raises:
            Closed: the socket is (or gets) closed first.
        """
        pool = self._pool
        await pool.wait_until(lambda: pool.peer_count >= n)

    async def wait_subscribed(self, topic: bytes | str = b"", count: int = 1) -> None:
        """PUB and XPUB: return once a message sent now on *topic* would reach
        at least *count* subscribers (their subscriptions prefix *topic*).

        This is what the "slow joiner" sleep of every PUB/SUB tutorial waits
        for, as an event: woken by each subscription that arrives. Bound it
        with ``asyncio.timeout()``; cancelling is safe.

        Raises:
            NotSupported: the socket is not a PUB or an XPUB.
            Closed: the socket is (or gets) closed first.
        """
        sender = self._pool.sender
        if not self.wants_subscriptions or not isinstance(sender, Distribute):
            raise NotSupported(f"{self.socket_type.name} sockets have no subscribers")
        first = topic.encode() if isinstance(topic, str) else bytes(topic)
        await self._pool.wait_until(lambda: sender.subscribers(first) >= count)

    def monitor(self, maxlen: int = 1000) -> Monitor:
        """Start recording this socket's connection events; see :class:`Monitor`."""
        return self._pool.events.monitor(maxlen)

    # -- endpoints -----------------------------------------------------------

    async def bind(self, endpoint: str) -> str:
        """Accept peers at *endpoint*; return it resolved (the real port, path...).

        Raises:
            EndpointError: the endpoint is malformed or its transport unknown.
            AddressInUse: another socket holds the address.
            Closed: the socket is closed.

        Cancelling is safe: the socket is then not bound.
        """
        self._check_open()
        pool = self._pool
        pool.running_loop()
        parsed = parse_endpoint(endpoint)
        try:
            binding = await get_transport(parsed).bind(pool, parsed)
        except AiomsgError as error:
            pool.emit(Event.BIND_FAILED, endpoint, reason=str(error))
            raise
        if pool.closed:
            binding.close()
            raise Closed("socket closed while binding")
        pool.bindings[binding.endpoint] = binding
        pool.emit(Event.LISTENING, binding.endpoint)
        self._last_endpoint = binding.endpoint
        return binding.endpoint

    async def unbind(self, endpoint: str) -> None:
        """Stop accepting peers at *endpoint* (as :meth:`bind` returned it).

        The peers accepted there are disconnected too, as libzmq's
        ``zmq_unbind`` does; messages already received from them stay readable.

        Raises:
            EndpointError: the socket is not bound there.
            Closed: the socket is closed.
        """
        self._check_open()
        binding = self._pool.bindings.pop(endpoint, None)
        if binding is None:
            raise EndpointError(endpoint, "socket is not bound to this endpoint")
        self._pool.flush()
        binding.close()

    async def connect(self, endpoint: str) -> None:
        """Connect to *endpoint*; returns at once.

        The connection is made, and remade after losses (``reconnect_ivl``,
        backing off up to ``reconnect_ivl_max``), in the background. Messages
        sent meanwhile queue in the pipe up to ``sndhwm``.

        Raises:
            EndpointError: the endpoint is malformed or its transport unknown.
            Closed: the socket is closed.
        """
        self._connect(endpoint)

    async def connect_peer(self, endpoint: str) -> int:
        """PEER: :meth:`connect` to *endpoint* and return the routing id of
        that peer (as libzmq's ``zmq_connect_peer``).

        The id is known at once, before the connection exists: messages sent
        to it wait for the peer, up to ``sndhwm``.

        Raises:
            NotSupported: the socket is not a PEER.
            EndpointError, Closed: as :meth:`connect`.
        """
        if self.socket_type is not SocketType.PEER:
            raise NotSupported(f"{self.socket_type.name} sockets have no connect_peer")
        return int.from_bytes(self._connect(endpoint).routing_id, "big")

    def _connect(self, endpoint: str, routing_id: bytes = b"") -> Pipe:
        """Connect a new pipe to *endpoint*; a ROUTER names it *routing_id*
        (its ``connect_routing_id``) before any strategy sees it."""
        self._check_open()
        pool = self._pool
        pool.running_loop()
        parsed = parse_endpoint(endpoint)
        if endpoint in pool.connectors:
            raise EndpointError(endpoint, "already connected to this endpoint")
        transport = get_transport(parsed)
        pipe = pool.new_pipe(endpoint)
        pipe.routing_id = routing_id
        pool.attach(pipe)
        try:
            pool.connectors[endpoint] = transport.connect(pool, parsed, pipe)
        except BaseException:
            pool.detach(pipe)  # a malformed address leaves no pipe behind
            raise
        self._last_endpoint = endpoint
        return pipe

    async def disconnect(self, endpoint: str) -> None:
        """Drop the connection made by :meth:`connect` and stop reconnecting.

        Raises:
            EndpointError: the socket is not connected to *endpoint*.
            Closed: the socket is closed.
        """
        self._check_open()
        pool = self._pool
        connector = pool.connectors.pop(endpoint, None)
        if connector is None:
            raise EndpointError(endpoint, "socket is not connected to this endpoint")
        pool.flush()
        connector.close()
        pool.drop_connector(connector)

    # -- sending -------------------------------------------------------------

    async def send(
        self,
        data: bytes,
        flags: int = 0,
        routing_id: int | None = None,
        group: bytes | str | None = None,
    ) -> None:
        """Send one frame; with ``flags=SNDMORE`` it starts or continues a multipart
        message that the next send without SNDMORE completes and sends atomically.

        SERVER and PEER send to the peer named by *routing_id* (as
        :meth:`recv_from` returned it); RADIO sends to the DISHes that joined
        *group* (``bytes``, or ``str`` sent UTF-8 encoded), as in pyzmq. Pass
        them by keyword: pyzmq's third and fourth parameters are ``copy``
        and ``track``, and a bool in their place raises TypeError.

        Raises:
            HostUnreachable: SERVER and PEER: no peer has *routing_id*.
            InvalidMessage: SNDMORE on a single-frame type; *routing_id* or
                *group* missing where the type needs it, or malformed (id 0,
                a group over 255 bytes or with a NUL).
            NotSupported: *routing_id* or *group* on a type without them.
            TypeError: a bool as *routing_id* or *group* (pyzmq's ``copy``
                or ``track`` passed by position).

        Otherwise see :meth:`send_multipart` for what is raised and for
        cancellation. If the send that completes a multipart message raises
        (``Again``, ``Closed``) or is cancelled, the whole message is
        abandoned, the earlier frames included: start again from the first
        frame.
        """
        # routing_id and group are not keyword-only: CPython 3.11 does not
        # specialize a call to a function with keyword-only parameters, and
        # fills their defaults by dict lookups (~350 instructions per call,
        # callgrind inproc16h 7,394 -> 7,046). _send_addressed refuses the
        # bools a positional pyzmq call (copy, track) would put there.
        if routing_id is not None or group is not None:
            await self._send_addressed(data, flags, routing_id, group)
            return
        # `flags and`: with no flags (the usual call) one truth test, not
        # an `&` (generic in CPython 3.11: ~60 instructions more, callgrind).
        if flags and flags & SNDMORE:
            self._check_open()
            if self._single_frame:
                raise InvalidMessage(f"{self.socket_type.name} messages are a single frame")
            frame = data if type(data) is bytes else _as_bytes(data)
            _frames_of(self._send_parts, _current_task()).append(frame)
            return
        if self._send_parts:
            parts = self._send_parts.pop(_current_task(), None)
            if parts:
                # This task's gathered frames go with this call, whatever
                # happens to it: if it fails (Again, cancelled, closed) the
                # message is abandoned whole, so no leftover frame can prefix
                # a later message.
                await self.send_multipart([*parts, data], flags)
                return
        if type(data) is not bytes:
            data = _as_bytes(data)
        # _send_now, inlined: this is the hot path of the per-message API.
        # The count as _send_now's, with the size tested apart from the
        # increment (one bytecode fewer than a conditional expression).
        ops = self._ops + 1
        if len(data) >= _LARGE:
            ops += len(data) >> _SIZE_SHIFT
        self._ops = ops
        if ops < _YIELD_BUDGET:
            pipe = self._direct_pipe
            if pipe is not None:
                # Pipe._send_to_peer, inlined (inproc: Pool.direct_pipe): no
                # call and no list for the one frame, which goes over as its
                # bytes (~1,180 of 8,615 instructions per 16 B message,
                # callgrind inproc16h). Whatever it does not cover goes
                # through _send_message, which is _send_to_peer itself.
                # tests/sockets/test_hot_paths.py drives both.
                # Pool.direct_pipe is a linked pipe: its peer is set.
                peer: Pipe = pipe.peer  # type: ignore[assignment]
                inbound = peer.inbound
                queued = len(inbound)
                if queued < peer.direct_room and not pipe.backlog:
                    inbound.append(data)
                    pipe.handed += 1  # both pipes' counters: see Pipe.in_count
                    if not queued:
                        peer.events.pipe_readable(peer)
                    return
            # The bound method is read into a local first: calling it straight
            # from its slot takes an unspecialized method lookup (~100
            # instructions more per call under callgrind).
            send_message = self._send_message
            if send_message([data]):
                return
        await self._send_later([data], flags)

    async def send_string(self, text: str, flags: int = 0, encoding: str = "utf-8") -> None:
        """Send *text* encoded (UTF-8 by default) as one frame.

        Raises:
            TypeError: *text* is not a str (send bytes with :meth:`send`).
        """
        if not isinstance(text, str):
            raise TypeError(f"send_string() takes str, not {type(text).__name__}: use send()")
        await self.send(text.encode(encoding), flags)

    async def send_multipart(self, frames: Iterable[Any], flags: int = 0) -> None:
        """Send a message of one or more frames, atomically.

        Waits while the socket cannot take the message: no peer for PUSH,
        DEALER, REQ and PAIR, or every peer at its ``sndhwm``. PUB and XPUB
        never wait: a subscriber at its high-water mark misses the message.

        Raises:
            Again: with ``flags=NOBLOCK``, when the send would wait; or when
                it waited ``sndtimeo`` ms (if that option is 0 or more).
            InvalidState: the socket type's state machine forbids it now
                (REQ awaiting a reply, REP without a request).
            NotSupported: this socket type cannot send.
            Closed: the socket is (or gets) closed.

        Cancelling is safe: the message is then sent whole or not at all,
        and a cancelled call never sends it.
        """
        message = self._as_message(frames)
        if not self._send_now(message):
            await self._send_later(message, flags)

    async def _send_addressed(
        self, data: bytes, flags: int, routing_id: int | None, group: bytes | str | None
    ) -> None:
        """:meth:`send` with a routing id or a group: the strategy gets the
        pair ``[address, body]`` it expects (groups.py, route.py)."""
        if isinstance(routing_id, bool) or isinstance(group, bool):
            raise TypeError(
                "send() takes routing_id and group by keyword: pyzmq's copy and "
                "track have no counterpart here"
            )
        kind = self.socket_type
        body = data if type(data) is bytes else _as_bytes(data)
        if flags & SNDMORE:
            raise InvalidMessage(f"{kind.name} messages are a single frame")
        if routing_id is not None:
            if kind not in _ROUTED:
                raise NotSupported(f"{kind.name} sockets do not send by routing id")
            if group is not None:
                raise InvalidMessage("give a routing_id or a group, not both")
            if not isinstance(routing_id, int) or not 0 < routing_id <= 0xFFFFFFFF:
                # libzmq refuses id 0 with EINVAL (docs/wire/draft.md#server-routing-ids).
                raise InvalidMessage(f"a routing id is a non-zero uint32, not {routing_id!r}")
            message = [routing_id.to_bytes(4, "big"), body]
        else:
            assert group is not None
            if kind is not SocketType.RADIO:
                raise NotSupported(f"{kind.name} sockets do not send to groups")
            message = [as_group(group), body]
            self._pool.check_message(message)
        if not self._send_now(message):
            await self._send_later(message, flags)

    def _as_message(self, frames: Iterable[Any]) -> Message:
        """*frames* as a message this socket type may send."""
        message = _as_frames(frames)
        if self._single_frame and len(message) > 1:
            raise InvalidMessage(f"{self.socket_type.name} messages are a single frame")
        return message

    async def send_many(self, messages: Iterable[Iterable[Any]], flags: int = 0) -> None:
        """Send several messages in order, each a list of frames.

        The batch form of :meth:`send_multipart`: messages that can go at once
        go without suspending; the call waits (or raises :class:`Again` with
        NOBLOCK) only when one cannot. Raises as :meth:`send_multipart`;
        *messages* are all checked first, so a malformed one raises before
        any of them is sent.

        Cancelling is safe per message: every message is sent whole or not at
        all, and the ones before the cancellation have been sent.
        """
        # Our own list per message (the pipes keep them, inproc by
        # reference), made and checked with loops that run in C: every
        # frame bytes, none empty, one frame each where the type says so.
        # Anything else goes through _as_message, which converts or raises.
        batch = list(map(list, messages))
        count = len(batch)
        if (
            not all(batch)
            or not _BYTES_ONLY.issuperset(map(type, chain.from_iterable(batch)))
            or (self._single_frame and sum(map(len, batch)) != count)
        ):
            batch = [self._as_message(message) for message in batch]
        # The whole batch goes down to the strategy in one call per
        # _BATCH_YIELD messages (docs/internals.md); a message it cannot
        # take now waits in the park step of every send, then the batch
        # goes on from the next one.
        for first in range(0, count, _BATCH_YIELD):
            if first:
                await asyncio.sleep(0)  # a long batch must not starve other tasks
            chunk = batch if count <= _BATCH_YIELD else batch[first : first + _BATCH_YIELD]
            end = len(chunk)
            # Read from the slot after every suspension: close() swaps it.
            done = self._send_batch(chunk, 0)
            while done < end:
                await self._send_later(chunk[done], flags)
                done = self._send_batch(chunk, done + 1)

    def send_multipart_nowait(self, frames: Iterable[Any]) -> None:
        """Send a message now or raise :class:`Again`; never waits.

        Raises:
            Again: no peer can take the message now.
            Closed, InvalidState, NotSupported: as :meth:`send_multipart`.
        """
        if not self._send_message(self._as_message(frames)):
            raise Again("send would wait: no peer can take the message now")

    def _send_now(self, message: Message) -> bool:
        """The take-now step of every send: count the call and the size of
        the message's last frame toward the fairness yield (see
        _YIELD_BUDGET), then let the sending strategy take the message.
        False means park (or yield) in :meth:`_send_later`."""
        size = len(message[-1])
        self._ops += 1 if size < _LARGE else 1 + (size >> _SIZE_SHIFT)
        return self._ops < _YIELD_BUDGET and self._send_message(message)

    async def _send_later(self, message: Message, flags: int) -> None:
        """The park step of every send: yield for fairness, or wait for room."""
        if self._ops >= _YIELD_BUDGET:
            # A send that never suspends would starve other tasks: yield
            # before sending, so that cancelling here sends nothing.
            self._ops = 0
            await asyncio.sleep(0)
            if self._send_message(message):
                return
        if flags & NOBLOCK:
            raise Again("send would wait: no peer can take the message now")
        timeout = self._options["sndtimeo"]
        if timeout < 0:
            await self._wait_to_send(message)
            return
        # The sndtimeo option (ported code); asyncio.timeout() is the
        # idiomatic bound. Read only here, off the path of sends that need
        # not wait.
        try:
            async with asyncio.timeout(timeout / 1000):
                await self._wait_to_send(message)
        except TimeoutError:
            raise Again(f"send would wait longer than sndtimeo ({timeout} ms)") from None

    async def _wait_to_send(self, message: Message) -> None:
        while True:
            await self._pool.writable()
            self._ops = 0  # we suspended: the fairness count starts again
            if self._send_message(message):
                return

    # -- receiving -----------------------------------------------------------

    async def recv(self, flags: int = 0) -> bytes:
        """Receive one frame: the next frame of the current message, if it had
        more (see :attr:`rcvmore`), else the first frame of the next message.

        See :meth:`recv_multipart` for what is raised and for cancellation.
        """
        if self._recv_parts:
            task = _current_task()
            parts = self._recv_parts.get(task)
            if parts:
                frame = parts.pop(0)
                if not parts:
                    del self._recv_parts[task]
                # Its bytes count; the call itself did with the first frame.
                self._ops += len(frame) >> _SIZE_SHIFT
                return frame
        # _recv_now, inlined: this is the hot path of the per-message API.
        ready = self._ready_pipes
        ops = self._ops  # read once: the take below counts from it
        if ready and ops < _YIELD_BUDGET:
            # FairQueue.recv, inlined too (Receiver.ready_queue): one Python
            # call fewer per message, ~450 instructions of ~3,900 for the
            # call path (callgrind). tests/sockets/test_hot_paths.py drives
            # this copy, recv_multipart's and FairQueue.recv alike.
            #
            # This block must stay short: CPython 3.11 specializes the
            # comparison above only when the jump after it fits in one byte
            # (at most 255 code units to the else below; a longer block adds
            # an EXTENDED_ARG, and the generic comparison costs ~150
            # instructions more per message, callgrind inproc16). What both
            # takes share (the count, the waiters, the frames) comes after.
            # To check: in dis.get_instructions(Socket.recv), every
            # COMPARE_OP is followed by a POP_JUMP, not an EXTENDED_ARG.
            pipe = ready.popleft()
            inbound = pipe.inbound
            message = inbound.popleft()
            if inbound:
                ready.append(pipe)
            if pipe.reading_paused and len(inbound) <= pipe.resume_at:
                pipe.maybe_resume_reading()
            self._recv_strategy.last = pipe  # type: ignore[union-attr]  # set with ready
        else:
            # Another receiving strategy (the bound method read into a local
            # first, as in send()); a FairQueue holding nothing needs no call.
            recv_message = self._recv_message
            taken = recv_message() if ready is None and ops < _YIELD_BUDGET else None
            if taken is None:
                # _recv_later's usual choice, inlined (one call fewer per wait,
                # two per REQ/REP round trip); every other case goes through it.
                if flags or self._ops >= _YIELD_BUDGET or self._options["rcvtimeo"] >= 0:
                    message = await self._recv_later(flags)
                else:
                    message = await self._wait_to_recv()
                # The park step counted it and passed the turn on.
                if type(message) is bytes:
                    return message  # one frame, queued as its bytes
                frames: Message = message  # type: ignore[assignment]  # not bytes: a list
                if len(frames) > 1:
                    # The other frames wait for this task's next recv() calls.
                    _frames_of(self._recv_parts, _current_task())[:] = frames[1:]
                return frames[0]
            message = taken
        # Counted once taken (its size known only then): the next call yields.
        if type(message) is bytes:
            # One frame, queued as its bytes (Delivered): handed out as it
            # is, no list to take apart. tests/sockets/test_single_frame_queue.py
            # drives both forms through every take. (Neither take suspends:
            # ops is still the count.)
            self._ops = ops + 1
            if len(message) >= _LARGE:  # apart, as in send()
                self._ops += len(message) >> _SIZE_SHIFT
            if self._recv_waiters:
                self._pool.wake_receiver()
            return message
        frames = message  # type: ignore[assignment]  # not bytes: a list
        self._ops += 1 if len(frames[0]) < _LARGE else 1 + (len(frames[0]) >> _SIZE_SHIFT)
        if self._recv_waiters:
            self._pool.wake_receiver()
        if len(frames) > 1:
            # The other frames wait for this task's next recv() calls.
            _frames_of(self._recv_parts, _current_task())[:] = frames[1:]
        return frames[0]

    async def recv_string(self, flags: int = 0, encoding: str = "utf-8") -> str:
        """Receive one frame decoded as text (UTF-8 by default)."""
        return (await self.recv(flags)).decode(encoding)

    async def recv_multipart(self, flags: int = 0) -> list[bytes]:
        """Receive the next whole message as a list of frames.

        Raises:
            Again: with ``flags=NOBLOCK``, when no message is waiting; or when
                none came within ``rcvtimeo`` ms (if that option is 0 or more).
            InvalidState: the socket type's state machine forbids it now
                (REQ before sending a request, REP with a reply pending).
            NotSupported: this socket type cannot receive.
            Closed: the socket is (or gets) closed.

        Cancelling is safe: a message is taken from the queue only when the
        call returns it, so a cancelled call loses nothing.
        """
        if self._recv_parts:
            parts = self._recv_parts.pop(_current_task(), None)
            if parts:
                return parts  # the rest of the message this task began with recv()
        ready = self._ready_pipes
        if ready and self._ops < _YIELD_BUDGET:
            # _recv_now and FairQueue.recv, inlined as in recv(): two Python
            # calls fewer per message for the multipart and typed APIs.
            pipe = ready.popleft()
            inbound = pipe.inbound
            message = inbound.popleft()
            if inbound:
                ready.append(pipe)
            if pipe.reading_paused and len(inbound) <= pipe.resume_at:
                pipe.maybe_resume_reading()
            self._recv_strategy.last = pipe  # type: ignore[union-attr]  # set with ready
        else:
            # Kept apart from the block above, which must stay short (see recv()).
            taken = self._recv_now() if ready is None else None
            if taken is None:
                taken = await self._recv_later(flags)
            return [taken] if type(taken) is bytes else taken  # type: ignore[return-value]
        if type(message) is bytes:
            # One frame, queued as its bytes: the list the API promises is
            # made here, as it is handed out.
            size = len(message)
            frames = [message]
        else:
            frames = message  # type: ignore[assignment]  # not bytes: a list
            size = len(frames[-1])  # its last frame, as _recv_now counts
        self._ops += 1 if size < _LARGE else 1 + (size >> _SIZE_SHIFT)
        if self._recv_waiters:
            self._pool.wake_receiver()
        return frames

    async def recv_with_properties(self, flags: int = 0) -> tuple[list[bytes], dict[str, str]]:
        """Receive the next message with the properties of the peer that sent it.

        The properties use libzmq's names (as ``zmq_msg_gets``): ``Socket-Type``,
        ``Identity``, ``Peer-Address``, ``User-Id`` (set by an authenticator)
        and any metadata the peer or the authenticator attached.

        Raises and cancels as :meth:`recv_multipart`.
        """
        message = await self.recv_multipart(flags)
        receiver = self._pool.receiver
        pipe = receiver.last if receiver is not None else None
        if pipe is None:
            return message, {}
        properties = {
            name.decode("ascii", "replace"): value.decode("utf-8", "replace")
            for name, value in pipe.peer_properties.items()
        }
        properties["Peer-Address"] = peer_host(pipe.peer_address)
        return message, properties

    async def recv_from(self, flags: int = 0) -> tuple[bytes, int]:
        """SERVER and PEER: the next message, and the routing id of the peer
        that sent it (reply with ``send(data, routing_id=...)``).

        Raises:
            NotSupported: this socket type has no routing ids.

        Otherwise raises and cancels as :meth:`recv_multipart`.
        """
        if self.socket_type not in _ROUTED:
            raise NotSupported(f"{self.socket_type.name} sockets have no routing ids")
        message = await self.recv_multipart(flags)
        pipe = self._pool.receiver.last if self._pool.receiver is not None else None
        assert pipe is not None
        return message[0], int.from_bytes(pipe.routing_id, "big")

    async def recv_with_group(self, flags: int = 0) -> tuple[bytes, bytes]:
        """DISH: the next message and the group it was sent to.

        Raises:
            NotSupported: this socket type has no groups.

        Otherwise raises and cancels as :meth:`recv_multipart`.
        """
        receiver = self._pool.receiver
        if not isinstance(receiver, GroupQueue):
            raise NotSupported(f"{self.socket_type.name} sockets have no groups")
        message = await self.recv_multipart(flags)
        return message[0], receiver.last_group

    async def recv_many(self, max_messages: int = 1024, flags: int = 0) -> list[list[bytes]]:
        """Receive every message already waiting, up to *max_messages*; if none is
        waiting, wait for one first. Returns at least one message.

        The batch form of :meth:`recv_multipart`; raises and cancels as it does
        (nothing is taken from the queues unless it is returned).
        """
        limit = max(max_messages, 1)
        parts = self._recv_parts.pop(_current_task(), None) if self._recv_parts else None
        if parts:
            messages = [parts]  # the rest of the message this task began with recv()
        else:
            # The take-now step of recv_multipart, for a batch: one call to
            # the receiving strategy, counted once toward the fairness yield.
            recv_batch = self._recv_batch
            self._ops += 1
            taken = recv_batch(limit) if self._ops < _YIELD_BUDGET else []
            if taken:
                if self._recv_waiters:
                    # Another receiver may be waiting for a message that is
                    # already here (only the first arrival on a pipe wakes anyone).
                    self._pool.wake_receiver()
                return _lists(taken)
            messages = _lists([await self._recv_later(flags)])
        if limit > 1:
            # The first message came from elsewhere (a wait, or the task's
            # own frames): add what is waiting behind it.
            with contextlib.suppress(InvalidState):  # REQ/REP: one message per turn
                messages += _lists(self._recv_batch(limit - 1))
        if self._recv_waiters:
            self._pool.wake_receiver()  # as above
        return messages

    def recv_multipart_nowait(self) -> list[bytes]:
        """Return the next message now or raise :class:`Again`; never waits.

        Raises:
            Again: no message is waiting.
            Closed, InvalidState, NotSupported: as :meth:`recv_multipart`.
        """
        if self._recv_parts:
            parts = self._recv_parts.pop(_current_task(), None)
            if parts:
                return parts
        message = self._recv_message()
        if message is None:
            raise Again("no message is waiting")
        if self._recv_waiters:
            self._pool.wake_receiver()
        return message_frames(message)

    def _recv_now(self) -> Delivered | None:
        """The take-now step of every receive: take a message from the
        receiving strategy unless the fairness yield is due, count the call
        and the message's size toward it, and pass the turn on if more are
        waiting. None means park (or yield) in :meth:`_recv_later`."""
        if self._ops >= _YIELD_BUDGET:
            return None
        recv_message = self._recv_message  # a local: see send()
        message = recv_message()
        if message is not None:
            # Its last frame (see _YIELD_BUDGET): the bytes of the one, as queued.
            size = len(message) if type(message) is bytes else len(message[-1])  # type: ignore[arg-type]
            self._ops += 1 if size < _LARGE else 1 + (size >> _SIZE_SHIFT)
            if self._recv_waiters:
                # Another receiver may be waiting for a message that is
                # already here (only the first arrival on a pipe wakes anyone).
                self._pool.wake_receiver()
        return message

    def _recv_later(self, flags: int) -> Coroutine[Any, Any, Delivered]:
        """The park step of every receive: what to await instead of a message
        (a fairness yield, or a wait bounded by rcvtimeo or not).

        A plain function that returns the coroutine to await, so that a
        receive waiting on the hot path is two coroutine frames (``recv``
        and :meth:`_wait_to_recv`), each resumed on every wake-up.

        Raises:
            Again: with NOBLOCK, when no message is waiting.
        """
        if self._ops >= _YIELD_BUDGET:
            return self._yield_then_recv(flags)
        if flags & NOBLOCK:
            raise Again("no message is waiting")
        timeout = self._options["rcvtimeo"]
        if timeout < 0:
            return self._wait_to_recv()
        return self._wait_to_recv_within(timeout)

    async def _yield_then_recv(self, flags: int) -> Delivered:
        # A receive that never suspends would starve other tasks.
        self._ops = 0
        await asyncio.sleep(0)
        message = self._recv_now()
        if message is not None:
            return message
        return await self._recv_later(flags)

    async def _wait_to_recv_within(self, timeout: int) -> Delivered:
        # The rcvtimeo option, as sndtimeo in _send_later.
        try:
            async with asyncio.timeout(timeout / 1000):
                return await self._wait_to_recv()
        except TimeoutError:
            raise Again(f"no message within rcvtimeo ({timeout} ms)") from None

    async def _wait_to_recv(self) -> Delivered:
        """Park until a message arrives and take it.

        Raises Closed when the socket closes meanwhile. Cancelling is safe:
        the pool passes a wake-up that came with the cancellation on to the
        next receiver (:meth:`Pool.forget_recv_waiter`).
        """
        pool = self._pool
        while True:
            waiter = pool.recv_waiter()
            try:
                await waiter
            except BaseException as error:
                pool.forget_recv_waiter(waiter)
                if isinstance(error, RuntimeError):
                    # The waiter's loop is not the running one (asyncio says
                    # so this way): a socket used under a second event loop.
                    pool.running_loop()  # raises InvalidState if so
                raise
            # _recv_now, inlined (its fairness count starts again: we
            # suspended); tests/sockets/test_hot_paths.py drives both. The
            # bound method through a local, as in send().
            self._ops = 1
            recv_message = self._recv_message
            message = recv_message()
            if message is not None:
                if self._recv_waiters:
                    self._pool.wake_receiver()
                return message

    def __aiter__(self) -> Socket:
        return self

    async def __anext__(self) -> list[bytes]:
        """The next message; iteration ends when the socket is closed."""
        try:
            return await self.recv_multipart()
        except Closed:
            raise StopAsyncIteration from None

    # -- closing -------------------------------------------------------------

    def _check_open(self) -> None:
        if self._pool.closed:
            raise Closed("socket is closed")

    def _raise_closed(self, *_: Any) -> NoReturn:
        raise Closed("socket is closed")

    def close(self, linger: int | None = None) -> None:
        """Close the socket; returns at once. Idempotent.

        Listeners stop accepting at once. Messages already queued, for
        connected and accepted peers alike, keep being sent in the background
        for up to *linger* ms (the ``linger`` option when None; -1 = until
        they are all sent, 0 = drop them now); then every connection is
        closed. Await :meth:`aclose` to wait for that.
        """
        pool = self._pool
        linger = self.linger if linger is None else linger
        if pool.closed:
            if linger == 0 and self._linger_task is not None:
                self._linger_task.cancel()  # stop lingering now
            return
        pool.closed = True
        pool.flush()  # messages held for the end of the tick linger too
        self._send_message = self._recv_message = self._raise_closed
        self._send_batch = self._recv_batch = self._raise_closed
        self._ready_pipes = self._direct_pipe = None
        # Peers accepted already stay until lingering ends: they may have
        # messages queued for them.
        pool.stop_accepting()
        pool.fail_waiters(Closed("socket closed"))
        for waiter in self._close_waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._close_waiters.clear()
        if linger == 0 or not pool.has_unsent() or not self._on_own_loop():
            pool.close()
        else:
            self._linger_task = pool.running_loop().create_task(self._linger(linger))

    def _on_own_loop(self) -> bool:
        """Whether the socket's loop is running this call (lingering needs it)."""
        try:
            return asyncio.get_running_loop() is self._pool.loop
        except RuntimeError:
            return False

    async def wait_closed(self) -> None:
        """Return once :meth:`close` has been called (at once if it has).

        For code that serves a socket it does not own. Cancelling is safe.
        """
        if self.closed:
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._close_waiters.append(waiter)
        try:
            await waiter
        finally:
            if waiter in self._close_waiters:
                self._close_waiters.remove(waiter)

    async def aclose(self, linger: int | None = None) -> None:
        """Close the socket and wait until lingering messages are sent (or dropped).

        On a socket closed earlier, wait for its lingering to end.
        Cancelling stops the wait; the connections are then closed at once.
        """
        self.close(linger)
        task = self._linger_task
        if task is not None:
            try:
                await asyncio.shield(task)
            except asyncio.CancelledError:
                task.cancel()
                raise

    async def _linger(self, linger: int) -> None:
        pool = self._pool
        loop = asyncio.get_running_loop()
        deadline = None if linger < 0 else loop.time() + linger / 1000
        try:
            # Flushing completes inside transports that give no completion
            # signal, so lingering checks on a short period, bounded by linger.
            while pool.has_unsent() and (deadline is None or loop.time() < deadline):
                await asyncio.sleep(0.005)
        finally:
            pool.close()

    async def _aclose_now(self) -> None:
        self.close(linger=0)


# pyzmq's Socket names that aiomsg lacks on purpose raise an AttributeError
# naming the replacement: one class attribute each, not a __getattr__ (see
# aiomsg._replacements).
install_replacements(Socket, "Socket")
