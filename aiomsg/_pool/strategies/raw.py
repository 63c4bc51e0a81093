"""STREAM's strategies (libzmq ``stream_t``): raw peers addressed by routing id."""

from __future__ import annotations

from collections.abc import Callable

from aiomsg._pool.pipe import Delivered, Message, Pipe
from aiomsg._pool.strategies.base import Filter
from aiomsg._pool.strategies.route import RouteById
from aiomsg.errors import InvalidMessage

__all__ = ["RawRoute", "StampRoutingId"]


class RawRoute(RouteById):
    """``[routing_id, data...]`` writes the data to that peer; ``[routing_id,
    b""]`` closes its connection. An unknown id raises HostUnreachable and a
    full peer makes the sender wait, as libzmq's STREAM always does.

    Each connection gets a fresh routing id (raw peers announce none). With
    *notify* true (``stream_notify``), the socket receives ``[routing_id,
    b""]`` when a peer connects and again when it goes, as libzmq sends
    them; not for a peer the socket closed itself (libzmq does not either:
    the notice comes from its engine's error path, ``stream_engine_base.cpp``).
    """

    __slots__ = ("_closed_here", "notify")

    def __init__(self, *, notify: Callable[[], bool]) -> None:
        super().__init__(mandatory=lambda: True)
        self.notify = notify
        self._closed_here: set[Pipe] = set()

    def linked(self, pipe: Pipe) -> None:
        super().linked(pipe)
        if self.notify():
            pipe.queue([pipe.routing_id, b""])

    def unlinked(self, pipe: Pipe) -> None:
        if pipe in self._closed_here:
            self._closed_here.discard(pipe)
        elif self.notify():
            # Queued under the id it had: the notice stays readable after
            # the pipe has left (the receiver keeps it until drained).
            pipe.queue([pipe.routing_id, b""])
        super().unlinked(pipe)

    def send(self, message: Message) -> bool:
        if len(message) < 2:
            raise InvalidMessage("a STREAM message is [routing_id, data]")
        if len(message) == 2 and not message[1]:
            pipe = self.routes.pop(message[0], None)
            if pipe is not None and pipe.link is not None:
                self._closed_here.add(pipe)
                pipe.link.close("closed by the application")
            return True  # closing a peer that is gone already is no error
        return super().send(message)


class StampRoutingId(Filter):
    """Prefixes each chunk a raw peer sends with the peer's routing id, when
    it arrives (a reconnected pipe has a new id by the time it is read)."""

    __slots__ = ()

    def filter(self, pipe: Pipe, message: Delivered) -> Delivered | None:
        if type(message) is bytes:  # the bytes of one frame
            return [pipe.routing_id, message]
        return [pipe.routing_id, *message]
