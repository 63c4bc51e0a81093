"""RequestClient (DEALER) and RequestServer (ROUTER): concurrency, timeouts,
cancellation, errors, the concurrency bound and clean shutdown."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import msgspec
import pytest
from helpers import bind_endpoint, poll_until, wait_handshakes, yield_loop

import aiomsg
from aiomsg._service import RequestClient, RequestServer

TIMEOUT = 10.0

Handler = Callable[[list[bytes]], Awaitable[Any]]


async def echo(frames: list[bytes]) -> list[bytes]:
    return frames


class Env:
    """Builds servers and clients on a context; closes them all at the end."""

    def __init__(self, ctx: aiomsg.Context, transport: str = "tcp") -> None:
        self.ctx = ctx
        self.transport = transport
        self.closers: list[Any] = []

    async def server(self, handler: Handler, **kwargs: Any) -> tuple[RequestServer, str]:
        sock = self.ctx.socket(aiomsg.ROUTER, linger=0)
        endpoint = await sock.bind(bind_endpoint(self.transport))
        server = RequestServer(sock, handler, **kwargs)
        await server.__aenter__()
        self.closers.append(server)
        return server, endpoint

    async def client(self, *endpoints: str, **kwargs: Any) -> RequestClient:
        sock = self.ctx.socket(aiomsg.DEALER, linger=0)
        mon = sock.monitor()
        for endpoint in endpoints:
            await sock.connect(endpoint)
        await wait_handshakes(mon, len(endpoints))
        mon.close()
        client = RequestClient(sock, **kwargs)
        self.closers.append(client)
        return client

    async def close(self) -> None:
        for thing in reversed(self.closers):
            await thing.aclose()


@pytest.fixture
async def env(ctx: aiomsg.Context) -> AsyncIterator[Env]:
    e = Env(ctx)
    try:
        yield e
    finally:
        async with asyncio.timeout(TIMEOUT):
            await e.close()


class Gate:
    """A handler that blocks on an Event and records how many run at once."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.running = 0
        self.max_running = 0
        self.started = 0
        self.changed = asyncio.Event()

    async def __call__(self, frames: list[bytes]) -> list[bytes]:
        self.running += 1
        self.started += 1
        self.max_running = max(self.max_running, self.running)
        self.changed.set()
        try:
            await self.release.wait()
            return frames
        finally:
            self.running -= 1

    async def wait_started(self, count: int) -> None:
        while self.started < count:
            self.changed.clear()
            await self.changed.wait()


# ---------------------------------------------------------------- basics


async def test_request_reply_frames_and_bytes(env):
    async def handler(frames: list[bytes]) -> Any:
        if frames == [b"one"]:
            return b"single"
        return [f.upper() for f in frames]

    _, endpoint = await env.server(handler)
    client = await env.client(endpoint)
    async with asyncio.timeout(TIMEOUT):
        assert await client.request(b"one") == [b"single"]
        assert await client.request([b"a", b"b", b""]) == [b"A", b"B", b""]
        assert await client.request([]) == []
        assert await client.request(bytearray(b"x")) == [b"X"]
    assert client.pending == 0


async def test_200_concurrent_requests_across_two_servers(env):
    def named(name: bytes) -> Handler:
        async def handler(frames: list[bytes]) -> list[bytes]:
            await asyncio.sleep(0)  # interleave handlers (not a synchronisation)
            return [name, *frames]

        return handler

    _, ep1 = await env.server(named(b"s1"))
    _, ep2 = await env.server(named(b"s2"))
    client = await env.client(ep1, ep2)
    async with asyncio.timeout(TIMEOUT):
        replies = await asyncio.gather(
            *(client.request([b"%d" % i, b"x" * (i % 7)]) for i in range(200))
        )
    served = {b"s1": 0, b"s2": 0}
    for i, reply in enumerate(replies):
        assert reply[1:] == [b"%d" % i, b"x" * (i % 7)]
        served[reply[0]] += 1
    assert served[b"s1"] > 0 and served[b"s2"] > 0, served  # load balanced
    assert sum(served.values()) == 200
    assert client.pending == 0


