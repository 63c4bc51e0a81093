"""Pipe: a socket's end of one peer, with per-direction queues and high-water marks.

A pipe outlives the connections it carries on the connecting side, so
messages queued while the peer is away are sent once it is back (RFC 28).
The connection itself is a :class:`~aiomsg.transports.Link`: a ZMTP
protocol for tcp/ipc, or the other pipe for inproc. A pipe implements
:class:`~aiomsg.transports.PipeEnd`, the face transports see, and reports
to its owner through :class:`PipeEvents` (libzmq's ``i_pipe_events``).
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Sequence
from typing import Protocol

from aiomsg._zmtp.frames import ONE_DIGIT_MAX
from aiomsg.transports.interface import Delivered, Link, Message, SendEncoded

__all__ = [
    "Delivered",
    "InboundBatchFilter",
    "InboundFilter",
    "Message",
    "Pipe",
    "PipeEvents",
    "first_frame",
    "handing_over",
    "message_frames",
    "peer_host",
]

#: A per-socket-type hook on each received message (as delivered: its
#: frames, or the bytes of its one frame): returns the message to queue, or
#: None to drop it (SUB filtering, PUB subscription bookkeeping).
InboundFilter = Callable[["Pipe", Delivered], "Delivered | None"]
#: The same for the messages of one read at once: the messages to queue, in
#: order, or None when the filter must see them one at a time.
InboundBatchFilter = Callable[["Pipe", Sequence[Delivered]], "Sequence[Delivered] | None"]


#: Pipe.direct_room without a receive HWM: the largest int that compares
#: without a generic call (ONE_DIGIT_MAX).
_NO_BOUND = ONE_DIGIT_MAX


# Every consumer of a Delivered tells its forms apart with `type(message) is
# bytes`, as below: isinstance(message, bytes) is as cheap when true but
# ~250 instructions when false (a list: its __class__ is looked up), where
# the type test is ~30 either way (callgrind, urouter1000). mypy narrows
# only the bytes side of it; the list side says so where it needs to.


def message_frames(message: Delivered) -> Message:
    """*message*'s frames as a list: a queued single-frame message
    (its bytes) in a list of its own, a list as it is (not a copy)."""
    if type(message) is bytes:
        return [message]
    return message  # type: ignore[return-value]  # not bytes: a list


def first_frame(message: Delivered) -> bytes:
    """*message*'s first frame (a subscription's topic, a DISH's group)."""
    if type(message) is bytes:
        return message
    return message[0]  # type: ignore[return-value]  # not bytes: a list


def handing_over(send: Callable[[Message], bool]) -> Pipe | None:
    """The pipe whose :meth:`Pipe._send_to_peer` *send* is (its
    :attr:`Pipe.direct_send` over inproc), else None. The pool offers that
    pipe to the socket, whose send() then does the handover itself, with no
    call (``Pool.direct_pipe``, Socket.send)."""
    pipe = getattr(send, "__self__", None)
    if type(pipe) is Pipe and send == pipe._send_to_peer:
        return pipe
    return None


def peer_host(peer_address: str) -> str:
    """The host part of ``host:port`` / ``[v6]:port`` (libzmq's Peer-Address and
    ZAP address carry no port); other addresses (ipc, inproc) unchanged."""
    host, separator, port = peer_address.rpartition(":")
    if not separator or not port.isdigit():
        return peer_address
    return host[1:-1] if host.startswith("[") else host


class PipeEvents(Protocol):
    """What a pipe tells its owner (the pool)."""

    def pipe_readable(self, pipe: Pipe) -> None:
        """*pipe*'s inbound queue went from empty to holding a message."""

    def pipe_writable(self) -> None:
        """A pipe that was full can take messages again."""


