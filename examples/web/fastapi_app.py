"""aiomsg inside FastAPI: request/reply to a worker pool, and a PUB/SUB feed as SSE
and as ZeroMQ over WebSocket on the app's own port, with a live page.

The app's lifespan opens one aiomsg Context for the whole app, with one
DEALER socket connected to every worker and a RequestClient on it: all HTTP
requests share that socket, and each awaits its own reply. Each client of the
event stream gets a SUB socket of its own, subscribed to its zipcode and
closed when the stream ends (limit reached, client gone, app shutting down).

The feed is also relayed to ZeroMQ clients on the app's port, as in
aiohttp_app.py: an XSUB connected to the feed and an XPUB mounted on
``/zmq/weather`` with :func:`aiomsg.web.asgi_endpoint`, joined by
:func:`aiomsg.proxy`. The page at ``/weather`` subscribes there from the
browser. uvicorn must run with ``--ws wsproto``: its default WebSocket
library refuses the ``/`` in the ``ZWS2.0/NULL`` that aiomsg and libzmq
clients offer (browsers offer bare ``ZWS2.0``, which both accept).

    GET  /compute?x=3[&delay=0][&timeout=5]   -> {"x": 3.0, "result": 9.0, "worker": "w1"}
    POST /compute  {"x": 3, "delay": 0}       -> the same
    GET  /weather/stream?zipcode=10001[&limit=N]
                                              -> text/event-stream of weather updates
    GET  /weather[?zipcode=10001]             -> the live page
    ws://host:port/zmq/weather                -> the feed for ZeroMQ SUB sockets (ZWS 2.0)

A worker that does not answer within the timeout gives HTTP 504, a worker
whose handler failed 502, and a request made while the app shuts down 503.

Run it (from the repository root, after ``pip install -e '.[web]'``):

    python examples/web/worker.py --bind tcp://127.0.0.1:5555 --name w1 &
    python examples/web/worker.py --bind tcp://127.0.0.1:5557 --name w2 &
    python examples/weather_server.py --port 5556 &
    AIOMSG_WORKERS=tcp://127.0.0.1:5555,tcp://127.0.0.1:5557 AIOMSG_FEED=tcp://127.0.0.1:5556 \\
        uvicorn --app-dir examples/web --factory fastapi_app:app_from_env --port 8000 \\
        --ws wsproto --timeout-graceful-shutdown 5
    curl 'http://127.0.0.1:8000/compute?x=12'
    curl -N 'http://127.0.0.1:8000/weather/stream?zipcode=10001&limit=5'
    python examples/weather_client.py 10001 --endpoint ws://127.0.0.1:8000/zmq/weather
    # and open http://127.0.0.1:8000/weather in a browser

Uvicorn runs the lifespan's shutdown only once every connection is done, and
an event stream without a limit never is: ``--timeout-graceful-shutdown``
makes it cancel the streams still open after that many seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import msgspec
from fastapi import FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import FileResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from starlette.routing import WebSocketRoute
from starlette.types import Receive, Scope, Send

import aiomsg
import aiomsg.web

#: Comma-separated endpoints of the workers (``app_from_env``).
WORKERS_ENV = "AIOMSG_WORKERS"
#: Endpoint of the weather PUB socket (``app_from_env``).
FEED_ENV = "AIOMSG_FEED"
#: The live page and its ZeroMQ client (shared with aiohttp_app.py).
STATIC = Path(__file__).resolve().parent / "static"


class ComputeRequest(msgspec.Struct):
    """A request for a worker: square *x* after *delay* seconds."""

    x: float
    delay: float = 0.0


class ComputeReply(msgspec.Struct):
    """A worker's reply."""

    x: float
    result: float
    worker: str


#: The optional ``timeout`` query parameter: seconds to wait for the worker.
Timeout = Annotated[float | None, Query(gt=0, le=60, description="seconds to wait for the worker")]


class WeatherUpdate(msgspec.Struct):
    """One update of the weather feed ("zipcode temperature humidity" on the wire)."""

    zipcode: str
    temperature: int
    humidity: int