async def test_many_clients_one_server(env):
    _, endpoint = await env.server(echo)
    clients = [await env.client(endpoint) for _ in range(5)]
    async with asyncio.timeout(TIMEOUT):
        replies = await asyncio.gather(
            *(c.request(b"%d-%d" % (n, i)) for n, c in enumerate(clients) for i in range(20))
        )
    expected = [[b"%d-%d" % (n, i)] for n in range(5) for i in range(20)]
    assert replies == expected


# ---------------------------------------------------------------- timeouts, cancellation


async def test_per_request_timeout(env):
    gate = Gate()
    _, endpoint = await env.server(gate)
    client = await env.client(endpoint)
    async with asyncio.timeout(TIMEOUT):
        with pytest.raises(TimeoutError):
            await client.request(b"slow", timeout=0.05)
    assert client.pending == 0
    gate.release.set()


async def test_client_default_timeout(env):
    gate = Gate()
    _, endpoint = await env.server(gate)
    client = await env.client(endpoint, timeout=0.05)
    async with asyncio.timeout(TIMEOUT):
        with pytest.raises(TimeoutError):
            await client.request(b"slow")
        gate.release.set()
        # An explicit timeout overrides the client's default.
        assert await client.request(b"fast", timeout=TIMEOUT) == [b"fast"]


async def test_late_reply_is_dropped_not_delivered_to_another_request(env, caplog):
    release_slow = asyncio.Event()
    slow_started = asyncio.Event()

    async def handler(frames: list[bytes]) -> list[bytes]:
        if frames == [b"slow"]:
            slow_started.set()
            await release_slow.wait()
            return [b"late reply for slow"]
        return frames

    _, endpoint = await env.server(handler)
    client = await env.client(endpoint)
    caplog.set_level(logging.DEBUG, logger="aiomsg._service")
    async with asyncio.timeout(TIMEOUT):
        slow = asyncio.create_task(client.request(b"slow", timeout=TIMEOUT / 2))
        await slow_started.wait()
        # Time the slow request out now (its deadline is far away otherwise).
        slow.cancel()
        with pytest.raises(asyncio.CancelledError):
            await slow
        assert client.pending == 0
        # The late reply goes out on the same connection before the next
        # reply, so it reaches the client first and must be dropped.
        release_slow.set()
        for i in range(5):
            assert await client.request(b"fast %d" % i) == [b"fast %d" % i]
    assert any("late reply" in r.getMessage() for r in caplog.records)


async def test_timed_out_request_late_reply_dropped(env, caplog):
    gate = Gate()
    _, endpoint = await env.server(gate)
    client = await env.client(endpoint)
    caplog.set_level(logging.DEBUG, logger="aiomsg._service")
    async with asyncio.timeout(TIMEOUT):
        with pytest.raises(TimeoutError):
            await client.request(b"first", timeout=0.05)
        gate.release.set()
        # Every later request gets its own reply, never b"first".
        replies = await asyncio.gather(*(client.request(b"r%d" % i) for i in range(10)))
        assert replies == [[b"r%d" % i] for i in range(10)]
        await poll_until(lambda: any("late reply" in r.getMessage() for r in caplog.records))


async def test_cancel_request_removes_pending(env):
    gate = Gate()
    _, endpoint = await env.server(gate)
    client = await env.client(endpoint)
    async with asyncio.timeout(TIMEOUT):
        tasks = [asyncio.create_task(client.request(b"c%d" % i)) for i in range(3)]
        await gate.wait_started(3)
        assert client.pending == 3
        tasks[1].cancel()
        with pytest.raises(asyncio.CancelledError):
            await tasks[1]
        assert client.pending == 2
        gate.release.set()
        assert await tasks[0] == [b"c0"]
        assert await tasks[2] == [b"c2"]
        assert await client.request(b"after") == [b"after"]
    assert client.pending == 0


