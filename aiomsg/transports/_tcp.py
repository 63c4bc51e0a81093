"""tcp:// : IPv4 and IPv6 literals, hostnames, ``*`` for every interface, ephemeral ports."""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import socket as _socket

from aiomsg._endpoint import Endpoint, parse_tcp_address
from aiomsg.errors import AddressInUse, EndpointError
from aiomsg.transports._stream import StreamBinding, StreamConnector
from aiomsg.transports.interface import Binding, Connector, Engine, PipeEnd, Transport

__all__ = ["TcpTransport"]


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.partition("%")[0])
    except ValueError:
        return False
    return True


class TcpTransport(Transport):
    """TCP with ``TCP_NODELAY``; ``tcp://*:*`` binds IPv4 ANY on an ephemeral port."""

    async def bind(self, engine: Engine, endpoint: Endpoint) -> Binding:
        address = parse_tcp_address(endpoint, binding=True)
        loop = asyncio.get_running_loop()
        host = address.host if address.host is not None else "0.0.0.0"
        try:
            if not _is_ip_literal(host):
                # Bind the first address only, so an ephemeral port is one port.
                infos = await loop.getaddrinfo(
                    host, address.port, type=_socket.SOCK_STREAM, flags=_socket.AI_PASSIVE
                )
                host = str(infos[0][4][0])
            binding = StreamBinding(engine)
            server = await loop.create_server(
                binding.new_peer, host, address.port, start_serving=False
            )
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise AddressInUse(endpoint.text) from error
            raise EndpointError(endpoint.text, f"cannot bind: {error.strerror or error}") from error
        sockname = server.sockets[0].getsockname()
        bound_host = str(sockname[0])
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        return await binding.serve(server, f"tcp://{shown}:{sockname[1]}")

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
