"""inproc:// : sockets of one Context, linked pipe to pipe with no bytes at all.

Messages are handed over by reference (no encoding, no copy), and bind and
connect may come in either order: a connect waits for its bind.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiomsg._endpoint import connect_address
from aiomsg.constants import compatible_peers
from aiomsg.errors import AddressInUse
from aiomsg.transports.interface import (
    Binding,
    Connector,
    Endpoint,
    Engine,
    Event,
    Message,
    PipeEnd,
    Transport,
)

__all__ = ["InprocTransport"]


def _no_peer(message: Message) -> bool:
    return False


class InprocLink:
    """A pipe's link to its inproc peer: sending is offering to the peer's pipe.

    Flow control spans both pipes: a send goes straight into the peer's
    inbound queue while it is under the peer's ``rcvhwm``, then into our
    backlog up to our ``sndhwm`` (libzmq adds the two HWMs the same way).
    """

    __slots__ = ("connector", "peer", "try_send")

    def __init__(self, connector: InprocConnector, peer: PipeEnd | None = None) -> None:
        self.connector = connector
        #: The pipe we hand messages to (``Link``'s optional ``peer``: the
        #: pipe we carry sends straight to it, without calling us).
        self.peer: PipeEnd | None = None
        #: ``Link.try_send``: the peer pipe's own ``offer``, bound once, so a
        #: send is one call with no wrapper (the whole inproc hot path). The
        #: message goes by reference: inproc neither encodes nor copies.
        self.try_send: Callable[[Message], bool] = _no_peer
        if peer is not None:
            self.link_to(peer)

    def link_to(self, peer: PipeEnd) -> None:
        """Send to *peer* from now on."""
        self.peer = peer
        self.try_send = peer.offer

    def try_send_many(self, messages: list[Message], start: int) -> int:
        """``Link.try_send_many``: as many as the peer's inbound queue takes."""
        peer = self.peer
        return start if peer is None else peer.offer_many(messages, start)

    @property
    def writable(self) -> bool:
        return self.peer is not None and self.peer.has_room

    def send_subscription(self, topic: bytes, subscribe: bool) -> None:
        if self.peer is not None:
            self.peer.deliver_subscription(topic, subscribe)

    def pause_reading(self) -> None:
        """Nothing to do: the peer sees our queue fill through ``offer``."""

    def resume_reading(self) -> None:
        if self.peer is not None:
            self.peer.flush_backlog()

    def close(self, reason: str) -> None:
        self.connector.unlink(by=self)

    def abort(self, reason: str) -> None:
        self.close(reason)  # nothing is ever buffered between two pipes

    @property
    def pending_output(self) -> int:
        return 0


class InprocBinding(Binding):
    """A name bound in the context's :class:`InprocRegistry`."""

    def __init__(self, registry: InprocRegistry, name: str, engine: Engine) -> None:
        self.endpoint = f"inproc://{name}"
        self._registry = registry
        self._name = name
        self.engine = engine
        #: Connectors currently linked through this binding.
        self.connectors: list[InprocConnector] = []

    def stop_accepting(self) -> None:
        if self._registry.bound.get(self._name) is self:
            del self._registry.bound[self._name]

    def close(self) -> None:
        """Unbind, and unlink the connected peers (they wait for a new bind)."""
        self.stop_accepting()
        for connector in list(self.connectors):
            connector.unlink()


