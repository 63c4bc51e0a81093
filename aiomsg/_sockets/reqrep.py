"""REQ, REP, DEALER and ROUTER: request/reply and its asynchronous forms (RFC 28)."""

from __future__ import annotations

from typing import Any

from aiomsg._pool.pipe import Pipe
from aiomsg._pool.strategies import (
    FairQueue,
    LoadBalance,
    PrefixRoutingId,
    ReplyLockstep,
    RequestLockstep,
    RouteById,
)
from aiomsg._socket import Socket
from aiomsg.constants import SocketType

__all__ = ["Dealer", "Rep", "Req", "Router"]


class Req(Socket):
    """Sends a request to one REP/ROUTER peer in turn, then must receive its reply.

    ``send`` twice, or ``recv`` before ``send``, raises :class:`InvalidState`.
    """

    __slots__ = ()

    socket_type = SocketType.REQ

    def __init__(self, *args: Any, **options: Any) -> None:
        super().__init__(*args, **options)
        lockstep = RequestLockstep(self._options)
        self._use(lockstep, lockstep)


class Rep(Socket):
    """Receives a request, then must send its reply (to the peer that asked)."""

    __slots__ = ()

    socket_type = SocketType.REP

    def __init__(self, *args: Any, **options: Any) -> None:
        super().__init__(*args, **options)
        lockstep = ReplyLockstep()
        self._use(lockstep, lockstep)


class Dealer(Socket):
    """Asynchronous request/reply: LoadBalance out, FairQueue in, frames untouched."""

    __slots__ = ()

    socket_type = SocketType.DEALER

    def __init__(self, *args: Any, **options: Any) -> None:
        super().__init__(*args, **options)
        self._use(LoadBalance(probe=lambda: self.probe_router), FairQueue())


class Router(Socket):
    """Prefixes each received message with its peer's routing id, and sends each
    message to the peer named by its first frame.

    Unroutable messages are dropped, or raise :class:`HostUnreachable` when
    ``router_mandatory`` is set. ``router_handover``, ``probe_router``,
    ``router_notify`` and ``connect_routing_id`` act as in libzmq
    (docs/patterns/dealer-router.md).
    """

    __slots__ = ("_route",)

    socket_type = SocketType.ROUTER

    def __init__(self, *args: Any, **options: Any) -> None:
        super().__init__(*args, **options)
        self._route = RouteById(
            mandatory=lambda: self.router_mandatory,
            handover=lambda: self.router_handover,
            probe=lambda: self.probe_router,
        )
        self._use(self._route, PrefixRoutingId(notify=lambda: self.router_notify))

    def _connect(self, endpoint: str, routing_id: bytes = b"") -> Pipe:
        """Connect; with ``connect_routing_id`` set, the peer gets that routing
        id at once, and the option is cleared: it names one connection, as
        in libzmq.

        Raises:
            InvalidState: a peer already has that routing id.
        """
        name = routing_id or self.connect_routing_id
        if name:
            self._route.claim(name)
        pipe = super()._connect(endpoint, name)
        self._options["connect_routing_id"] = b""
        return pipe
