"""web:// : ZeroMQ over WebSockets that a web framework accepted (ZWS 2.0).

A socket bound to ``web://name`` listens on nothing itself. The web app's
own WebSocket route hands each WebSocket it accepts to the
:class:`MountBinding`, which runs it as one peer of the socket: the
connection protocol is tcp's and ws's
(:class:`~aiomsg.transports._peer.PeerProtocol`), with the codec
:class:`~aiomsg._zmtp.zws.ZwsMessageCodec` and, below it, a
:class:`ChannelTransport` that moves whole binary messages through the
framework's WebSocket (a :class:`Channel`). The adapters for aiohttp and
ASGI are in :mod:`aiomsg.web`.
"""

from __future__ import annotations

import abc
import asyncio
import collections
import functools
from typing import Any

from aiomsg._endpoint import Endpoint
from aiomsg._zmtp.codec import StreamCodec
from aiomsg._zmtp.zws import BARE_SUBPROTOCOL, ZwsMessageCodec, choose_subprotocol, speaks_bare
from aiomsg.constants import SocketType
from aiomsg.errors import AddressInUse, EndpointError
from aiomsg.transports._peer import PeerProtocol
from aiomsg.transports.interface import (
    Binding,
    Connector,
    Engine,
    Event,
    PipeEnd,
    Transport,
)

__all__ = [
    "Channel",
    "ChannelError",
    "ChannelTransport",
    "MountBinding",
    "MountTransport",
    "MountedPeer",
]

# Above this many bytes queued for the WebSocket, the protocol stops writing
# (messages then wait in the socket's pipe); it resumes below the low mark.
_HIGH_WATER = 256 * 1024
_LOW_WATER = 64 * 1024
# WebSocket close codes (RFC 6455 section 7.4.1).
_NORMAL, _UNSUPPORTED_DATA = 1000, 1003


class ChannelError(Exception):
    """The web framework ended a WebSocket for the peer's fault (a message
    over its size limit, a frame RFC 6455 forbids); the text says which."""


class Channel(abc.ABC):
    """A WebSocket the web framework accepted, as whole messages."""

    @abc.abstractmethod
    async def receive(self) -> bytes | str | None:
        """The next message: its payload (``str`` for a text message), or
        None once the WebSocket is closed. Cancelling is safe.

        Raises:
            ChannelError: the framework closed the WebSocket for the peer's fault.
        """

    @abc.abstractmethod
    async def send(self, payload: bytes) -> None:
        """Send one binary message.

        Raises:
            ConnectionError: the WebSocket is closed.
        """

    @abc.abstractmethod
    async def close(self, code: int, reason: str) -> None:
        """Close the WebSocket with *code* and *reason*; never raises."""


