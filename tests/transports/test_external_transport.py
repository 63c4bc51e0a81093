"""register_transport() is usable from outside the package.

The ``mem://`` transport below is written as an application would write one:
it imports only ``aiomsg`` and ``aiomsg.transports`` (a test checks that),
and links two sockets' pipes directly, as inproc does. Sockets of several
types then talk over it.
"""

from __future__ import annotations

import ast
import asyncio
import pathlib

import pytest

import aiomsg
from aiomsg.transports import (
    Binding,
    Connector,
    Endpoint,
    Engine,
    Message,
    PipeEnd,
    Transport,
    register_transport,
)


class MemLink:
    """One side of a mem:// connection: sending offers to the other side's pipe."""

    def __init__(self, connector: MemConnector) -> None:
        self.connector = connector
        self.peer: PipeEnd | None = None

    @property
    def writable(self) -> bool:
        return self.peer is not None and self.peer.has_room

    def try_send(self, message: Message) -> bool:
        return self.peer is not None and self.peer.offer(message)

    def send_subscription(self, topic: bytes, subscribe: bool) -> None:
        if self.peer is not None:
            self.peer.deliver_subscription(topic, subscribe)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        if self.peer is not None:
            self.peer.flush_backlog()

    def close(self, reason: str) -> None:
        self.connector.close()

    def abort(self, reason: str) -> None:
        self.connector.close()

    @property
    def pending_output(self) -> int:
        return 0


class MemNames:
    """Per-context state: the bound names (kept through Engine.transport_state)."""

    def __init__(self) -> None:
        self.bound: dict[str, Engine] = {}


class MemBinding(Binding):
    def __init__(self, names: MemNames, name: str) -> None:
        self.endpoint = f"mem://{name}"
        self._names, self._name = names, name

    def stop_accepting(self) -> None:
        self._names.bound.pop(self._name, None)

    def close(self) -> None:
        self.stop_accepting()


class MemConnector(Connector):
    def __init__(self, engine: Engine, binder: Engine, endpoint: str, pipe: PipeEnd) -> None:
        self.pipe, self._engine, self._binder = pipe, engine, binder
        ours, theirs = MemLink(self), MemLink(self)
        properties = {b"Socket-Type": engine.socket_type.wire_name, b"Identity": engine.identity}
        their_pipe = binder.peer_ready(None, theirs, endpoint, "mem", properties)
        assert their_pipe is not None
        binder_properties = {b"Socket-Type": binder.socket_type.wire_name}
        assert engine.peer_ready(pipe, ours, endpoint, "mem", binder_properties) is pipe
        ours.peer, theirs.peer = their_pipe, pipe
        self._their_pipe: PipeEnd | None = their_pipe

    def close(self) -> None:
        their_pipe, self._their_pipe = self._their_pipe, None
        if their_pipe is not None:
            self._binder.peer_lost(their_pipe, keep=False)
            self._engine.peer_lost(self.pipe, keep=True)


class MemTransport(Transport):
    async def bind(self, engine: Engine, endpoint: Endpoint) -> Binding:
        names = engine.transport_state(MemNames)
        names.bound[endpoint.address] = engine
        return MemBinding(names, endpoint.address)

    def connect(self, engine: Engine, endpoint: Endpoint, pipe: PipeEnd) -> Connector:
        binder = engine.transport_state(MemNames).bound[endpoint.address]
        return MemConnector(engine, binder, endpoint.text, pipe)


@pytest.fixture(autouse=True, scope="module")
def mem_transport() -> None:
    register_transport("mem", MemTransport())


def test_this_module_uses_only_public_api() -> None:
    tree = ast.parse(pathlib.Path(__file__).read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("aiomsg"):
            assert node.module in ("aiomsg", "aiomsg.transports"), node.module
        if isinstance(node, ast.Import):
            for alias in node.names:
                assert not alias.name.startswith("aiomsg.") or alias.name == "aiomsg.transports"


async def test_push_pull_over_an_external_transport(ctx: aiomsg.Context) -> None:
    pull = ctx.socket(aiomsg.PULL)
    assert await pull.bind("mem://pipeline") == "mem://pipeline"
    push = ctx.socket(aiomsg.PUSH)
    await push.connect("mem://pipeline")
    async with asyncio.timeout(5):
        for number in range(100):
            await push.send_multipart([b"n", str(number).encode()])
        received = [await pull.recv_multipart() for _ in range(100)]
    assert received == [[b"n", str(n).encode()] for n in range(100)]


async def test_req_rep_and_pub_sub_over_an_external_transport(ctx: aiomsg.Context) -> None:
    rep, req = ctx.socket(aiomsg.REP), ctx.socket(aiomsg.REQ)
    await rep.bind("mem://service")
    await req.connect("mem://service")
    pub, sub = ctx.socket(aiomsg.PUB), ctx.socket(aiomsg.SUB)
    await pub.bind("mem://feed")
    await sub.connect("mem://feed")
    sub.subscribe(b"weather")
    async with asyncio.timeout(5):
        await req.send(b"ping")
        assert await rep.recv() == b"ping"
        await rep.send(b"pong")
        assert await req.recv() == b"pong"
        await pub.send(b"sport: 1-0")  # nobody subscribed: filtered at the publisher
        await pub.send(b"weather: sunny")
        assert await sub.recv() == b"weather: sunny"
    assert pub.peer_count == sub.peer_count == 1


async def test_disconnect_is_reported_through_the_engine(ctx: aiomsg.Context) -> None:
    pull, push = ctx.socket(aiomsg.PULL), ctx.socket(aiomsg.PUSH)
    await pull.bind("mem://leave")
    monitor = pull.monitor()
    await push.connect("mem://leave")
    assert pull.peer_count == 1
    await push.disconnect("mem://leave")
    async with asyncio.timeout(5):
        event = await monitor.wait_for(aiomsg.Event.DISCONNECTED)
    assert event.endpoint == "mem://leave"
    assert pull.peer_count == 0
