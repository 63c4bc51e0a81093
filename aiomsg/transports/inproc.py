"""inproc:// : sockets of one Context, linked pipe to pipe with no bytes at all.

Messages are handed over by reference (no encoding, no copy), and bind and
connect may come in either order: a connect waits for its bind.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from aiomsg.constants import compatible_peers
from aiomsg.endpoint import Endpoint
from aiomsg.errors import AddressInUse
from aiomsg.monitor import Event
from aiomsg.pipe import Message, Pipe
from aiomsg.transports.base import Binding, Connection, Transport

if TYPE_CHECKING:
    from aiomsg.socket import Socket

__all__ = ["InprocTransport"]


class InprocLink:
    """A pipe's link to its inproc peer: sending is delivering to the peer's pipe.

    Flow control spans both pipes: a send goes straight into the peer's
    inbound queue while it is under the peer's ``rcvhwm``, then into our
    backlog up to our ``sndhwm`` (libzmq adds the two HWMs the same way).
    """

    __slots__ = ("connection", "peer")

    def __init__(self, connection: InprocConnection, peer: Pipe | None) -> None:
        self.connection = connection
        self.peer = peer

    @property
    def writable(self) -> bool:
        peer = self.peer
        return peer is not None and (peer.rcvhwm <= 0 or len(peer.inbound) < peer.rcvhwm)

    def try_send(self, message: Message) -> bool:
        peer = self.peer
        if peer is None:
            return False
        inbound = peer.inbound
        queued = len(inbound)
        if 0 < peer.rcvhwm <= queued:
            # The peer resumes us (resume_reading) once it has drained.
            peer.reading_paused = True
            return False
        if peer.inbound_filter is not None:
            peer.deliver(message)
        else:
            # Pipe.queue inlined: this is the whole inproc hot path. The
            # message goes by reference: no encoding, no copy.
            inbound.append(message)
            if not queued:
                peer.socket._pipe_readable(peer)
        return True

    def send_subscription(self, topic: bytes, subscribe: bool) -> None:
        peer = self.peer
        if peer is not None and peer.socket.wants_subscriptions:
            peer.deliver([(b"\x01" if subscribe else b"\x00") + topic])

    def pause_reading(self) -> None:
        """Nothing to do: the peer sees our queue length through :attr:`writable`."""

    def resume_reading(self) -> None:
        if self.peer is not None:
            self.peer.flush_backlog()

    def close(self, reason: str) -> None:
        self.connection.unlink()

    @property
    def pending_output(self) -> int:
        return 0


class InprocBinding(Binding):
    def __init__(self, registry: InprocRegistry, name: str, socket: Socket) -> None:
        self.endpoint = f"inproc://{name}"
        self._registry = registry
        self._name = name
        self.socket = socket

        #: Connections currently linked through this binding.
        self.connections: list[InprocConnection] = []

    def stop_accepting(self) -> None:
        if self._registry.bound.get(self._name) is self:
            del self._registry.bound[self._name]

    def close(self) -> None:
        """Unbind, and unlink the connected peers (they wait for a new bind)."""
        self.stop_accepting()
        for connection in list(self.connections):
            connection.unlink()


class InprocConnection(Connection):
    """A connecting socket's pipe, linked to the bound socket when there is one."""

    def __init__(self, registry: InprocRegistry, name: str, socket: Socket, pipe: Pipe) -> None:
        self.pipe = pipe
        self._registry = registry
        self._name = name
        self._socket = socket
        self._peer_pipe: Pipe | None = None
        self._binding: InprocBinding | None = None
        self._closed = False

    @property
    def endpoint(self) -> str:
        return f"inproc://{self._name}"

    def link_to(self, binding: InprocBinding) -> None:
        """Link our pipe to a new pipe of the bound socket, as a handshake would."""
        socket, binder, endpoint = self._socket, binding.socket, self.endpoint
        if socket.socket_type.wire_name not in compatible_peers(binder.socket_type):
            ours, theirs = socket.socket_type.name, binder.socket_type.name
            reason = f"socket type {ours} cannot talk to {theirs}"
            binder._events.emit(Event.PEER_REFUSED, endpoint, "inproc", reason)
            socket._events.emit(Event.PEER_REFUSED, endpoint, "inproc", reason)
            self._closed = True  # as over tcp: an incompatible peer is never retried
            socket._abandon(self)
            return
        our_link = InprocLink(self, None)
        their_link = InprocLink(self, self.pipe)
        peer_pipe = binder._peer_ready(None, their_link, endpoint, "inproc", _metadata(socket))
        if peer_pipe is None:
            self._retry_later()
            return
        our_link.peer = peer_pipe
        self._peer_pipe, self._binding = peer_pipe, binding
        binding.connections.append(self)
        if socket._peer_ready(self.pipe, our_link, endpoint, "inproc", _metadata(binder)) is None:
            self.unlink(relink=False)
            self._retry_later()

    def _retry_later(self) -> None:
        """A refused link is tried again after ``reconnect_ivl``, as a tcp
        connection would be (the refusal may end: a PAIR's peer leaves)."""
        delay = self._socket.reconnect_ivl
        if delay >= 0 and not self._closed:
            asyncio.get_running_loop().call_later(delay / 1000, self._retry)

    def _retry(self) -> None:
        if not self._closed and self._binding is None:
            self._registry.wait_for_bind(self._name, self)

    def unlink(self, *, relink: bool = True) -> None:
        """Drop the link on both sides; wait for a new bind unless closed."""
        peer_pipe, binding = self._peer_pipe, self._binding
        if peer_pipe is None or binding is None:
            return
        self._peer_pipe = self._binding = None
        binding.connections.remove(self)
        binding.socket._peer_lost(peer_pipe, keep=False)
        if self.pipe.link is not None:
            self._socket._peer_lost(self.pipe, keep=True)
        if relink and not self._closed:
            self._registry.wait_for_bind(self._name, self)

    def close(self) -> None:
        self._closed = True
        self._registry.stop_waiting(self._name, self)
        self.unlink()


def _metadata(socket: Socket) -> dict[bytes, bytes]:
    return {b"Socket-Type": socket.socket_type.wire_name, b"Identity": socket.identity}


class InprocRegistry:
    """The inproc names of one Context: who is bound, and who waits for a bind."""

    def __init__(self) -> None:
        self.bound: dict[str, InprocBinding] = {}
        self.waiting: dict[str, list[InprocConnection]] = {}

    def wait_for_bind(self, name: str, connection: InprocConnection) -> None:
        binding = self.bound.get(name)
        if binding is not None and not binding.socket.closed:
            connection.link_to(binding)
        else:
            self.waiting.setdefault(name, []).append(connection)

    def stop_waiting(self, name: str, connection: InprocConnection) -> None:
        waiting = self.waiting.get(name, [])
        if connection in waiting:
            waiting.remove(connection)


class InprocTransport(Transport):
    """The inproc transport; names live in the socket's Context."""

    async def bind(self, socket: Socket, endpoint: Endpoint) -> Binding:
        registry = socket.context._inproc
        name = endpoint.address
        if name in registry.bound:
            raise AddressInUse(endpoint.text)
        binding = InprocBinding(registry, name, socket)
        registry.bound[name] = binding
        for connection in registry.waiting.pop(name, []):
            connection.link_to(binding)
        return binding

    def connect(self, socket: Socket, endpoint: Endpoint, pipe: Pipe) -> Connection:
        registry = socket.context._inproc
        connection = InprocConnection(registry, endpoint.address, socket, pipe)
        registry.wait_for_bind(endpoint.address, connection)
        return connection