class ChannelTransport(asyncio.Transport):
    """What :class:`~aiomsg.transports._peer.PeerProtocol` writes to: each
    item of ``writelines`` leaves as one binary message, in order, from a
    writer task; each binary message received is one ``data_received``."""

    def __init__(
        self,
        channel: Channel,
        protocol: PeerProtocol,
        peer_address: str,
        codec: ZwsMessageCodec | None = None,
    ) -> None:
        super().__init__({"peername": peer_address})
        self._channel = channel
        self._protocol = protocol
        # Says why the peer was dropped, for the close frame (None: 1000).
        self._codec = codec
        self._queue: collections.deque[bytes] = collections.deque()
        self._queued = 0
        self._wakeup = asyncio.Event()
        self._reading = asyncio.Event()
        self._reading.set()
        self._closing = False
        self._write_paused = False
        self._close_code, self._close_reason = _NORMAL, ""
        # The WebSocket was closed (by us or the framework): no close to send.
        self._channel_done = False

    # -- asyncio.Transport, as PeerProtocol uses it ---------------------------

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._closing:
            return
        self._queue.append(bytes(data))
        self._queued += len(data)
        self._wakeup.set()
        if self._queued > _HIGH_WATER and not self._write_paused:
            self._write_paused = True
            self._protocol.pause_writing()

    def writelines(self, list_of_data: Any) -> None:
        for data in list_of_data:
            self.write(data)

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        """Close once what is queued is sent."""
        self._closing = True
        self._wakeup.set()

    def abort(self) -> None:
        """Close at once, dropping what is queued."""
        self._queue.clear()
        self._queued = 0
        self.close()

    def pause_reading(self) -> None:
        self._reading.clear()

    def resume_reading(self) -> None:
        self._reading.set()

    def is_reading(self) -> bool:
        return self._reading.is_set()

    def get_write_buffer_size(self) -> int:
        return self._queued

    # -- running ---------------------------------------------------------------

    async def run(self) -> None:
        """Move messages both ways until either side closes the WebSocket.

        Never raises for what the peer does. Cancelling is safe: the
        connection is then reported lost and the WebSocket closed.
        """
        reader = asyncio.ensure_future(self._read())
        writer = asyncio.ensure_future(self._write())
        try:
            await asyncio.wait((reader, writer), return_when=asyncio.FIRST_COMPLETED)
            if not writer.done():
                # The reading ended (the peer closed, or sent text): nothing
                # more is sent, and the writer closes the WebSocket if needed.
                self._closing = True
                self._queue.clear()
                self._queued = 0
                self._wakeup.set()
                await writer
        finally:
            self._closing = True
            for task in (reader, writer):
                task.cancel()
            await asyncio.gather(reader, writer, return_exceptions=True)
            self._protocol.connection_lost(None)
            if not self._channel_done:
                self._channel_done = True
                await self._channel.close(*self._close_status())

    async def _read(self) -> None:
        channel, protocol = self._channel, self._protocol
        while not self._closing:
            await self._reading.wait()
            try:
                payload = await channel.receive()
            except ChannelError as error:
                self._channel_done = True  # the framework closed it, with its own code
                protocol.peer_violated(str(error))
                return
            if payload is None:
                self._channel_done = True
                return
            if self.is_closing():
                return
            if isinstance(payload, str):
                # libzmq stalls on a text frame (docs/wire/draft.md#zws-violations): we close.
                self._close_code = _UNSUPPORTED_DATA
                self._close_reason = "text frame: ZWS carries binary messages only"
                protocol.peer_violated(self._close_reason)
                return
            protocol.data_received(payload)

    async def _write(self) -> None:
        channel, queue = self._channel, self._queue
        try:
            while True:
                while queue:
                    payload = queue.popleft()
                    await channel.send(payload)
                    self._queued -= len(payload)
                    if self._write_paused and self._queued <= _LOW_WATER:
                        self._write_paused = False
                        self._protocol.resume_writing()
                if self._closing:
                    break
                self._wakeup.clear()
                await self._wakeup.wait()
        except ConnectionError:
            self._channel_done = True  # the WebSocket is gone: nothing to close
            return
        self._channel_done = True
        await channel.close(*self._close_status())

    def _close_status(self) -> tuple[int, str]:
        """The close code and reason: a text frame's, or the codec's fault's."""
        if self._close_code == _NORMAL and self._codec is not None:
            code, reason = self._codec.close_status
            # A close frame carries at most 123 bytes of reason.
            return code, reason.encode()[:120].decode(errors="ignore")
        return self._close_code, self._close_reason


class MountedPeer:
    """One accepted WebSocket, about to become a peer of the socket.

    Made by :meth:`MountBinding.admit` before the framework answers the
    upgrade, so that the answer names :attr:`subprotocol` and reads
    messages up to :attr:`max_message_size`.
    """

    def __init__(self, engine: Engine, binding: MountBinding, subprotocol: str) -> None:
        self._binding = binding
        made: list[ZwsMessageCodec] = []
        bare = subprotocol == BARE_SUBPROTOCOL
        self._protocol = PeerProtocol(
            engine, binding.endpoint, None, functools.partial(self._make_codec, made, bare)
        )
        #: The subprotocol to accept the WebSocket with.
        self.subprotocol: str = subprotocol
        #: The largest message payload worth reading (0: no limit).
        self.max_message_size: int = max(made[0].frame_limit(), 0)
        self._codec = made[0]

    @staticmethod
    def _make_codec(
        made: list[ZwsMessageCodec], bare: bool, engine: Engine, pipe: PipeEnd | None
    ) -> StreamCodec:
        codec = ZwsMessageCodec(
            engine.socket_type,
            identity=engine.identity,
            mechanism=engine.new_mechanism(),
            maxmsgsize=engine.maxmsgsize,
            max_message_size=engine.max_message_size,
            accepted=True,
            admit=functools.partial(engine.refusal, pipe),
            bare=bare,
        )
        made.append(codec)
        return codec

    async def run(self, channel: Channel, peer_address: str) -> None:
        """Serve the accepted WebSocket *channel* until it closes (or the
        socket unbinds or closes). Never raises for what the peer does.
        Cancelling is safe: the peer is then dropped and the WebSocket closed.
        """
        transport = ChannelTransport(channel, self._protocol, peer_address, self._codec)
        self._binding.peers.add(self._protocol)
        try:
            self._protocol.connection_made(transport)
            await transport.run()
        finally:
            self._binding.peers.discard(self._protocol)


