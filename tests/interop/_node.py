"""A libzmq peer with draft sockets: zeromq.js under Node, driven over a pipe.

``tests/peers/node/peer.js`` runs zeromq.js (a prebuilt libzmq 4.3.5 with
drafts) and answers JSON lines; :class:`NodePeer` is its Python end. The npm
package is installed by ``make peers`` (and ``.ci/run``) into
``.cache/peers/node`` (``AIOMSG_PEERS`` overrides ``.cache/peers``); where
Node or the package is missing, :func:`node_missing` says so and the tests
skip.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
PEERS = Path(os.environ.get("AIOMSG_PEERS", REPO / ".cache" / "peers"))
NODE_MODULES = PEERS / "node" / "node_modules"
SCRIPT = REPO / "tests" / "peers" / "node" / "peer.js"
#: The same protocol over jszmq, a pure JavaScript ZWS 2.0 stack (bare ZWS2.0 only).
JSZMQ_SCRIPT = REPO / "tests" / "peers" / "node" / "jszmq_peer.js"
TIMEOUT = 10.0


def node_missing() -> str | None:
    """Why the Node peer cannot run here, or None if it can."""
    if shutil.which("node") is None:
        return "node (Node 20) is not installed; run `make peers` as root"
    if not (NODE_MODULES / "zeromq").is_dir():
        return f"the npm package zeromq is not installed in {NODE_MODULES}; run `make peers`"
    return None


def jszmq_missing() -> str | None:
    """Why the jszmq peer cannot run here, or None if it can."""
    if shutil.which("node") is None:
        return "node (Node 20) is not installed; run `make peers` as root"
    if not (NODE_MODULES / "jszmq").is_dir():
        return f"the npm package jszmq is not installed in {NODE_MODULES}; run `make peers`"
    return None


class NodeError(Exception):
    """The Node peer refused a request; ``code`` is libzmq's errno name."""

    def __init__(self, message: str, code: str | None) -> None:
        super().__init__(f"{message} ({code})")
        self.code = code


class NodePeer:
    """One Node process holding zeromq.js sockets; see peer.js for the ops."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self._process = process
        self._seq = 0
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        #: The script's first line (its library's version).
        self.hello: dict[str, Any] = {}
        self._reader = asyncio.get_running_loop().create_task(self._read())

    @classmethod
    async def start(cls, *, wrapper: tuple[str, ...] = (), script: Path = SCRIPT) -> NodePeer:
        """Start ``node peer.js`` (under *wrapper*, e.g. ``nsenter ...``) and
        wait for it; *script* :data:`JSZMQ_SCRIPT` runs jszmq instead."""
        env = {**os.environ, "NODE_PATH": str(NODE_MODULES)}
        process = await asyncio.create_subprocess_exec(
            *wrapper, "node", "--no-warnings", str(script),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=env,
            limit=1 << 24,  # an answer carries a whole message in hex
        )  # fmt: skip
        peer = cls(process)
        peer._waiting[0] = asyncio.get_running_loop().create_future()
        async with asyncio.timeout(TIMEOUT):
            peer.hello = hello = await peer._waiting[0]
        if script == SCRIPT:
            assert hello["draft"] and hello["version"] == "4.3.5", hello
        return peer

    async def _read(self) -> None:
        assert self._process.stdout is not None
        try:
            async for line in self._process.stdout:
                answer = json.loads(line)
                waiter = self._waiting.pop(answer["seq"], None)
                if waiter is None or waiter.done():
                    continue
                if "error" in answer:
                    waiter.set_exception(NodeError(answer["error"], answer.get("code")))
                else:
                    waiter.set_result(answer)
        finally:
            for waiter in self._waiting.values():
                if not waiter.done():
                    waiter.set_exception(ConnectionError("the Node peer exited"))

    async def call(self, op: str, **args: Any) -> dict[str, Any]:
        """Run one op; bounded by the caller's timeout (cancelling is safe)."""
        self._seq += 1
        seq = self._seq
        waiter = self._waiting[seq] = asyncio.get_running_loop().create_future()
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps({"seq": seq, "op": op, **args}).encode() + b"\n")
        try:
            return await waiter
        finally:
            self._waiting.pop(seq, None)

    async def socket(self, kind: str, **options: Any) -> NodeSocket:
        """A zeromq.js socket: ``Server``, ``Client``, ``Radio``, ``Dish``,
        ``Gather``, ``Scatter``, ``Peer``, ``Channel``, or a classic one."""
        answer = await self.call("socket", type=kind, options=options)
        return NodeSocket(self, answer["id"])

    async def close(self) -> None:
        process = self._process
        if process.stdin is not None:
            process.stdin.close()
        try:
            async with asyncio.timeout(TIMEOUT):
                await process.wait()
        except TimeoutError:
            process.kill()
            await process.wait()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


class NodeSocket:
    """A zeromq.js socket inside a :class:`NodePeer`."""

    def __init__(self, peer: NodePeer, id: int) -> None:
        self.peer = peer
        self.id = id

    async def bind(self, endpoint: str) -> str:
        return str((await self.peer.call("bind", id=self.id, endpoint=endpoint))["endpoint"])

    async def bind_path(self, path: str) -> str:
        """jszmq only: bind on an ephemeral loopback port at *path*; the endpoint."""
        return str((await self.peer.call("bind", id=self.id, path=path))["endpoint"])

    async def connect(self, endpoint: str) -> None:
        await self.peer.call("connect", id=self.id, endpoint=endpoint)

    async def send(
        self, data: bytes, *, routing_id: int | None = None, group: bytes | None = None
    ) -> None:
        args: dict[str, Any] = {"data": data.hex()}
        if routing_id is not None:
            args["routingId"] = routing_id
        if group is not None:
            args["group"] = group.hex()
        await self.peer.call("send", id=self.id, **args)

    async def recv(self) -> tuple[bytes, int | bytes | None]:
        """The next message and its routing id (SERVER) or group (DISH), if any."""
        answer = await self.peer.call("recv", id=self.id)
        address: int | bytes | None = answer.get("routingId")
        if "group" in answer:
            address = bytes.fromhex(answer["group"])
        return bytes.fromhex(answer["data"]), address

    async def send_multipart(self, frames: list[bytes]) -> None:
        await self.peer.call("send", id=self.id, frames=[f.hex() for f in frames])

    async def recv_multipart(self) -> list[bytes]:
        answer = await self.peer.call("recv", id=self.id)
        frames = answer["frames"] if "frames" in answer else [answer["data"]]
        return [bytes.fromhex(f) for f in frames]

    async def subscribe(self, topic: bytes) -> None:
        await self.peer.call("subscribe", id=self.id, topic=topic.hex())

    async def join(self, group: bytes) -> None:
        await self.peer.call("join", id=self.id, group=group.hex())

    async def leave(self, group: bytes) -> None:
        await self.peer.call("leave", id=self.id, group=group.hex())

    async def close(self) -> None:
        await self.peer.call("close", id=self.id)


if __name__ == "__main__":  # pragma: no cover - a manual check
    print(node_missing() or "the Node peer is ready", file=sys.stderr)
