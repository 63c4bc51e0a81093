"""The exceptions aiomsg raises.

Every exception raised to application code derives from :class:`AiomsgError`.
Misbehaviour by a *peer* (garbage on the wire, a wrong greeting, an
incompatible socket type, an oversized frame) is never raised to the
application: the peer is disconnected, the reason is logged and a monitor
event is emitted. :class:`ProtocolError` exists for the sans-I/O codec, which
reports such faults to the connection layer that owns it.

Each exception carries the ``errno`` pyzmq's ``ZMQError`` would have for the
same failure (``aiomsg.EAGAIN``..., the values of :class:`aiomsg.Errno`), so
ported code that tests ``error.errno`` keeps working.
"""

from __future__ import annotations

from aiomsg.constants import Errno

__all__ = [
    "AddressInUse",
    "Again",
    "AiomsgError",
    "Closed",
    "DecodeError",
    "EndpointError",
    "HostUnreachable",
    "IncompatiblePeer",
    "InvalidMessage",
    "InvalidOption",
    "InvalidState",
    "NotSupported",
    "ProtocolError",
    "RemoteError",
]


class AiomsgError(Exception):
    """Root of every exception aiomsg raises to application code.

    ``errno`` is the error number pyzmq would report for the same failure,
    or None where pyzmq has none (decoding, remote errors).
    """

    errno: int | None = None

    def __init__(self, *args: object, errno: int | None = None) -> None:
        super().__init__(*args)
        if errno is not None:
            self.errno = errno


class Again(AiomsgError):
    """A non-blocking send or receive could not complete now (libzmq's EAGAIN)."""

    errno = Errno.EAGAIN


class InvalidState(AiomsgError):
    """The call is not allowed in the socket's current state (libzmq's EFSM).

    Raised, for example, when a REQ socket sends twice without receiving the
    reply, or receives before it has sent a request.
    """

    errno = Errno.EFSM


class Closed(AiomsgError):
    """The socket or context has been closed (libzmq's ENOTSOCK; ETERM for a
    closed context)."""

    errno = Errno.ENOTSOCK


class NotSupported(AiomsgError, NotImplementedError):
    """The operation does not exist for this socket type, or is not implemented
    by aiomsg (libzmq's ENOTSUP)."""

    errno = Errno.ENOTSUP


class InvalidOption(AiomsgError, TypeError, ValueError):
    """An unknown socket option, or a value of the wrong type or range.

    Also a ``TypeError`` and a ``ValueError``, as Python code expects of both.
    """

    errno = Errno.EINVAL


class EndpointError(AiomsgError, ValueError):
    """An endpoint string is malformed (EINVAL), or names an unknown transport
    (EPROTONOSUPPORT)."""

    errno = Errno.EINVAL

    def __init__(self, endpoint: str, reason: str, *, errno: int | None = None) -> None:
        super().__init__(f"{endpoint!r}: {reason}", errno=errno)
        self.endpoint = endpoint
        self.reason = reason


class AddressInUse(EndpointError):
    """Binding failed because another socket already holds the address."""

    errno = Errno.EADDRINUSE

    def __init__(self, endpoint: str, reason: str = "address already in use") -> None:
        super().__init__(endpoint, reason)


class HostUnreachable(AiomsgError):
    """No peer has the routing id: a SERVER or PEER send, or a ROUTER with
    ``router_mandatory`` set (libzmq's EHOSTUNREACH)."""

    errno = Errno.EHOSTUNREACH


class InvalidMessage(AiomsgError, ValueError):
    """This socket type or transport can never send the message (libzmq's EINVAL):
    a multipart message on a single-frame type, a missing or bad ``routing_id``
    or ``group``, a group or datagram over its size limit.

    Raised before anything is sent. Also a ``ValueError``.
    """

    errno = Errno.EINVAL


class ProtocolError(AiomsgError):
    """The peer broke the ZMTP protocol.

    Raised by the sans-I/O codec to the connection that feeds it; never
    raised to application code, which sees a disconnect instead.
    """


class IncompatiblePeer(ProtocolError):
    """The peer can never work with this socket: wrong socket type or security
    mechanism. A connecting socket stops reconnecting (libzmq does the same)."""


class DecodeError(AiomsgError, ValueError):
    """A received message could not be decoded or validated (typed messages).

    Raised by ``recv_json``, ``recv_msgpack`` and their variants, and by the
    typed calls of :class:`~aiomsg.RequestClient`. The message has been taken
    from the socket whole, so the socket stays usable: the next receive gets
    the next message. The underlying :mod:`msgspec` error, if any, is the
    ``__cause__``.
    """

    def __init__(self, message: str, frames: list[bytes]) -> None:
        super().__init__(message)
        #: The raw frames of the message that failed, envelope included.
        self.frames = frames


class RemoteError(AiomsgError):
    """A :class:`~aiomsg.RequestServer` handler raised while answering a request.

    ``error_type`` is the name of the exception class on the server (for
    example ``"ValueError"``) and ``message`` its text.
    """

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(f"{error_type}: {message}" if message else error_type)
        self.error_type = error_type
        self.message = message
