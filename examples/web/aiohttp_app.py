"""aiomsg inside aiohttp: request/reply to a worker pool, and a PUB/SUB feed as SSE
and as ZeroMQ over WebSocket on the app's own port, with a live page.

A ``cleanup_ctx`` generator opens one aiomsg Context for the whole app, with
one DEALER socket connected to every worker and a RequestClient on it, and
closes them when the app is cleaned up. Each client of the event stream gets
a SUB socket of its own, subscribed to its zipcode and closed when the stream
ends (limit reached, client gone, app shutting down).

The feed is also relayed to ZeroMQ clients on the app's port: an XSUB
connected to the feed and an XPUB mounted on ``/zmq/weather`` with
:func:`aiomsg.web.aiohttp_handler`, joined by :func:`aiomsg.proxy` (the
clients' subscriptions travel up to the feed). The page at ``/weather`` is
such a client: a SUB socket in the browser (``static/zws.js``) that shows
the updates as they come.

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
    cd examples/web && \\
    AIOMSG_WORKERS=tcp://127.0.0.1:5555,tcp://127.0.0.1:5557 AIOMSG_FEED=tcp://127.0.0.1:5556 \\
        python -m aiohttp.web -H 127.0.0.1 -P 8080 aiohttp_app:app_from_env
    # or: python examples/web/aiohttp_app.py --port 8080 \
    #         --workers tcp://127.0.0.1:5555,tcp://127.0.0.1:5557 --feed tcp://127.0.0.1:5556
    curl 'http://127.0.0.1:8080/compute?x=12'
    curl -N 'http://127.0.0.1:8080/weather/stream?zipcode=10001&limit=5'
    python examples/weather_client.py 10001 --endpoint ws://127.0.0.1:8080/zmq/weather
    # and open http://127.0.0.1:8080/weather in a browser
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import msgspec
from aiohttp import web

import aiomsg
import aiomsg.web

#: Comma-separated endpoints of the workers (``app_from_env``).
WORKERS_ENV = "AIOMSG_WORKERS"
#: Endpoint of the weather PUB socket (``app_from_env``).
FEED_ENV = "AIOMSG_FEED"
#: The most a client may ask to wait for a worker, in seconds.
MAX_TIMEOUT = 60.0

ZIPCODE = re.compile(r"\d{5}")
#: The live page and its ZeroMQ client.
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


class WeatherUpdate(msgspec.Struct):
    """One update of the weather feed ("zipcode temperature humidity" on the wire)."""

    zipcode: str
    temperature: int
    humidity: int


@dataclass
class Backend:
    """What the cleanup context opens, kept as ``app[BACKEND]`` for the handlers."""

    context: aiomsg.Context
    dealer: aiomsg.Socket
    client: aiomsg.RequestClient
    feed_endpoint: str
    request_timeout: float
    heartbeat: float
    #: The XPUB relaying the feed to ZeroMQ clients of ``/zmq/weather``.
    weather_xpub: aiomsg.Socket
    #: The handler of ``/zmq/weather`` that makes each WebSocket a peer of it.
    weather_zmq: Callable[[web.Request], Awaitable[web.StreamResponse]]
    #: The SUB sockets of the event streams now open (one per client).
    subscribers: set[aiomsg.Socket] = field(default_factory=set)


BACKEND = web.AppKey("backend", Backend)


def create_app(
    worker_endpoints: Sequence[str],
    feed_endpoint: str,
    *,
    request_timeout: float = 5.0,
    heartbeat: float = 15.0,
) -> web.Application:
    """The app, talking to the workers at *worker_endpoints* and the PUB at *feed_endpoint*.

    *request_timeout* (seconds) bounds a request to a worker unless the HTTP
    request asks for less or more. An event stream with nothing to send for
    *heartbeat* seconds sends an SSE comment, so that a client that went
    away is noticed.
    """
    if not worker_endpoints:
        raise ValueError("at least one worker endpoint is needed")

    async def aiomsg_context(app: web.Application) -> AsyncIterator[None]:
        # Leaving the Context closes every socket it made. linger=0: requests
        # still queued for a worker that is gone are dropped instead of
        # holding up shutdown.
        async with aiomsg.Context() as context:
            dealer = context.socket(aiomsg.DEALER, linger=0)
            for endpoint in worker_endpoints:
                await dealer.connect(endpoint)  # returns at once, connects in the background
            # The relay: XSUB (to the feed) -> proxy -> XPUB (mounted on /zmq/weather).
            upstream = context.socket(aiomsg.XSUB, linger=0)
            await upstream.connect(feed_endpoint)
            downstream = context.socket(aiomsg.XPUB, linger=0)
            weather_zmq = await aiomsg.web.aiohttp_handler(downstream)
            relay = asyncio.create_task(aiomsg.proxy(upstream, downstream))
            try:
                async with aiomsg.RequestClient(dealer, timeout=request_timeout) as client:
                    app[BACKEND] = Backend(
                        context, dealer, client, feed_endpoint, request_timeout, heartbeat,
                        weather_xpub=downstream, weather_zmq=weather_zmq,
                    )  # fmt: skip
                    yield
                # The client is closed: requests still waiting raise Closed (-> 503).
            finally:
                relay.cancel()
                with contextlib.suppress(asyncio.CancelledError, aiomsg.Closed):
                    await relay

    async def end_streams(app: web.Application) -> None:
        # on_shutdown runs before aiohttp waits for the handlers still running:
        # closing the SUB sockets ends the event streams at once, and closing
        # the mounted XPUB its WebSockets.
        backend = app[BACKEND]
        for subscriber in [*backend.subscribers, backend.weather_xpub]:
            subscriber.close()

    app = web.Application()
    app.cleanup_ctx.append(aiomsg_context)
    app.on_shutdown.append(end_streams)
    app.router.add_get("/compute", compute)
    app.router.add_post("/compute", compute_json)
    app.router.add_get("/weather/stream", weather_stream)
    app.router.add_get("/weather", weather_page)
    app.router.add_static("/static/", STATIC)
    # The route exists before startup; its socket is made in aiomsg_context.
    app.router.add_get("/zmq/weather", weather_zmq)
    return app


def json_error(status: type[web.HTTPException], detail: str) -> web.HTTPException:
    """An HTTP error with a JSON body ``{"detail": ...}``, like FastAPI's."""
    return status(
        text=msgspec.json.encode({"detail": detail}).decode(), content_type="application/json"
    )


