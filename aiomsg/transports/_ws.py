"""ws:// : ZeroMQ over WebSocket (ZWS 2.0) on a listener of its own, or as a client.

The connection protocol is tcp's (:class:`~aiomsg.transports._peer.PeerProtocol`)
with the ZWS codec (:class:`~aiomsg._zmtp.zws.ZwsStreamCodec`): the HTTP
upgrade, then one WebSocket message per ZMTP frame. Endpoints are
``ws://host:port/path`` (docs/wire/draft.md#zws-endpoints); a bound socket
answers any request target, as libzmq does, since libzmq 4.3.5 clients
send only the last path segment (docs/wire/draft.md#zws-upgrade).
"""

from __future__ import annotations

import asyncio

from aiomsg._endpoint import Endpoint, parse_ws_address
from aiomsg._zmtp.codec import StreamCodec
from aiomsg._zmtp.zws import ZwsStreamCodec
from aiomsg.transports._peer import CodecFactory
from aiomsg.transports._stream import StreamBinding, StreamConnector
from aiomsg.transports._tcp import listen_tcp, tcp_endpoint_text
from aiomsg.transports.interface import Binding, Connector, Engine, PipeEnd, Transport

__all__ = ["WsTransport"]


def _zws_codec(client: tuple[str, str] | None) -> CodecFactory:
    """A codec factory for ws connections: a client's knows its ``Host`` and target."""

    def make(engine: Engine) -> StreamCodec:
        return ZwsStreamCodec(
            engine.socket_type,
            identity=engine.identity,
            mechanism=engine.new_mechanism(),
            maxmsgsize=engine.maxmsgsize,
            max_message_size=engine.max_message_size,
            client=client,
        )

    return make


class WsTransport(Transport):
    """ZWS 2.0 over TCP: NULL, PLAIN and CURVE, every socket type."""

    async def bind(self, engine: Engine, endpoint: Endpoint) -> Binding:
        address, path = parse_ws_address(endpoint, binding=True)
        binding = StreamBinding(engine, _zws_codec(None))
        server = await listen_tcp(binding, address, endpoint)
        return await binding.serve(server, tcp_endpoint_text("ws", server) + path)

    def connect(self, engine: Engine, endpoint: Endpoint, pipe: PipeEnd) -> Connector:
        address, path = parse_ws_address(endpoint, binding=False)
        host = address.host
        assert host is not None  # parse_tcp_address refuses '*' for connect
        loop = asyncio.get_running_loop()
        return StreamConnector(
            engine,
            endpoint.text,
            pipe,
            lambda factory: loop.create_connection(factory, host, address.port),
            _zws_codec((str(address), path)),
        )
