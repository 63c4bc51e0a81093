"""Web apps with a ZeroMQ route mounted by aiomsg.web, on an ephemeral loopback port.

Each factory is an async context manager: ``(socket, route) -> port``. The
app answers ``GET /hello`` with ``hello`` beside the ZeroMQ route, so a test
can show that one port serves both. Leaving it closes the socket (which ends
its WebSockets' handlers) and stops the server.
"""

from __future__ import annotations

import asyncio
import socket as _socket
import ssl
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from aiohttp import web

import aiomsg
import aiomsg.web

TIMEOUT = 10.0
ServerFactory = Callable[[aiomsg.Socket, str], AbstractAsyncContextManager[int]]


def asgi_missing() -> str | None:
    """Why the ASGI server (uvicorn with wsproto) cannot run here, or None."""
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
        import wsproto  # noqa: F401
    except ImportError as error:
        # uvicorn's other WebSocket library (websockets) refuses the "/" in ZWS2.0/NULL.
        return f"{error.name} is not installed: the ASGI server needs uvicorn, wsproto, starlette"
    return None


def free_port() -> int:
    """A loopback port free a moment ago (uvicorn cannot report an ephemeral one)."""
    with _socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def aiohttp_server(
    sock: aiomsg.Socket, route: str, tls: ssl.SSLContext | None = None
) -> AsyncIterator[int]:
    """An aiohttp app with *sock* mounted at *route*; its port."""

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="hello")

    app = web.Application()
    app.router.add_get("/hello", hello)
    app.router.add_get(route, await aiomsg.web.aiohttp_handler(sock))
    # Not handler_cancellation=True: aiohttp would then cancel a handler as
    # soon as its client's TCP closes, dropping messages it had already read.
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=tls)
    await site.start()
    try:
        yield runner.addresses[0][1]
    finally:
        # Closing the socket ends its WebSockets' handlers, which aiohttp's
        # cleanup would otherwise wait for (its shutdown_timeout).
        sock.close()
        await runner.cleanup()


@asynccontextmanager
async def uvicorn_serving(app: Any, **config: Any) -> AsyncIterator[int]:
    """Serve the ASGI *app* with uvicorn (wsproto) on a loopback port; its port.

    *config* adds ``uvicorn.Config`` arguments (``ssl_certfile``, ``lifespan``...).
    """
    import uvicorn

    port = free_port()
    settings: dict[str, Any] = {"log_level": "warning", "lifespan": "off", **config}
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, ws="wsproto", **settings)
    )
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(TIMEOUT):
            while not server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.01)  # a polled condition, bounded above
        yield port
    finally:
        server.should_exit = True
        async with asyncio.timeout(TIMEOUT):
            await task


@asynccontextmanager
async def starlette_server(sock: aiomsg.Socket, route: str, **config: Any) -> AsyncIterator[int]:
    """A Starlette app under uvicorn (wsproto) with *sock* mounted at *route*; its port."""
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route, WebSocketRoute

    async def hello(request: object) -> PlainTextResponse:
        return PlainTextResponse("hello")

    app = Starlette(
        routes=[
            Route("/hello", hello),
            WebSocketRoute(route, await aiomsg.web.asgi_endpoint(sock)),
        ]
    )
    async with uvicorn_serving(app, **config) as port:
        try:
            yield port
        finally:
            # Closing the socket ends its WebSockets, which uvicorn's shutdown waits for.
            sock.close()


SERVERS: dict[str, ServerFactory] = {"aiohttp": aiohttp_server, "starlette": starlette_server}
