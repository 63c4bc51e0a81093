"""tcp:// : IPv4 and IPv6 literals, hostnames, ``*`` for every interface, ephemeral ports."""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import socket as _socket
from collections.abc import Callable
from ssl import SSLContext

from aiomsg._endpoint import Endpoint, TcpAddress, parse_tcp_address
from aiomsg.errors import AddressInUse, EndpointError
from aiomsg.transports._stream import Connection, StreamBinding, StreamConnector
from aiomsg.transports._tuning import adopt_listener, tune_listener, tune_socket
from aiomsg.transports.interface import Binding, Connector, Engine, Event, PipeEnd, Transport

__all__ = ["TcpTransport", "listen_tcp", "tcp_endpoint_text"]


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.partition("%")[0])
    except ValueError:
        return False
    return True


def _listener(engine: Engine, host: str, port: int) -> _socket.socket:
    """A listening socket for *host*:*port*, tuned before ``listen()``."""
    family = _socket.AF_INET6 if ":" in host else _socket.AF_INET
    raw = _socket.socket(family, _socket.SOCK_STREAM)
    try:
        raw.setsockopt(_socket.SOL_SOCKET, _socket.SO_REUSEADDR, 1)
        if family == _socket.AF_INET6:
            raw.setsockopt(_socket.IPPROTO_IPV6, _socket.IPV6_V6ONLY, 1)  # as asyncio's servers
        tune_listener(engine, raw)
        raw.bind(_socket.getaddrinfo(host, port, family, _socket.SOCK_STREAM)[0][4])
        raw.listen(engine.backlog)
        raw.setblocking(False)
    except BaseException:
        raw.close()
        raise
    return raw


async def listen_tcp(
    engine: Engine,
    binding: StreamBinding,
    address: TcpAddress,
    endpoint: Endpoint,
    ssl: SSLContext | None = None,
) -> asyncio.Server:
    """A TCP server (not yet serving) making *binding*'s peers, with TLS if
    *ssl*: *engine*'s ``use_fd`` adopted, or a new listener tuned by its options.

    Raises:
        AddressInUse: the address is taken.
        EndpointError: the address cannot be bound.
    """
    loop = asyncio.get_running_loop()
    host = address.host if address.host is not None else "0.0.0.0"
    if engine.use_fd >= 0:
        raw = adopt_listener(engine.use_fd, endpoint, _socket.AF_INET)
    else:
        try:
            if not _is_ip_literal(host):
                # Bind the first address only, so an ephemeral port is one port.
                infos = await loop.getaddrinfo(
                    host, address.port, type=_socket.SOCK_STREAM, flags=_socket.AI_PASSIVE
                )
                host = str(infos[0][4][0])
            raw = _listener(engine, host, address.port)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise AddressInUse(endpoint.text) from error
            reason = f"cannot bind: {error.strerror or error}"
            raise EndpointError(endpoint.text, reason) from error
    try:
        # asyncio calls listen() again when serving: with our backlog too.
        return await loop.create_server(
            binding.new_peer, sock=raw, backlog=engine.backlog, ssl=ssl, start_serving=False
        )
    except BaseException:
        raw.close()
        raise


def tcp_endpoint_text(scheme: str, server: asyncio.Server) -> str:
    """``scheme://host:port`` of the address *server* listens on (``[v6]`` bracketed)."""
    sockname = server.sockets[0].getsockname()
    host = str(sockname[0])
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}:{sockname[1]}"


class TcpTransport(Transport):
    """TCP with ``TCP_NODELAY``; ``tcp://*:*`` binds IPv4 ANY on an ephemeral port.

    The kernel options of the socket (``sndbuf``, ``tcp_keepalive``...) are
    applied before connecting, and to each accepted connection.
    """

    async def bind(self, engine: Engine, endpoint: Endpoint) -> Binding:
        address = parse_tcp_address(endpoint, binding=True)
        binding = StreamBinding(engine)
        server = await listen_tcp(engine, binding, address, endpoint)
        return await binding.serve(server, tcp_endpoint_text("tcp", server))

    def connect(self, engine: Engine, endpoint: Endpoint, pipe: PipeEnd) -> Connector:
        address = parse_tcp_address(endpoint, binding=False)
        host = address.host
        assert host is not None  # parse_tcp_address refuses '*' for connect
        loop = asyncio.get_running_loop()

        async def open_connection(
            factory: Callable[[], Connection],
        ) -> tuple[asyncio.BaseTransport, Connection]:
            infos = await loop.getaddrinfo(host, address.port, type=_socket.SOCK_STREAM)
            failure: OSError = OSError(errno.EHOSTUNREACH, f"no address for {host}")
            for family, kind, proto, _, sockaddr in infos:
                raw = _socket.socket(family, kind, proto)
                try:
                    raw.setblocking(False)
                    # Before connecting: buffer sizes set later would not
                    # change the window scale agreed in the SYN.
                    tune_socket(engine, raw)
                    await self._connect(engine, endpoint.text, raw, sockaddr)
                except OSError as error:
                    raw.close()
                    failure = error
                    continue
                except BaseException:
                    raw.close()
                    raise
                return await loop.create_connection(factory, sock=raw)
            raise failure

        return StreamConnector(engine, endpoint.text, pipe, open_connection)

    @staticmethod
    async def _connect(
        engine: Engine, endpoint: str, raw: _socket.socket, sockaddr: tuple[object, ...]
    ) -> None:
        """One non-blocking connect, bounded by ``connect_timeout`` (libzmq's
        ``tcp_connecter`` timer; the attempt is then retried)."""
        # libzmq reports every non-blocking connect in progress (EINPROGRESS).
        engine.emit(Event.CONNECT_DELAYED, endpoint, value=errno.EINPROGRESS)
        timeout = engine.connect_timeout
        try:
            async with asyncio.timeout(timeout / 1000 if timeout > 0 else None):
                await asyncio.get_running_loop().sock_connect(raw, sockaddr)
        except TimeoutError:
            raise TimeoutError(errno.ETIMEDOUT, f"connect_timeout ({timeout} ms) expired") from None