class MountBinding(Binding):
    """A socket bound to ``web://name``: it takes the WebSockets handed to it."""

    def __init__(self, engine: Engine, endpoint: str, transport: MountTransport) -> None:
        self.endpoint = endpoint
        self._engine = engine
        self._transport = transport
        self._accepting = True
        #: The connections of the peers accepted here.
        self.peers: set[PeerProtocol] = set()

    def admit(self, offered: list[str]) -> MountedPeer | str:
        """A peer for a WebSocket whose client offered the subprotocols
        *offered*, or why it is refused (the socket is closed or unbound,
        its type cannot be mounted, or no ``ZWS2.0/<mechanism>`` matching the
        socket's security mechanism was offered, nor bare ``ZWS2.0`` where
        it may be spoken: see :func:`~aiomsg._zmtp.zws.speaks_bare`)."""
        engine = self._engine
        if not self._accepting or engine.closed:
            return "the ZeroMQ socket of this endpoint is closed"
        if engine.socket_type is SocketType.STREAM:
            return "a STREAM socket cannot take WebSocket peers"
        mechanism = engine.new_mechanism().name
        chosen = choose_subprotocol(
            offered, mechanism, bare=speaks_bare(engine.socket_type, mechanism)
        )
        if chosen is None:
            shown = ", ".join(offered) or "none"
            wanted = "ZWS2.0/" + mechanism.decode("ascii")
            reason = (
                f"no ZeroMQ subprotocol: this endpoint speaks {wanted}, "
                f"the client offered {shown}"
            )
            engine.emit(Event.HANDSHAKE_FAILED, self.endpoint, reason=reason)
            return reason
        return MountedPeer(engine, self, chosen)

    def stop_accepting(self) -> None:
        self._accepting = False
        self._transport.forget(self)

    def close(self) -> None:
        self.stop_accepting()
        for peer in list(self.peers):
            peer.close("unbound")


class MountTransport(Transport):
    """``web://name``: bindings fed by a web app's WebSocket route; no connect."""

    def __init__(self) -> None:
        self._bindings: dict[str, MountBinding] = {}

    def binding(self, endpoint: str) -> MountBinding | None:
        """The binding at *endpoint* (as ``bind`` returned it), if still accepting."""
        return self._bindings.get(endpoint)

    def forget(self, binding: MountBinding) -> None:
        """*binding* accepts no more peers."""
        if self._bindings.get(binding.endpoint) is binding:
            del self._bindings[binding.endpoint]

    async def bind(self, engine: Engine, endpoint: Endpoint) -> Binding:
        """Raises:
            EndpointError: the name is empty.
            AddressInUse: another socket is bound to this name.
        """
        text = endpoint.text
        if not endpoint.address:
            raise EndpointError(text, "web:// needs a name: web://<name>")
        if text in self._bindings:
            raise AddressInUse(text)
        binding = MountBinding(engine, text, self)
        self._bindings[text] = binding
        return binding

    def connect(self, engine: Engine, endpoint: Endpoint, pipe: PipeEnd) -> Connector:
        """Raises:
        EndpointError: always; connect with ``ws://host:port/path`` instead.
        """
        raise EndpointError(
            endpoint.text, "web:// only binds: connect to the app with ws://host:port/path"
        )
