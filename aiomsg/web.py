"""ZeroMQ endpoints mounted in a web app: one port serves HTTP and ZeroMQ.

A socket is bound for the purpose, then the app routes WebSockets to it::

    # aiohttp
    app.router.add_get("/zmq", await aiomsg.web.aiohttp_handler(rep))
    # Starlette or FastAPI (any ASGI app)
    routes = [WebSocketRoute("/zmq", await aiomsg.web.asgi_endpoint(rep))]

A ZeroMQ peer then connects with ``ws://host:port/zmq`` (ZWS 2.0: aiomsg's
``ws://`` transport, libzmq's ``ws://``), through the app's own middleware
and TLS. Each WebSocket is accepted only with the subprotocol of the
socket's security mechanism (``ZWS2.0/NULL``, ``/PLAIN``, ``/CURVE``), and
refused with ``400 Bad Request`` naming why otherwise. The socket's bind is
``web://<name>`` (see ``last_endpoint``); unbinding it or closing the socket
refuses new WebSockets and closes those it holds.

Keepalive pings are the web server's (aiohttp's ``heartbeat``, uvicorn's
``ws_ping_interval``): the socket's ``heartbeat_*`` options do not apply to
mounted peers. aiohttp reads messages up to the socket's size limits; an
ASGI server reads up to its own (uvicorn's ``ws_max_size``).
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

from aiomsg._socket import Socket
from aiomsg.errors import EndpointError
from aiomsg.transports import register_transport
from aiomsg.transports._mount import Channel, ChannelError, MountBinding, MountTransport
from aiomsg.transports._peer import format_peer

if TYPE_CHECKING:
    from aiohttp import web

__all__ = ["AsgiEndpoint", "aiohttp_handler", "asgi_endpoint"]

_TRANSPORT = MountTransport()
register_transport("web", _TRANSPORT)
_names = itertools.count(1)

Scope = MutableMapping[str, Any]
AsgiMessage = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[AsgiMessage]]
Send = Callable[[AsgiMessage], Awaitable[None]]


async def _bind(socket: Socket, name: str | None) -> MountBinding:
    """Bind *socket* to ``web://<name>`` (a fresh name if None).

    Raises:
        AddressInUse: another socket is bound to this name.
        Closed: the socket is closed.
    """
    endpoint = await socket.bind(f"web://{name or f'mount-{next(_names)}'}")
    binding = _TRANSPORT.binding(endpoint)
    if binding is None:
        await socket.unbind(endpoint)
        raise EndpointError(endpoint, "web:// is registered to another transport")
    return binding


# -- aiohttp -----------------------------------------------------------------


async def aiohttp_handler(
    socket: Socket, name: str | None = None
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Bind *socket* to ``web://<name>`` and return an aiohttp request handler
    (``app.router.add_get(path, handler)``) that makes each WebSocket it
    accepts a peer of *socket*.

    The handler answers ``400`` (naming why) a request that is not a
    WebSocket upgrade or offers no ``ZWS2.0/<mechanism>`` subprotocol for
    the socket's mechanism, and ``400`` once the socket is closed or
    unbound. It returns when the WebSocket closes; cancelling it is safe
    (the peer is dropped and the WebSocket closed).

    Leave aiohttp's ``handler_cancellation`` off (its default): with it on,
    aiohttp cancels the handler as soon as the peer's TCP closes, and the
    messages it had read but not yet handed over are lost (a PUSH that
    sends and closes at once loses its last ones).

    Raises:
        AddressInUse: another socket is bound to ``web://<name>``.
        Closed: the socket is closed.
        ImportError: aiohttp is not installed (when the handler runs).
    """
    binding = await _bind(socket, name)

    async def handler(request: web.Request) -> web.StreamResponse:
        from aiohttp import web

        offered = [
            token.strip()
            for header in request.headers.getall("Sec-WebSocket-Protocol", [])
            for token in header.split(",")
            if token.strip()
        ]
        if not web.WebSocketResponse(protocols=offered).can_prepare(request).ok:
            return web.Response(status=400, text="expected a WebSocket upgrade")
        peer = binding.admit(offered)
        if isinstance(peer, str):
            return web.Response(status=400, text=peer)
        response = web.WebSocketResponse(
            protocols=(peer.subprotocol,), max_msg_size=peer.max_message_size, compress=False
        )
        await response.prepare(request)
        address = format_peer(
            request.transport.get_extra_info("peername") if request.transport else None
        )
        await peer.run(_AiohttpChannel(response), address)
        return response

    return handler


