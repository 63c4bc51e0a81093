"""Socket types with libzmq's numeric values, and which types may pair up."""

from __future__ import annotations

import enum

__all__ = [
    "DONTWAIT",
    "NOBLOCK",
    "RECONNECT_STOP_AFTER_DISCONNECT",
    "RECONNECT_STOP_CONN_REFUSED",
    "RECONNECT_STOP_HANDSHAKE_FAILED",
    "SNDMORE",
    "SocketType",
    "compatible_peers",
]


class SocketType(enum.IntEnum):
    """The ZeroMQ socket types; values match ``zmq.h`` (the draft types' too)."""

    PAIR = 0
    PUB = 1
    SUB = 2
    REQ = 3
    REP = 4
    DEALER = 5
    ROUTER = 6
    PULL = 7
    PUSH = 8
    XPUB = 9
    XSUB = 10
    # Raw TCP peers, no ZMTP (docs/patterns/stream.md); issue 12 part B.
    STREAM = 11
    # The draft types of RFC 37's thread-safe family (docs/wire/draft.md#draft-types).
    SERVER = 12
    CLIENT = 13
    RADIO = 14
    DISH = 15
    GATHER = 16
    SCATTER = 17
    DGRAM = 18
    PEER = 19
    CHANNEL = 20

    @property
    def can_send(self) -> bool:
        """Whether sockets of this type send messages (all but PULL, SUB, DISH and GATHER)."""
        return self not in _RECEIVE_ONLY

    @property
    def can_recv(self) -> bool:
        """Whether sockets of this type receive messages (all but PUSH, PUB, RADIO and SCATTER)."""
        return self not in _SEND_ONLY

    @property
    def single_frame(self) -> bool:
        """Whether every message is exactly one frame (the draft types, RFC 37).

        Such a socket refuses to send a multipart message and drops one it
        receives (docs/wire/draft.md#single-frame).
        """
        return self >= SocketType.SERVER

    @property
    def wire_name(self) -> bytes:
        """The ``Socket-Type`` property value sent in READY (exact upper case)."""
        return self.name.encode("ascii")


_SEND_ONLY = frozenset({SocketType.PUSH, SocketType.PUB, SocketType.RADIO, SocketType.SCATTER})
_RECEIVE_ONLY = frozenset({SocketType.PULL, SocketType.SUB, SocketType.DISH, SocketType.GATHER})

_COMPATIBLE: dict[SocketType, frozenset[SocketType]] = {
    SocketType.REQ: frozenset({SocketType.REP, SocketType.ROUTER}),
    SocketType.REP: frozenset({SocketType.REQ, SocketType.DEALER}),
    SocketType.DEALER: frozenset({SocketType.REP, SocketType.DEALER, SocketType.ROUTER}),
    SocketType.ROUTER: frozenset({SocketType.REQ, SocketType.DEALER, SocketType.ROUTER}),
    SocketType.PUB: frozenset({SocketType.SUB, SocketType.XSUB}),
    SocketType.XPUB: frozenset({SocketType.SUB, SocketType.XSUB}),
    SocketType.SUB: frozenset({SocketType.PUB, SocketType.XPUB}),
    SocketType.XSUB: frozenset({SocketType.PUB, SocketType.XPUB}),
    SocketType.PUSH: frozenset({SocketType.PULL}),
    SocketType.PULL: frozenset({SocketType.PUSH}),
    SocketType.PAIR: frozenset({SocketType.PAIR}),
    # The draft types pair only among themselves (docs/wire/draft.md#draft-types).
    SocketType.SERVER: frozenset({SocketType.CLIENT}),
    SocketType.CLIENT: frozenset({SocketType.SERVER}),
    SocketType.RADIO: frozenset({SocketType.DISH}),
    SocketType.DISH: frozenset({SocketType.RADIO}),
    SocketType.GATHER: frozenset({SocketType.SCATTER}),
    SocketType.SCATTER: frozenset({SocketType.GATHER}),
    SocketType.DGRAM: frozenset(),
    SocketType.STREAM: frozenset(),  # never handshakes: its peers speak raw bytes
    SocketType.PEER: frozenset({SocketType.PEER}),
    SocketType.CHANNEL: frozenset({SocketType.CHANNEL}),
}


def compatible_peers(local: SocketType) -> frozenset[bytes]:
    """The ``Socket-Type`` wire names a socket of type *local* accepts (RFC 23/37)."""
    return frozenset(peer.wire_name for peer in _COMPATIBLE[local])


#: Flag for the ``flags`` argument of send and receive calls: do not wait,
#: raise :class:`aiomsg.Again` instead (same value as ``zmq.NOBLOCK``).
NOBLOCK = 1
#: Alias of :data:`NOBLOCK`, as in libzmq.
DONTWAIT = NOBLOCK
#: ``send(data, flags=SNDMORE)``: more frames of this message follow (as in pyzmq).
SNDMORE = 2

# The ``reconnect_stop`` option's flags (zmq.h 4.3.5, draft), OR-ed together.
#: Stop reconnecting when a connect attempt is refused (``ECONNREFUSED``).
RECONNECT_STOP_CONN_REFUSED = 1
#: Stop reconnecting when the handshake of a new connection fails.
RECONNECT_STOP_HANDSHAKE_FAILED = 2
#: Stop reconnecting after ``disconnect()``: aiomsg always does; accepted for ported code.
RECONNECT_STOP_AFTER_DISCONNECT = 4
