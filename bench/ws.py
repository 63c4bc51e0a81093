"""``python -m bench --transport ws``: PUSH/PULL throughput over WebSocket (ZWS 2.0)
against aiomsg's own tcp and libzmq's ws, in one run.

Each measurement is two processes on loopback: a PULL that binds and
reports, and a PUSH that connects and sends ``count`` messages of ``size``
bytes as fast as its API lets it. The PULL times from its first message to
its last, so connecting and the handshake are not counted. The rows:

- ``aiomsg tcp`` and ``aiomsg ws``: aiomsg on both ends (default asyncio loop);
- ``aiomsg ws mounted``: the PULL mounted on an aiohttp app's route
  (aiomsg.web), the PUSH connecting with ``ws://``;
- ``libzmq ws`` and ``libzmq tcp``: zeromq.js (libzmq 4.3.5) on both ends,
  Node's binding included (pyzmq's wheels have no ws transport);
- ``aiomsg ws -> libzmq ws`` and ``libzmq ws -> aiomsg ws``: mixed pairs.

libzmq rows need Node and zeromq.js (``make peers``); without them they are
skipped and say so. ``python -m bench.ws pull|push ...`` is aiomsg's peer.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NODE_SCRIPT = ROOT / "bench" / "ws_peer.js"
NODE_MODULES = Path(os.environ.get("AIOMSG_PEERS", ROOT / ".cache" / "peers")) / "node" / "node_modules"
SIZES = (16, 1024)
COUNTS = {16: 100_000, 1024: 50_000}
QUICK_COUNTS = {16: 20_000, 1024: 10_000}


@dataclass(frozen=True)
class Row:
    """One pair: who pushes, who pulls, over what."""

    name: str
    sender: str  # "aiomsg" or "libzmq"
    receiver: str  # "aiomsg", "aiomsg-mounted" or "libzmq"
    transport: str  # "tcp" or "ws"


ROWS = (
    Row("aiomsg tcp", "aiomsg", "aiomsg", "tcp"),
    Row("aiomsg ws", "aiomsg", "aiomsg", "ws"),
    Row("aiomsg ws mounted (aiohttp)", "aiomsg", "aiomsg-mounted", "ws"),
    Row("libzmq tcp", "libzmq", "libzmq", "tcp"),
    Row("libzmq ws", "libzmq", "libzmq", "ws"),
    Row("aiomsg ws -> libzmq ws", "aiomsg", "libzmq", "ws"),
    Row("libzmq ws -> aiomsg ws", "libzmq", "aiomsg", "ws"),
)


def node_missing() -> str | None:
    """Why the libzmq rows cannot run, or None."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not (NODE_MODULES / "zeromq").is_dir():
        return f"zeromq.js is not installed in {NODE_MODULES} (make peers)"
    return None


def _command(impl: str, role: str, *args: object) -> list[str]:
    if impl == "libzmq":
        return ["node", str(NODE_SCRIPT), role, *map(str, args)]
    return [sys.executable, "-m", "bench.ws", role, *map(str, args)]


async def _run_once(row: Row, count: int, size: int, timeout: float) -> dict[str, Any]:
    """One measurement; the PULL's report. Raises TimeoutError or RuntimeError."""
    env = {**os.environ, "NODE_PATH": str(NODE_MODULES), "PYTHONPATH": str(ROOT)}
    # An ephemeral port, read back from the PULL (ignored when mounted).
    bind = "ws://127.0.0.1:*/bench" if row.transport == "ws" else "tcp://127.0.0.1:*"
    receiver_impl = "libzmq" if row.receiver == "libzmq" else "aiomsg"
    role = "pull-mounted" if row.receiver == "aiomsg-mounted" else "pull"
    processes: list[asyncio.subprocess.Process] = []
    try:
        async with asyncio.timeout(timeout):
            pull = await asyncio.create_subprocess_exec(
                *_command(receiver_impl, role, bind, count),
                stdout=asyncio.subprocess.PIPE, cwd=ROOT, env=env,
            )  # fmt: skip
            processes.append(pull)
            assert pull.stdout is not None
            line = (await pull.stdout.readline()).decode().split()
            if line[:1] != ["ENDPOINT"]:
                raise RuntimeError(f"the PULL did not start: {line}")
            push = await asyncio.create_subprocess_exec(
                *_command(row.sender, "push", line[1], count, size), cwd=ROOT, env=env
            )
            processes.append(push)
            report = await pull.stdout.readline()
            if not report:
                raise RuntimeError(f"the PULL exited ({await pull.wait()}) without a report")
            result: dict[str, Any] = json.loads(report)
            return result
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
            await process.wait()


