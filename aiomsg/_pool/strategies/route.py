"""Routing by id: ROUTER's (libzmq ``router_t``) and SERVER's and PEER's (``server_t``)."""

from __future__ import annotations

import os
from collections.abc import Callable

from aiomsg._pool.pipe import Delivered, Message, Pipe
from aiomsg._pool.strategies.base import Receiver, Sender, never, send_probe
from aiomsg._pool.strategies.fair_queue import FairQueue, fair_recv
from aiomsg.constants import NOTIFY_CONNECT, NOTIFY_DISCONNECT
from aiomsg.errors import HostUnreachable, InvalidMessage, InvalidState

__all__ = ["PrefixRoutingId", "RouteById", "RouteToPeer"]


class RouteById(Sender):
    """Frame 0 of each outgoing message names the pipe it goes to.

    Messages for an unknown id, or for a pipe at its high-water mark, are
    dropped silently, unless ``mandatory()`` is true: then an unknown id raises
    :class:`HostUnreachable` and a full pipe makes the sender wait.

    A peer's routing id is, in order: the name its pipe was given at
    connect (``connect_routing_id``: routable at once, kept across
    reconnects), its ``Identity`` property, or a generated one. A second
    peer with an identity in use is refused, unless ``handover()`` is true:
    then it takes the id over, and the old peer gets a generated id and is
    disconnected (libzmq's ``router_t::identify_peer``). With ``probe()``,
    each new peer first gets an empty message (``probe_router``).
    """

    __slots__ = ("_named", "_next_id", "dropped", "handover", "mandatory", "probe", "routes")

    def __init__(
        self,
        *,
        mandatory: Callable[[], bool] = never,
        handover: Callable[[], bool] = never,
        probe: Callable[[], bool] = never,
    ) -> None:
        self.routes: dict[bytes, Pipe] = {}
        self.mandatory = mandatory
        self.handover = handover
        self.probe = probe
        self.dropped = 0
        self._named: set[Pipe] = set()
        # Generated ids are 0x00 + a BE uint32 counter from a random start,
        # the form libzmq uses and RFC 37 reserves (docs/wire/zmtp.md#routing-ids).
        self._next_id = int.from_bytes(os.urandom(4), "big")

    def claim(self, routing_id: bytes) -> None:
        """Check that a connect may name its peer *routing_id*.

        Raises:
            InvalidState: a peer already has that routing id (libzmq
                asserts instead).
        """
        if routing_id in self.routes:
            raise InvalidState(f"routing id {routing_id!r} is already in use")

    def attach(self, pipe: Pipe) -> None:
        if pipe.routing_id:  # named at connect: routable before the peer is there
            self._named.add(pipe)
            self.routes[pipe.routing_id] = pipe

    def detach(self, pipe: Pipe) -> None:
        self._named.discard(pipe)
        if self.routes.get(pipe.routing_id) is pipe:
            del self.routes[pipe.routing_id]

    def refusal(self, pipe: Pipe | None, identity: bytes) -> str | None:
        if pipe in self._named:
            return None  # we named this peer; what it calls itself does not matter
        if identity.startswith(b"\x00"):
            return "identities starting with a zero byte are reserved"
        if identity and identity in self.routes and not self.handover():
            return f"duplicate identity {identity!r}"
        return None

    def linked(self, pipe: Pipe) -> None:
        if self.probe():
            send_probe(pipe)
        if pipe in self._named:
            return
        identity = pipe.peer_properties.get(b"Identity", b"") or self._generate()
        previous = self.routes.get(identity)
        pipe.routing_id = identity
        self.routes[identity] = pipe
        if previous is not None and previous is not pipe:
            # Handover (refusal let the newcomer in): the old peer is renamed,
            # so messages it already sent keep a routing id, then dropped.
            self._named.discard(previous)
            previous.routing_id = renamed = self._generate()
            self.routes[renamed] = previous
            if previous.link is not None:
                previous.link.close("routing id handed over to a new peer")

    def _generate(self) -> bytes:
        routing_id = b"\x00" + self._next_id.to_bytes(4, "big")
        self._next_id = (self._next_id + 1) & 0xFFFFFFFF
        return routing_id

    def unlinked(self, pipe: Pipe) -> None:
        if pipe not in self._named and self.routes.get(pipe.routing_id) is pipe:
            del self.routes[pipe.routing_id]

    def has_out(self) -> bool:
        # Only router_mandatory waits, and only for a full peer: ready when
        # any peer has room, as libzmq's router_t::xhas_out has it.
        return not self.mandatory() or any(not pipe.full for pipe in self.routes.values())

    def send(self, message: Message) -> bool:
        if len(message) < 2:
            self.dropped += 1  # a routing id and no message, as libzmq does
            return True
        pipe = self.routes.get(message[0])
        if pipe is None:
            if self.mandatory():
                raise HostUnreachable(f"no peer with routing id {message[0]!r}")
            self.dropped += 1
            return True
        send = pipe.direct_send  # a local: see LoadBalance.send
        if send(message[1:]):
            return True
        if self.mandatory():
            return False
        self.dropped += 1
        return True


