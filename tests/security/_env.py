"""A small harness for the live security tests: aiomsg and pyzmq sockets in one loop.

Only loopback TCP. Every wait is bounded by ``TIMEOUT``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiomsg

TIMEOUT = 5.0
PASSWORDS = {"admin": "secret"}

try:
    import zmq
    import zmq.asyncio
except ImportError:  # pragma: no cover - interop tests skip without pyzmq
    zmq = None  # type: ignore[assignment]


class Env:
    """Creates aiomsg and pyzmq sockets, closes them all at the end."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.actx = aiomsg.Context()
        self.zctx: Any = zmq.asyncio.Context() if zmq is not None else None
        self.asocks: list[Any] = []
        self.zsocks: list[Any] = []
        self.zauth: Any = None

    def socket(self, lib: str, kind: str, **opts: Any) -> Any:
        """A socket of type *kind* in *lib*; *opts* use the pyzmq/aiomsg option names."""
        if lib == "aiomsg":
            sock = self.actx.socket(getattr(aiomsg, kind), linger=0, **opts)
            self.asocks.append(sock)
            return sock
        zsock = self.zctx.socket(getattr(zmq, kind))
        self.zsocks.append(zsock)
        zsock.linger = 0
        for name, value in opts.items():
            setattr(zsock, name, value)
        return zsock

    @staticmethod
    async def bind(sock: Any) -> str:
        if isinstance(sock, aiomsg.Socket):
            return await sock.bind("tcp://127.0.0.1:*")
        sock.bind("tcp://127.0.0.1:*")
        return str(sock.getsockopt_string(zmq.LAST_ENDPOINT))

    @staticmethod
    async def connect(sock: Any, endpoint: str) -> None:
        if isinstance(sock, aiomsg.Socket):
            await sock.connect(endpoint)
        else:
            sock.connect(endpoint)

    def zmq_authenticator(self) -> Any:
        """pyzmq's own asyncio ZAP handler on the pyzmq context (started)."""
        from zmq.auth.asyncio import AsyncioAuthenticator

        self.zauth = AsyncioAuthenticator(self.zctx)
        self.zauth.start()
        return self.zauth

    async def close(self) -> None:
        if self.zauth is not None:
            self.zauth.stop()
        for zsock in self.zsocks:
            zsock.close(linger=0)
        for sock in self.asocks:
            sock.close(linger=0)
        async with asyncio.timeout(TIMEOUT):
            await self.actx.term()
        if self.zctx is not None:
            self.zctx.destroy(linger=0)


async def open_env(tmp: Path) -> AsyncIterator[Env]:
    env = Env(tmp)
    try:
        yield env
    finally:
        await env.close()


async def recv(sock: Any, timeout: float = TIMEOUT) -> list[bytes]:
    async with asyncio.timeout(timeout):
        return list(await sock.recv_multipart())


async def send(sock: Any, parts: list[bytes]) -> None:
    async with asyncio.timeout(TIMEOUT):
        await sock.send_multipart(parts)


def try_send(sock: Any, data: bytes) -> None:
    """Queue *data* on a pyzmq socket if it has anywhere to queue it (a refused
    peer may leave it with no pipe at all); never blocks."""
    with contextlib.suppress(zmq.Again):
        sock.send(data, zmq.NOBLOCK)


async def nothing_arrives(sock: Any, wait: float = 0.2) -> None:
    """Negative check: no message reaches *sock* within *wait* seconds."""
    try:
        async with asyncio.timeout(wait):
            parts = await sock.recv_multipart()
    except TimeoutError:
        return
    raise AssertionError(f"unexpected message {parts!r}")


async def wait_event(
    mon: aiomsg.Monitor, *events: aiomsg.Event, timeout: float = TIMEOUT
) -> aiomsg.MonitorEvent:
    async with asyncio.timeout(timeout):
        return await mon.wait_for(*events)


async def pubsub_sync(pub: Any, sub: Any, topic: bytes) -> None:
    """Publish *topic* until *sub* gets it (the subscription is live), then drain."""
    async with asyncio.timeout(TIMEOUT):
        while True:
            await pub.send(topic)
            try:
                async with asyncio.timeout(0.05):
                    got = await sub.recv()
            except TimeoutError:
                continue
            assert got == topic
            break
        end = topic + b"-end"
        await pub.send(end)
        while (got := await sub.recv()) != end:
            assert got == topic
