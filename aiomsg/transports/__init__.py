"""Transports, registered by endpoint scheme: tcp, ipc, inproc, udp, ws, wss, epgm and pgm built in.

This package is public: it is how a new transport is added. Implement
:class:`Transport` against the interface in :mod:`aiomsg.transports.interface`
and call :func:`register_transport`; no socket changes. The built-in
transports (the modules with a leading underscore) are written against that
same interface and are the models to follow.
"""

from __future__ import annotations

from aiomsg.constants import Errno
from aiomsg.errors import EndpointError
from aiomsg.transports._inproc import InprocTransport
from aiomsg.transports._ipc import IpcTransport
from aiomsg.transports._pgm import PgmTransport
from aiomsg.transports._tcp import TcpTransport
from aiomsg.transports._udp import UdpTransport
from aiomsg.transports._ws import WsTransport
from aiomsg.transports.interface import (
    Binding,
    Connector,
    Delivered,
    Endpoint,
    Engine,
    Event,
    Link,
    Message,
    PipeEnd,
    Transport,
)

__all__ = [
    "Binding",
    "Connector",
    "Delivered",
    "Endpoint",
    "Engine",
    "Event",
    "Link",
    "Message",
    "PipeEnd",
    "Transport",
    "get_transport",
    "register_transport",
]

_REGISTRY: dict[str, Transport] = {
    "tcp": TcpTransport(),
    "ipc": IpcTransport(),
    "inproc": InprocTransport(),
    "udp": UdpTransport(),
    "ws": WsTransport(),
    "wss": WsTransport(secure=True),
    "epgm": PgmTransport(raw=False),
    "pgm": PgmTransport(raw=True),
}


def register_transport(scheme: str, transport: Transport) -> None:
    """Make ``scheme://`` endpoints use *transport* (replacing any earlier one)."""
    _REGISTRY[scheme.lower()] = transport


def get_transport(endpoint: Endpoint) -> Transport:
    """The transport for *endpoint*'s scheme.

    Raises:
        EndpointError: no transport is registered for the scheme.
    """
    try:
        return _REGISTRY[endpoint.scheme]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise EndpointError(
            endpoint.text,
            f"unknown transport {endpoint.scheme!r} (known: {known})",
            errno=Errno.EPROTONOSUPPORT,
        ) from None
