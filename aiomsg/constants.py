"""libzmq's numbers: socket types, option numbers, flags, poll events, security
mechanisms and errno values, as pyzmq spells them; and which socket types may
pair up."""

from __future__ import annotations

import enum
import errno

__all__ = [
    "DONTWAIT",
    "NOBLOCK",
    "NOTIFY_CONNECT",
    "NOTIFY_DISCONNECT",
    "RECONNECT_STOP_AFTER_DISCONNECT",
    "RECONNECT_STOP_CONN_REFUSED",
    "RECONNECT_STOP_HANDSHAKE_FAILED",
    "SNDMORE",
    "Errno",
    "PollEvent",
    "SecurityMechanism",
    "SocketOption",
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
    # Raw TCP peers, no ZMTP (docs/patterns/stream.md).
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


class SocketOption(enum.IntEnum):
    """The libzmq option numbers (``zmq.h``) of the options aiomsg has, for
    :meth:`Socket.setsockopt` and :meth:`Socket.getsockopt` (pyzmq's
    ``zmq.SocketOption``). Each name in lower case is the socket attribute
    that holds the option.

    ``SUBSCRIBE`` and ``UNSUBSCRIBE`` can only be set; ``RCVMORE``,
    ``EVENTS``, ``TYPE``, ``LAST_ENDPOINT`` and ``MECHANISM`` only read.
    ``HWM`` is pyzmq's pseudo-option that sets both high-water marks.
    """

    HWM = 1
    IDENTITY = 5
    ROUTING_ID = 5  # libzmq's newer name for the same option
    SUBSCRIBE = 6
    UNSUBSCRIBE = 7
    RCVMORE = 13
    EVENTS = 15
    TYPE = 16
    LINGER = 17
    RECONNECT_IVL = 18
    RECONNECT_IVL_MAX = 21
    MAXMSGSIZE = 22
    SNDHWM = 23
    RCVHWM = 24
    LAST_ENDPOINT = 32
    ROUTER_MANDATORY = 33
    IMMEDIATE = 39
    XPUB_VERBOSE = 40
    MECHANISM = 43
    PLAIN_SERVER = 44
    PLAIN_USERNAME = 45
    PLAIN_PASSWORD = 46
    CURVE_SERVER = 47
    CURVE_PUBLICKEY = 48
    CURVE_SECRETKEY = 49
    CURVE_SERVERKEY = 50
    PROBE_ROUTER = 51
    REQ_CORRELATE = 52
    REQ_RELAXED = 53
    CONFLATE = 54
    ZAP_DOMAIN = 55
    ROUTER_HANDOVER = 56
    CONNECT_ROUTING_ID = 61
    HANDSHAKE_IVL = 66
    XPUB_NODROP = 69
    XPUB_MANUAL = 71
    XPUB_WELCOME_MSG = 72
    INVERT_MATCHING = 74
    HEARTBEAT_IVL = 75
    HEARTBEAT_TTL = 76
    HEARTBEAT_TIMEOUT = 77
    XPUB_VERBOSER = 78
    ROUTER_NOTIFY = 97
    ONLY_FIRST_SUBSCRIBE = 108
    # Socket tuning, timeouts, STREAM and ZAP.
    SNDBUF = 11
    RCVBUF = 12
    BACKLOG = 19
    RCVTIMEO = 27
    SNDTIMEO = 28
    TCP_KEEPALIVE = 34
    TCP_KEEPALIVE_CNT = 35
    TCP_KEEPALIVE_IDLE = 36
    TCP_KEEPALIVE_INTVL = 37
    TOS = 57
    STREAM_NOTIFY = 73
    CONNECT_TIMEOUT = 79
    TCP_MAXRT = 80
    USE_FD = 89
    ZAP_ENFORCE_DOMAIN = 93
    RECONNECT_STOP = 109
    # Multicast (epgm://, pgm://).
    RATE = 8
    RECOVERY_IVL = 9
    MULTICAST_HOPS = 25
    MULTICAST_MAXTPDU = 84
    MULTICAST_LOOP = 96


class PollEvent(enum.IntFlag):
    """Readiness, as :class:`aiomsg.Poller` and :attr:`Socket.events` report it
    (``zmq.h``'s ``ZMQ_POLLIN``...). POLLIN: a receive would not wait;
    POLLOUT: a send would not wait. POLLERR is never reported (libzmq does not
    either for its sockets); it exists for code that tests for it."""

    POLLIN = 1
    POLLOUT = 2
    POLLERR = 4


class SecurityMechanism(enum.IntEnum):
    """The value of the ``mechanism`` option (``zmq.h``'s ``ZMQ_NULL``...)."""

    NULL = 0
    PLAIN = 1
    CURVE = 2
    GSSAPI = 3  # never used by aiomsg, which does not implement GSSAPI


# zmq.h: error numbers libzmq adds to the system's start at this base.
_HAUSNUMERO = 156384712


class Errno(enum.IntEnum):
    """The ``errno`` of each aiomsg exception, as pyzmq's ``zmq.EAGAIN``... has it:
    the system's values where the system defines them, libzmq's own otherwise
    (``zmq.h``)."""

    EAGAIN = errno.EAGAIN
    EINVAL = errno.EINVAL
    ENOTSUP = errno.ENOTSUP
    EPROTONOSUPPORT = errno.EPROTONOSUPPORT
    EADDRINUSE = errno.EADDRINUSE
    ENOTSOCK = errno.ENOTSOCK
    EHOSTUNREACH = errno.EHOSTUNREACH
    EFSM = _HAUSNUMERO + 51
    ENOCOMPATPROTO = _HAUSNUMERO + 52
    ETERM = _HAUSNUMERO + 53
#: ``router_notify`` flags (libzmq's ``ZMQ_NOTIFY_CONNECT`` and
#: ``ZMQ_NOTIFY_DISCONNECT``): a ROUTER receives ``[routing_id, b""]`` when a
#: peer completes its handshake, and when it goes.
NOTIFY_CONNECT = 1
NOTIFY_DISCONNECT = 2
# The ``reconnect_stop`` option's flags (zmq.h 4.3.5, draft), OR-ed together.
#: Stop reconnecting when a connect attempt is refused (``ECONNREFUSED``).
RECONNECT_STOP_CONN_REFUSED = 1
#: Stop reconnecting when the handshake of a new connection fails.
RECONNECT_STOP_HANDSHAKE_FAILED = 2
#: Stop reconnecting after ``disconnect()``: aiomsg always does; accepted for ported code.
RECONNECT_STOP_AFTER_DISCONNECT = 4