def backend_of(request: web.Request) -> Backend:
    backend = request.app[BACKEND]
    if backend.client.closed or backend.context.closed:
        raise json_error(web.HTTPServiceUnavailable, "shutting down")
    return backend


def query_float(
    request: web.Request,
    name: str,
    default: float | None = None,
    *,
    low: float = -1e300,
    high: float = 1e300,
) -> float | None:
    """The query parameter *name* as a number in [low, high] (HTTP 422 if it is not)."""
    text = request.query.get(name)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        raise json_error(web.HTTPUnprocessableEntity, f"{name} must be a number") from None
    if not low <= value <= high:  # NaN included
        raise json_error(web.HTTPUnprocessableEntity, f"{name} must be in [{low}, {high}]")
    return value


async def forward(request: web.Request, job: ComputeRequest) -> web.Response:
    backend = backend_of(request)
    timeout = query_float(request, "timeout", low=1e-3, high=MAX_TIMEOUT)
    try:
        reply = await backend.client.request_json(job, ComputeReply, timeout=timeout)
    except TimeoutError:
        raise json_error(web.HTTPGatewayTimeout, "no worker answered in time") from None
    except aiomsg.RemoteError as error:
        raise json_error(
            web.HTTPBadGateway, f"worker failed: {error.error_type}: {error.message}"
        ) from None
    except aiomsg.DecodeError:
        raise json_error(web.HTTPBadGateway, "worker sent an invalid reply") from None
    except aiomsg.Closed:
        raise json_error(web.HTTPServiceUnavailable, "shutting down") from None
    return web.Response(body=msgspec.json.encode(reply), content_type="application/json")


async def compute(request: web.Request) -> web.Response:
    """``GET /compute?x=3``: square *x* on a worker."""
    x = query_float(request, "x")
    if x is None:
        raise json_error(web.HTTPUnprocessableEntity, "x is required")
    delay = query_float(request, "delay", 0.0, low=0.0, high=MAX_TIMEOUT) or 0.0
    return await forward(request, ComputeRequest(x, delay))


async def compute_json(request: web.Request) -> web.Response:
    """``POST /compute`` with ``{"x": 3, "delay": 0}``: square ``x`` on a worker."""
    try:
        job = msgspec.json.decode(await request.read(), type=ComputeRequest)
    except msgspec.DecodeError as error:  # ValidationError included
        raise json_error(web.HTTPUnprocessableEntity, str(error)) from None
    return await forward(request, job)


