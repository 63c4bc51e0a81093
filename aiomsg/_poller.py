"""Poller: wait on several sockets at once, as pyzmq's ``zmq.asyncio.Poller``."""

from __future__ import annotations

from aiomsg._pool.readiness import wait_ready
from aiomsg._socket import Socket
from aiomsg.constants import PollEvent

__all__ = ["Poller"]


class Poller:
    """Waits until some of its sockets can send or receive without waiting.

    Register sockets with the events wanted, then ``await poll()``::

        poller = aiomsg.Poller()
        poller.register(receiver, aiomsg.POLLIN)
        poller.register(controller, aiomsg.POLLIN)
        while True:
            events = dict(await poller.poll())
            if receiver in events:
                message = await receiver.recv()   # does not wait
            if controller in events:
                ...

    Readiness is what the socket reports (:attr:`Socket.events`): POLLIN,
    a receive would return at once; POLLOUT, a send would be taken at once.
    It is honest at the moment :meth:`poll` returns; another task that
    receives from the same socket meanwhile can take the message first.
    Waiting costs nothing: :meth:`poll` runs only when a registered socket's
    readiness changes or its timeout expires.

    One task per socket (``asyncio.TaskGroup``) is often simpler; a Poller
    suits code ported from pyzmq, and loops that must serve several sockets
    in one place.
    """

    def __init__(self) -> None:
        self._registered: dict[Socket, int] = {}

    @property
    def sockets(self) -> list[tuple[Socket, int]]:
        """The registered sockets with the events each is polled for."""
        return list(self._registered.items())

    def register(self, socket: Socket, flags: int = PollEvent.POLLIN | PollEvent.POLLOUT) -> None:
        """Poll *socket* for *flags* (POLLIN, POLLOUT or both); registering it
        again replaces its flags, and ``flags=0`` unregisters it, as in pyzmq.

        Raises:
            TypeError: *socket* is not an aiomsg socket (wait for a file
                descriptor with ``loop.add_reader()`` instead).
        """
        if not isinstance(socket, Socket):
            raise TypeError(
                f"a Poller polls aiomsg sockets, not {type(socket).__name__}; to wait for a "
                "file descriptor, use asyncio's loop.add_reader()"
            )
        if flags:
            self._registered[socket] = int(flags)
        else:
            self._registered.pop(socket, None)

    modify = register

    def unregister(self, socket: Socket) -> None:
        """Stop polling *socket*.

        Raises:
            KeyError: *socket* is not registered.
        """
        del self._registered[socket]

    async def poll(self, timeout: float | None = None) -> list[tuple[Socket, int]]:
        """Wait until some registered sockets are ready, at most *timeout*
        milliseconds (None or negative: no limit; 0: do not wait).

        Returns ``(socket, events)`` for each ready socket, ``events`` being the
        ready subset of its flags; an empty list if the timeout expired first.
        As pyzmq's, so ``dict(await poller.poll())`` maps sockets to events.

        Raises:
            Closed: a registered socket is (or gets) closed.
            InvalidState: a socket belongs to another event loop.

        Cancelling is safe: polling takes nothing from the sockets.
        """
        return await wait_ready(list(self._registered.items()), timeout)

    def __repr__(self) -> str:
        return f"<aiomsg.Poller {len(self._registered)} sockets>"
