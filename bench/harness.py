"""Runs peer processes (:mod:`bench.peers`) and turns their reports into results.

Every run is bounded by a timeout: a peer that overruns it is killed and the
run is recorded as failed, with the reason and the tail of the peers' stderr.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import IO, Any, TypeVar

from bench.report import FLOOR

ROOT = Path(__file__).resolve().parent.parent

Run = dict[str, Any]
T = TypeVar("T")


class PeerError(Exception):
    """A peer exited or misbehaved before reporting what we waited for."""


class Peer:
    """One ``python -m bench.peers`` process and its line-oriented stdout."""

    def __init__(self, name: str, spec: dict[str, Any], session: Session) -> None:
        self.name = name
        self.spec = spec
        self.session = session
        self.proc: asyncio.subprocess.Process | None = None
        self.exited: asyncio.Task[int] | None = None
        self._stderr: IO[bytes] | None = None

    async def start(self) -> Peer:
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed in finish)
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.peers",
            json.dumps(self.spec),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=self._stderr,
            cwd=str(ROOT),
            env={**os.environ, "PYTHONPATH": _pythonpath()},
        )
        self.exited = asyncio.ensure_future(self.proc.wait())
        return self

    async def event(self, name: str) -> dict[str, Any]:
        """The next report named *name*; fails at once if any peer of the run crashes."""
        return await self.session.watch(self._event(name))

    async def _event(self, name: str) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdout is not None
        while True:
            line = await self.proc.stdout.readline()
            if not line:
                await self.proc.wait()
                raise PeerError(
                    f"{self.name} exited (code {self.proc.returncode}) before '{name}'"
                    + self.stderr_tail()
                )
            try:
                report = json.loads(line)
            except ValueError:
                continue
            if report.get("event") == name:
                return dict(report)

    def tell(self, word: str) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        with contextlib.suppress(OSError, RuntimeError):
            self.proc.stdin.write(word.encode() + b"\n")

    async def finish(self, grace: float = 3.0) -> None:
        """Wait briefly for a clean exit, then kill."""
        proc = self.proc
        if proc is None:
            return
        if proc.returncode is None:
            try:
                await asyncio.wait_for(proc.wait(), grace)
            except TimeoutError:
                self.kill()
                await proc.wait()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def kill(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()

    def stderr_tail(self, limit: int = 600) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        text = self._stderr.read().decode("utf-8", "replace").strip()
        return f"; stderr: ...{text[-limit:]}" if text else ""


def _pythonpath() -> str:
    existing = os.environ.get("PYTHONPATH")
    return f"{ROOT}{os.pathsep}{existing}" if existing else str(ROOT)


class Session:
    """Peers of one run; all are killed when it ends, however it ends."""

    def __init__(self) -> None:
        self.peers: list[Peer] = []

    async def start(self, name: str, spec: dict[str, Any]) -> Peer:
        peer = Peer(name, spec, self)
        self.peers.append(peer)
        return await peer.start()

    async def watch(self, awaitable: Coroutine[Any, Any, T]) -> T:
        """Await *awaitable*, but raise PeerError as soon as a peer exits with an error."""
        task = asyncio.ensure_future(awaitable)
        try:
            while True:
                deaths = {
                    peer.exited: peer
                    for peer in self.peers
                    if peer.exited is not None
                    and not (peer.exited.done() and peer.exited.result() == 0)
                }
                done, _ = await asyncio.wait({task, *deaths}, return_when=asyncio.FIRST_COMPLETED)
                if task in done:
                    return task.result()
                for peer_exit, peer in deaths.items():
                    if peer_exit not in done:
                        continue
                    code = peer_exit.result()
                    if code != 0:
                        raise PeerError(f"{peer.name} exited with code {code}" + peer.stderr_tail())
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task

    async def close(self) -> None:
        for peer in self.peers:
            peer.tell("stop")
        await asyncio.gather(*(peer.finish() for peer in self.peers))


async def bounded(
    body: Callable[[Session], Awaitable[Run]], timeout: float
) -> tuple[Run | None, str | None]:
    """Run *body* with a fresh Session under *timeout*; (result, None) or (None, error)."""
    session = Session()
    try:
        async with asyncio.timeout(timeout):
            return await body(session), None
    except TimeoutError:
        tails = "".join(peer.stderr_tail(200) for peer in session.peers)
        for peer in session.peers:
            peer.kill()
        return None, f"timeout after {timeout:.0f} s (peers killed){tails}"
    except PeerError as error:
        for peer in session.peers:
            peer.kill()
        return None, str(error)
    finally:
        await session.close()


# -- endpoints ----------------------------------------------------------------------


class Endpoints:
    """Bind endpoints per transport; ipc paths live in a private temporary directory."""

    def __init__(self) -> None:
        self._dir = tempfile.mkdtemp(prefix="aiomsg-bench-", dir="/tmp")
        self._n = 0

    def bind(self, transport: str) -> str:
        if transport == "tcp":
            return "tcp://127.0.0.1:*"
        if transport == "ipc":
            self._n += 1
            return f"ipc://{self._dir}/{self._n}.sock"
        raise ValueError(transport)

    def cleanup(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)


# -- one run of each pattern ------------------------------------------------------------


@dataclass
class Params:
    count: int
    size: int
    transport: str
    impl: str
    hwm: int = 1000
    warmup: int = 0
    duration: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


async def throughput_run(p: Params, endpoints: Endpoints, session: Session) -> Run:
    # extra["spec"]: more fields for both peers (the CURVE rows' keys).
    base = {
        "impl": p.impl,
        "count": p.count,
        "size": p.size,
        "hwm": p.hwm,
        **p.extra.get("spec", {}),
    }
    if p.transport == "inproc":
        peer = await session.start("inproc peer", {**base, "role": "thr-inproc"})
        got = await peer.event("result")
        if got["timed"] < 1 or got["elapsed"] <= 0:
            raise PeerError(f"nothing was timed: {got}")
        rate = got["timed"] / got["elapsed"]
        return {
            "msgs_per_s": rate,
            "mb_per_s": rate * p.size / 1e6,
            "send_cpu_us": None,
            "recv_cpu_us": None,
            "cpu_total_us": got["cpu_total"] / got["received"] * 1e6,
            "raw": {"inproc": got},
        }
    receiver = await session.start(
        "receiver", {**base, "role": "thr-recv", "endpoint": endpoints.bind(p.transport)}
    )
    bound = await receiver.event("bound")
    sender = await session.start(
        "sender", {**base, "role": "thr-send", "endpoint": bound["endpoint"]}
    )
    got = await receiver.event("result")
    sender.tell("stop")
    sent = await sender.event("result")
    if got.get("sizes") and set(got["sizes"]) != {p.size}:
        raise PeerError(f"received sizes {got['sizes']}, expected {p.size}")
    rate = got["timed"] / got["elapsed"]
    send_cpu = sent["cpu"] / sent["sent"] * 1e6
    recv_cpu = got["cpu"] / got["timed"] * 1e6
    return {
        "msgs_per_s": rate,
        "mb_per_s": rate * p.size / 1e6,
        "send_cpu_us": send_cpu,
        "recv_cpu_us": recv_cpu,
        "cpu_total_us": send_cpu + recv_cpu,
        "raw": {"sender": sent, "receiver": got},
    }


async def latency_run(p: Params, endpoints: Endpoints, session: Session) -> Run:
    base = {"impl": p.impl, "count": p.count, "size": p.size, "warmup": p.warmup}
    if p.transport == "inproc":
        client = await session.start("inproc peer", {**base, "role": "lat-inproc"})
    else:
        server = await session.start(
            "server", {**base, "role": "lat-server", "endpoint": endpoints.bind(p.transport)}
        )
        bound = await server.event("bound")
        client = await session.start(
            "client", {**base, "role": "lat-client", "endpoint": bound["endpoint"]}
        )
    got = await client.event("result")
    return {
        "median_us": got["median_us"],
        "p99_us": got["p99_us"],
        "p999_us": got["p999_us"],
        "mean_us": got["mean_us"],
        "client_cpu_us": got["cpu"] / got["samples"] * 1e6,
        "raw": {"client": got},
    }


async def fanout_run(p: Params, endpoints: Endpoints, session: Session) -> Run:
    subscribers = int(p.extra.get("subscribers", 4))
    # Subscriber processes; more subscribers than processes share them (SUB sockets).
    processes = int(p.extra.get("processes", subscribers))
    shares = [subscribers // processes + (i < subscribers % processes) for i in range(processes)]
    base = {"impl": p.impl, "count": p.count, "size": p.size, "hwm": p.hwm}
    pub = await session.start(
        "publisher", {**base, "role": "fan-pub", "endpoint": endpoints.bind(p.transport)}
    )
    bound = await pub.event("bound")
    subs = [
        await session.start(
            f"subscriber {i}", {**base, "role": "fan-sub", "sockets": share, **bound}
        )
        for i, share in enumerate(shares)
    ]
    for sub in subs:
        await sub.event("ready")
    pub.tell("go")
    published = await pub.event("result")
    results = [await sub.event("result") for sub in subs]
    pub.tell("stop")
    received = sum(r["received"] for r in results)
    span = max(r["t_end"] for r in results) - published["t_start"]
    expected = p.count * subscribers
    return {
        "msgs_per_s": received / span,
        "mb_per_s": received * p.size / span / 1e6,
        "lost": expected - received,
        "loss_pct": 100.0 * (expected - received) / expected,
        "pub_cpu_us": published["cpu"] / p.count * 1e6,
        "sub_cpu_us": statistics.fmean(r["cpu"] / max(r["received"], 1) * 1e6 for r in results),
        "published_per_s": p.count / span,
        "raw": {"publisher": published, "subscribers": results},
    }


async def memory_run(p: Params, endpoints: Endpoints, session: Session) -> Run:
    case = p.extra["case"]
    base = {"impl": p.impl, "count": p.count, "size": p.size}
    if case == "pub-unread-sub":
        pub = await session.start(
            "publisher", {**base, "role": "mem-pub", "endpoint": endpoints.bind(p.transport)}
        )
        bound = await pub.event("bound")
        sub = await session.start("subscriber", {**base, "role": "mem-sub", **bound})
        await sub.event("ready")
        pub.tell("go")
        got = await pub.event("result")
        extra = {"dropped": got["dropped"]}
    else:
        pull = await session.start(
            "puller", {**base, "role": "mem-pull", "endpoint": endpoints.bind(p.transport)}
        )
        bound = await pull.event("bound")
        push = await session.start(
            "pusher", {**base, "role": "mem-push", "duration": p.duration, **bound}
        )
        got = await push.event("result")
        extra = {"agains": got["agains"], "first_again": got["first_again"]}
    return {
        "growth_mib": got["growth_mib"],
        "sent": got["sent"],
        "rss_start_mib": got["rss_start_mib"],
        "rss_peak_mib": got["rss_peak_mib"],
        **extra,
        "raw": {"sender": got},
    }


async def _scale_run(p: Params, endpoints: Endpoints, session: Session) -> Run:
    from bench.scale import scale_run

    return await scale_run(p, endpoints, session)


async def curve_run(p: Params, endpoints: Endpoints, session: Session) -> Run:
    """A CURVE row: PUSH → PULL with CURVE keys in extra["spec"]
    (:func:`throughput_run`); for :data:`FLOOR`, the ns per message of
    CURVE's pieces (``bench floor``: the box calls alone and whole frames),
    in a child process as every other run."""
    if p.impl != FLOOR:
        return await throughput_run(p, endpoints, session)
    peer = await session.start(
        "floor", {"role": "curve-floor", "impl": p.impl, "count": p.count, "size": p.size}
    )
    got = await peer.event("result")
    return {key: value for key, value in got.items() if key != "event"} | {"raw": {"floor": got}}


RUNNERS: dict[str, Callable[[Params, Endpoints, Session], Awaitable[Run]]] = {
    "throughput": throughput_run,
    "latency": latency_run,
    "fanout": fanout_run,
    "memory": memory_run,
    "curve": curve_run,
    "scale": _scale_run,
}


async def measure(
    pattern: str, p: Params, repeat: int, timeout: float, endpoints: Endpoints
) -> dict[str, Any]:
    """Repeat one measurement; medians over the runs that succeeded, and every raw run."""
    (result,) = await measure_rounds([(pattern, p)], repeat, timeout, endpoints)
    return result


async def measure_rounds(
    measurements: list[tuple[str, Params]], repeat: int, timeout: float, endpoints: Endpoints
) -> list[dict[str, Any]]:
    """Repeat several measurements in rounds, one run of each per round, and
    summarise each as :func:`measure` does.

    The figures a target compares (aiomsg against a reference, or against
    itself on another transport or peer count) are medians over the same
    stretches of time: this machine has slower and faster phases lasting
    minutes (the same receiver's CPU per message has ranged 3.0 to 4.7 µs
    across runs), and three runs of one implementation back to back, then
    three of the next, put a phase change between them and into their ratio.
    """
    runs: list[list[Run]] = [[] for _ in measurements]
    errors: list[list[str]] = [[] for _ in measurements]
    seconds = [0.0 for _ in measurements]
    for _ in range(repeat):
        for index, (pattern, p) in enumerate(measurements):
            started = time.perf_counter()
            result, error = await bounded(partial(RUNNERS[pattern], p, endpoints), timeout)
            seconds[index] += time.perf_counter() - started
            if result is not None:
                runs[index].append(result)
            else:
                errors[index].append(error or "failed")
    return [
        _summary(pattern, p, repeat, runs[index], errors[index], seconds[index])
        for index, (pattern, p) in enumerate(measurements)
    ]


def _summary(
    pattern: str, p: Params, repeat: int, runs: list[Run], errors: list[str], seconds: float
) -> dict[str, Any]:
    """One measurement's medians over the runs that succeeded, and every raw run."""
    metrics: dict[str, Any] = {}
    if runs:
        for key, value in runs[0].items():
            if key == "raw":
                continue
            values = [run[key] for run in runs if isinstance(run.get(key), (int, float))]
            if values and isinstance(value, (int, float)):
                metrics[key] = statistics.median(values)
                if pattern == "memory" and key == "growth_mib":
                    metrics["growth_mib_worst"] = max(values)
                if pattern == "fanout" and key == "lost":
                    metrics["lost_total"] = sum(values)
            else:
                metrics[key] = None
    return {
        "pattern": pattern,
        "transport": p.transport,
        "size": p.size,
        "impl": p.impl,
        "case": p.extra.get("case"),
        "x": p.extra.get("x"),
        "count": p.count,
        "ok": bool(runs),
        "runs_ok": len(runs),
        "runs_total": repeat,
        "metrics": metrics,
        "errors": errors,
        "runs": runs,
        "seconds": seconds,
    }
