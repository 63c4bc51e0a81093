"""STREAM: raw TCP peers, addressed by routing id (libzmq ``ZMQ_STREAM``)."""

from __future__ import annotations

from typing import Any

from aiomsg._pool.strategies import FairQueue, RawRoute, StampRoutingId
from aiomsg._socket import Socket
from aiomsg.constants import SocketType

__all__ = ["Stream"]


class Stream(Socket):
    """Talks to plain TCP programs: no ZMTP, no handshake.

    Each message received is ``[routing_id, data]``, a chunk as it was read;
    ``[routing_id, b""]`` says a peer connected or went (``stream_notify``).
    Send ``[routing_id, data]`` to write to that peer, ``[routing_id, b""]``
    to close its connection.
    """

    socket_type = SocketType.STREAM
    __slots__ = ()

    def __init__(self, *args: Any, **options: Any) -> None:
        super().__init__(*args, **options)
        self._use(RawRoute(notify=lambda: self.stream_notify), FairQueue(), StampRoutingId())