class _AiohttpChannel(Channel):
    """An aiohttp ``WebSocketResponse`` as whole messages."""

    def __init__(self, response: web.WebSocketResponse) -> None:
        self._response = response

    async def receive(self) -> bytes | str | None:
        from aiohttp import WSMsgType

        message = await self._response.receive()
        if message.type in (WSMsgType.BINARY, WSMsgType.TEXT):
            data: bytes | str = message.data
            return data
        if message.type is WSMsgType.ERROR:
            # aiohttp has closed it already, with the code the fault calls for.
            raise ChannelError(f"WebSocket error: {message.data}")
        return None  # close, closing or closed: the WebSocket is done

    async def send(self, payload: bytes) -> None:
        if self._response.closed:
            raise ConnectionResetError("the WebSocket is closed")
        await self._response.send_bytes(payload)

    async def close(self, code: int, reason: str) -> None:
        with contextlib.suppress(ConnectionError):  # gone already
            await self._response.close(code=code, message=reason.encode())


# -- ASGI --------------------------------------------------------------------


async def asgi_endpoint(socket: Socket, name: str | None = None) -> AsgiEndpoint:
    """Bind *socket* to ``web://<name>`` and return an ASGI app for a
    WebSocket route (Starlette's ``WebSocketRoute(path, endpoint)``, FastAPI's
    ``app.router.routes``) that makes each WebSocket it accepts a peer of
    *socket*.

    Raises:
        AddressInUse: another socket is bound to ``web://<name>``.
        Closed: the socket is closed.
    """
    return AsgiEndpoint(await _bind(socket, name))


class AsgiEndpoint:
    """An ASGI app making each WebSocket it accepts a peer of one socket.

    A WebSocket without a ``ZWS2.0/<mechanism>`` subprotocol for the
    socket's mechanism is refused: with ``400`` naming why where the server
    offers the ``websocket.http.response`` extension, else with a close
    before the accept (``403`` from most servers). An HTTP request gets
    ``400``. A call returns when its WebSocket closes; cancelling it is safe.
    """

    def __init__(self, binding: MountBinding) -> None:
        self._binding = binding

    @property
    def endpoint(self) -> str:
        """The socket's endpoint: ``web://<name>``."""
        return self._binding.endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await _http_refusal(send, "expected a WebSocket upgrade", "http.response")
            return
        if scope["type"] != "websocket" or (await receive())["type"] != "websocket.connect":
            return
        peer = self._binding.admit([str(name) for name in scope.get("subprotocols") or ()])
        if isinstance(peer, str):
            if "websocket.http.response" in (scope.get("extensions") or {}):
                await _http_refusal(send, peer, "websocket.http.response")
            else:
                await send({"type": "websocket.close", "code": 1002, "reason": peer})
            return
        await send({"type": "websocket.accept", "subprotocol": peer.subprotocol})
        await peer.run(_AsgiChannel(receive, send), format_peer(scope.get("client")))


async def _http_refusal(send: Send, reason: str, prefix: str) -> None:
    """Answer ``400`` with *reason* as text (*prefix*: the ASGI message kind)."""
    await send(
        {
            "type": prefix + ".start",
            "status": 400,
            "headers": [(b"content-type", b"text/plain; charset=utf-8")],
        }
    )
    await send({"type": prefix + ".body", "body": reason.encode()})


# The close codes that end a WebSocket for a fault (RFC 6455 section 7.4.1).
_PEER_FAULTS = {
    1002: "protocol error",
    1003: "unsupported data",
    1007: "invalid payload",
    1009: "message too big",
}


class _AsgiChannel(Channel):
    """An accepted ASGI WebSocket as whole messages."""

    def __init__(self, receive: Receive, send: Send) -> None:
        self._receive = receive
        self._send = send
        self._closed = False

    async def receive(self) -> bytes | str | None:
        while not self._closed:
            message = await self._receive()
            if message["type"] == "websocket.receive":
                data = message.get("bytes")
                if data is not None:
                    return bytes(data)
                return str(message.get("text") or "")
            if message["type"] == "websocket.disconnect":
                self._closed = True
                code = message.get("code", 1005)
                if code in _PEER_FAULTS:
                    # The server closed it for the peer's fault (uvicorn: a
                    # message over ws_max_size is 1009), or the peer said so.
                    reason = message.get("reason") or _PEER_FAULTS[code]
                    raise ChannelError(f"WebSocket closed with {code}: {reason}")
        return None

    async def send(self, payload: bytes) -> None:
        if self._closed:
            raise ConnectionResetError("the WebSocket is closed")
        try:
            await self._send({"type": "websocket.send", "bytes": payload})
        except OSError as error:  # the server's "client disconnected"
            self._closed = True
            raise ConnectionResetError(str(error)) from None

    async def close(self, code: int, reason: str) -> None:
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(OSError):  # gone already
            await self._send({"type": "websocket.close", "code": code, "reason": reason})
