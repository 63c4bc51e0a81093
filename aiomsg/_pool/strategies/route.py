"""Routing by id: ROUTER's (libzmq ``router_t``) and SERVER's and PEER's (``server_t``)."""

from __future__ import annotations

import os
from collections.abc import Callable

from aiomsg._pool.pipe import Message, Pipe
from aiomsg._pool.strategies.base import Sender
from aiomsg._pool.strategies.fair_queue import FairQueue
from aiomsg.errors import HostUnreachable, InvalidMessage

__all__ = ["PrefixRoutingId", "RouteById", "RouteToPeer"]


class RouteById(Sender):
    """Frame 0 of each outgoing message names the pipe it goes to.

    Messages for an unknown id, or for a pipe at its high-water mark, are
    dropped silently, unless ``mandatory()`` is true: then an unknown id raises
    :class:`HostUnreachable` and a full pipe makes the sender wait.
    """

    __slots__ = ("_next_id", "dropped", "mandatory", "routes")

    def __init__(self, *, mandatory: Callable[[], bool] = lambda: False) -> None:
        self.routes: dict[bytes, Pipe] = {}
        self.mandatory = mandatory
        self.dropped = 0
        # Generated ids are 0x00 + a BE uint32 counter from a random start,
        # the form libzmq uses and RFC 37 reserves (docs/wire/zmtp.md#routing-ids).
        self._next_id = int.from_bytes(os.urandom(4), "big")

    def refusal(self, pipe: Pipe | None, identity: bytes) -> str | None:
        if identity.startswith(b"\x00"):
            return "identities starting with a zero byte are reserved"
        if identity and identity in self.routes:
            return f"duplicate identity {identity!r}"
        return None

    def linked(self, pipe: Pipe) -> None:
        identity = pipe.peer_properties.get(b"Identity", b"")
        if not identity:
            identity = b"\x00" + self._next_id.to_bytes(4, "big")
            self._next_id = (self._next_id + 1) & 0xFFFFFFFF
        pipe.routing_id = identity
        self.routes[identity] = pipe

    def unlinked(self, pipe: Pipe) -> None:
        if self.routes.get(pipe.routing_id) is pipe:
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
        if pipe.send(message[1:]):
            return True
        if self.mandatory():
            return False
        self.dropped += 1
        return True


class PrefixRoutingId(FairQueue):
    """A FairQueue whose messages start with the routing id of the peer that
    sent them (ROUTER), as :class:`RouteById` expects them back."""

    __slots__ = ()

    def recv(self) -> Message | None:
        message = FairQueue.recv(self)
        if message is None:
            return None
        assert self.last is not None
        return [self.last.routing_id, *message]


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
        return pipe.send([body])
