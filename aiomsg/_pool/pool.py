"""The pool: a socket's pipes and everything that feeds them.

A :class:`Pool` owns a socket's pipes, the strategies composed over them,
the bindings and connectors that bring peers in, and the waiters of the
socket's send and receive calls. It is the socket as transports see it: it
implements :class:`~aiomsg.transports.Engine`, and the pipes report to it
as their :class:`~aiomsg._pool.pipe.PipeEvents`. The socket facade above it
(:mod:`aiomsg._socket`) adds the public API: options, the send and receive
calls, binding and closing.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from aiomsg._monitor import Event, EventHub, ZmqEvent
from aiomsg._pool.pipe import (
    Delivered,
    InboundBatchFilter,
    InboundFilter,
    Message,
    Pipe,
    handing_over,
    peer_host,
)
from aiomsg._pool.stats import PeerStats, SocketStats
from aiomsg._pool.strategies.base import Filter, Receiver, Sender, Strategy
from aiomsg._security.auth import AuthRequest, AuthService, default_reply
from aiomsg._security.config import mechanism_for
from aiomsg._zmtp.mechanism import Mechanism, ZapReply, ZapRequest
from aiomsg.constants import PollEvent, SocketType
from aiomsg.errors import Closed, InvalidState, NotSupported
from aiomsg.options import TransportOptions
from aiomsg.transports.interface import Binding, Connector, Link, PipeEnd

__all__ = ["ContextState", "Pool"]

T = TypeVar("T")

#: The types whose pipes ZMQ_CONFLATE applies to (libzmq's
#: get_effective_conflate_option, src/options.hpp); others ignore it.
_CONFLATING = frozenset(
    {SocketType.DEALER, SocketType.PULL, SocketType.PUSH, SocketType.PUB, SocketType.SUB}
)


class ContextState(Protocol):
    """What a pool uses of its socket's context."""

    def auth_service(self) -> AuthService | None:
        """Who answers authentication requests now: the running
        authenticator, a ZAP handler bound in the context, or None."""

    def transport_state(self, kind: type[T]) -> T:
        """The one ``kind()`` shared by the context's sockets."""


def _drop(pipe: Pipe, message: Delivered) -> None:
    """The inbound filter of sockets that cannot receive (PUSH): drop it all."""
    return None


def _nothing() -> None:
    return None


def _ignore_arrival(pipe: Pipe) -> None:
    """No receiver: nothing is queued for the socket (the inbound filter drops it)."""


def _drop_all(pipe: Pipe, messages: Sequence[Delivered]) -> list[Delivered]:
    """:func:`_drop` for the messages of one read."""
    return []


