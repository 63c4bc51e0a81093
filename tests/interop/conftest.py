"""Fixtures for the interop tier: aiomsg sockets talking to libzmq (pyzmq) sockets.

Both libraries run in the same event loop: the libzmq peer is a ``zmq.asyncio``
socket, so the tests work under asyncio and uvloop alike (see tests/conftest.py).

Parametrized fixtures, requested by the tests that need them:

* ``transport``: ``tcp`` (127.0.0.1, ephemeral port) or ``ipc`` (a short temp path);
* ``binder``: which library binds (``aiomsg`` or ``zmq``); the other one connects.

Which library plays which socket type is chosen per test with
``_helpers.roles(...)`` (the ``libs`` argument).

``Net.pair``/``Net.link`` return once the aiomsg side reports HANDSHAKE_SUCCEEDED. A
*bound* libzmq socket may still attach that connection only the next time the application
touches it (docs/wire/zmtp.md#lazy-socket): tests whose libzmq socket must act on its own (send stored
subscriptions, a PROBE_ROUTER message) keep a recv pending on it.
"""

from __future__ import annotations

import asyncio
import itertools
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import zmq
import zmq.asyncio

import aiomsg

from ._helpers import TIMEOUT
from ._node import NodePeer, node_missing

# The longest ipc path we allow ourselves (sun_path is 108 bytes on Linux, 104 on macOS).
_MAX_IPC_PATH = 90


@pytest.fixture(params=["tcp", "ipc"])
def transport(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(params=["aiomsg", "zmq"], ids=["aiomsg-binds", "zmq-binds"])
def binder(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def ipc_dir(tmp_path: Path) -> Iterator[Path]:
    """tmp_path, or a short temp dir when tmp_path would make ipc paths too long."""
    if len(str(tmp_path)) + 12 <= _MAX_IPC_PATH:
        yield tmp_path
        return
    short = Path(tempfile.mkdtemp(prefix="aiomsg-"))
    try:
        yield short
    finally:
        shutil.rmtree(short, ignore_errors=True)


class Net:
    """Creates aiomsg and pyzmq sockets, links them, and closes them all at the end."""

    def __init__(
        self, actx: aiomsg.Context, zctx: zmq.asyncio.Context, transport: str, ipc_dir: Path
    ) -> None:
        self.actx = actx
        self.zctx = zctx
        self.transport = transport
        self.ipc_dir = ipc_dir
        self._counter = itertools.count()
        self.asocks: list[Any] = []
        self.zsocks: list[zmq.asyncio.Socket] = []

    # ------------------------------------------------------------- sockets
    def socket(self, lib: str, kind: str, **opts: Any) -> Any:
        """A socket of type *kind* ("REQ", "PUB", ...) from *lib* with LINGER=0.

        *opts* use aiomsg's option names (``identity=``, ``rcvhwm=``...); for pyzmq
        they map to ``setsockopt(zmq.<NAME>, value)``.
        """
        if lib == "aiomsg":
            sock = self.actx.socket(getattr(aiomsg, kind), linger=0, **opts)
            self.asocks.append(sock)
            return sock
        assert lib == "zmq", lib
        zsock = self.zctx.socket(getattr(zmq, kind))
        self.zsocks.append(zsock)
        zsock.setsockopt(zmq.LINGER, 0)
        for name, value in opts.items():
            zsock.setsockopt(getattr(zmq, name.upper()), value)
        return zsock

    def bind_address(self) -> str:
        if self.transport == "tcp":
            return "tcp://127.0.0.1:*"
        path = self.ipc_dir / f"s{next(self._counter)}.ipc"
        assert len(str(path)) < 100, path
        return f"ipc://{path}"

    async def bind(self, sock: Any) -> str:
        """Bind *sock* to a fresh endpoint of the transport; return the resolved endpoint."""
        addr = self.bind_address()
        if isinstance(sock, zmq.Socket):
            sock.bind(addr)
            return sock.getsockopt_string(zmq.LAST_ENDPOINT)
        return await sock.bind(addr)

    @staticmethod
    async def connect(sock: Any, endpoint: str) -> None:
        if isinstance(sock, zmq.Socket):
            sock.connect(endpoint)
        else:
            await sock.connect(endpoint)

    async def link(self, bound: Any, connecting: Sequence[Any]) -> None:
        """Bind *bound*, connect each of *connecting* to it, and return once every aiomsg
        socket involved has reported its handshake(s) done."""
        waits = [  # (monitor of an aiomsg socket, handshakes to wait for)
            (sock.monitor(), n)
            for sock, n in [(bound, len(connecting)), *((c, 1) for c in connecting)]
            if not isinstance(sock, zmq.Socket)
        ]
        endpoint = await self.bind(bound)
        for sock in connecting:
            await self.connect(sock, endpoint)
        try:
            async with asyncio.timeout(TIMEOUT):
                for mon, n in waits:
                    for _ in range(n):
                        await mon.wait_for(aiomsg.Event.HANDSHAKE_SUCCEEDED)
        finally:
            for mon, _ in waits:
                mon.close()

    async def pair(
        self,
        kinds: Sequence[str],
        libs: Sequence[str],
        binder: str,
        opts: Sequence[dict[str, Any]] = ({}, {}),
    ) -> list[Any]:
        """Create ``kinds[i]`` in ``libs[i]``; the *binder* library's socket binds, the other
        connects. Returns the two sockets (in *kinds* order) once linked (see :meth:`link`).
        """
        assert sorted(libs) == ["aiomsg", "zmq"], libs
        socks = [
            self.socket(lib, kind, **o) for lib, kind, o in zip(libs, kinds, opts, strict=True)
        ]
        b = libs.index(binder)
        await self.link(socks[b], [socks[1 - b]])
        return socks

    # ------------------------------------------------------------- cleanup
    async def close(self) -> None:
        for zsock in self.zsocks:
            zsock.close(linger=0)
        for sock in self.asocks:
            sock.close(linger=0)
        async with asyncio.timeout(TIMEOUT):
            await self.actx.term()


@pytest.fixture
async def net(transport: str, ipc_dir: Path) -> AsyncIterator[Net]:
    actx = aiomsg.Context()
    zctx = zmq.asyncio.Context()
    n = Net(actx, zctx, transport, ipc_dir)
    try:
        yield n
    finally:
        try:
            await n.close()
        finally:
            zctx.destroy(linger=0)


@pytest.fixture
async def zjs() -> AsyncIterator[NodePeer]:
    """A Node process running zeromq.js (libzmq 4.3.5 with drafts); skips without it."""
    missing = node_missing()
    if missing is not None:
        pytest.skip(missing)
    peer = await NodePeer.start()
    try:
        yield peer
    finally:
        await peer.close()