async def test_cancel_before_send_when_no_server(ctx):
    sock = ctx.socket(aiomsg.DEALER, linger=0)
    await sock.connect("tcp://127.0.0.1:9")  # nothing listens: the send waits
    async with RequestClient(sock) as client:
        task = asyncio.create_task(client.request(b"x"))
        await yield_loop(3)
        assert client.pending == 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert client.pending == 0
        with pytest.raises(TimeoutError):
            await client.request(b"y", timeout=0.02)


# ---------------------------------------------------------------- errors


async def test_handler_exception_becomes_remote_error_and_server_keeps_serving(env, caplog):
    async def handler(frames: list[bytes]) -> list[bytes]:
        if frames == [b"boom"]:
            raise ValueError("bad request: boom")
        return frames

    server, endpoint = await env.server(handler)
    client = await env.client(endpoint)
    async with asyncio.timeout(TIMEOUT):
        with pytest.raises(aiomsg.RemoteError) as info:
            await client.request(b"boom")
        assert info.value.error_type == "ValueError"
        assert info.value.message == "bad request: boom"
        assert isinstance(info.value, aiomsg.AiomsgError)
        assert await client.request(b"fine") == [b"fine"]
    assert any(r.exc_info and r.name == "aiomsg._service" for r in caplog.records)
    assert server.active == 0


async def test_handler_returning_wrong_type_is_an_error_reply(env):
    async def handler(frames: list[bytes]) -> Any:
        return "a str is not frames"

    _, endpoint = await env.server(handler)
    client = await env.client(endpoint)
    async with asyncio.timeout(TIMEOUT):
        with pytest.raises(aiomsg.RemoteError) as info:
            await client.request(b"x")
    assert info.value.error_type == "TypeError"


async def test_malformed_request_is_dropped(env, ctx):
    _, endpoint = await env.server(echo)
    raw = ctx.socket(aiomsg.DEALER, linger=0)
    await raw.connect(endpoint)
    async with asyncio.timeout(TIMEOUT):
        await raw.send_multipart([b"no delimiter"])
        await raw.send_multipart([b""])  # delimiter but no request id
        await raw.send_multipart([b"", b"id", b"payload"])
        assert await raw.recv_multipart() == [b"", b"id", b"OK", b"payload"]


async def test_request_rejects_non_bytes(env):
    _, endpoint = await env.server(echo)
    client = await env.client(endpoint)
    with pytest.raises(TypeError):
        await client.request("text")
    with pytest.raises(TypeError):
        await client.request([b"ok", 3])
    assert client.pending == 0


def test_wrong_socket_types(ctx):
    with pytest.raises(ValueError):
        RequestClient(ctx.socket(aiomsg.ROUTER))
    with pytest.raises(ValueError):
        RequestServer(ctx.socket(aiomsg.DEALER), echo)
    with pytest.raises(ValueError):
        RequestServer(ctx.socket(aiomsg.ROUTER), echo, max_concurrency=0)


# ---------------------------------------------------------------- concurrency bound


@pytest.mark.parametrize("limit", [1, 4])
async def test_max_concurrency_is_respected(env, limit):
    gate = Gate()
    server, endpoint = await env.server(gate, max_concurrency=limit)
    client = await env.client(endpoint)
    total = limit * 3 + 1
    async with asyncio.timeout(TIMEOUT):
        tasks = [asyncio.create_task(client.request(b"%d" % i)) for i in range(total)]
        await gate.wait_started(limit)
        # Give the server every chance to start more handlers than allowed.
        await yield_loop(50)
        assert gate.running == limit
        assert server.active == limit
        gate.release.set()
        replies = await asyncio.gather(*tasks)
    assert replies == [[b"%d" % i] for i in range(total)]
    assert gate.max_running == limit
    assert gate.started == total


