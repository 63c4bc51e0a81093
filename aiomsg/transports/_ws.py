"""ws:// and wss:// : ZeroMQ over WebSocket (ZWS 2.0) on a listener of its own, or as a client.

The connection protocol is tcp's (:class:`~aiomsg.transports._peer.PeerProtocol`)
with the ZWS codec (:class:`~aiomsg._zmtp.zws.ZwsStreamCodec`): the HTTP
upgrade, then one WebSocket message per ZMTP frame. Endpoints are
``ws://host:port/path`` (docs/wire/draft.md#zws-endpoints); a bound socket
answers any request target, as libzmq does, since libzmq 4.3.5 clients
send only the last path segment (docs/wire/draft.md#zws-upgrade).

``wss://`` is the same over TLS from the standard :mod:`ssl` module, set up
from options named as libzmq names them (``ZMQ_WSS_CERT_PEM`` and so on):
PEM text, not file names.
"""

from __future__ import annotations

import asyncio
import functools
import os
import ssl
import tempfile

from aiomsg._endpoint import Endpoint, parse_ws_address
from aiomsg._zmtp.codec import StreamCodec
from aiomsg._zmtp.zws import ZwsStreamCodec
from aiomsg.errors import EndpointError
from aiomsg.transports._peer import CodecFactory
from aiomsg.transports._stream import StreamBinding, StreamConnector
from aiomsg.transports._tcp import listen_tcp, tcp_endpoint_text
from aiomsg.transports.interface import Binding, Connector, Engine, PipeEnd, Transport

__all__ = ["WsTransport"]


def _zws_codec(client: tuple[str, str] | None) -> CodecFactory:
    """A codec factory for ws connections: a client's knows its ``Host`` and target."""

    def make(engine: Engine, pipe: PipeEnd | None) -> StreamCodec:
        return ZwsStreamCodec(
            engine.socket_type,
            identity=engine.identity,
            mechanism=engine.new_mechanism(),
            maxmsgsize=engine.maxmsgsize,
            max_message_size=engine.max_message_size,
            accepted=pipe is None,
            admit=functools.partial(engine.refusal, pipe),
            client=client,
        )

    return make


def server_tls(engine: Engine, endpoint: str) -> ssl.SSLContext:
    """A TLS server context from ``wss_cert_pem`` and ``wss_key_pem``.

    Raises:
        EndpointError: no certificate, or one :mod:`ssl` cannot load.
    """
    if not engine.wss_cert_pem:
        raise EndpointError(endpoint, "wss:// needs the wss_cert_pem and wss_key_pem options")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    # ssl loads a certificate chain from files only: a private directory for
    # the moment it takes, removed at once.
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "cert.pem")
        with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as file:
            file.write(engine.wss_cert_pem + "\n" + engine.wss_key_pem)
        try:
            context.load_cert_chain(path)
        except (ssl.SSLError, OSError) as error:
            raise EndpointError(endpoint, f"cannot load the wss certificate: {error}") from None
    return context


def client_tls(engine: Engine, endpoint: str) -> ssl.SSLContext:
    """A TLS client context trusting ``wss_trust_pem`` (and the system's CAs
    with ``wss_trust_system``), checking the server's name.

    Raises:
        EndpointError: trust PEM that :mod:`ssl` cannot load.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if engine.wss_trust_system:
        context.load_default_certs()
    if engine.wss_trust_pem:
        try:
            context.load_verify_locations(cadata=engine.wss_trust_pem)
        except ssl.SSLError as error:
            raise EndpointError(endpoint, f"cannot load wss_trust_pem: {error}") from None
    return context


class WsTransport(Transport):
    """ZWS 2.0 over TCP (*secure*: over TLS): NULL, PLAIN and CURVE, every socket type."""

    def __init__(self, *, secure: bool = False) -> None:
        self._scheme = "wss" if secure else "ws"

    async def bind(self, engine: Engine, endpoint: Endpoint) -> Binding:
        address, path = parse_ws_address(endpoint, binding=True)
        tls = server_tls(engine, endpoint.text) if self._scheme == "wss" else None
        binding = StreamBinding(engine, _zws_codec(None))
        server = await listen_tcp(engine, binding, address, endpoint, tls)
        return await binding.serve(server, tcp_endpoint_text(self._scheme, server) + path)

    def connect(self, engine: Engine, endpoint: Endpoint, pipe: PipeEnd) -> Connector:
        address, path = parse_ws_address(endpoint, binding=False)
        host = address.host
        assert host is not None  # parse_tcp_address refuses '*' for connect
        loop = asyncio.get_running_loop()
        tls = client_tls(engine, endpoint.text) if self._scheme == "wss" else None
        # The name checked in the server's certificate (TLS only).
        hostname = (engine.wss_hostname or host) if tls is not None else None
        return StreamConnector(
            engine,
            endpoint.text,
            pipe,
            lambda factory: loop.create_connection(
                factory, host, address.port, ssl=tls, server_hostname=hostname
            ),
            _zws_codec((str(address), path)),
        )