class PrefixRoutingId(FairQueue):
    """A FairQueue whose messages start with the routing id of the peer that
    sent them (ROUTER), as :class:`RouteById` expects them back.

    ``notify()`` holds ``router_notify`` flags: with NOTIFY_CONNECT (1) a
    peer that completes its handshake, and with NOTIFY_DISCONNECT (2) one
    that goes, queues an empty message, received as ``[routing_id, b""]``
    (libzmq's ``stream_engine_base.cpp``).
    """

    __slots__ = ("notify",)

    def __init__(self, *, notify: Callable[[], int] = lambda: 0) -> None:
        super().__init__()
        self.notify = notify

    def linked(self, pipe: Pipe) -> None:
        if self.notify() & NOTIFY_CONNECT:
            pipe.queue([b""])

    def unlinked(self, pipe: Pipe) -> None:
        if self.notify() & NOTIFY_DISCONNECT:
            pipe.queue([b""])

    def recv(self) -> Delivered | None:
        message = fair_recv(self)
        if message is None:
            return None
        assert self.last is not None
        if type(message) is bytes:  # one frame, queued as its bytes
            return [self.last.routing_id, message]
        return [self.last.routing_id, *message]

    # Each message gets its own envelope: Receiver's loop over recv(), not
    # FairQueue's run, which would hand out the messages as queued.
    recv_many = Receiver.recv_many


class RouteToPeer(Sender):
    """SERVER and PEER: each ``[routing_id, body]`` goes to the pipe with that id.

    Every pipe gets a non-zero uint32 id, as its 4 big-endian bytes, when it
    joins the socket (so a PEER's ``connect_peer`` knows the id before the
    connection exists); the peer has no say in it
    (docs/wire/draft.md#server-routing-ids). Unlike libzmq, whose counter
    starts at an unseeded ``rand()``, ours starts at a random value, and
    skips ids still in use when it wraps.

    An unknown id raises :class:`HostUnreachable`; a pipe at its high-water
    mark makes the sender wait: a SERVER never drops (RFC 41).
    """

    __slots__ = ("_next_id", "routes")

    def __init__(self) -> None:
        self.routes: dict[bytes, Pipe] = {}
        self._next_id = int.from_bytes(os.urandom(4), "big") or 1

    def attach(self, pipe: Pipe) -> None:
        while True:
            routing_id = self._next_id.to_bytes(4, "big")
            self._next_id = (self._next_id + 1) & 0xFFFFFFFF or 1
            if routing_id not in self.routes:
                break
        pipe.routing_id = routing_id
        self.routes[routing_id] = pipe

    def detach(self, pipe: Pipe) -> None:
        if self.routes.get(pipe.routing_id) is pipe:
            del self.routes[pipe.routing_id]

    def has_out(self) -> bool:
        # A send waits only for a full peer: ready when any peer has room,
        # as for a ROUTER with router_mandatory.
        return any(not pipe.full for pipe in self.routes.values())

    def send(self, message: Message) -> bool:
        if len(message) != 2:
            raise InvalidMessage("this socket sends to one peer: send(data, routing_id=...)")
        routing_id, body = message
        pipe = self.routes.get(routing_id)
        if pipe is None:
            number = int.from_bytes(routing_id, "big")
            raise HostUnreachable(f"no peer with routing id {number}")
        return pipe.direct_send([body])
