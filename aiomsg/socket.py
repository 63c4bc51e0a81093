"""The socket every type shares: options, pipes, waiting, binding and closing.

A socket type is a thin subclass that picks its strategies
(:mod:`aiomsg.strategies`); this module holds everything they have in common.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from aiomsg.closing import ClosesOnExit
from aiomsg.constants import NOBLOCK, SocketType
from aiomsg.endpoint import parse_endpoint
from aiomsg.errors import (
    Again,
    AiomsgError,
    Closed,
    EndpointError,
    InvalidState,
    NotSupported,
)
from aiomsg.monitor import Event, EventHub, Monitor
from aiomsg.options import DEFAULTS, Option, check_option
from aiomsg.pipe import Link, Message, Pipe, peer_host
from aiomsg.security.mechanism import Mechanism, ZapReply, ZapRequest
from aiomsg.serialization import TypedMessages
from aiomsg.strategies.base import Receiver, Sender, Strategy
from aiomsg.transports import Binding, Connection, get_transport

if TYPE_CHECKING:
    from aiomsg.context import Context

__all__ = ["SNDMORE", "Socket"]

#: ``send(data, flags=SNDMORE)``: more frames of this message follow (as in pyzmq).
SNDMORE = 2

# A send or receive that completes without suspending yields to the event loop
# once every this many calls, so one busy socket cannot starve the others.
_YIELD_EVERY = 64
# send_many() yields once per this many messages, for the same reason.
_BATCH_YIELD = 1024


def _as_frames(frames: Iterable[Any]) -> Message:
    message = [frame if type(frame) is bytes else _as_bytes(frame) for frame in frames]
    if not message:
        raise ValueError("a message needs at least one frame")
    return message


def _as_bytes(frame: Any) -> bytes:
    if isinstance(frame, str):
        raise TypeError("frames are bytes; use send_string() or encode str yourself")
    try:
        return memoryview(frame).tobytes()  # any buffer; not bytes(int)
    except TypeError:
        raise TypeError(f"a frame must be bytes-like, not {type(frame).__name__}") from None


def _drop_message(pipe: Pipe, message: Message) -> None:
    return None


class Socket(TypedMessages, ClosesOnExit):
    """An asyncio ZeroMQ socket. Create it with :meth:`Context.socket`.

    Options are keyword arguments of :meth:`Context.socket` and attributes of
    the socket (``sndhwm``, ``rcvhwm``, ``linger``, ``identity``,
    ``reconnect_ivl``, ``reconnect_ivl_max``, ``maxmsgsize``,
    ``handshake_ivl``, ``router_mandatory``); see :mod:`aiomsg.options`.
    """

    socket_type: ClassVar[SocketType]
    #: Whether the peer's SUBSCRIBE/CANCEL reach this socket (PUB and XPUB).
    wants_subscriptions: ClassVar[bool] = False

    sndhwm = Option[int]()
    rcvhwm = Option[int]()
    linger = Option[int]()
    identity = Option[bytes]()
    reconnect_ivl = Option[int]()
    reconnect_ivl_max = Option[int]()
    maxmsgsize = Option[int]()
    handshake_ivl = Option[int]()
    router_mandatory = Option[bool]()
    immediate = Option[bool]()
    heartbeat_ivl = Option[int]()
    heartbeat_timeout = Option[int]()
    heartbeat_ttl = Option[int]()
    plain_server = Option[bool]()
    plain_username = Option[bytes]()
    plain_password = Option[bytes]()
    curve_server = Option[bool]()
    curve_secretkey = Option[bytes]()
    curve_publickey = Option[bytes]()
    curve_serverkey = Option[bytes]()
    zap_domain = Option[bytes]()

    def __init__(self, context: Context, **options: Any) -> None:
        self._options: dict[str, Any] = dict(DEFAULTS)
        for name, value in options.items():
            self._options[name] = check_option(name, value)
        self.context = context
        self._sender: Sender | None = None
        self._receiver: Receiver | None = None
        # The strategies' send/recv, bound once (the hot path calls them directly).
        self._send_message: Callable[[Message], bool] = self._cannot_send
        self._recv_message: Callable[[], Message | None] = self._cannot_recv
        self._strategies: tuple[Strategy, ...] = ()
        self._pipes: list[Pipe] = []
        self._bindings: dict[str, Binding] = {}
        self._connections: dict[str, Connection] = {}
        self._recv_waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._send_waiters: list[asyncio.Future[None]] = []
        self._send_parts: Message = []
        self._recv_parts: Message = []
        self._ops = 0
        self._closed = False
        self._close_waiters: list[asyncio.Future[None]] = []
        self._linger_task: asyncio.Task[None] | None = None
        self._events = EventHub(self.socket_type.name)

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"{len(self._pipes)} pipes"
        return f"<aiomsg.Socket {self.socket_type.name} {state}>"

    def _use(self, sender: Sender | None, receiver: Receiver | None) -> None:
        """Install the strategies of a socket type (called by subclasses)."""
        self._sender = sender
        self._receiver = receiver
        self._send_message = sender.send if sender is not None else self._cannot_send
        self._recv_message = receiver.recv if receiver is not None else self._cannot_recv
        self._strategies = tuple(dict.fromkeys(s for s in (sender, receiver) if s is not None))

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
        return self._closed

    @property
    def peer_count(self) -> int:
        """The number of peers currently connected and past their handshake."""
        return sum(1 for pipe in self._pipes if pipe.link is not None)

    @property
    def rcvmore(self) -> bool:
        """After :meth:`recv`: whether more frames of the same message remain."""
        return bool(self._recv_parts)

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

    def monitor(self, maxlen: int = 1000) -> Monitor:
        """Start recording this socket's connection events; see :class:`Monitor`."""
        return self._events.monitor(maxlen)

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
        parsed = parse_endpoint(endpoint)
        try:
            binding = await get_transport(parsed).bind(self, parsed)
        except AiomsgError as error:
            self._events.emit(Event.BIND_FAILED, endpoint, reason=str(error))
            raise
        if self._closed:
            binding.close()
            raise Closed("socket closed while binding")
        self._bindings[binding.endpoint] = binding
        self._events.emit(Event.LISTENING, binding.endpoint)
        return binding.endpoint

    async def unbind(self, endpoint: str) -> None:
        """Stop accepting peers at *endpoint* (as :meth:`bind` returned it).

        The peers accepted there are disconnected too, as libzmq's
        ``zmq_unbind`` does; messages already received from them stay readable.

        Raises:
            EndpointError: the socket is not bound there.
        """
        self._check_open()
        binding = self._bindings.pop(endpoint, None)
        if binding is None:
            raise EndpointError(endpoint, "socket is not bound to this endpoint")
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
        self._check_open()
        parsed = parse_endpoint(endpoint)
        if endpoint in self._connections:
            raise EndpointError(endpoint, "already connected to this endpoint")
        transport = get_transport(parsed)
        pipe = self._new_pipe(endpoint)
        self._attach(pipe)
        try:
            self._connections[endpoint] = transport.connect(self, parsed, pipe)
        except BaseException:
            self._detach(pipe)  # a malformed address leaves no pipe behind
            raise

    async def disconnect(self, endpoint: str) -> None:
        """Drop the connection made by :meth:`connect` and stop reconnecting.

        Raises:
            EndpointError: the socket is not connected to *endpoint*.
        """
        self._check_open()
        connection = self._connections.pop(endpoint, None)
        if connection is None:
            raise EndpointError(endpoint, "socket is not connected to this endpoint")
        connection.close()
        self._detach(connection.pipe)

    # -- sending -------------------------------------------------------------

    async def send(self, data: bytes, flags: int = 0) -> None:
        """Send one frame; with ``flags=SNDMORE`` it starts or continues a multipart
        message that the next send without SNDMORE completes and sends atomically.

        See :meth:`send_multipart` for what is raised and for cancellation.
        """
        if flags & SNDMORE:
            self._check_open()
            self._send_parts.append(data if type(data) is bytes else _as_bytes(data))
            return
        if self._send_parts:
            # The frames gathered with SNDMORE are kept if this send fails
            # (Again, cancelled), so the last frame can simply be sent again.
            await self.send_multipart([*self._send_parts, data], flags)
            self._send_parts = []
            return
        message = [data if type(data) is bytes else _as_bytes(data)]
        # The fast path: no coroutine is awaited when the message is taken at once.
        if self._closed:
            raise Closed("socket is closed")
        self._ops += 1
        if self._ops >= _YIELD_EVERY or not self._send_message(message):
            await self._send_later(message, flags)

    async def send_string(self, text: str, flags: int = 0, encoding: str = "utf-8") -> None:
        """Send *text* encoded (UTF-8 by default) as one frame."""
        await self.send(text.encode(encoding), flags)

    async def send_multipart(self, frames: Iterable[Any], flags: int = 0) -> None:
        """Send a message of one or more frames, atomically.

        Waits while the socket cannot take the message: no peer for PUSH,
        DEALER, REQ and PAIR, or every peer at its ``sndhwm``. PUB and XPUB
        never wait: a subscriber at its high-water mark misses the message.

        Raises:
            Again: with ``flags=NOBLOCK``, when the send would wait.
            InvalidState: the socket type's state machine forbids it now
                (REQ awaiting a reply, REP without a request).
            NotSupported: this socket type cannot send.
            Closed: the socket is (or gets) closed.

        Cancelling is safe: the message is then sent whole or not at all,
        and a cancelled call never sends it.
        """
        message = _as_frames(frames)
        self._ops += 1
        if self._ops >= _YIELD_EVERY or not self._try_send(message):
            await self._send_later(message, flags)

    async def send_many(self, messages: Iterable[Iterable[Any]], flags: int = 0) -> None:
        """Send several messages in order, each a list of frames.

        The batch form of :meth:`send_multipart`: messages that can go at once
        go without suspending; the call waits (or raises :class:`Again` with
        NOBLOCK) only when one cannot. Raises as :meth:`send_multipart`.

        Cancelling is safe per message: every message is sent whole or not at
        all, and the ones before the cancellation have been sent.
        """
        if self._closed:
            raise Closed("socket is closed")
        send_message = self._send_message
        for count, frames in enumerate(messages, 1):
            message = _as_frames(frames)
            if count % _BATCH_YIELD == 0:
                await asyncio.sleep(0)  # a long batch must not starve other tasks
            if not send_message(message):
                await self._send_later(message, flags)

    def send_multipart_nowait(self, frames: Iterable[Any]) -> None:
        """Send a message now or raise :class:`Again`; never waits."""
        if not self._try_send(_as_frames(frames)):
            raise Again("send would wait: no peer can take the message now")

    def _try_send(self, message: Message) -> bool:
        if self._closed:
            raise Closed("socket is closed")
        return self._send_message(message)

    def _cannot_send(self, message: Message) -> bool:
        raise NotSupported(f"{self.socket_type.name} sockets cannot send")

    def _cannot_recv(self) -> Message | None:
        raise NotSupported(f"{self.socket_type.name} sockets cannot receive")

    async def _send_later(self, message: Message, flags: int) -> None:
        """The slow path of a send: yield for fairness, or wait for room."""
        if self._ops >= _YIELD_EVERY:
            # A send that never suspends would starve other tasks: yield
            # before sending, so that cancelling here sends nothing.
            self._ops = 0
            await asyncio.sleep(0)
            if self._try_send(message):
                return
        if flags & NOBLOCK:
            raise Again("send would wait: no peer can take the message now")
        loop = asyncio.get_running_loop()
        while True:
            waiter: asyncio.Future[None] = loop.create_future()
            self._send_waiters.append(waiter)
            try:
                await waiter
            finally:
                if waiter in self._send_waiters:
                    self._send_waiters.remove(waiter)
            if self._try_send(message):
                return

    def _pipe_writable(self) -> None:
        """A pipe gained room or a peer arrived: let waiting senders retry."""
        waiters, self._send_waiters = self._send_waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    # -- receiving -----------------------------------------------------------

    async def recv(self, flags: int = 0) -> bytes:
        """Receive one frame: the next frame of the current message, if it had
        more (see :attr:`rcvmore`), else the first frame of the next message.

        See :meth:`recv_multipart` for what is raised and for cancellation.
        """
        parts = self._recv_parts
        if not parts:
            if self._closed:
                raise Closed("socket is closed")
            self._ops += 1
            message = self._recv_message() if self._ops < _YIELD_EVERY else None
            if message is not None:
                if self._recv_waiters:
                    self._wake_receiver()  # see _try_recv
            else:
                message = await self._recv_later(flags)
            if len(message) > 1:
                # The other frames wait for the next recv() calls.
                self._recv_parts = message[1:]
            return message[0]
        return parts.pop(0)

    async def recv_string(self, flags: int = 0, encoding: str = "utf-8") -> str:
        """Receive one frame decoded as text (UTF-8 by default)."""
        return (await self.recv(flags)).decode(encoding)

    async def recv_multipart(self, flags: int = 0) -> list[bytes]:
        """Receive the next whole message as a list of frames.

        Raises:
            Again: with ``flags=NOBLOCK``, when no message is waiting.
            InvalidState: the socket type's state machine forbids it now
                (REQ before sending a request, REP with a reply pending).
            NotSupported: this socket type cannot receive.
            Closed: the socket is (or gets) closed.

        Cancelling is safe: a message is taken from the queue only when the
        call returns it, so a cancelled call loses nothing.
        """
        if self._recv_parts:
            parts, self._recv_parts = self._recv_parts, []
            return parts
        if self._closed:
            raise Closed("socket is closed")
        self._ops += 1
        message = self._recv_message() if self._ops < _YIELD_EVERY else None
        if message is None:
            return await self._recv_later(flags)
        if self._recv_waiters:
            self._wake_receiver()  # see _try_recv
        return message

    async def recv_with_properties(self, flags: int = 0) -> tuple[list[bytes], dict[str, str]]:
        """Receive the next message with the properties of the peer that sent it.

        The properties use libzmq's names (as ``zmq_msg_gets``): ``Socket-Type``,
        ``Identity``, ``Peer-Address``, ``User-Id`` (set by an authenticator)
        and any metadata the peer or the authenticator attached.

        Raises and cancels as :meth:`recv_multipart`.
        """
        message = await self.recv_multipart(flags)
        assert self._receiver is not None
        pipe = self._receiver.last
        if pipe is None:
            return message, {}
        properties = {
            name.decode("ascii", "replace"): value.decode("utf-8", "replace")
            for name, value in pipe.peer_properties.items()
        }
        properties["Peer-Address"] = peer_host(pipe.peer_address)
        return message, properties

    async def recv_many(self, max_messages: int = 1024, flags: int = 0) -> list[list[bytes]]:
        """Receive every message already waiting, up to *max_messages*; if none is
        waiting, wait for one first. Returns at least one message.

        The batch form of :meth:`recv_multipart`; raises and cancels as it does
        (nothing is taken from the queues unless it is returned).
        """
        messages = [await self.recv_multipart(flags)]
        recv_message = self._recv_message
        while len(messages) < max_messages:
            try:
                message = recv_message()
            except InvalidState:
                break  # REQ/REP: one message per turn of the lockstep
            if message is None:
                break
            messages.append(message)
        if self._recv_waiters and len(messages) == max_messages:
            self._wake_receiver()
        return messages

    def recv_multipart_nowait(self) -> list[bytes]:
        """Return the next message now or raise :class:`Again`; never waits."""
        if self._recv_parts:
            parts, self._recv_parts = self._recv_parts, []
            return parts
        message = self._try_recv()
        if message is None:
            raise Again("no message is waiting")
        return message

    def _try_recv(self) -> Message | None:
        if self._closed:
            raise Closed("socket is closed")
        message = self._recv_message()
        if message is not None and self._recv_waiters:
            # Another receiver may be waiting for a message that is already
            # here (only the first arrival on a pipe wakes anyone).
            self._wake_receiver()
        return message

    async def _recv_later(self, flags: int) -> Message:
        """The slow path of a receive: yield for fairness, or wait for a message."""
        if self._ops >= _YIELD_EVERY:
            self._ops = 0
            await asyncio.sleep(0)
            message = self._try_recv()
            if message is not None:
                return message
        elif self._closed:
            raise Closed("socket is closed")
        if flags & NOBLOCK:
            raise Again("no message is waiting")
        loop = asyncio.get_running_loop()
        while True:
            waiter: asyncio.Future[None] = loop.create_future()
            self._recv_waiters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    # We were woken for a message but will not take it: pass it on.
                    self._wake_receiver()
                raise
            finally:
                if waiter in self._recv_waiters:
                    self._recv_waiters.remove(waiter)
            message = self._try_recv()
            if message is not None:
                return message

    def _wake_receiver(self) -> None:
        waiters = self._recv_waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def _pipe_readable(self, pipe: Pipe) -> None:
        """*pipe* went from empty to holding a message."""
        assert self._receiver is not None
        self._receiver.readable(pipe)
        if self._recv_waiters:
            self._wake_receiver()

    def __aiter__(self) -> Socket:
        return self

    async def __anext__(self) -> list[bytes]:
        """The next message; iteration ends when the socket is closed."""
        try:
            return await self.recv_multipart()
        except Closed:
            raise StopAsyncIteration from None

    # -- pipes and peers (called by transports) ------------------------------

    def _new_mechanism(self) -> Mechanism:
        """The security mechanism for a new tcp/ipc connection, from the options
        (the role comes from the options, not from who connected, as in libzmq)."""
        from aiomsg.security.config import mechanism_for

        return mechanism_for(self._options)

    async def _authenticate(self, request: ZapRequest, peer_address: str) -> ZapReply:
        """Answer a mechanism's authentication request (ZAP semantics) with the
        context's authenticator, or libzmq's rules when none is running."""
        from aiomsg.security.auth import AuthRequest, default_reply

        mechanism = request.mechanism.decode("ascii", "replace")
        authenticator = self.context.authenticator
        if authenticator is None:
            return default_reply(mechanism)
        return await authenticator.authenticate(
            AuthRequest(
                domain=self.zap_domain.decode("utf-8", "replace"),
                address=peer_host(peer_address),
                identity=self.identity,
                mechanism=mechanism,
                credentials=request.credentials,
            )
        )

    def _new_pipe(self, endpoint: str) -> Pipe:
        pipe = Pipe(self, endpoint)
        pipe.inbound_filter = self._inbound_filter()
        return pipe

    def _inbound_filter(self) -> Any:
        """The per-message hook for new pipes (SUB filtering...); None for most types.

        A socket that cannot receive (PUSH) drops whatever its peers send.
        """
        return None if self._receiver is not None else _drop_message

    def _attach(self, pipe: Pipe) -> None:
        self._pipes.append(pipe)
        for strategy in self._strategies:
            strategy.attach(pipe)
        if self._send_waiters:
            self._pipe_writable()

    def _detach(self, pipe: Pipe) -> None:
        if pipe not in self._pipes:
            return
        self._pipes.remove(pipe)
        link = pipe.link
        if link is not None:
            self._unlink(pipe)
            link.close("pipe detached")
        for strategy in self._strategies:
            strategy.detach(pipe)

    def _peer_ready(
        self,
        pipe: Pipe | None,
        link: Link,
        endpoint: str,
        peer_address: str,
        properties: dict[bytes, bytes],
    ) -> Pipe | None:
        """A peer finished its handshake; link it to its pipe, or refuse it.

        *pipe* is the connecting side's pipe, or None for an accepted peer
        (a pipe is made for it). Returns the linked pipe, or None if refused.
        """
        if self._closed and (pipe is None or pipe not in self._pipes):
            # Lingering sockets still reconnect their own pipes to flush them.
            return None
        is_new = pipe is None
        if pipe is None:
            pipe = self._new_pipe(endpoint)
        identity = properties.get(b"Identity", b"")
        for strategy in self._strategies:
            reason = strategy.refusal(pipe, identity)
            if reason is not None:
                self._events.emit(Event.PEER_REFUSED, endpoint, peer_address, reason)
                return None
        if is_new:
            self._attach(pipe)
        pipe.attach_link(link, peer_address, properties)
        for strategy in self._strategies:
            strategy.linked(pipe)
        self._linked(pipe)
        pipe.flush_backlog()
        self._events.emit(Event.HANDSHAKE_SUCCEEDED, endpoint, peer_address)
        if self._send_waiters:
            self._pipe_writable()
        return pipe

    def _linked(self, pipe: Pipe) -> None:
        """Hook for socket types: *pipe* just got a live peer (SUB resubscribes)."""

    def _unlinked(self, pipe: Pipe) -> None:
        """Hook for socket types: *pipe* is about to lose its peer (XPUB unsubscribes)."""

    def _unlink(self, pipe: Pipe) -> None:
        self._unlinked(pipe)
        for strategy in self._strategies:
            strategy.unlinked(pipe)
        pipe.detach_link()

    def _peer_lost(self, pipe: Pipe, *, keep: bool) -> None:
        """The connection of *pipe* ended; *keep* the pipe (connecting side) or drop it."""
        if pipe.link is not None:
            self._unlink(pipe)
        if not keep:
            self._detach(pipe)
        if self._send_waiters:
            # A send waiting for this peer must retry: a ROUTER with
            # router_mandatory then raises HostUnreachable instead of hanging.
            self._pipe_writable()
        self._events.emit(Event.DISCONNECTED, pipe.endpoint, pipe.peer_address)

    # -- closing -------------------------------------------------------------

    def _abandon(self, connection: Connection) -> None:
        """A connection gave up for good: forget it and drop its pipe, so that
        no message is queued for a peer that will never come (as libzmq ends
        the session on a protocol error)."""
        for endpoint, known in list(self._connections.items()):
            if known is connection:
                del self._connections[endpoint]
        self._detach(connection.pipe)

    def _check_open(self) -> None:
        if self._closed:
            raise Closed("socket is closed")

    def close(self, linger: int | None = None) -> None:
        """Close the socket; returns at once. Idempotent.

        Listeners stop accepting at once. Messages already queued, for
        connected and accepted peers alike, keep being sent in the background
        for up to *linger* ms (the ``linger`` option when None; -1 = until
        they are all sent, 0 = drop them now); then every connection is
        closed. Await :meth:`aclose` to wait for that.
        """
        if self._closed:
            return
        self._closed = True
        linger = self.linger if linger is None else linger
        for binding in self._bindings.values():
            # Peers accepted there stay until lingering ends: they may have
            # messages queued for them.
            binding.stop_accepting()
        for waiter in (*self._recv_waiters, *self._send_waiters):
            if not waiter.done():
                waiter.set_exception(Closed("socket closed"))
        self._recv_waiters.clear()
        self._send_waiters.clear()
        for waiter in self._close_waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._close_waiters.clear()
        self.context._forget(self)
        if linger == 0 or not self._has_unsent():
            self._finish_close()
        else:
            self._linger_task = asyncio.get_running_loop().create_task(self._linger(linger))

    async def wait_closed(self) -> None:
        """Return once :meth:`close` has been called (at once if it has).

        For code that serves a socket it does not own. Cancelling is safe.
        """
        if self._closed:
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

    def _has_unsent(self) -> bool:
        return any(
            pipe.backlog or (pipe.link is not None and pipe.link.pending_output)
            for pipe in self._pipes
        )

    async def _linger(self, linger: int) -> None:
        loop = asyncio.get_running_loop()
        deadline = None if linger < 0 else loop.time() + linger / 1000
        try:
            # Flushing completes inside transports that give no completion
            # signal, so lingering checks on a short period, bounded by linger.
            while self._has_unsent() and (deadline is None or loop.time() < deadline):
                await asyncio.sleep(0.005)
        finally:
            self._finish_close()

    def _finish_close(self) -> None:
        for binding in self._bindings.values():
            binding.close()
        self._bindings.clear()
        for connection in self._connections.values():
            connection.close()
        self._connections.clear()
        for pipe in list(self._pipes):
            self._detach(pipe)
        self._events.emit(Event.CLOSED, "")
        self._events.close()

    async def __aenter__(self) -> Socket:
        return self
