"""ipc:// : Unix domain stream sockets, filesystem paths and Linux abstract ``@name``."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import socket as _socket
import stat
import tempfile
from collections.abc import Callable

from aiomsg._endpoint import Endpoint, connect_address
from aiomsg.errors import AddressInUse, EndpointError
from aiomsg.transports._stream import Connection, StreamBinding, StreamConnector
from aiomsg.transports._tuning import adopt_listener, tune_listener, tune_socket
from aiomsg.transports.interface import Binding, Connector, Engine, PipeEnd, Transport

__all__ = ["IpcTransport"]

_MAX_PATH = 107  # sun_path is 108 bytes including the terminating NUL


def _socket_path(endpoint: Endpoint) -> str:
    """The ``sun_path`` for an endpoint: ``@name`` becomes ``\\0name`` (abstract)."""
    address = endpoint.address
    if address == "@":
        raise EndpointError(endpoint.text, "an abstract name needs at least one character")
    path = "\0" + address[1:] if address.startswith("@") else address
    if len(os.fsencode(path)) > _MAX_PATH:
        raise EndpointError(endpoint.text, f"path longer than {_MAX_PATH} bytes")
    return path


def _in_use(path: str) -> bool:
    """Whether a live listener answers at *path* (a stale socket file does not)."""
    probe = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    probe.setblocking(False)  # never block the loop: a full backlog means "in use"
    try:
        return probe.connect_ex(path) not in (errno.ECONNREFUSED, errno.ENOENT)
    finally:
        probe.close()


class IpcTransport(Transport):
    """IPC. Unlike libzmq, binding a path another socket is listening on raises
    :class:`AddressInUse` instead of silently stealing it; a stale socket file
    is replaced. Socket files we created are removed when unbound.
    """

    async def bind(self, engine: Engine, endpoint: Endpoint) -> Binding:
        if engine.use_fd >= 0:
            adopted = adopt_listener(engine.use_fd, endpoint, _socket.AF_UNIX)
            binding = StreamBinding(engine)
            server = await asyncio.get_running_loop().create_unix_server(
                binding.new_peer, sock=adopted, backlog=engine.backlog, start_serving=False
            )
            return await binding.serve(server, endpoint.text)
        text = endpoint.text
        directory = None
        if endpoint.address == "*":
            directory = tempfile.mkdtemp()
            path, text = os.path.join(directory, "socket"), f"ipc://{directory}/socket"
        else:
            path = _socket_path(endpoint)
        abstract = path.startswith("\0")
        if not abstract and os.path.exists(path):
            if not stat.S_ISSOCK(os.stat(path).st_mode):
                raise EndpointError(text, "path exists and is not a socket")
            if _in_use(path):
                raise AddressInUse(text)
            os.unlink(path)
        listener = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        try:
            # Bound by hand rather than by create_unix_server(path), which
            # uvloop does not support for abstract names.
            tune_listener(engine, listener)
            listener.bind(path)
            listener.listen(engine.backlog)
            listener.setblocking(False)
        except OSError as error:
            listener.close()
            if directory is not None:
                os.rmdir(directory)
            if error.errno == errno.EADDRINUSE:  # an abstract name already taken
                raise AddressInUse(text) from error
            raise EndpointError(text, f"cannot bind: {error.strerror or error}") from error
        binding = StreamBinding(engine)
        server = await asyncio.get_running_loop().create_unix_server(
            binding.new_peer, sock=listener, backlog=engine.backlog, start_serving=False
        )

        def remove_file() -> None:
            with contextlib.suppress(OSError):
                if not abstract:
                    os.unlink(path)
                if directory is not None:  # ipc://* made it
                    os.rmdir(directory)

        return await binding.serve(server, text, remove_file)

    def connect(self, engine: Engine, endpoint: Endpoint, pipe: PipeEnd) -> Connector:
        connect_address(endpoint)
        path = _socket_path(endpoint)
        loop = asyncio.get_running_loop()

        async def open_connection(
            factory: Callable[[], Connection],
        ) -> tuple[asyncio.BaseTransport, Connection]:
            # Connected by hand for the same reason as bind: abstract names on uvloop.
            raw = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
            raw.setblocking(False)
            try:
                tune_socket(engine, raw)
                await loop.sock_connect(raw, path)
            except BaseException:
                raw.close()
                raise
            return await loop.create_unix_connection(factory, sock=raw)

        return StreamConnector(engine, endpoint.text, pipe, open_connection)
