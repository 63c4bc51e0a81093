"""examples/web/fastapi_app.py against real aiomsg workers and a real PUB feed on loopback.

The app runs in process: its lifespan is entered explicitly (httpx's
ASGITransport does not run it) and requests go through httpx.ASGITransport.
The event stream tests that need to read a stream while it is open, or to
leave it, call the ASGI app directly.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, MutableMapping
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from fastapi import FastAPI

import aiomsg

from ._servers import asgi_missing, uvicorn_serving
from ._support import (
    TIMEOUT,
    assert_no_tasks_but,
    is_worker_handler,
    load_example,
    parse_sse,
    publish_until,
    record_sockets,
    running_feed,
    running_workers,
    wait_until,
)

fastapi_app = load_example("fastapi_app")


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Run *app*'s lifespan; an httpx client calling it in process."""
    transport = httpx.ASGITransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://app") as client,
        app.router.lifespan_context(app),
    ):
        yield client


class ASGIStream:
    """A GET request made by calling the ASGI app directly, its body read as it comes.

    :meth:`disconnect` makes the app see the client leave (``http.disconnect``).
    """

    def __init__(self, app: FastAPI, path: str, query: dict[str, Any]) -> None:
        self.status: int | None = None
        self._chunks: asyncio.Queue[bytes] = asyncio.Queue()
        self._buffer = b""
        self._requested = False
        self._gone = asyncio.Event()
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": urlencode(query).encode(),
            "root_path": "",
            "headers": [(b"host", b"app")],
            "client": ("127.0.0.1", 50000),
            "server": ("app", 80),
        }
        self.task = asyncio.create_task(app(scope, self._receive, self._send))

    async def _receive(self) -> dict[str, Any]:
        if not self._requested:
            self._requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self._gone.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        elif message["type"] == "http.response.body" and message.get("body"):
            self._chunks.put_nowait(message["body"])

    async def next_event(self) -> tuple[str, str]:
        """The next event (comments skipped)."""
        while True:
            while b"\n\n" not in self._buffer:
                self._buffer += await self._chunks.get()
            block, self._buffer = self._buffer.split(b"\n\n", 1)
            events = parse_sse(block.decode() + "\n\n")
            if events:
                return events[0]

    def disconnect(self) -> None:
        self._gone.set()


async def test_concurrent_requests_are_spread_over_the_workers() -> None:
    async with running_workers(2) as workers, running_feed() as (_, feed):
        app = fastapi_app.create_app(workers, feed)
        async with serving(app) as client, asyncio.timeout(TIMEOUT):
            xs = list(range(-100, 100))
            responses = await asyncio.gather(*(client.get("/compute", params={"x": x}) for x in xs))
            assert [r.status_code for r in responses] == [200] * len(xs)
            replies = [r.json() for r in responses]
            assert [(reply["x"], reply["result"]) for reply in replies] == [(x, x * x) for x in xs]
            served = {reply["worker"] for reply in replies}
            assert served == {"w1", "w2"}
            assert app.state.backend.client.pending == 0


async def test_post_json() -> None:
    async with running_workers(1) as workers, running_feed() as (_, feed):
        app = fastapi_app.create_app(workers, feed)
        async with serving(app) as client, asyncio.timeout(TIMEOUT):
            response = await client.post("/compute", json={"x": 1.5})
            assert response.status_code == 200
            assert response.json() == {"x": 1.5, "result": 2.25, "worker": "w1"}
            response = await client.post("/compute", json={"y": 1})
            assert response.status_code == 422
            response = await client.post("/compute", content=b"not json")
            assert response.status_code == 422
            # The worker's handler refuses this delay: its error comes back as 502.
            response = await client.post("/compute", json={"x": 1, "delay": 1e9})
            assert response.status_code == 502
            assert "ValueError" in response.json()["detail"]


@pytest.mark.parametrize("where", ["query", "app"])
async def test_timeout_gives_504(where: str) -> None:
    async with running_workers(1) as workers, running_feed() as (_, feed):
        if where == "app":
            app = fastapi_app.create_app(workers, feed, request_timeout=0.2)
            params: dict[str, float] = {"x": 2, "delay": 30}
        else:
            app = fastapi_app.create_app(workers, feed)
            params = {"x": 2, "delay": 30, "timeout": 0.2}
        async with serving(app) as client, asyncio.timeout(TIMEOUT):
            response = await client.get("/compute", params=params)
            assert response.status_code == 504
            assert app.state.backend.client.pending == 0
            # The app goes on answering.
            response = await client.get("/compute", params={"x": 3})
            assert response.json()["result"] == 9


