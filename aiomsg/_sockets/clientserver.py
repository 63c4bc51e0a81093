"""CLIENT, SERVER and PEER: single-frame request/reply by routing id (RFC 41, RFC 51)."""

from __future__ import annotations

from typing import Any

from aiomsg._pool.strategies import FairQueue, LoadBalance, RouteToPeer, SingleFrames
from aiomsg._socket import Socket
from aiomsg.constants import SocketType

__all__ = ["Client", "Peer", "Server"]


class _SingleFrameSocket(Socket):
    """What the single-frame types that receive share: multipart messages
    received are dropped and counted."""

    __slots__ = ("_single_frames",)

    _single_frames: SingleFrames

    @property
    def dropped(self) -> int:
        """Multipart messages received and dropped (these types are single-frame)."""
        return self._single_frames.dropped


class Client(_SingleFrameSocket):
    """Sends each message to the next SERVER in turn; receives from all fairly.

    A single-frame DEALER: queues for a peer not connected yet, waits when
    every peer is at its ``sndhwm``.
    """

    __slots__ = ()

    socket_type = SocketType.CLIENT

    def __init__(self, *args: Any, **options: Any) -> None:
        super().__init__(*args, **options)
        self._single_frames = SingleFrames()
        self._use(LoadBalance(), FairQueue(), self._single_frames)


class Server(_SingleFrameSocket):
    """Receives from every CLIENT with its routing id (:meth:`recv_from`) and
    answers by id (``send(data, routing_id=...)``).

    Each peer gets a non-zero uint32 routing id when it connects. A send to
    an unknown id raises :class:`HostUnreachable`; a send to a peer at its
    ``sndhwm`` waits (a SERVER never drops, RFC 41).
    """

    __slots__ = ()

    socket_type = SocketType.SERVER

    def __init__(self, *args: Any, **options: Any) -> None:
        super().__init__(*args, **options)
        self._single_frames = SingleFrames()
        self._use(RouteToPeer(), FairQueue(), self._single_frames)


class Peer(Server):
    """A SERVER that also connects: :meth:`connect_peer` returns the routing
    id of the peer it connects to (RFC 51). Pairs only with PEER."""

    __slots__ = ()

    socket_type = SocketType.PEER