class _ReceiveSide:
    """The fields a receive reads from a pipe on every message: its queue,
    the resume test, and a ROUTER's routing id (FairQueue.recv, the copies
    of it inlined in Socket.recv and Socket.recv_multipart,
    PrefixRoutingId.recv).

    CPython lays out a class's own slots in sorted order after its base's,
    so declared here they sit in the pipe object's first 64 bytes, beside
    its header, which every access reads anyway: one cache line, where
    Pipe's sorted slots spread them over four. That counts when a ROUTER
    takes each message from another of 1,000 pipes, whose objects have left
    the cache since its last turn: with 1,000 DEALERs the ROUTER's CPU per
    message went from 0.75-0.77 to 0.72-0.76 µs (the bench's peers rows,
    medians of five runs, three pairs), and callgrind's simulated misses in
    a 1 MiB last-level cache from 4.7 to 3.6 per message (urouter1000).
    """

    __slots__ = ("inbound", "reading_paused", "resume_at", "routing_id")


class Pipe(_ReceiveSide):
    """Queues and flow control between a socket and one peer.

    Attributes:
        inbound: complete messages received and not yet taken by the socket,
            as delivered (:data:`Delivered`: a list of frames, or a
            single-frame message's bytes).
        backlog: messages waiting for the link to accept them (outbound HWM).
        link: the live connection, or None while disconnected.
        send_encoded: the link's optional ``send_encoded`` (see
            :class:`~aiomsg.transports.Link`), or None.
        link_send: what the link's optional ``direct_sender`` returned for
            this pipe (see :attr:`direct_send`), or None.
        direct_send: what to call instead of :meth:`send`, to the same
            effect, kept up to date as the pipe links and unlinks: one
            Python call per message fewer for every sender that has a pipe
            in hand (the strategies; ``Sender.direct`` names it to the
            pool). :meth:`send`, unless the link hands messages straight to
            another pipe of this process (inproc): then
            :meth:`_send_to_peer`, which is :meth:`send` with the peer's
            :meth:`offer` inlined; or unless the link sends for the pipe
            itself (tcp, ipc, ws: its ``direct_sender``, see
            :class:`~aiomsg.transports.Link`): then what that returned,
            :meth:`send` with the link's ``try_send`` inlined.
        routing_id: the peer's id on a ROUTER (its Identity, or generated).
        endpoint: the socket endpoint this pipe came from (bind or connect).
        peer_address: the remote address, as text.
        peer_properties: the peer's handshake properties (and the authenticator's).
        inbound_filter: see :data:`InboundFilter`; None queues every message.
        wants_subscriptions: whether the peer's subscribe/cancel commands are
            queued as ``\\x01topic``/``\\x00topic`` messages (PUB and XPUB).
    """

    __slots__ = (
        "backlog",
        "direct_room",
        "direct_send",
        "endpoint",
        "events",
        "handed",
        "immediate",
        "in_bytes",
        "in_msgs",
        "inbound_filter",
        "inbound_filter_many",
        "link",
        "link_send",
        "linked_before",
        "out_bytes",
        "out_msgs",
        "peer",
        "peer_address",
        "peer_properties",
        "rcvhwm",
        "send_encoded",
        "sndhwm",
        "wants_subscriptions",
    )

    def __init__(
        self,
        events: PipeEvents,
        endpoint: str,
        *,
        sndhwm: int,
        rcvhwm: int,
        immediate: bool = False,
        inbound_filter: InboundFilter | None = None,
        inbound_filter_many: InboundBatchFilter | None = None,
        wants_subscriptions: bool = False,
        conflate: bool = False,
    ) -> None:
        self.events = events
        self.endpoint = endpoint
        # Conflating (ZMQ_CONFLATE): each queue keeps only its newest message,
        # whole, and the high-water marks no longer apply, as in libzmq.
        keep = 1 if conflate else None
        if conflate:
            sndhwm = rcvhwm = 0
        self.inbound: collections.deque[Delivered] = collections.deque(maxlen=keep)
        self.backlog: collections.deque[Message] = collections.deque(maxlen=keep)
        self.link: Link | None = None
        self.send_encoded: SendEncoded | None = None
        self.link_send: Callable[[Message], bool] | None = None
        self.direct_send: Callable[[Message], bool] = self.send
        #: The pipe the link hands messages to, for a link that has one
        #: (inproc: see :attr:`direct_send`), or None.
        self.peer: Pipe | None = None
        self.routing_id = b""
        self.peer_address = ""
        self.peer_properties: dict[bytes, bytes] = {}
        self.sndhwm = sndhwm
        self.rcvhwm = rcvhwm
        #: The inbound queue length at which paused reading resumes (half
        #: the rcvhwm): a receive checks it while :attr:`reading_paused`
        #: before calling :meth:`maybe_resume_reading`, one call per resume
        #: rather than per message taken (see FairQueue.recv).
        self.resume_at = rcvhwm // 2
        # With the immediate option, a pipe without a live peer takes nothing.
        self.immediate = immediate
        self.reading_paused = False
        self.inbound_filter = inbound_filter
        self.inbound_filter_many = inbound_filter_many
        # The inbound queue length below which an inproc peer's
        # _send_to_peer may append straight: the rcvhwm, or no bound; a
        # filtering pipe never (-1), its messages go through offer and the
        # filter. One comparison instead of three (~130 instructions per
        # message, callgrind inproc16). "No bound" is the largest int of one
        # digit (2**30 - 1), not a larger one: CPython 3.11 specializes the
        # comparison only for such ints (a larger one cost ~70 instructions
        # per message more, callgrind inproc16); a queue that long takes
        # offer's path, which has no bound either.
        self.direct_room = (
            -1 if inbound_filter is not None else rcvhwm if rcvhwm > 0 else _NO_BOUND
        )
        self.wants_subscriptions = wants_subscriptions
        # Counters for Socket.stats(); the transport counts the bytes.
        self.in_msgs = self.out_msgs = self.in_bytes = self.out_bytes = 0
        #: Messages _send_to_peer handed to :attr:`peer` over the current
        #: link, counted once for both pipes: see :attr:`in_count`.
        self.handed = 0
        #: Whether a connection carried this pipe before (a reconnect then).
        self.linked_before = False

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
            self.out_msgs += 1
            return True
        if self._backlog_full():
            return False
        self.backlog.append(message)
        self.out_msgs += 1
        return True

    def _choose_direct_send(self) -> None:
        """Set :attr:`direct_send` for the link the pipe has now."""
        link_send = self.link_send
        if self.peer is not None:
            self.direct_send = self._send_to_peer
        elif link_send is not None:
            self.direct_send = link_send
        else:
            self.direct_send = self.send

    def _send_to_peer(self, message: Message) -> bool:
        """:meth:`send` over an inproc link, with the peer pipe's :meth:`offer`
        inlined: one Python call per message rather than two (~650 of
        ~10,000 instructions per 16 B message, both sides, callgrind
        inproc16). Whatever that path does not cover goes through
        :meth:`send` itself: a backlog to keep the order, a full peer, a
        filtering peer (``direct_room``). tests/sockets/test_hot_paths.py
        drives both."""
        peer = self.peer
        assert peer is not None  # direct_send is this only while linked to a pipe
        inbound = peer.inbound
        queued = len(inbound)
        if queued >= peer.direct_room or self.backlog:
            return self.send(message)
        # By reference: inproc neither encodes nor copies. A one-frame
        # message goes over as its bytes (Delivered), as tcp queues it.
        inbound.append(message[0] if len(message) == 1 else message)
        self.handed += 1  # our out_msgs and the peer's in_msgs at once (in_count)
        if not queued:
            peer.events.pipe_readable(peer)
        return True

    def send_many(self, messages: list[Message], start: int) -> int:
        """:meth:`send` ``messages[start:]`` in order, as many as fit; return
        the index of the first one not taken (each is taken whole or not).

        The batch goes to the link in one call (``Link.try_send_many``) while
        nothing waits before it, then into the backlog up to the send HWM,
        as the same messages sent one by one would.
        """
        end = len(messages)
        index = start
        link = self.link
        if link is not None and not self.backlog:
            try_send_many = getattr(link, "try_send_many", None)  # optional: see Link
            if try_send_many is not None:
                index = try_send_many(messages, index)
            else:
                try_send = link.try_send
                while index < end and try_send(messages[index]):
                    index += 1
        if index < end and not (self.link is None and self.immediate):
            backlog = self.backlog
            stop = end if self.sndhwm <= 0 else min(end, index + self.sndhwm - len(backlog))
            if stop > index:
                # A conflating backlog (maxlen 1) keeps the last one, as appends would.
                backlog.extend(messages[index:stop])
                index = stop
        self.out_msgs += index - start
        return index

    def flush_backlog(self) -> None:
        """Move queued messages to the link while it accepts them.

        Called when a link is attached and when it can take messages again.
        """
        link = self.link
        backlog = self.backlog
        if link is None or not backlog:
            return
        was_full = self._backlog_full()
        while backlog and link.try_send(backlog[0]):
            backlog.popleft()
        if was_full and not self._backlog_full():
            self.events.pipe_writable()

    @property
    def out_count(self) -> int:
        """Messages sent (or queued) to the peer: :attr:`out_msgs`, and
        those handed straight to a peer pipe and not yet settled."""
        return self.out_msgs + self.handed

    @property
    def in_count(self) -> int:
        """Messages received from the peer: :attr:`in_msgs`, and those a
        peer pipe handed over straight and has not yet settled.

        A message handed over straight is counted once, in the sender's
        :attr:`handed` (two counts per message cost ~530 of ~9,250
        instructions per 16 B message, callgrind inproc16); unlinking adds
        it to both pipes' counters (:meth:`_settle`).
        """
        peer = self.peer
        return self.in_msgs if peer is None else self.in_msgs + peer.handed

    def _settle(self) -> None:
        """Add what each of the two linked pipes handed the other straight
        to both counters, before the link between them goes."""
        peer = self.peer
        if peer is None:
            return
        for sender, receiver in ((self, peer), (peer, self)):
            handed = sender.handed
            if handed:
                sender.out_msgs += handed
                receiver.in_msgs += handed
                sender.handed = 0

    # -- inbound -------------------------------------------------------------

    @property
    def has_room(self) -> bool:
        """Whether the inbound queue is under the receive high-water mark."""
        return self.rcvhwm <= 0 or len(self.inbound) < self.rcvhwm

    def deliver(self, message: Delivered) -> None:
        """Queue a message received from the peer; pause reading at the HWM."""
        self.in_msgs += 1
        if self.inbound_filter is not None:
            filtered = self.inbound_filter(self, message)
            if filtered is None:
                return
            message = filtered
        self.queue(message)

    def deliver_many(self, messages: Sequence[Delivered]) -> None:
        """:meth:`deliver` each of *messages* (what one read completed), with
        :meth:`queue` inlined for unfiltered pipes: one call per read, not
        two per message. tests/sockets/test_hot_paths.py drives both paths."""
        self.in_msgs += len(messages)
        inbound_filter = self.inbound_filter
        if inbound_filter is not None:
            filter_many = self.inbound_filter_many
            kept = filter_many(self, messages) if filter_many is not None else None
            if kept is None:
                for message in messages:
                    filtered = inbound_filter(self, message)
                    if filtered is not None:
                        self.queue(filtered)
                return
            if not kept:
                return
            messages = kept
        inbound = self.inbound
        was_empty = not inbound
        # As many appends: a conflating queue keeps the last message whole,
        # and past the HWM the messages already read are kept, as deliver does.
        inbound.extend(messages)
        if was_empty:
            self.events.pipe_readable(self)
        if 0 < self.rcvhwm <= len(inbound) and not self.reading_paused and self.link is not None:
            self.reading_paused = True
            self.link.pause_reading()

    def deliver_subscription(self, topic: bytes, subscribe: bool) -> None:
        """A SUBSCRIBE/CANCEL from the peer, queued as the message form of
        RFC 29 (``\\x01topic``/``\\x00topic``) where the socket wants them."""
        if self.wants_subscriptions:
            self.deliver([(b"\x01" if subscribe else b"\x00") + topic])

    def offer(self, message: Delivered) -> bool:
        """Queue *message* unless the inbound queue is full (see ``PipeEnd.offer``).

        This is the whole inproc hot path, so :meth:`queue` is inlined here
        for unfiltered pipes; tests/sockets/test_hot_paths.py drives both.
        """
        inbound = self.inbound
        queued = len(inbound)
        if 0 < self.rcvhwm <= queued:
            # Our reader's next drain resumes the sender (maybe_resume_reading).
            self.reading_paused = True
            return False
        if type(message) is list and len(message) == 1:
            message = message[0]  # queued as its bytes (Delivered), as _send_to_peer does
        if self.inbound_filter is not None:
            self.deliver(message)
        else:
            self.in_msgs += 1
            inbound.append(message)  # by reference: inproc neither encodes nor copies
            if not queued:
                self.events.pipe_readable(self)
        return True

    def offer_many(self, messages: Sequence[Delivered], start: int) -> int:
        """:meth:`offer` ``messages[start:]`` in order while the inbound queue
        has room (an inproc peer's ``send_many``); return the index of the
        first one not taken. One extend and one readable signal per batch."""
        end = len(messages)
        if self.inbound_filter is not None:
            offer = self.offer
            while start < end and offer(messages[start]):
                start += 1
            return start
        inbound = self.inbound
        queued = len(inbound)
        stop = end if self.rcvhwm <= 0 else min(end, start + self.rcvhwm - queued)
        if stop < end:
            # The next offer would be refused: our reader's next drain
            # resumes the sender (maybe_resume_reading), as offer() arranges.
            self.reading_paused = True
        if stop <= start:
            return start
        # By reference, one-frame messages as their bytes, as offer().
        inbound.extend(
            [m[0] if type(m) is list and len(m) == 1 else m for m in messages[start:stop]]
        )
        self.in_msgs += stop - start
        if not queued:
            self.events.pipe_readable(self)
        return stop

    def queue(self, message: Delivered) -> None:
        """Queue *message* for the socket as is (no inbound filter)."""
        inbound = self.inbound
        # "Was empty", not "holds one": a conflating queue always holds one.
        was_empty = not inbound
        inbound.append(message)
        if was_empty:
            self.events.pipe_readable(self)
        if 0 < self.rcvhwm <= len(inbound) and not self.reading_paused and self.link is not None:
            self.reading_paused = True
            self.link.pause_reading()

    def maybe_resume_reading(self) -> None:
        """Resume reading once the inbound queue has drained to half the HWM
        (:attr:`resume_at`)."""
        if len(self.inbound) <= self.resume_at:
            self.reading_paused = False
            if self.link is not None:
                self.link.resume_reading()

    # -- lifecycle -----------------------------------------------------------

    def attach_link(self, link: Link, peer_address: str, properties: dict[bytes, bytes]) -> None:
        """A connection finished its handshake and now carries this pipe."""
        self._settle()  # the counts of a link not detached first, if any
        self.link = link
        # Read once per connection: optional, so a link written outside
        # aiomsg need not have it.
        self.send_encoded = getattr(link, "send_encoded", None)
        # Optional too: a link that sends for the pipe in one call.
        direct_sender = getattr(link, "direct_sender", None)
        self.link_send = None if direct_sender is None else direct_sender(self)
        # Optional too (see Link): only a pipe of our own kind can be offered
        # to inline.
        peer = getattr(link, "peer", None)
        self.peer = peer if isinstance(peer, Pipe) else None
        self._choose_direct_send()
        self.linked_before = True
        self.peer_address = peer_address
        self.peer_properties = properties
        self.reading_paused = False
        if 0 < self.rcvhwm <= len(self.inbound):
            self.reading_paused = True
            link.pause_reading()

    def detach_link(self) -> None:
        """The connection that carried this pipe is gone."""
        self._settle()
        self.link = None
        self.send_encoded = None
        self.link_send = None
        self.peer = None
        self._choose_direct_send()
        self.reading_paused = False