async def test_bound_leaves_requests_queued_until_a_slot_frees(env):
    """At the bound the server stops reading: requests wait in the socket."""
    first = asyncio.Event()
    started: list[bytes] = []

    async def handler(frames: list[bytes]) -> list[bytes]:
        started.append(frames[0])
        if frames == [b"0"]:
            await first.wait()
        return frames

    _, endpoint = await env.server(handler, max_concurrency=1)
    client = await env.client(endpoint)
    async with asyncio.timeout(TIMEOUT):
        t0 = asyncio.create_task(client.request(b"0"))
        while not started:
            await yield_loop()
        t1 = asyncio.create_task(client.request(b"1"))
        await yield_loop(50)
        assert started == [b"0"]  # b"1" is queued, not handled
        first.set()
        assert await t0 == [b"0"]
        assert await t1 == [b"1"]


# ---------------------------------------------------------------- typed


class Query(msgspec.Struct):
    city: str
    days: int = 1


class Forecast(msgspec.Struct):
    city: str
    temperatures: list[float]


@dataclasses.dataclass
class Sum:
    total: int


@pytest.mark.parametrize("codec", ["json", "msgpack"])
async def test_typed_server_and_client(env, ctx, codec):
    async def forecast(query: Query) -> Forecast:
        if query.city == "Atlantis":
            raise LookupError("no such city")
        return Forecast(query.city, [20.0 + d for d in range(query.days)])

    sock = ctx.socket(aiomsg.ROUTER, linger=0)
    endpoint = await sock.bind(bind_endpoint("tcp"))
    server = getattr(RequestServer, codec)(sock, forecast, request_type=Query)
    env.closers.append(server)
    await server.__aenter__()
    client = await env.client(endpoint)
    request = getattr(client, f"request_{codec}")
    async with asyncio.timeout(TIMEOUT):
        assert await request(Query("Oslo", 3), Forecast) == Forecast("Oslo", [20.0, 21.0, 22.0])
        assert await request({"city": "Rome"}) == {"city": "Rome", "temperatures": [20.0]}
        with pytest.raises(aiomsg.RemoteError) as info:
            await request({"town": "Rome"}, Forecast)
        assert info.value.error_type == "DecodeError"
        with pytest.raises(aiomsg.RemoteError) as info:
            await request(Query("Atlantis"), Forecast)
        assert info.value.error_type == "LookupError"
        # A reply that does not validate raises DecodeError locally, with the raw frames.
        with pytest.raises(aiomsg.DecodeError) as decode_info:
            await request(Query("Oslo"), Sum)
        assert len(decode_info.value.frames) == 1
        assert await request(Query("Oslo", 1), Forecast) == Forecast("Oslo", [20.0])


async def test_typed_client_against_raw_server(env):
    async def handler(frames: list[bytes]) -> bytes:
        data = msgspec.json.decode(frames[0])
        return msgspec.json.encode({"total": sum(data)})

    _, endpoint = await env.server(handler)
    client = await env.client(endpoint)
    async with asyncio.timeout(TIMEOUT):
        assert await client.request_json([1, 2, 3], Sum) == Sum(6)


# ---------------------------------------------------------------- lifecycle


def _service_tasks() -> list[asyncio.Task[Any]]:
    current = asyncio.current_task()
    return [t for t in asyncio.all_tasks() if t is not current and not t.done()]


async def test_clean_shutdown_leaves_no_task(ctx):
    gate = Gate()
    router = ctx.socket(aiomsg.ROUTER, linger=0)
    dealer = ctx.socket(aiomsg.DEALER, linger=0)
    endpoint = await router.bind(bind_endpoint("inproc"))
    await dealer.connect(endpoint)
    before = set(_service_tasks())
    server = RequestServer(router, gate, max_concurrency=2)
    client = RequestClient(dealer)
    async with asyncio.timeout(TIMEOUT):
        async with server, client:
            pending = [asyncio.create_task(client.request(b"%d" % i)) for i in range(4)]
            await gate.wait_started(2)
        # Leaving the blocks closed both: the running handlers were cancelled,
        # the waiting requests failed with Closed.
        for task in pending:
            with pytest.raises(aiomsg.Closed):
                await task
    assert server.closed and client.closed
    assert server.active == 0 and client.pending == 0
    leftover = set(_service_tasks()) - before
    assert not leftover, leftover
    # Sockets are still the caller's and still usable.
    assert not router.closed and not dealer.closed


