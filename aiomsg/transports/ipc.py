"""ipc:// : Unix domain stream sockets, filesystem paths and Linux abstract ``@name``."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import socket as _socket
import stat
import tempfile
from typing import TYPE_CHECKING

from aiomsg.endpoint import Endpoint
from aiomsg.errors import AddressInUse, EndpointError
from aiomsg.peer import PeerProtocol
from aiomsg.transports.base import Binding, Connection, Transport
from aiomsg.transports.stream import StreamBinding, StreamConnection

if TYPE_CHECKING:
    from aiomsg.pipe import Pipe
    from aiomsg.socket import Socket

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
    try:
        probe.connect(path)
    except OSError:
        return False
    finally:
        probe.close()
    return True


class IpcTransport(Transport):
    """IPC. Unlike libzmq, binding a path another socket is listening on raises
    :class:`AddressInUse` instead of silently stealing it; a stale socket file
    is replaced. Socket files we created are removed when unbound.
    """

    async def bind(self, socket: Socket, endpoint: Endpoint) -> Binding:
        text = endpoint.text
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
        binding: list[StreamBinding] = []
        try:
            server = await asyncio.get_running_loop().create_unix_server(
                lambda: PeerProtocol(socket, binding[0].endpoint, None), path
            )
        except OSError as error:
            if error.errno == errno.EADDRINUSE:  # an abstract name already taken
                raise AddressInUse(text) from error
            raise EndpointError(text, f"cannot bind: {error.strerror or error}") from error

        def remove_file() -> None:
            if not abstract:
                with contextlib.suppress(OSError):
                    os.unlink(path)

        binding.append(StreamBinding(server, text, remove_file))
        return binding[0]

    def connect(self, socket: Socket, endpoint: Endpoint, pipe: Pipe) -> Connection:
        path = _socket_path(endpoint)
        loop = asyncio.get_running_loop()
        return StreamConnection(
            socket, endpoint.text, pipe, lambda factory: loop.create_unix_connection(factory, path)
        )