class Pool(TransportOptions):
    """A socket's pipes, strategies, peers and waiters; see the module docstring.

    The socket reads :attr:`send` and :attr:`recv` once and calls them on its
    hot path; they are the strategies' own bound methods.
    """

    __slots__ = (
        "_context",
        "_inbound_filter",
        "_inbound_filter_many",
        "_loop",
        "_readable",
        "_retired",
        "bindings",
        "closed",
        "connectors",
        "direct_pipe",
        "events",
        "pipes",
        "ready_pipes",
        "receiver",
        "reconnects",
        "recv",
        "recv_many",
        "recv_waiters",
        "send",
        "send_changed",
        "send_many",
        "sender",
        "socket_type",
        "state_waiters",
        "strategies",
        "wants_subscriptions",
        "watchers",
    )

    def __init__(
        self,
        socket_type: SocketType,
        options: dict[str, Any],
        context: ContextState,
        *,
        wants_subscriptions: bool = False,
    ) -> None:
        self.socket_type = socket_type
        # The socket's own option values, shared: a change is seen at once.
        self._options = options
        self._context = context
        self.wants_subscriptions = wants_subscriptions
        self.events = EventHub(socket_type.name)
        self.closed = False
        self.pipes: list[Pipe] = []
        self.bindings: dict[str, Binding] = {}
        self.connectors: dict[str, Connector] = {}
        self.sender: Sender | None = None
        self.receiver: Receiver | None = None
        self.strategies: tuple[Strategy, ...] = ()
        #: The sender's send, or what it names instead (``Sender.direct``),
        #: asked again whenever a pipe joins or leaves; the socket is told
        #: through :attr:`send_changed`.
        self.send: Callable[[Message], bool] = self._cannot_send
        #: The pipe :attr:`send` hands messages over for, when :attr:`send`
        #: is that pipe's ``_send_to_peer`` (inproc: straight into a peer
        #: pipe's inbound queue), else None; read with :attr:`send`.
        self.direct_pipe: Pipe | None = None
        self.send_changed: Callable[[], None] = _nothing
        self.recv: Callable[[], Delivered | None] = self._cannot_recv
        #: The receiver's :meth:`~Receiver.ready_queue`: pipes holding
        #: messages, which the socket's receive takes from itself; or None.
        self.ready_pipes: collections.deque[Pipe] | None = None
        self.send_many: Callable[[list[Message], int], int] = self._cannot_send_many
        self.recv_many: Callable[[int], list[Delivered]] = self._cannot_recv_many
        #: The receiver's readable, or what it names instead (``Receiver.arrivals``).
        self._readable: Callable[[Pipe], None] = _ignore_arrival
        self._inbound_filter: InboundFilter | None = _drop
        self._inbound_filter_many: InboundBatchFilter | None = _drop_all
        # The readiness waiters (see "readiness" below).
        self.recv_waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self.watchers: dict[asyncio.Future[None], int] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        # Waits for a state (peers linked, subscriptions): woken on each change.
        self.state_waiters: list[asyncio.Future[None]] = []
        self.reconnects = 0
        # The message and byte counts of pipes that left (in, out, in, out).
        self._retired = [0, 0, 0, 0]

    def use(
        self, sender: Sender | None, receiver: Receiver | None, filter: Filter | None = None
    ) -> None:
        """Compose the socket type: where messages go, where they come from,
        and what sees each message a peer sends.

        Without a receiver and a filter, whatever peers send is dropped.
        """
        self.sender, self.receiver = sender, receiver
        self.send = sender.direct() if sender is not None else self._cannot_send
        self.direct_pipe = handing_over(self.send)
        self.recv = receiver.recv if receiver is not None else self._cannot_recv
        self.ready_pipes = receiver.ready_queue() if receiver is not None else None
        self.send_many = sender.send_many if sender is not None else self._cannot_send_many
        self.recv_many = receiver.recv_many if receiver is not None else self._cannot_recv_many
        self._readable = receiver.arrivals() if receiver is not None else _ignore_arrival
        if filter is not None:
            self._inbound_filter = filter.filter
            self._inbound_filter_many = filter.filter_many
        elif receiver is not None:
            self._inbound_filter = self._inbound_filter_many = None
        # The filter's hooks run first: XPUB reads a leaving peer's topics
        # before Distribute forgets them.
        chosen = (filter, sender, receiver)
        self.strategies = tuple(dict.fromkeys(s for s in chosen if s is not None))
        for strategy in self.strategies:
            strategy.watch(self.state_changed)

    def _cannot_send(self, message: Message) -> bool:
        raise NotSupported(f"{self.socket_type.name} sockets cannot send")

    def _cannot_recv(self) -> Delivered | None:
        raise NotSupported(f"{self.socket_type.name} sockets cannot receive")

    def _cannot_send_many(self, messages: list[Message], start: int) -> int:
        return self._cannot_send(messages[start])

    def _cannot_recv_many(self, limit: int) -> list[Delivered]:
        self._cannot_recv()
        return []

    # The options transports read (Engine) are TransportOptions' attributes:
    # views of the socket's own values.

    # -- services transports use (Engine) ----------------------------------------

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
        self.events.emit(event, endpoint, peer, reason, zmq_event=zmq_event, value=value)

    def new_mechanism(self) -> Mechanism:
        # The role comes from the options, not from who connected, as in libzmq.
        return mechanism_for(self._options)

    async def authenticate(self, request: ZapRequest, peer_address: str) -> ZapReply:
        mechanism = request.mechanism.decode("ascii", "replace")
        service = self._context.auth_service()
        if service is None:
            if self._options["zap_enforce_domain"]:
                # libzmq fails the handshake when ZAP cannot be reached and
                # the domain is enforced (null_mechanism.cpp, curve_server.cpp).
                return ZapReply("300", "no ZAP handler, and zap_enforce_domain is set")
            return default_reply(mechanism)
        return await service.authenticate(
            AuthRequest(
                domain=self._options["zap_domain"].decode("utf-8", "replace"),
                address=peer_host(peer_address),
                identity=self._options["identity"],
                mechanism=mechanism,
                credentials=request.credentials,
            )
        )

    def transport_state(self, kind: type[T]) -> T:
        return self._context.transport_state(kind)

    # -- pipes -----------------------------------------------------------------

    def new_pipe(self, endpoint: str) -> Pipe:
        """A pipe for a peer at *endpoint*, with the socket's current options."""
        options = self._options
        return Pipe(
            self,
            endpoint,
            sndhwm=options["sndhwm"],
            rcvhwm=options["rcvhwm"],
            immediate=options["immediate"],
            inbound_filter=self._inbound_filter,
            inbound_filter_many=self._inbound_filter_many,
            wants_subscriptions=self.wants_subscriptions,
            conflate=options["conflate"] and self.socket_type in _CONFLATING,
        )

    @property
    def peer_count(self) -> int:
        """The number of peers linked now (past their handshake)."""
        return sum(1 for pipe in self.pipes if pipe.link is not None)

    def attach(self, pipe: Pipe) -> None:
        """*pipe* joins the socket (a connect, or an accepted peer)."""
        self.pipes.append(pipe)
        for strategy in self.strategies:
            strategy.attach(pipe)
        self._redirect()
        if self.watchers:
            self.pipe_writable()

    def detach(self, pipe: Pipe) -> None:
        """*pipe* leaves the socket for good, closing its link if it has one."""
        if pipe not in self.pipes:
            return
        self.pipes.remove(pipe)
        retired = self._retired
        retired[0] += pipe.in_count
        retired[1] += pipe.out_count
        retired[2] += pipe.in_bytes
        retired[3] += pipe.out_bytes
        link = pipe.link
        if link is not None:
            self._unlink(pipe)
            link.close("pipe detached")
        for strategy in self.strategies:
            strategy.detach(pipe)
        self._redirect()

    def _redirect(self) -> None:
        """The pipes or their links changed: ask the sender again what
        sends go to."""
        if self.sender is not None:
            send = self.sender.direct()
            if send != self.send:
                self.send = send
                self.direct_pipe = handing_over(send)
                self.send_changed()

    def _unlink(self, pipe: Pipe) -> None:
        for strategy in self.strategies:
            strategy.unlinked(pipe)
        pipe.detach_link()
        self._redirect()

    def refusal(self, pipe: PipeEnd | None, properties: dict[bytes, bytes]) -> str | None:
        ours = self._own(pipe) if pipe is not None else None
        identity = properties.get(b"Identity", b"")
        for strategy in self.strategies:
            reason = strategy.refusal(ours, identity)
            if reason is not None:
                return reason
        return None

    def peer_ready(
        self,
        pipe: PipeEnd | None,
        link: Link,
        endpoint: str,
        peer_address: str,
        properties: dict[bytes, bytes],
    ) -> Pipe | None:
        if self.closed and (pipe is None or pipe not in self.pipes):
            # A lingering socket still reconnects its own pipes to flush them.
            return None
        reason = self.refusal(pipe, properties)
        if reason is not None:
            self.events.emit(Event.PEER_REFUSED, endpoint, peer_address, reason)
            return None
        ours = self._own(pipe) if pipe is not None else self.new_pipe(endpoint)
        if pipe is None:
            self.attach(ours)
        elif ours.linked_before:
            self.reconnects += 1
        ours.attach_link(link, peer_address, properties)
        for strategy in self.strategies:
            strategy.linked(ours)
        self._redirect()
        ours.flush_backlog()
        self.events.emit(
            Event.HANDSHAKE_SUCCEEDED, endpoint, peer_address, routing_id=ours.routing_id
        )
        if self.watchers:
            self.pipe_writable()
        if self.state_waiters:
            self.state_changed()
        return ours

    def peer_lost(self, pipe: PipeEnd, *, keep: bool) -> None:
        ours = self._own(pipe)
        if ours.link is not None:
            self._unlink(ours)
        if not keep:
            self.detach(ours)
        if self.watchers:
            # A send waiting for this peer must retry: a ROUTER with
            # router_mandatory then raises HostUnreachable instead of hanging.
            self.pipe_writable()
        self.events.emit(
            Event.DISCONNECTED, ours.endpoint, ours.peer_address, routing_id=ours.routing_id
        )

    def check_message(self, message: Message) -> None:
        """Raise InvalidMessage if a connection could never carry *message*
        (see ``Connector.check``); nothing is sent before this passes."""
        for connector in self.connectors.values():
            connector.check(message)

    def connector_failed(self, connector: Connector, reason: str = "") -> None:
        # As libzmq ends the session on a protocol error: nothing may stay
        # queued for a peer that will never come.
        endpoint = connector.pipe.endpoint
        self.drop_connector(connector)
        self.events.emit(Event.CLOSED, endpoint, reason=reason or "not reconnecting")

    def drop_connector(self, connector: Connector) -> None:
        """Forget *connector* and drop its pipe (a disconnect, or it gave up)."""
        for endpoint, known in list(self.connectors.items()):
            if known is connector:
                del self.connectors[endpoint]
        self.detach(self._own(connector.pipe))

    def _own(self, pipe: PipeEnd) -> Pipe:
        """*pipe* as the Pipe it is: transports only hand back pipes this pool made."""
        assert isinstance(pipe, Pipe), pipe
        return pipe

    # -- readiness: who waits for what, and waking them ---------------------------
    #
    # One mechanism serves the park steps of send and receive and the Poller.
    # A waiter is a future; a change of readiness wakes it, and the woken code
    # checks again (a wake-up means "may be ready", never "is ready"):
    #
    # - receivers (the park step of every receive) queue in order, and each
    #   arriving message wakes one of them, since only one can take it;
    # - watchers wait for events (POLLIN, POLLOUT): every change that matches
    #   wakes all of them. The park step of every send watches POLLOUT; a
    #   Poller watches several sockets with one future.

    def pipe_readable(self, pipe: Pipe) -> None:
        readable = self._readable  # a local: see Socket.send on slots
        readable(pipe)
        # wake_receiver, inlined: this runs once per arrival on an empty
        # pipe (every message of a request/reply exchange).
        waiters = self.recv_waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                break
        if self.watchers:
            self._wake_watchers(PollEvent.POLLIN)

    def pipe_writable(self) -> None:
        """A pipe gained room or a peer arrived: let every waiting sender retry."""
        if self.watchers:
            self._wake_watchers(PollEvent.POLLOUT)

    def wake_receiver(self) -> None:
        """Wake one waiting receiver (each message wakes at most one)."""
        waiters = self.recv_waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def _wake_watchers(self, event: int) -> None:
        watchers = self.watchers
        for waiter, events in list(watchers.items()):
            if events & event:
                del watchers[waiter]
                if not waiter.done():
                    waiter.set_result(None)

    def readiness(self) -> int:
        """What a send or receive could do now without waiting: POLLIN, POLLOUT
        or both, as the strategies see it (libzmq's ``xhas_in``/``xhas_out``)."""
        events = 0
        if self.receiver is not None and self.receiver.has_in():
            events |= PollEvent.POLLIN
        if self.sender is not None and self.sender.has_out():
            events |= PollEvent.POLLOUT
        return events

    def watch(self, waiter: asyncio.Future[None], events: int) -> None:
        """Wake *waiter* when the socket may have become ready for *events*.

        A wake-up removes the waiter: to keep watching, watch again after
        checking :meth:`readiness`. A closing socket fails it with Closed.

        Raises:
            InvalidState: the socket belongs to another event loop.
        """
        self.running_loop()
        self.watchers[waiter] = events

    def unwatch(self, waiter: asyncio.Future[None]) -> None:
        """Stop waking *waiter* (it may have been woken already)."""
        self.watchers.pop(waiter, None)

    def running_loop(self) -> asyncio.AbstractEventLoop:
        """The running event loop, which must be the socket's own: the loop
        of its first bind, connect or wait. Its connections and waiters live
        there, so under another loop (a second ``asyncio.run()``) it would
        wait for ever.

        Raises:
            InvalidState: the socket was first used on another event loop.
        """
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            if self._loop is not None:
                raise InvalidState(
                    f"this {self.socket_type.name} socket belongs to another event loop "
                    "(was it used under an earlier asyncio.run()?): its connections live "
                    "there. Make the Context and its sockets inside the coroutine the loop "
                    "runs, and use them on that loop only"
                )
            self._loop = loop
        return loop

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The socket's event loop, once it has one."""
        return self._loop

    def recv_waiter(self) -> asyncio.Future[None]:
        """Queue a receiver: the future the next arrival wakes (the caller
        awaits it, then tries to take a message).

        Plain functions rather than one coroutine, so that a waiting receive
        is two coroutine frames (``recv`` and the socket's wait loop), not
        three or four: each frame is resumed on every wake-up (callgrind:
        docs/internals.md). The caller must hand a waiter it stops awaiting
        for any reason but its result to :meth:`forget_recv_waiter`.

        The future raises Closed if the socket closes meanwhile. It belongs
        to the socket's loop, which is not checked against the running loop
        here: ``asyncio.get_running_loop()`` makes a getpid() system call in
        CPython 3.11 (a fork check), two per request/reply round trip. A
        future of another loop fails the task that awaits it with
        RuntimeError, which the caller turns into InvalidState through
        :meth:`running_loop` (``Socket._wait_to_recv``).

        Raises:
            InvalidState: the socket's first wait, under another event loop
                than its first bind or connect.
        """
        loop = self._loop
        if loop is None:
            loop = self.running_loop()  # the first use: the socket takes this loop
        waiter: asyncio.Future[None] = loop.create_future()
        self.recv_waiters.append(waiter)
        return waiter

    def forget_recv_waiter(self, waiter: asyncio.Future[None]) -> None:
        """The caller stopped awaiting *waiter* (cancelled, timed out).

        A wake-up that arrived with the cancellation is passed on to the next
        receiver, so the message it announced is not left unannounced; a
        waiter not woken leaves the queue.
        """
        if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
            self.wake_receiver()  # woken, and wake_receiver already dequeued it
        elif waiter in self.recv_waiters:  # not if fail_waiters emptied the queue
            self.recv_waiters.remove(waiter)

    async def writable(self) -> None:
        """Wait until a pipe may take a message (the caller then retries).

        Raises:
            Closed: the socket was closed meanwhile.
            InvalidState: the socket belongs to another event loop.

        Cancelling is safe: every sender is woken on each change, so none
        depends on a cancelled one.
        """
        waiter: asyncio.Future[None] = self.running_loop().create_future()
        self.watch(waiter, PollEvent.POLLOUT)
        try:
            await waiter
        finally:
            self.unwatch(waiter)

    def fail_waiters(self, error: BaseException) -> None:
        """Raise *error* in every waiting send, receive, poll and state wait
        (the socket closed)."""
        for waiter in (*self.recv_waiters, *self.watchers, *self.state_waiters):
            if not waiter.done():
                waiter.set_exception(error)
        self.recv_waiters.clear()
        self.watchers.clear()
        self.state_waiters.clear()

    def state_changed(self) -> None:
        """A peer linked, or a subscription arrived: let every :meth:`wait_until`
        check its condition again."""
        waiters, self.state_waiters = self.state_waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def wait_until(self, condition: Callable[[], bool]) -> None:
        """Return once *condition()* is true, checking it at each change of
        state (:meth:`state_changed`), never by polling.

        Raises:
            Closed: the socket was (or gets) closed first.

        Cancelling is safe: the wait holds nothing.
        """
        loop = asyncio.get_running_loop()
        while not condition():
            if self.closed:
                raise Closed("socket is closed")
            waiter: asyncio.Future[None] = loop.create_future()
            self.state_waiters.append(waiter)
            try:
                await waiter
            finally:
                if waiter in self.state_waiters:
                    self.state_waiters.remove(waiter)

    # -- counters --------------------------------------------------------------

    def stats(self) -> SocketStats:
        """The socket's counters now; see :class:`~aiomsg._pool.stats.SocketStats`."""
        peers = tuple(
            PeerStats(
                endpoint=pipe.endpoint,
                peer_address=pipe.peer_address,
                connected=pipe.link is not None,
                in_msgs=pipe.in_count,
                out_msgs=pipe.out_count,
                in_bytes=pipe.in_bytes,
                out_bytes=pipe.out_bytes,
                queued_in=len(pipe.inbound),
                queued_out=len(pipe.backlog),
            )
            for pipe in self.pipes
        )
        counts = self.events.counts
        in_msgs, out_msgs, in_bytes, out_bytes = self._retired
        return SocketStats(
            in_msgs=in_msgs + sum(peer.in_msgs for peer in peers),
            out_msgs=out_msgs + sum(peer.out_msgs for peer in peers),
            in_bytes=in_bytes + sum(peer.in_bytes for peer in peers),
            out_bytes=out_bytes + sum(peer.out_bytes for peer in peers),
            dropped=sum(strategy.dropped for strategy in self.strategies),
            refused_subscriptions=sum(strategy.refused for strategy in self.strategies),
            accepted=counts[Event.ACCEPTED],
            reconnects=self.reconnects,
            connect_retries=counts[Event.CONNECT_RETRIED],
            handshake_failures=counts[Event.HANDSHAKE_FAILED],
            protocol_errors=counts[Event.PROTOCOL_ERROR],
            refused_peers=counts[Event.PEER_REFUSED],
            heartbeat_timeouts=counts[Event.HEARTBEAT_TIMEOUT],
            data_losses=counts[Event.DATA_LOST],
            queued_in=sum(peer.queued_in for peer in peers),
            queued_out=sum(peer.queued_out for peer in peers),
            peers=peers,
        )

    # -- closing ---------------------------------------------------------------

    def flush(self) -> None:
        """What the sender took but holds back until the end of the tick goes
        to the pipes now (``Sender.flush``): before the socket closes,
        disconnects or unbinds, so those messages go out with the rest."""
        if self.sender is not None:
            self.sender.flush()

    def has_unsent(self) -> bool:
        """Whether any message is still queued or buffered for a peer."""
        return any(
            pipe.backlog or (pipe.link is not None and pipe.link.pending_output)
            for pipe in self.pipes
        )

    def stop_accepting(self) -> None:
        """Accept no new peers; those accepted stay until :meth:`close`."""
        for binding in self.bindings.values():
            binding.stop_accepting()

    def close(self) -> None:
        """Close every binding, connector and pipe; report CLOSED; end the monitors.

        Called once lingering is over: a connection that still holds unsent
        bytes then is aborted, not left open waiting for a peer that may
        never read them.
        """
        for pipe in self.pipes:
            link = pipe.link
            if link is not None and link.pending_output:
                link.abort("closed with messages unsent (linger)")
        for binding in self.bindings.values():
            binding.close()
        self.bindings.clear()
        for connector in self.connectors.values():
            connector.close()
        self.connectors.clear()
        for pipe in list(self.pipes):
            self.detach(pipe)
        self.events.emit(Event.CLOSED, "")
        self.events.close()