async def weather_stream(request: web.Request) -> web.StreamResponse:
    """``GET /weather/stream?zipcode=10001&limit=N``: the feed's updates as server-sent events."""
    zipcode = request.query.get("zipcode", "")
    if not ZIPCODE.fullmatch(zipcode):
        raise json_error(web.HTTPUnprocessableEntity, "zipcode must be 5 digits")
    limit_text = request.query.get("limit")
    if limit_text is not None and not (limit_text.isdigit() and int(limit_text) >= 1):
        raise json_error(web.HTTPUnprocessableEntity, "limit must be a positive integer")
    limit = None if limit_text is None else int(limit_text)
    backend = backend_of(request)

    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        }
    )
    try:
        subscriber = backend.context.socket(aiomsg.SUB, linger=0)
    except aiomsg.Closed:
        raise web.HTTPServiceUnavailable(text="shutting down") from None
    backend.subscribers.add(subscriber)
    try:
        # Subscribe before connecting: the subscription goes out with the handshake.
        subscriber.subscribe(f"{zipcode} ")
        await subscriber.connect(backend.feed_endpoint)
        await response.prepare(request)
        sent = 0
        while limit is None or sent < limit:
            try:
                async with asyncio.timeout(backend.heartbeat):
                    text = await subscriber.recv_string()
            except TimeoutError:
                # A comment: writing to a client that went away raises here.
                await response.write(b": keep-alive\n\n")
                continue
            try:
                code, temperature, humidity = text.split()
                update = WeatherUpdate(code, int(temperature), int(humidity))
            except ValueError:
                continue  # a malformed update is skipped, not fatal to the stream
            data = msgspec.json.encode(update)
            await response.write(b"event: weather\ndata: " + data + b"\n\n")
            sent += 1
    except aiomsg.Closed:
        pass  # the app is shutting down: end the stream
    except ConnectionResetError:
        return response  # the client went away
    finally:
        backend.subscribers.discard(subscriber)
        subscriber.close()
    with contextlib.suppress(ConnectionResetError):
        await response.write_eof()
    return response


async def weather_page(request: web.Request) -> web.FileResponse:
    """``GET /weather[?zipcode=10001]``: the live page (its script reads the zipcode)."""
    return web.FileResponse(STATIC / "weather.html")


async def weather_zmq(request: web.Request) -> web.StreamResponse:
    """``/zmq/weather``: a ZeroMQ WebSocket (ZWS 2.0) for the feed's relay.

    A request that is not a ZWS WebSocket upgrade gets ``400`` naming why.
    """
    return await request.app[BACKEND].weather_zmq(request)


def app_from_env(argv: Sequence[str] = ()) -> web.Application:
    """The app for ``python -m aiohttp.web``, configured by $AIOMSG_WORKERS and $AIOMSG_FEED.

    (``python -m aiohttp.web`` passes the command line arguments it did not use as *argv*.)
    """
    workers = os.environ.get(WORKERS_ENV, "tcp://127.0.0.1:5555")
    feed = os.environ.get(FEED_ENV, "tcp://127.0.0.1:5556")
    return create_app([w.strip() for w in workers.split(",") if w.strip()], feed)


def main() -> None:
    """``python examples/web/aiohttp_app.py [--port 8080] [--workers ...] [--feed ...]``."""
    parser = argparse.ArgumentParser(description="The aiohttp example app (see the module doc).")
    parser.add_argument("--host", default="127.0.0.1", help="address to serve on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port to serve on (default: 8080)")
    parser.add_argument(
        "--workers", default=os.environ.get(WORKERS_ENV, "tcp://127.0.0.1:5555"),
        help="comma-separated worker endpoints (default: $AIOMSG_WORKERS or tcp://127.0.0.1:5555)",
    )  # fmt: skip
    parser.add_argument(
        "--feed", default=os.environ.get(FEED_ENV, "tcp://127.0.0.1:5556"),
        help="the weather PUB's endpoint (default: $AIOMSG_FEED or tcp://127.0.0.1:5556)",
    )  # fmt: skip
    args = parser.parse_args()
    workers = [w.strip() for w in args.workers.split(",") if w.strip()]
    web.run_app(create_app(workers, args.feed), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
