"""What tcp and ipc share: a listening server, and a connector that reconnects."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiomsg.transports._peer import CodecFactory, PeerProtocol, zmtp_codec
from aiomsg.transports.interface import Binding, Connector, Engine, Event, PipeEnd

__all__ = ["Opener", "StreamBinding", "StreamConnector"]

#: Opens one connection with the given protocol factory (a bound
#: ``loop.create_connection`` or ``loop.create_unix_connection``).
Opener = Callable[
    [Callable[[], PeerProtocol]], Awaitable[tuple[asyncio.BaseTransport, PeerProtocol]]
]


class StreamBinding(Binding):
    """A listening ``asyncio.Server`` and the peers it accepted.

    Closing it closes those peers' connections too (libzmq's ``zmq_unbind``
    does the same); *cleanup* then runs once (removing an ipc socket file).
    """

    def __init__(self, engine: Engine, codec: CodecFactory = zmtp_codec) -> None:
        self.endpoint = ""
        self._engine = engine
        self._codec = codec
        self._server: asyncio.Server | None = None
        self._peers: set[PeerProtocol] = set()
        self._cleanup: Callable[[], None] | None = None

    def new_peer(self) -> PeerProtocol:
        """Protocol factory for the server: one PeerProtocol per accepted connection."""
        peer = PeerProtocol(self._engine, self.endpoint, None, self._codec)
        self._peers.add(peer)
        peer.closed.add_done_callback(lambda _: self._peers.discard(peer))
        return peer

    async def serve(
        self, server: asyncio.Server, endpoint: str, cleanup: Callable[[], None] | None = None
    ) -> StreamBinding:
        """Start accepting on *server* (made with ``start_serving=False``).

        Cancelling is safe: the server is then closed and *cleanup* run, so a
        cancelled bind leaves nothing listening.
        """
        self._server, self.endpoint, self._cleanup = server, endpoint, cleanup
        try:
            await server.start_serving()
        except BaseException:
            self.close()
            raise
        return self

    def stop_accepting(self) -> None:
        if self._server is not None:
            self._server.close()

    def close(self) -> None:
        self.stop_accepting()
        for peer in list(self._peers):
            peer.close("unbound")
        if self._cleanup is not None:
            self._cleanup()
            self._cleanup = None


class StreamConnector(Connector):
    """Keeps *pipe* connected to *endpoint*: connect, wait for the loss, retry.

    Retries after ``reconnect_ivl`` ms, doubling up to ``reconnect_ivl_max``
    while attempts keep failing. It stops for good when the peer refuses us
    with an ERROR command or turns out incompatible (socket type, security
    mechanism), as libzmq does, or if ``reconnect_ivl`` is -1.
    """

    def __init__(
        self,
        engine: Engine,
        endpoint: str,
        pipe: PipeEnd,
        opener: Opener,
        codec: CodecFactory = zmtp_codec,
    ) -> None:
        self.pipe = pipe
        self._codec = codec
        self._engine = engine
        self._endpoint = endpoint
        self._opener = opener
        self._protocol: PeerProtocol | None = None
        self._task = asyncio.get_running_loop().create_task(self._run())

    def close(self) -> None:
        self._task.cancel()
        if self._protocol is not None:
            self._protocol.close("disconnected")

    async def _run(self) -> None:
        engine, endpoint = self._engine, self._endpoint
        delay = engine.reconnect_ivl
        while True:
            try:
                _, protocol = await self._opener(
                    lambda: PeerProtocol(engine, endpoint, self.pipe, self._codec)
                )
            except OSError as error:
                engine.emit(Event.CONNECT_RETRIED, endpoint, reason=str(error))
            else:
                engine.emit(Event.CONNECTED, endpoint, protocol.peer_address)
                self._protocol = protocol
                await protocol.closed
                self._protocol = None
                if protocol.give_up:
                    reason = "the peer cannot work with this socket: not reconnecting"
                    engine.emit(Event.PEER_REFUSED, endpoint, protocol.peer_address, reason)
                    engine.connector_failed(self)
                    return
                if protocol.handshaken:
                    delay = engine.reconnect_ivl
            if engine.reconnect_ivl < 0:
                return
            # The reconnect interval itself: this wait is the policy, not a sync.
            await asyncio.sleep(delay / 1000)
            if engine.reconnect_ivl_max > delay:
                delay = min(max(delay, 1) * 2, engine.reconnect_ivl_max)
