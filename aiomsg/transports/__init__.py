"""Transports, registered by endpoint scheme: tcp, ipc and inproc built in.

A transport turns ``bind`` and ``connect`` into live links for a socket's
pipes. Sockets only call :func:`get_transport`; a new transport is added with
:func:`register_transport` and no change to any socket.
"""

from __future__ import annotations

from aiomsg.endpoint import Endpoint
from aiomsg.errors import EndpointError
from aiomsg.transports.base import Binding, Connection, Transport

__all__ = ["Binding", "Connection", "Transport", "get_transport", "register_transport"]

_REGISTRY: dict[str, Transport] = {}


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
            endpoint.text, f"unknown transport {endpoint.scheme!r} (known: {known})"
        ) from None


def _register_builtins() -> None:
    from aiomsg.transports.inproc import InprocTransport
    from aiomsg.transports.ipc import IpcTransport
    from aiomsg.transports.tcp import TcpTransport

    register_transport("tcp", TcpTransport())
    register_transport("ipc", IpcTransport())
    register_transport("inproc", InprocTransport())


_register_builtins()
