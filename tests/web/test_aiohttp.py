"""examples/web/aiohttp_app.py against real aiomsg workers and a real PUB feed on loopback.

The app runs in process behind aiohttp's TestServer (a real HTTP server on a
loopback port), called with its TestClient; the client-leaves test also runs
it as ``python -m aiohttp.web`` would (an AppRunner, handlers not cancelled
when their client goes away).
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

import aiomsg

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

aiohttp_app = load_example("aiohttp_app")
BACKEND = aiohttp_app.BACKEND


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[TestClient[Any, Any]]:
    """Serve *app* on a loopback port (startup and cleanup included); a client for it."""
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield client


async def read_event(response: aiohttp.ClientResponse) -> tuple[str, str]:
    """The next event of an event stream (comments skipped)."""
    while True:
        block = await response.content.readuntil(b"\n\n")
        if not block:
            raise EOFError("the event stream ended")
        events = parse_sse(block.decode())
        if events:
            return events[0]


async def test_concurrent_requests_are_spread_over_the_workers() -> None:
    async with running_workers(2) as workers, running_feed() as (_, feed):
        app = aiohttp_app.create_app(workers, feed)
        async with serving(app) as client, asyncio.timeout(TIMEOUT):

            async def compute(x: int) -> dict[str, Any]:
                async with client.get("/compute", params={"x": x}) as response:
                    assert response.status == 200
                    reply: dict[str, Any] = await response.json()
                    return reply

            xs = list(range(-100, 100))
            replies = await asyncio.gather(*(compute(x) for x in xs))
            assert [(reply["x"], reply["result"]) for reply in replies] == [(x, x * x) for x in xs]
            assert {reply["worker"] for reply in replies} == {"w1", "w2"}
            assert app[BACKEND].client.pending == 0


async def test_post_json_and_bad_requests() -> None:
    async with running_workers(1) as workers, running_feed() as (_, feed):
        app = aiohttp_app.create_app(workers, feed)
        async with serving(app) as client, asyncio.timeout(TIMEOUT):
            async with client.post("/compute", json={"x": 1.5}) as response:
                assert response.status == 200
                assert await response.json() == {"x": 1.5, "result": 2.25, "worker": "w1"}
            for body in (b'{"y": 1}', b"not json"):
                async with client.post("/compute", data=body) as response:
                    assert response.status == 422
            bad: list[dict[str, str | int]] = [
                {},
                {"x": "abc"},
                {"x": "nan"},
                {"x": 1, "delay": -1},
            ]
            for params in bad:
                async with client.get("/compute", params=params) as response:
                    assert response.status == 422, params
            # The worker's handler refuses this delay: its error comes back as 502.
            async with client.post("/compute", json={"x": 1, "delay": 1e9}) as response:
                assert response.status == 502
                assert "ValueError" in (await response.json())["detail"]


@pytest.mark.parametrize("where", ["query", "app"])
async def test_timeout_gives_504(where: str) -> None:
    async with running_workers(1) as workers, running_feed() as (_, feed):
        if where == "app":
            app = aiohttp_app.create_app(workers, feed, request_timeout=0.2)
            params: dict[str, float] = {"x": 2, "delay": 30}
        else:
            app = aiohttp_app.create_app(workers, feed)
            params = {"x": 2, "delay": 30, "timeout": 0.2}
        async with serving(app) as client, asyncio.timeout(TIMEOUT):
            async with client.get("/compute", params=params) as response:
                assert response.status == 504
                assert "detail" in await response.json()
            assert app[BACKEND].client.pending == 0
            async with client.get("/compute", params={"x": 3}) as response:
                assert (await response.json())["result"] == 9


async def test_event_stream_relays_its_zipcode_only() -> None:
    async with running_workers(1) as workers, running_feed() as (publisher, feed):
        app = aiohttp_app.create_app(workers, feed)
        async with serving(app) as client:
            sockets = record_sockets(app[BACKEND])

            async def fetch() -> tuple[aiohttp.ClientResponse, str]:
                params: dict[str, str | int] = {"zipcode": "10001", "limit": 5}
                async with client.get("/weather/stream", params=params) as response:
                    return response, await response.text()

            request = asyncio.ensure_future(fetch())
            await publish_until(publisher, request, ["10002", "10001", "20001", "1000"])
            response, body = request.result()
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/event-stream")
            events = parse_sse(body)
            assert [name for name, _ in events] == ["weather"] * 5
            updates = [json.loads(data) for _, data in events]
            assert {update["zipcode"] for update in updates} == {"10001"}
            first = updates[0]["temperature"]
            assert [u["temperature"] for u in updates] == list(range(first, first + 5))
            assert len(sockets) == 2 and sockets[1].socket_type is aiomsg.SUB
            assert sockets[1].closed
            assert not app[BACKEND].subscribers


async def test_event_stream_validates_its_parameters() -> None:
    async with running_workers(1) as workers, running_feed() as (_, feed):
        app = aiohttp_app.create_app(workers, feed)
        async with serving(app) as client, asyncio.timeout(TIMEOUT):
            bad: list[dict[str, str | int]] = [
                {"zipcode": "1234"},
                {"zipcode": "10001", "limit": 0},
                {},
            ]
            for params in bad:
                async with client.get("/weather/stream", params=params) as response:
                    assert response.status == 422, params
            assert not app[BACKEND].subscribers


@asynccontextmanager
async def running_app(app: web.Application, *, handler_cancellation: bool) -> AsyncIterator[str]:
    """Serve *app* as ``web.run_app`` does, on a loopback port; its base URL."""
    runner = web.AppRunner(app, handler_cancellation=handler_cancellation)
    await runner.setup()
    try:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        await web.SockSite(runner, listener).start()
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("handler_cancellation", [False, True])
async def test_client_leaving_closes_its_sub_socket(handler_cancellation: bool) -> None:
    async with running_workers(1) as workers, running_feed() as (publisher, feed):
        # Without handler cancellation (run_app's default) the handler notices a
        # client that left when it next writes: the heartbeat makes it write.
        app = aiohttp_app.create_app(workers, feed, heartbeat=0.05)
        async with (
            running_app(app, handler_cancellation=handler_cancellation) as url,
            aiohttp.ClientSession() as session,
        ):
            backend = app[BACKEND]
            params = {"zipcode": "10001"}
            async with asyncio.timeout(TIMEOUT):
                response = await session.get(f"{url}/weather/stream", params=params)
            first = asyncio.ensure_future(read_event(response))
            await publish_until(publisher, first, ["10001"])
            assert json.loads(first.result()[1])["zipcode"] == "10001"
            (subscriber,) = backend.subscribers
            response.close()  # the client leaves
            await wait_until(lambda: not backend.subscribers)
            assert subscriber.closed


async def compute(client: TestClient[Any, Any], params: dict[str, Any]) -> tuple[int, Any]:
    async with client.get("/compute", params=params) as response:
        return response.status, await response.json()


async def test_shutdown_closes_everything() -> None:
    baseline = asyncio.all_tasks()
    async with running_workers(2) as workers, running_feed() as (publisher, feed):
        outside_app = asyncio.all_tasks()
        app = aiohttp_app.create_app(workers, feed)
        server = TestServer(app, host="127.0.0.1")
        client = TestClient(server)
        await client.start_server()
        try:
            backend = app[BACKEND]
            sockets = record_sockets(backend)
            async with client.get("/compute", params={"x": 4}) as response:
                assert (await response.json())["result"] == 16
            # Open at shutdown: a request a worker is working on, and a stream.
            response = await client.get("/weather/stream", params={"zipcode": "10001"})
            first = asyncio.ensure_future(read_event(response))
            await publish_until(publisher, first, ["10001"])
            assert len(backend.subscribers) == 1
            slow = asyncio.ensure_future(compute(client, {"x": 5, "delay": 0.3}))
            await wait_until(lambda: backend.client.pending == 1)
            # The server stops first: on_shutdown ends the stream, the handlers
            # still running may finish; then the app is cleaned up.
            async with asyncio.timeout(TIMEOUT):
                await server.close()
                assert await response.content.read() == b""  # the stream ended
                status, reply = await slow
                assert (status, reply["result"]) == (200, 25)
        finally:
            await client.close()
        assert backend.context.closed
        assert backend.client.closed
        assert all(sock.closed for sock in sockets), sockets
        assert [sock.socket_type for sock in sockets] == [aiomsg.DEALER, aiomsg.SUB]
        assert not backend.subscribers
        await assert_no_tasks_but(outside_app, ignore=is_worker_handler)
    await assert_no_tasks_but(baseline)
    assert asyncio.all_tasks() == {asyncio.current_task()}