async def test_event_stream_relays_its_zipcode_only() -> None:
    async with running_workers(1) as workers, running_feed() as (publisher, feed):
        app = fastapi_app.create_app(workers, feed)
        async with serving(app) as client:
            sockets = record_sockets(app.state.backend)
            request = asyncio.create_task(
                client.get("/weather/stream", params={"zipcode": "10001", "limit": 5})
            )
            await publish_until(publisher, request, ["10002", "10001", "20001", "1000"])
            response = request.result()
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            events = parse_sse(response.text)
            assert [name for name, _ in events] == ["weather"] * 5
            updates = [json.loads(data) for _, data in events]
            assert {update["zipcode"] for update in updates} == {"10001"}
            first = updates[0]["temperature"]
            assert [u["temperature"] for u in updates] == list(range(first, first + 5))
            # The stream's SUB socket is closed as soon as the stream ends.
            assert len(sockets) == 2 and sockets[1].socket_type is aiomsg.SUB
            assert sockets[1].closed
            assert not app.state.backend.subscribers


async def test_event_stream_validates_its_parameters() -> None:
    async with running_workers(1) as workers, running_feed() as (_, feed):
        app = fastapi_app.create_app(workers, feed)
        async with serving(app) as client, asyncio.timeout(TIMEOUT):
            bad: list[dict[str, str | int]] = [
                {"zipcode": "1234"},
                {"zipcode": "10001", "limit": 0},
                {},
            ]
            for params in bad:
                response = await client.get("/weather/stream", params=params)
                assert response.status_code == 422, params


async def test_client_leaving_closes_its_sub_socket() -> None:
    async with running_workers(1) as workers, running_feed() as (publisher, feed):
        app = fastapi_app.create_app(workers, feed)
        async with serving(app):
            backend = app.state.backend
            stream = ASGIStream(app, "/weather/stream", {"zipcode": "10001"})
            first = asyncio.ensure_future(stream.next_event())
            await publish_until(publisher, first, ["10001"])
            assert stream.status == 200
            assert json.loads(first.result()[1])["zipcode"] == "10001"
            (subscriber,) = backend.subscribers
            stream.disconnect()
            async with asyncio.timeout(TIMEOUT):
                await stream.task
            assert subscriber.closed
            assert not backend.subscribers


async def test_shutdown_closes_everything() -> None:
    baseline = asyncio.all_tasks()
    async with running_workers(2) as workers, running_feed() as (publisher, feed):
        outside_app = asyncio.all_tasks()
        app = fastapi_app.create_app(workers, feed)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            async with app.router.lifespan_context(app):
                backend = app.state.backend
                sockets = record_sockets(backend)
                assert (await client.get("/compute", params={"x": 4})).json()["result"] == 16
                # Open at shutdown: a request a worker is still working on, and a stream.
                slow = asyncio.create_task(client.get("/compute", params={"x": 1, "delay": 30}))
                stream = ASGIStream(app, "/weather/stream", {"zipcode": "10001"})
                first = asyncio.ensure_future(stream.next_event())
                await publish_until(publisher, first, ["10001"])
                await wait_until(lambda: backend.client.pending == 1)
            # The lifespan has ended.
            assert backend.context.closed
            assert backend.client.closed
            assert all(sock.closed for sock in sockets), sockets
            assert [sock.socket_type for sock in sockets] == [aiomsg.DEALER, aiomsg.SUB]
            assert not backend.subscribers
            async with asyncio.timeout(TIMEOUT):
                assert (await slow).status_code == 503
                await stream.task  # the stream ended when its socket was closed
            assert stream.status == 200
            # Nothing of the app's is left (the worker is still on the slow request).
            await assert_no_tasks_but(outside_app, ignore=is_worker_handler)
            # The app refuses requests after shutdown.
            assert (await client.get("/compute", params={"x": 4})).status_code == 503
    await assert_no_tasks_but(baseline)
    assert asyncio.all_tasks() == {asyncio.current_task()}


async def test_feed_relayed_to_zeromq_clients_on_the_apps_port() -> None:
    """Under uvicorn (wsproto), a SUB connecting to ws://…/zmq/weather gets its
    zipcode's updates through the relay, and /weather serves the page."""
    if missing := asgi_missing():
        pytest.skip(missing)
    async with running_workers(1) as workers, running_feed() as (publisher, feed):
        app = fastapi_app.create_app(workers, feed)
        async with uvicorn_serving(app, lifespan="on") as port, aiomsg.Context() as ctx:
            sub = ctx.socket(aiomsg.SUB, linger=0)
            sub.subscribe("10001 ")
            await sub.connect(f"ws://127.0.0.1:{port}/zmq/weather")
            received = asyncio.ensure_future(sub.recv_string())
            await publish_until(publisher, received, ["90210", "10001"])
            assert received.result().startswith("10001 ")
            async with httpx.AsyncClient() as client:
                page = await client.get(f"http://127.0.0.1:{port}/weather", timeout=TIMEOUT)
            assert page.status_code == 200 and "ZwsSubscriber" in page.text
