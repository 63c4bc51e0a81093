"""PEER and CHANNEL against pyomq, an independent ZMTP stack in Rust (PyPI,
Python >= 3.12), since zeromq.js cannot address a PEER reply
(docs/wire/draft.md#peer). pyomq runs in its own interpreter, installed by
``make peers``; without it these tests skip.

pyomq is not a udp reference: its datagram layout differs from libzmq's.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import aiomsg

from ._helpers import TIMEOUT
from ._node import PEERS

PYOMQ_PYTHON = PEERS / "pyomq" / "bin" / "python"
ECHO = Path(__file__).with_name("_pyomq_echo.py")


def pyomq_missing() -> str | None:
    if not PYOMQ_PYTHON.exists():
        return (
            f"pyomq is not installed in {PYOMQ_PYTHON.parent.parent} (it needs Python >= 3.12);"
            " run `make peers`"
        )
    return None


class Echo:
    """The pyomq echo process."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def line(self) -> str:
        assert self.process.stdout is not None
        async with asyncio.timeout(TIMEOUT):
            line = await self.process.stdout.readline()
        assert line, "pyomq echo exited early"
        return line.decode().strip()


@pytest.fixture
async def echo_factory() -> AsyncIterator[object]:
    missing = pyomq_missing()
    if missing is not None:
        pytest.skip(missing)
    started: list[Echo] = []

    async def start(kind: str, mode: str, endpoint: str, count: int) -> Echo:
        process = await asyncio.create_subprocess_exec(
            str(PYOMQ_PYTHON), str(ECHO), kind, mode, endpoint, str(count),
            stdout=asyncio.subprocess.PIPE, env={**os.environ, "PYTHONPATH": ""},
        )  # fmt: skip
        echo = Echo(process)
        started.append(echo)
        return echo

    yield start
    for echo in started:
        if echo.process.returncode is None:
            echo.process.kill()
        await echo.process.wait()


@pytest.mark.parametrize("transport", ["tcp", "ipc"])
async def test_aiomsg_peer_connects_to_pyomq_peer(
    ctx: aiomsg.Context, echo_factory: object, transport: str, tmp_path: Path
) -> None:
    bind_at = "tcp://127.0.0.1:0" if transport == "tcp" else f"ipc://{tmp_path}/p.ipc"
    echo = await echo_factory("PEER", "bind", bind_at, 3)  # type: ignore[operator]
    endpoint = await echo.line()
    peer = ctx.socket(aiomsg.PEER, linger=0)
    routing_id = await peer.connect_peer(endpoint)
    async with asyncio.timeout(TIMEOUT):
        for index in range(3):
            await peer.send(b"%d" % index, routing_id=routing_id)
            assert await peer.recv_from() == (b"echo:%d" % index, routing_id)
        assert await echo.line() == "done"


@pytest.mark.parametrize("binder", ["aiomsg", "pyomq"])
async def test_channel_with_pyomq(ctx: aiomsg.Context, echo_factory: object, binder: str) -> None:
    channel = ctx.socket(aiomsg.CHANNEL, linger=0)
    if binder == "aiomsg":
        endpoint = await channel.bind("tcp://127.0.0.1:*")
        echo = await echo_factory("CHANNEL", "connect", endpoint, 2)  # type: ignore[operator]
        async with asyncio.timeout(TIMEOUT):
            assert await channel.recv() == b"hello"
    else:
        echo = await echo_factory("CHANNEL", "bind", "tcp://127.0.0.1:0", 2)  # type: ignore[operator]
        await channel.connect(await echo.line())
    async with asyncio.timeout(TIMEOUT):
        for word in (b"a", b"b"):
            await channel.send(word)
            assert await channel.recv() == b"echo:" + word
        assert await echo.line() == "done"


async def test_pyomq_client_and_aiomsg_server(ctx: aiomsg.Context, echo_factory: object) -> None:
    """A third implementation of CLIENT/SERVER: our SERVER answers pyomq's CLIENT."""
    server = ctx.socket(aiomsg.SERVER, linger=0)
    endpoint = await server.bind("tcp://127.0.0.1:*")
    echo = await echo_factory("CLIENT", "connect", endpoint, 1)  # type: ignore[operator]
    async with asyncio.timeout(TIMEOUT):
        data, routing_id = await server.recv_from()
        assert data == b"hello"
        await server.send(b"hi", routing_id=routing_id)
        # The CLIENT echoes what it got back to us.
        assert await server.recv_from() == (b"echo:hi", routing_id)
        assert await echo.line() == "done"


