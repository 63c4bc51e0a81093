"""Context: makes sockets, owns their inproc names, closes them all at the end."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from aiomsg.constants import SocketType
from aiomsg.errors import Closed
from aiomsg.transports.inproc import InprocRegistry

if TYPE_CHECKING:
    from types import TracebackType

    from aiomsg.security.auth import Authenticator
    from aiomsg.socket import Socket

__all__ = ["Context"]


class Context:
    """A set of sockets that share inproc endpoints.

    Unlike libzmq's, it has no I/O threads: everything runs on the event
    loop of the code that uses the sockets. Use it as ``async with
    aiomsg.Context() as ctx:`` to close every socket on exit.
    """

    def __init__(self) -> None:
        self._sockets: list[Socket] = []
        self._inproc = InprocRegistry()
        self._closed = False
        #: The running :class:`~aiomsg.Authenticator` its sockets ask, or None
        #: (set by ``Authenticator.start()`` / ``stop()``).
        self.authenticator: Authenticator | None = None

    @property
    def closed(self) -> bool:
        """Whether :meth:`destroy` or :meth:`term` has been called."""
        return self._closed

    @property
    def sockets(self) -> tuple[Socket, ...]:
        """The sockets of this context that are not closed yet."""
        return tuple(self._sockets)

    def socket(self, socket_type: SocketType | int, **options: Any) -> Socket:
        """Create a socket of *socket_type* (``aiomsg.REQ``...) with *options*.

        Raises:
            Closed: the context is closed.
            TypeError / ValueError: an unknown option, or a bad value.
        """
        from aiomsg.sockets import SOCKET_CLASSES

        if self._closed:
            raise Closed("context is closed")
        socket = SOCKET_CLASSES[SocketType(socket_type)](self, **options)
        self._sockets.append(socket)
        return socket

    def _forget(self, socket: Socket) -> None:
        if socket in self._sockets:
            self._sockets.remove(socket)

    def destroy(self, linger: int | None = None) -> None:
        """Close every socket (with *linger*, see :meth:`Socket.close`); returns at once."""
        self._closed = True
        for socket in list(self._sockets):
            socket.close(linger)

    async def term(self) -> None:
        """Close every socket and wait until each has finished lingering.

        Cancelling stops the wait; the sockets' connections are then closed.
        """
        sockets = list(self._sockets)
        self._closed = True
        await asyncio.gather(*(socket.aclose() for socket in sockets))

    async def __aenter__(self) -> Context:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.term()
