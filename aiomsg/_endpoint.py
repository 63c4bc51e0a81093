"""Endpoint strings: ``scheme://address`` split and checked per transport."""

from __future__ import annotations

from dataclasses import dataclass

from aiomsg.errors import EndpointError, NotSupported

__all__ = [
    "Endpoint",
    "TcpAddress",
    "connect_address",
    "parse_endpoint",
    "parse_tcp_address",
    "parse_ws_address",
]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A parsed endpoint: ``text`` as the user wrote it, ``scheme`` and ``address``."""

    text: str
    scheme: str
    address: str


def parse_endpoint(text: str) -> Endpoint:
    """Split ``scheme://address``.

    Raises:
        EndpointError: no ``://`` or an empty address.
    """
    if not isinstance(text, str):
        raise TypeError(f"endpoint must be str, not {type(text).__name__}")
    scheme, separator, address = text.partition("://")
    if not separator or not scheme:
        raise EndpointError(text, "expected 'transport://address', e.g. 'tcp://127.0.0.1:5555'")
    if not address:
        raise EndpointError(text, "the address is empty")
    return Endpoint(text, scheme.lower(), address)


def connect_address(endpoint: Endpoint) -> str:
    """The address to connect to.

    Raises:
        EndpointError: the address is ``*``, which asks :meth:`bind` for a
            fresh one: there is nothing to connect to.
    """
    if endpoint.address == "*":
        raise EndpointError(
            endpoint.text, "'*' asks bind() for a fresh address; connect to the one bind() returned"
        )
    return endpoint.address


@dataclass(frozen=True, slots=True)
class TcpAddress:
    """A TCP address: ``host`` is None for every interface, ``port`` 0 for ephemeral."""

    host: str | None
    port: int

    def __str__(self) -> str:
        host = self.host if self.host is not None else "0.0.0.0"
        return f"[{host}]:{self.port}" if ":" in host else f"{host}:{self.port}"


def parse_tcp_address(endpoint: Endpoint, *, binding: bool) -> TcpAddress:
    """Parse ``host:port``: IPv4, ``[IPv6]``, a hostname, or ``*`` (bind only).

    Port ``*`` or ``0`` asks for an ephemeral port when binding.

    Raises:
        EndpointError: the address does not parse.
    """
    if ";" in endpoint.address:
        raise NotSupported(f"{endpoint.text!r}: source addresses (SRC;DST) are not supported yet")
    host, separator, port_text = endpoint.address.rpartition(":")
    if not separator or not host:
        raise EndpointError(endpoint.text, "expected host:port")
    if host.startswith("["):
        if not host.endswith("]") or len(host) < 3:
            raise EndpointError(endpoint.text, "unbalanced brackets around an IPv6 address")
        host = host[1:-1]
    elif ":" in host:
        raise EndpointError(endpoint.text, "IPv6 addresses must be written in brackets")
    if port_text == "*":
        port = 0
    elif port_text.isdigit() and int(port_text) <= 65535:
        port = int(port_text)
    else:
        raise EndpointError(endpoint.text, f"invalid port {port_text!r}")
    if not binding and (host == "*" or port == 0):
        raise EndpointError(endpoint.text, "connect needs a concrete host and port")
    return TcpAddress(None if host == "*" else host, port)


def parse_ws_address(endpoint: Endpoint, *, binding: bool) -> tuple[TcpAddress, str]:
    """Parse ``host:port/path`` (ws, wss): the TCP address and the request
    target, ``/`` when there is no path. The path starts at the first ``/``
    after the port, as on libzmq master (docs/wire/draft.md#after-435).

    Raises:
        EndpointError: the address does not parse.
    """
    host_port, slash, path = endpoint.address.partition("/")
    if host_port.startswith("[") and "]" not in host_port:
        raise EndpointError(endpoint.text, "unbalanced brackets around an IPv6 address")
    tcp = Endpoint(endpoint.text, endpoint.scheme, host_port)
    address = parse_tcp_address(tcp, binding=binding)
    return address, "/" + path if slash else "/"
