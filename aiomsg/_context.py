"""Context: makes sockets, holds what they share, closes them all at the end."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from aiomsg._closing import ClosesOnExit
from aiomsg._replacements import missing_attribute
from aiomsg._socket import Socket
from aiomsg._sockets import SOCKET_CLASSES
from aiomsg._sockets.reqrep import Dealer
from aiomsg._sockets.zap import ZAP_ENDPOINT, ZapClient
from aiomsg.constants import Errno, SocketType
from aiomsg.errors import Closed, NotSupported
from aiomsg.transports._inproc import InprocRegistry

if TYPE_CHECKING:
    from aiomsg._security.auth import Authenticator, AuthService

__all__ = ["Context"]

T = TypeVar("T")


class Context(ClosesOnExit):
    """A set of sockets that share inproc endpoints and an authenticator.

    Unlike libzmq's, it has no I/O threads: everything runs on the event
    loop of the code that uses the sockets. Use it as ``async with
    aiomsg.Context() as ctx:`` to close every socket on exit: a normal exit
    waits until every queued message is sent (each socket's ``linger``); an
    exit by cancellation or Ctrl-C closes everything at once.
    """

    def __init__(self) -> None:
        self._sockets: list[Socket] = []
        self._transport_state: dict[type, Any] = {}
        self._closed = False
        #: The running :class:`~aiomsg.Authenticator` its sockets ask, or None
        #: (set by ``Authenticator.start()`` / ``stop()``).
        self.authenticator: Authenticator | None = None
        self._zap: ZapClient | None = None

    @property
    def closed(self) -> bool:
        """Whether :meth:`destroy` or :meth:`term` has been called."""
        return self._closed

    @classmethod
    def instance(cls) -> NoReturn:
        """pyzmq's global context has no aiomsg equivalent.

        Raises:
            NotSupported: always; create one :class:`Context` and pass it around.
        """
        raise NotSupported(
            "aiomsg has no global Context.instance(): create one aiomsg.Context() in your "
            "main coroutine and pass it around"
        )

    @property
    def sockets(self) -> tuple[Socket, ...]:
        """The sockets of this context that are not closed yet."""
        return tuple(socket for socket in self._live() if not socket.closed)

    def _live(self) -> list[Socket]:
        """The sockets not closed yet, or closed and still lingering."""
        self._sockets = [sock for sock in self._sockets if not sock.closed or sock.lingering]
        return self._sockets

    def socket(self, socket_type: SocketType | int, **options: Any) -> Socket:
        """Create a socket of *socket_type* (``aiomsg.REQ``...) with *options*.

        Raises:
            Closed: the context is closed.
            InvalidOption: an unknown option, or a bad value.
            NotSupported: a socket type aiomsg does not implement (DGRAM).
        """
        if self._closed:
            raise Closed("context is closed", errno=Errno.ETERM)
        kind = SocketType(socket_type)
        cls = SOCKET_CLASSES.get(kind)
        if cls is None:
            raise NotSupported(f"{kind.name} sockets are not implemented")
        socket = cls(self, **options)
        self._live().append(socket)
        return socket

    def transport_state(self, kind: type[T]) -> T:
        """The one ``kind()`` shared by the sockets of this context, made on
        first use. Transports keep per-context state here (inproc its names);
        see :class:`aiomsg.transports.Engine`."""
        state = self._transport_state.get(kind)
        if state is None:
            state = self._transport_state[kind] = kind()
        return state

    def auth_service(self) -> AuthService | None:
        """Who answers the authentication requests of this context's sockets:
        the running :class:`~aiomsg.Authenticator` first, else a ZAP handler
        bound at ``inproc://zeromq.zap.01`` (RFC 27, as libzmq asks one),
        else None (libzmq's behaviour without a handler applies)."""
        if self.authenticator is not None:
            return self.authenticator
        binding = self.transport_state(InprocRegistry).bound.get(ZAP_ENDPOINT[len("inproc://") :])
        if binding is None or binding.engine.closed or self._closed:
            return None
        if self._zap is None:
            # Not made by socket(): the context's own, not one of its sockets.
            self._zap = ZapClient(Dealer(self, linger=0))
        return self._zap

    def destroy(self, linger: int | None = None) -> None:
        """Close every socket (with *linger*, see :meth:`Socket.close`); returns at once.

        ``linger=0`` also stops the sockets closed earlier that still linger.
        """
        self._closed = True
        self._close_zap()
        for socket in self._live():
            socket.close(linger)

    async def term(self) -> None:
        """Close every socket and wait until each has finished lingering,
        those closed earlier included (``sock.close()`` then ``ctx.term()``).

        Cancelling stops the wait; the sockets' connections are then closed.
        """
        sockets = list(self._live())
        self._closed = True
        self._close_zap()
        await asyncio.gather(*(socket.aclose() for socket in sockets))

    def _close_zap(self) -> None:
        if self._zap is not None:
            self._zap.close()
            self._zap = None

    async def aclose(self) -> None:
        """:meth:`term` (leaving ``async with`` calls it)."""
        await self.term()

    async def _aclose_now(self) -> None:
        self.destroy(linger=0)

    if not TYPE_CHECKING:  # mypy keeps checking attribute names

        def __getattr__(self, name: str) -> Any:
            raise missing_attribute("Context", self, name)
