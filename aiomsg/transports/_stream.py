"""What tcp and ipc share: a listening server, and a connector that reconnects."""

from __future__ import annotations

import asyncio
import errno
from collections.abc import Awaitable, Callable

from aiomsg.constants import (
    RECONNECT_STOP_CONN_REFUSED,
    RECONNECT_STOP_HANDSHAKE_FAILED,
    SocketType,
)
from aiomsg.transports._peer import CodecFactory, PeerProtocol, zmtp_codec
from aiomsg.transports._raw import RawProtocol
from aiomsg.transports.interface import Binding, Connector, Engine, Event, PipeEnd

__all__ = ["Connection", "Opener", "StreamBinding", "StreamConnector", "new_connection"]

#: One connection's protocol: ZMTP, or raw bytes for a STREAM socket.
Connection = PeerProtocol | RawProtocol


def new_connection(
    engine: Engine, endpoint: str, pipe: PipeEnd | None, codec: CodecFactory = zmtp_codec
) -> Connection:
    """The protocol for one new connection of *engine*'s socket: raw bytes for
    STREAM, else ZMTP through *codec* (tcp and ipc's, or ws's)."""
    if engine.socket_type is SocketType.STREAM:
        return RawProtocol(engine, endpoint, pipe)
    return PeerProtocol(engine, endpoint, pipe, codec)

# RECONNECT_STOP_AFTER_DISCONNECT needs nothing here: disconnect() always
# stops the connector at once.

#: Opens one connection with the given protocol factory (a bound
#: ``loop.create_connection`` or ``loop.create_unix_connection``).
Opener = Callable[[Callable[[], Connection]], Awaitable[tuple[asyncio.BaseTransport, Connection]]]


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
        self._peers: set[Connection] = set()
        self._cleanup: Callable[[], None] | None = None

    def new_peer(self) -> Connection:
        """Protocol factory for the server: one protocol per accepted connection."""
        peer = new_connection(self._engine, self.endpoint, None, self._codec)
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
    mechanism), as libzmq does, or if ``reconnect_ivl`` is -1; and, as the
    ``reconnect_stop`` flags ask, when the connection is refused or its
    handshake fails (``tcp_connecter.cpp``, ``session_base.cpp``).
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
        self._protocol: Connection | None = None
        self._stopped = False
        self._task = asyncio.get_running_loop().create_task(self._run())

    def close(self) -> None:
        self._stopped = True
        if self._protocol is not None:
            # Not cancelled while a connection exists: a connect call
            # cancelled as it completes (uvloop) closes its transport without
            # telling the protocol, and the loss would go unreported. _run
            # sees the close and returns.
            self._protocol.close("disconnected")
        else:
            self._task.cancel()

    def _new_protocol(self) -> Connection:
        # Known from the moment it exists: the connection may complete its
        # handshake before the connect call returns to _run, and close()
        # must reach it then too.
        self._protocol = new_connection(self._engine, self._endpoint, self.pipe, self._codec)
        return self._protocol

    async def _run(self) -> None:
        engine, endpoint = self._engine, self._endpoint
        delay = engine.reconnect_ivl
        while True:
            try:
                _, protocol = await self._opener(self._new_protocol)
            except OSError as error:
                refused = error.errno == errno.ECONNREFUSED
                if refused and engine.reconnect_stop & RECONNECT_STOP_CONN_REFUSED:
                    engine.connector_failed(self, f"{error}: not reconnecting (reconnect_stop)")
                    return
                engine.emit(
                    Event.CONNECT_RETRIED, endpoint, reason=str(error), value=error.errno or 0
                )
            else:
                await protocol.closed
                self._protocol = None
                if self._stopped:
                    return
                if protocol.give_up:
                    reason = protocol.give_up_reason
                    if not protocol.handshaken:
                        engine.emit(Event.PEER_REFUSED, endpoint, protocol.peer_address, reason)
                    engine.connector_failed(self, reason)
                    return
                if protocol.handshaken:
                    delay = engine.reconnect_ivl
                elif engine.reconnect_stop & RECONNECT_STOP_HANDSHAKE_FAILED:
                    reason = "handshake failed: not reconnecting (reconnect_stop)"
                    engine.connector_failed(self, reason)
                    return
            if engine.reconnect_ivl < 0:
                engine.connector_failed(self, "not reconnecting (reconnect_ivl is -1)")
                return
            # The reconnect interval itself: this wait is the policy, not a sync.
            await asyncio.sleep(delay / 1000)
            if engine.reconnect_ivl_max > delay:
                delay = min(max(delay, 1) * 2, engine.reconnect_ivl_max)