@dataclass
class Backend:
    """What the lifespan opens, kept on ``app.state.backend`` for the endpoints."""

    context: aiomsg.Context
    dealer: aiomsg.Socket
    client: aiomsg.RequestClient
    feed_endpoint: str
    #: The ASGI app of ``/zmq/weather``: each WebSocket becomes a peer of the relay's XPUB.
    weather_zmq: aiomsg.web.AsgiEndpoint
    #: The SUB sockets of the event streams now open (one per client).
    subscribers: set[aiomsg.Socket] = field(default_factory=set)


class EventStreamResponse(StreamingResponse):
    """A ``text/event-stream`` response that always closes its generator.

    Starlette stops iterating when the client goes away but leaves the
    generator to the garbage collector; closing it here runs its ``finally``
    (which closes the SUB socket) at once.
    """

    media_type = "text/event-stream"

    def __init__(self, events: AsyncIterator[str]) -> None:
        super().__init__(events, headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        self._events = events

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            aclose = getattr(self._events, "aclose", None)
            if aclose is not None:
                await aclose()


def sse(event: str, data: bytes) -> str:
    """One server-sent event (*data* is one line of JSON)."""
    return f"event: {event}\ndata: {data.decode()}\n\n"


def create_app(
    worker_endpoints: Sequence[str],
    feed_endpoint: str,
    *,
    request_timeout: float = 5.0,
    heartbeat: float = 15.0,
) -> FastAPI:
    """The app, talking to the workers at *worker_endpoints* and the PUB at *feed_endpoint*.

    *request_timeout* (seconds) bounds a request to a worker unless the HTTP
    request asks for less or more. An event stream with nothing to send for
    *heartbeat* seconds sends an SSE comment, so that a client that went
    away is noticed.
    """
    if not worker_endpoints:
        raise ValueError("at least one worker endpoint is needed")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Leaving the Context closes every socket it made, the SUB sockets of
        # streams still open included. linger=0: requests still queued for a
        # worker that is gone are dropped instead of holding up shutdown.
        async with aiomsg.Context() as context:
            dealer = context.socket(aiomsg.DEALER, linger=0)
            for endpoint in worker_endpoints:
                await dealer.connect(endpoint)  # returns at once, connects in the background
            # The relay: XSUB (to the feed) -> proxy -> XPUB (mounted on /zmq/weather).
            upstream = context.socket(aiomsg.XSUB, linger=0)
            await upstream.connect(feed_endpoint)
            downstream = context.socket(aiomsg.XPUB, linger=0)
            weather_zmq = await aiomsg.web.asgi_endpoint(downstream)
            relay = asyncio.create_task(aiomsg.proxy(upstream, downstream))
            try:
                async with aiomsg.RequestClient(dealer, timeout=request_timeout) as client:
                    app.state.backend = Backend(
                        context, dealer, client, feed_endpoint, weather_zmq
                    )
                    yield
                # The client is closed: requests still waiting raise Closed (-> 503).
            finally:
                relay.cancel()
                with contextlib.suppress(asyncio.CancelledError, aiomsg.Closed):
                    await relay

    app = FastAPI(title="aiomsg + FastAPI", lifespan=lifespan)

    def backend_of(request: Request) -> Backend:
        backend: Backend = request.app.state.backend
        if backend.client.closed or backend.context.closed:
            raise HTTPException(503, "shutting down")
        return backend

    async def forward(request: Request, job: ComputeRequest, timeout: float | None) -> Response:
        backend = backend_of(request)
        try:
            reply = await backend.client.request_json(job, ComputeReply, timeout=timeout)
        except TimeoutError:
            raise HTTPException(504, "no worker answered in time") from None
        except aiomsg.RemoteError as error:
            raise HTTPException(
                502, f"worker failed: {error.error_type}: {error.message}"
            ) from None
        except aiomsg.DecodeError:
            raise HTTPException(502, "worker sent an invalid reply") from None
        except aiomsg.Closed:
            raise HTTPException(503, "shutting down") from None
        return Response(msgspec.json.encode(reply), media_type="application/json")

    @app.get("/compute")
    async def compute(
        request: Request,
        x: Annotated[float, Query(allow_inf_nan=False)],
        delay: Annotated[float, Query(ge=0, le=60)] = 0.0,
        timeout: Timeout = None,
    ) -> Response:
        """Square *x* on a worker."""
        return await forward(request, ComputeRequest(x, delay), timeout)

    @app.post("/compute")
    async def compute_json(request: Request, timeout: Timeout = None) -> Response:
        """Square ``x`` of a JSON body ``{"x": 3, "delay": 0}`` on a worker."""
        try:
            job = msgspec.json.decode(await request.body(), type=ComputeRequest)
        except msgspec.DecodeError as error:  # ValidationError included
            raise HTTPException(422, str(error)) from None
        return await forward(request, job, timeout)

    @app.get("/weather/stream")
    async def weather_stream(
        request: Request,
        zipcode: Annotated[str, Query(pattern=r"^\d{5}$")],
        limit: Annotated[int | None, Query(ge=1)] = None,
    ) -> EventStreamResponse:
        """Relay the feed's updates for *zipcode* as server-sent events, *limit* of them."""
        backend = backend_of(request)
        return EventStreamResponse(weather_events(backend, zipcode, limit, heartbeat))

    @app.get("/weather", response_class=FileResponse)
    async def weather_page() -> FileResponse:
        """The live page (its script reads ``?zipcode=``)."""
        return FileResponse(STATIC / "weather.html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    # The route exists before the lifespan; its socket is made there.
    app.router.routes.append(WebSocketRoute("/zmq/weather", WeatherRelay()))
    return app


class WeatherRelay:
    """The ASGI app of ``/zmq/weather``: hands each WebSocket to the relay's
    mounted XPUB, which the lifespan made (``aiomsg.web.asgi_endpoint``)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await scope["app"].state.backend.weather_zmq(scope, receive, send)


async def weather_events(
    backend: Backend, zipcode: str, limit: int | None, heartbeat: float
) -> AsyncIterator[str]:
    """The SSE events of one client: its own SUB socket, closed whatever ends the stream."""
    try:
        subscriber = backend.context.socket(aiomsg.SUB, linger=0)
    except aiomsg.Closed:
        return  # the app shut down before the stream started
    backend.subscribers.add(subscriber)
    try:
        # Subscribe before connecting: the subscription goes out with the handshake.
        subscriber.subscribe(f"{zipcode} ")
        await subscriber.connect(backend.feed_endpoint)
        sent = 0
        while limit is None or sent < limit:
            try:
                async with asyncio.timeout(heartbeat):
                    text = await subscriber.recv_string()
            except TimeoutError:
                yield ": keep-alive\n\n"  # a comment: lets the server see a dead client
                continue
            update = parse_update(text)
            if update is None:
                continue  # a malformed update is skipped, not fatal to the stream
            yield sse("weather", msgspec.json.encode(update))
            sent += 1
    except aiomsg.Closed:
        return  # the app is shutting down: end the stream
    finally:
        backend.subscribers.discard(subscriber)
        subscriber.close()


def parse_update(text: str) -> WeatherUpdate | None:
    """A ``"zipcode temperature humidity"`` update, or None if it does not parse."""
    try:
        code, temperature, humidity = text.split()
        return WeatherUpdate(code, int(temperature), int(humidity))
    except ValueError:
        return None


def app_from_env() -> FastAPI:
    """The app for ``uvicorn --factory``, configured by $AIOMSG_WORKERS and $AIOMSG_FEED."""
    workers = os.environ.get(WORKERS_ENV, "tcp://127.0.0.1:5555")
    feed = os.environ.get(FEED_ENV, "tcp://127.0.0.1:5556")
    return create_app([w.strip() for w in workers.split(",") if w.strip()], feed)