class InprocConnector(Connector):
    """A connecting socket's pipe, linked to the bound socket when there is one."""

    def __init__(self, registry: InprocRegistry, name: str, engine: Engine, pipe: PipeEnd) -> None:
        self.pipe = pipe
        self._registry = registry
        self._name = name
        self._engine = engine
        self._peer_pipe: PipeEnd | None = None
        self._binding: InprocBinding | None = None
        # Our pipe's link while our socket accepted it (peer_ready).
        self._our_link: InprocLink | None = None
        self._closed = False

    @property
    def endpoint(self) -> str:
        return f"inproc://{self._name}"

    def link_to(self, binding: InprocBinding) -> None:
        """Link our pipe to a new pipe of the bound socket, as a handshake would."""
        engine, binder, endpoint = self._engine, binding.engine, self.endpoint
        if engine.socket_type.wire_name not in compatible_peers(binder.socket_type):
            ours, theirs = engine.socket_type.name, binder.socket_type.name
            reason = f"socket type {ours} cannot talk to {theirs}"
            binder.emit(Event.PEER_REFUSED, endpoint, "inproc", reason)
            engine.emit(Event.PEER_REFUSED, endpoint, "inproc", reason)
            self._closed = True  # as over tcp: an incompatible peer is never retried
            engine.connector_failed(self)
            return
        our_link = InprocLink(self)
        their_link = InprocLink(self, self.pipe)
        peer_pipe = binder.peer_ready(None, their_link, endpoint, "inproc", _metadata(engine))
        if peer_pipe is None:
            self._retry_later()
            return
        our_link.link_to(peer_pipe)
        self._peer_pipe, self._binding = peer_pipe, binding
        binding.connectors.append(self)
        if engine.peer_ready(self.pipe, our_link, endpoint, "inproc", _metadata(binder)) is None:
            self.unlink(relink=False)
            self._retry_later()
        else:
            self._our_link = our_link

    def _retry_later(self) -> None:
        """A refused link is tried again after ``reconnect_ivl``, as a tcp
        connection would be (the refusal may end: a PAIR's peer leaves)."""
        delay = self._engine.reconnect_ivl
        if delay >= 0 and not self._closed:
            asyncio.get_running_loop().call_later(delay / 1000, self._retry)

    def _retry(self) -> None:
        if not self._closed and self._binding is None:
            self._registry.wait_for_bind(self._name, self)

    def unlink(self, *, relink: bool = True, by: InprocLink | None = None) -> None:
        """Drop the link on both sides; wait for a new bind unless closed.

        *by* is the link whose socket asked (it knows already, so it is not
        told that its peer is lost).
        """
        peer_pipe, binding = self._peer_pipe, self._binding
        if peer_pipe is None or binding is None:
            return
        self._peer_pipe = self._binding = None
        binding.connectors.remove(self)
        binding.engine.peer_lost(peer_pipe, keep=False)
        our_link, self._our_link = self._our_link, None
        if our_link is not None and by is not our_link:
            self._engine.peer_lost(self.pipe, keep=True)
        if relink and not self._closed:
            self._registry.wait_for_bind(self._name, self)

    def close(self) -> None:
        self._closed = True
        self._registry.stop_waiting(self._name, self)
        self.unlink()


def _metadata(engine: Engine) -> dict[bytes, bytes]:
    """The properties a handshake would have carried."""
    return {b"Socket-Type": engine.socket_type.wire_name, b"Identity": engine.identity}


class InprocRegistry:
    """The inproc names of one Context: who is bound, and who waits for a bind."""

    def __init__(self) -> None:
        self.bound: dict[str, InprocBinding] = {}
        self.waiting: dict[str, list[InprocConnector]] = {}

    def wait_for_bind(self, name: str, connector: InprocConnector) -> None:
        binding = self.bound.get(name)
        if binding is not None and not binding.engine.closed:
            connector.link_to(binding)
        else:
            self.waiting.setdefault(name, []).append(connector)

    def stop_waiting(self, name: str, connector: InprocConnector) -> None:
        waiting = self.waiting.get(name, [])
        if connector in waiting:
            waiting.remove(connector)


class InprocTransport(Transport):
    """The inproc transport; names live in the socket's Context."""

    async def bind(self, engine: Engine, endpoint: Endpoint) -> Binding:
        registry = engine.transport_state(InprocRegistry)
        name = endpoint.address
        if name in registry.bound:
            raise AddressInUse(endpoint.text)
        binding = InprocBinding(registry, name, engine)
        registry.bound[name] = binding
        for connector in registry.waiting.pop(name, []):
            connector.link_to(binding)
        return binding

    def connect(self, engine: Engine, endpoint: Endpoint, pipe: PipeEnd) -> Connector:
        registry = engine.transport_state(InprocRegistry)
        name = connect_address(endpoint)
        connector = InprocConnector(registry, name, engine, pipe)
        registry.wait_for_bind(name, connector)
        return connector
