"""RawProtocol: one connection of a STREAM socket, bytes with no ZMTP at all.

A STREAM peer is any TCP program (a browser, ``curl``, a telnet client). The
connection is linked to its pipe as soon as it exists (there is no
handshake); each chunk read is delivered as a one-frame message, and each
message sent is written as it is. libzmq's ``raw_engine.cpp`` is the model.
"""

from __future__ import annotations

import asyncio
import socket as _socket
from typing import cast

from aiomsg.transports._peer import ReadPacing, format_peer
from aiomsg.transports._tuning import tune_socket
from aiomsg.transports.interface import Engine, Event, Message, PipeEnd

__all__ = ["RawProtocol"]


class RawProtocol(ReadPacing):
    """The link between one raw connection and one pipe of a STREAM socket.

    Args:
        engine: the socket it serves.
        endpoint: the socket endpoint (bound or connected) this came from.
        pipe: the connecting side's pipe; None when accepted.
    """

    #: Why a connector stops when :attr:`give_up` is set.
    give_up_reason = "closed by the application: not reconnecting"

    def __init__(self, engine: Engine, endpoint: str, pipe: PipeEnd | None) -> None:
        self._engine = engine
        self._endpoint = endpoint
        self._pipe = pipe
        self._transport: asyncio.Transport | None = None
        self.pipe: PipeEnd | None = None
        self.peer_address = ""
        self.writable = False
        #: Always true once connected: a raw connection has no handshake.
        self.handshaken = False
        #: This side closed the connection (``[routing_id, b""]``): a
        #: connector does not reconnect it, as libzmq ends a raw session then.
        self.give_up = False
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    # -- asyncio.Protocol ------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        raw = transport.get_extra_info("socket")
        self.peer_address = format_peer(transport.get_extra_info("peername"))
        if raw is not None and raw.family in (_socket.AF_INET, _socket.AF_INET6):
            raw.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
        engine = self._engine
        if self._pipe is None:
            try:
                if raw is not None:
                    tune_socket(engine, raw)
            except OSError as error:
                engine.emit(Event.ACCEPT_FAILED, self._endpoint, self.peer_address, str(error))
                self._transport.abort()
                return
            engine.emit(Event.ACCEPTED, self._endpoint, self.peer_address)
        else:
            engine.emit(Event.CONNECTED, self._endpoint, self.peer_address)
        self.handshaken = self.writable = True
        self.pipe = self._pipe
        self.pipe = engine.peer_ready(self._pipe, self, self._endpoint, self.peer_address, {})
        if self.pipe is None:
            self.writable = False
            self._transport.close()

    def data_received(self, data: bytes) -> None:
        pipe = self.pipe
        if pipe is not None:
            pipe.in_bytes += len(data)
            pipe.deliver([data])

    def connection_lost(self, exc: Exception | None) -> None:
        self.writable = False
        pipe, self.pipe = self.pipe, None
        if pipe is not None:
            self._engine.peer_lost(pipe, keep=self._pipe is not None)
        if not self.closed.done():
            self.closed.set_result(None)

    def pause_writing(self) -> None:
        self.writable = False

    def resume_writing(self) -> None:
        if self._transport is None or self._transport.is_closing():
            return
        self.writable = self.pipe is not None
        if self.pipe is not None:
            self.pipe.flush_backlog()

    # -- Link ------------------------------------------------------------------

    def try_send(self, message: Message) -> bool:
        if not self.writable:
            return False
        assert self._transport is not None and self.pipe is not None
        # Data frames go out back to back: the bytes are the whole protocol.
        self._transport.writelines(message)
        self.pipe.out_bytes += sum(map(len, message))
        return True

    def send_subscription(self, topic: bytes, subscribe: bool) -> None:
        """Nothing: raw peers have no subscriptions."""

    def close(self, reason: str) -> None:
        """Close after writing what is buffered (the peer reads it, then EOF)."""
        self.writable = False
        self.give_up = True
        if self._transport is not None:
            self._transport.close()

    def abort(self, reason: str) -> None:
        self.writable = False
        self.give_up = True
        if self._transport is not None:
            self._transport.abort()

    @property
    def pending_output(self) -> int:
        return self._transport.get_write_buffer_size() if self._transport else 0
