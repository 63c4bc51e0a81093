"""tcp:// : IPv4 and IPv6 literals, hostnames, ``*`` for every interface, ephemeral ports."""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import socket as _socket
from ssl import SSLContext

from aiomsg._endpoint import Endpoint, TcpAddress, parse_tcp_address
from aiomsg.errors import AddressInUse, EndpointError
from aiomsg.transports._stream import StreamBinding, StreamConnector
from aiomsg.transports.interface import Binding, Connector, Engine, PipeEnd, Transport

__all__ = ["TcpTransport", "listen_tcp", "tcp_endpoint_text"]


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.partition("%")[0])
    except ValueError:
        return False
    return True


async def listen_tcp(
    binding: StreamBinding, address: TcpAddress, endpoint: Endpoint, ssl: SSLContext | None = None
) -> asyncio.Server:
    """A TCP server (not yet serving) making *binding*'s peers, with TLS if *ssl*.

    Raises:
        AddressInUse: the address is taken.
        EndpointError: the address cannot be bound.
    """
    loop = asyncio.get_running_loop()
    host = address.host if address.host is not None else "0.0.0.0"
    try:
        if not _is_ip_literal(host):
            # Bind the first address only, so an ephemeral port is one port.
            infos = await loop.getaddrinfo(
                host, address.port, type=_socket.SOCK_STREAM, flags=_socket.AI_PASSIVE
            )
            host = str(infos[0][4][0])
        return await loop.create_server(
            binding.new_peer, host, address.port, ssl=ssl, start_serving=False
        )
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise AddressInUse(endpoint.text) from error
        raise EndpointError(endpoint.text, f"cannot bind: {error.strerror or error}") from error


def tcp_endpoint_text(scheme: str, server: asyncio.Server) -> str:
    """``scheme://host:port`` of the address *server* listens on (``[v6]`` bracketed)."""
    sockname = server.sockets[0].getsockname()
    host = str(sockname[0])
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}:{sockname[1]}"


class TcpTransport(Transport):
    """TCP with ``TCP_NODELAY``; ``tcp://*:*`` binds IPv4 ANY on an ephemeral port."""

    async def bind(self, engine: Engine, endpoint: Endpoint) -> Binding:
        address = parse_tcp_address(endpoint, binding=True)
        binding = StreamBinding(engine)
        server = await listen_tcp(binding, address, endpoint)
        return await binding.serve(server, tcp_endpoint_text("tcp", server))

    def connect(self, engine: Engine, endpoint: Endpoint, pipe: PipeEnd) -> Connector:
        address = parse_tcp_address(endpoint, binding=False)
        host = address.host
        assert host is not None  # parse_tcp_address refuses '*' for connect
        loop = asyncio.get_running_loop()
        return StreamConnector(
            engine,
            endpoint.text,
            pipe,
            lambda factory: loop.create_connection(factory, host, address.port),
        )