async def test_foreground_serve_returns_on_aclose_and_raises_on_cancel(ctx):
    router = ctx.socket(aiomsg.ROUTER, linger=0)
    await router.bind(bind_endpoint("inproc"))
    server = RequestServer(router, echo)
    async with asyncio.timeout(TIMEOUT):
        task = asyncio.create_task(server.serve())
        await yield_loop(3)
        with pytest.raises(aiomsg.InvalidState):
            await server.serve()
        await server.aclose()
        assert await task is None  # returned normally

        with pytest.raises(aiomsg.Closed):
            await server.serve()

        other = RequestServer(ctx.socket(aiomsg.ROUTER, linger=0), echo)
        task = asyncio.create_task(other.serve())
        await yield_loop(3)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert not _service_tasks()


async def test_serve_returns_when_socket_closed(ctx):
    router = ctx.socket(aiomsg.ROUTER, linger=0)
    await router.bind(bind_endpoint("inproc"))
    server = RequestServer(router, echo)
    async with asyncio.timeout(TIMEOUT):
        task = asyncio.create_task(server.serve())
        await yield_loop(3)
        router.close()
        assert await task is None


async def test_client_fails_pending_when_socket_closed(env):
    gate = Gate()
    _, endpoint = await env.server(gate)
    client = await env.client(endpoint)
    async with asyncio.timeout(TIMEOUT):
        task = asyncio.create_task(client.request(b"x"))
        await gate.wait_started(1)
        client.socket.close(linger=0)
        with pytest.raises(aiomsg.Closed):
            await task
        with pytest.raises(aiomsg.Closed):
            await client.request(b"y")
    gate.release.set()


async def test_closed_client_refuses_requests(env):
    _, endpoint = await env.server(echo)
    client = await env.client(endpoint)
    async with asyncio.timeout(TIMEOUT):
        assert await client.request(b"a") == [b"a"]
        await client.aclose()
        await client.aclose()  # idempotent
        with pytest.raises(aiomsg.Closed):
            await client.request(b"b")


async def test_serve_returns_when_socket_closed_at_the_bound(ctx):
    """At max_concurrency the server waits for a slot; closing the socket still stops
    it at once and cancels the handlers that are running."""
    gate = Gate()
    router = ctx.socket(aiomsg.ROUTER, linger=0)
    endpoint = await router.bind(bind_endpoint("inproc"))
    server = RequestServer(router, gate, max_concurrency=1)
    dealer = ctx.socket(aiomsg.DEALER, linger=0)
    await dealer.connect(endpoint)
    client = RequestClient(dealer)
    async with asyncio.timeout(TIMEOUT):
        serving = asyncio.create_task(server.serve())
        requests = [asyncio.create_task(client.request(b"%d" % i)) for i in range(2)]
        await gate.wait_started(1)
        router.close()
        assert await serving is None
        assert gate.running == 0  # the handler was cancelled, not left to finish
        await client.aclose()
        for request in requests:
            with pytest.raises(aiomsg.Closed):
                await request


async def test_client_aclose_cancelled_still_fails_pending(env):
    gate = Gate()
    _, endpoint = await env.server(gate)
    client = await env.client(endpoint)
    async with asyncio.timeout(TIMEOUT):
        request = asyncio.create_task(client.request(b"x"))  # no timeout of its own
        await gate.wait_started(1)
        closing = asyncio.create_task(client.aclose())
        await yield_loop()
        closing.cancel()
        with pytest.raises(aiomsg.Closed):
            await request
    gate.release.set()