async def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    sizes = tuple(size for size in (args.size or SIZES))
    counts = QUICK_COUNTS if args.quick else COUNTS
    repeat = args.repeat or (1 if args.quick else 3)
    timeout = args.timeout or (60.0 if args.quick else 120.0)
    missing = node_missing()
    results = []
    for row in ROWS:
        for size in sizes:
            count = args.count or counts.get(size, 10_000)
            entry: dict[str, Any] = {"row": row.name, "size": size, "count": count}
            if missing and "libzmq" in (row.sender, row.receiver):
                entry["skipped"] = missing
            else:
                rates = []
                try:
                    for _ in range(repeat):
                        report = await _run_once(row, count, size, timeout)
                        rates.append(report["count"] / report["seconds"])
                except (TimeoutError, RuntimeError, OSError, ValueError) as error:
                    entry["error"] = f"{type(error).__name__}: {error}"
                if rates:
                    entry["msg_per_s"] = statistics.median(rates)
                    entry["mb_per_s"] = entry["msg_per_s"] * size / 1e6
            results.append(entry)
            print(f"{row.name:<30} {size:>5} B  {_shown(entry)}", file=sys.stderr, flush=True)
    return results


def _shown(entry: dict[str, Any]) -> str:
    if "msg_per_s" in entry:
        return f"{entry['msg_per_s']:>10,.0f} msg/s {entry['mb_per_s']:>8.1f} MB/s"
    return entry.get("error") or f"skipped: {entry['skipped']}"


def markdown(results: list[dict[str, Any]], sizes: tuple[int, ...]) -> str:
    """The results as a table: a row per pair, a column per size (msg/s, MB/s)."""
    head = "| pair (PUSH -> PULL) | " + " | ".join(f"{s} B msg/s (MB/s)" for s in sizes) + " |"
    lines = [head, "|---|" + "---:|" * len(sizes)]
    for row in ROWS:
        cells = []
        for size in sizes:
            entry = next(e for e in results if e["row"] == row.name and e["size"] == size)
            if "msg_per_s" in entry:
                cells.append(f"{entry['msg_per_s']:,.0f} ({entry['mb_per_s']:.1f})")
            else:
                cells.append("failed" if "error" in entry else "skipped")
        lines.append(f"| {row.name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    """Run the ws rows with ``python -m bench``'s options (size, count, repeat,
    quick, timeout, json); print the table; write JSON next to the main run's."""
    started = time.time()
    results = asyncio.run(run(args))
    sizes = tuple(args.size or SIZES)
    text = markdown(results, sizes)
    print(text)
    path = args.json.with_name("ws.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "elapsed_s": time.time() - started,
        "loadavg_end": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "cpus": os.cpu_count(),
        "results": results,
        "report_markdown": text,
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
    print(f"JSON written to {path}", file=sys.stderr)
    return 0 if all("error" not in entry for entry in results) else 1


# -- aiomsg's peer: python -m bench.ws pull|pull-mounted|push ... ---------------


async def _pull(endpoint: str, count: int, mounted: bool) -> None:
    import aiomsg

    async with aiomsg.Context() as ctx:
        pull = ctx.socket(aiomsg.PULL, linger=0)
        async with contextlib.AsyncExitStack() as stack:
            if mounted:
                endpoint = await stack.enter_async_context(_mounted(pull))
            else:
                endpoint = await pull.bind(endpoint)
            print(f"ENDPOINT {endpoint}", flush=True)
            nbytes = len(await pull.recv())
            started = time.perf_counter()
            for _ in range(count - 1):
                nbytes += len(await pull.recv())
            seconds = time.perf_counter() - started
        print(json.dumps({"count": count, "bytes": nbytes, "seconds": seconds}), flush=True)


@contextlib.asynccontextmanager
async def _mounted(pull: Any) -> Any:
    """*pull* mounted on an aiohttp app's ``/bench``; its ws:// URL."""
    from aiohttp import web

    import aiomsg.web

    app = web.Application()
    app.router.add_get("/bench", await aiomsg.web.aiohttp_handler(pull))
    # aiohttp's default: a handler is not cancelled when its client's TCP
    # closes, so the messages aiohttp read before the close are delivered.
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"ws://127.0.0.1:{runner.addresses[0][1]}/bench"
    finally:
        pull.close()
        await runner.cleanup()


async def _push(endpoint: str, count: int, size: int) -> None:
    import aiomsg

    async with aiomsg.Context() as ctx:
        push = ctx.socket(aiomsg.PUSH, linger=-1)
        await push.connect(endpoint)
        payload = b"a" * size
        for _ in range(count):
            await push.send(payload)
        # Leaving the Context waits (linger -1) until every message is out.


def _peer(argv: list[str]) -> None:
    role, endpoint, count, *rest = argv
    if role == "push":
        asyncio.run(_push(endpoint, int(count), int(rest[0])))
    else:
        asyncio.run(_pull(endpoint, int(count), mounted=role == "pull-mounted"))


if __name__ == "__main__":
    _peer(sys.argv[1:])
