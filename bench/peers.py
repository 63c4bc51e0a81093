"""Benchmark peers: ``python -m bench.peers '<json spec>'``, one process per peer.

The harness (:mod:`bench.harness`) starts these. Each peer prints JSON lines
on stdout (``{"event": "bound" | "ready" | "result", ...}``) and reads
control words (``go``, ``stop``) from stdin. Timings are taken inside the
peer: ``time.perf_counter`` for durations, ``time.monotonic`` for instants
compared across processes (both are the system-wide monotonic clock on
Linux), and ``time.process_time`` for CPU (every thread of the process, so
libzmq's I/O thread counts for pyzmq).

Implementations (``impl``):

* ``aiomsg`` / ``aiomsg-uvloop``: ``await sock.send()`` / ``await sock.recv()``
  on asyncio's default loop / on uvloop;
* ``aiomsg-batch``: ``send_many`` / ``recv_many`` on uvloop (only if aiomsg has them);
* ``pyzmq``: blocking ``zmq.Context`` sockets;
* ``zmq.asyncio``: pyzmq's asyncio sockets on asyncio's default loop;
* ``raw-asyncio``: :mod:`bench.rawproto` on uvloop (over inproc, its
  :class:`~bench.rawproto.RawChannel`: two coroutines and a bounded deque).

A spec with ``curve`` keys (Z85 text) makes the throughput peers CURVE
server (the bound end) and client. The scale rows' own roles (a ROUTER and
many DEALERs) are in :mod:`bench.scale`; :func:`roles` finds them.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

Spec = dict[str, Any]

ASYNC_LOOPS: dict[str, str] = {
    "aiomsg": "asyncio",
    "aiomsg-uvloop": "uvloop",
    "aiomsg-batch": "uvloop",
    "zmq.asyncio": "asyncio",
    "raw-asyncio": "uvloop",
    "floor": "uvloop",  # bench/floor.py's InprocFloor, on the headline's loop
}
FAMILY: dict[str, str] = {
    "aiomsg": "aiomsg",
    "aiomsg-uvloop": "aiomsg",
    "aiomsg-batch": "aiomsg",
    "pyzmq": "zmq",
    "zmq.asyncio": "zmq.asyncio",
    "raw-asyncio": "raw",
    "floor": "floor",
}
#: Messages per send_many call for aiomsg-batch.
BATCH = 256
#: First byte of fan-out / memory traffic: probe, data, end marker.
PROBE, DATA, END = b"p", b"d", b"e"


# -- output, control and measurements -------------------------------------------


def emit(event: str, **fields: Any) -> None:
    """Report to the harness: one JSON line on stdout."""
    sys.stdout.write(json.dumps({"event": event, **fields}) + "\n")
    sys.stdout.flush()


class Control:
    """Words the harness writes to our stdin (``go``, ``stop``), read by a thread."""

    def __init__(self) -> None:
        self._events: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _event(self, word: str) -> threading.Event:
        with self._lock:
            return self._events.setdefault(word, threading.Event())

    def _read(self) -> None:
        for line in sys.stdin:
            self._event(line.strip()).set()
        self._event("stop").set()  # the harness went away
        self._event("go").set()

    def has(self, word: str) -> bool:
        return self._event(word).is_set()

    def wait_blocking(self, word: str, limit: float = 120.0) -> None:
        self._event(word).wait(limit)

    async def wait(self, word: str, limit: float = 120.0) -> None:
        event = self._event(word)
        if not event.is_set():
            await asyncio.get_running_loop().run_in_executor(None, event.wait, limit)


def rss_bytes() -> int:
    """Current resident set size (VmRSS); ru_maxrss if /proc is unavailable."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def peak_rss_bytes() -> int:
    """Peak resident set size of the process (VmHWM, or ru_maxrss)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def payload(size: int, kind: bytes = b"x") -> bytes:
    return kind + b"x" * (size - 1) if size > 0 else b""


def latency_stats(samples_ns: list[int]) -> dict[str, float]:
    ordered = sorted(samples_ns)
    count = len(ordered)

    def rank(q: float) -> float:
        return ordered[min(count - 1, int(q * count))] / 1000.0

    return {
        "median_us": rank(0.5),
        "p99_us": rank(0.99),
        "p999_us": rank(0.999),
        "min_us": ordered[0] / 1000.0,
        "max_us": ordered[-1] / 1000.0,
        "mean_us": sum(ordered) / count / 1000.0,
        "samples": count,
    }


# -- async sockets, one shape for every async implementation ----------------------


@dataclass
class AsyncEnd:
    """An open async socket; ``send`` / ``recv`` are the library's own bound methods."""

    send: Callable[[bytes], Awaitable[Any]]
    recv: Callable[[], Awaitable[bytes]]
    close: Callable[[], Awaitable[None]]
    endpoint: str
    sock: Any


def new_context(impl: str) -> Any:
    family = FAMILY[impl]
    if family == "aiomsg":
        import aiomsg

        return aiomsg.Context()
    if family == "zmq.asyncio":
        import zmq.asyncio

        return zmq.asyncio.Context()
    return None


async def close_context(impl: str, ctx: Any) -> None:
    family = FAMILY[impl]
    if family == "aiomsg":
        await ctx.term()
    elif family == "zmq.asyncio":
        ctx.term()


def curve_options(spec: Spec, server: bool) -> dict[str, Any]:
    """Socket options for CURVE if the spec has keys (Z85 text), else none.

    The names are those of aiomsg's keyword options and pyzmq's socket
    attributes alike; the bound end is the CURVE server.
    """
    keys = spec.get("curve")
    if not keys:
        return {}
    if server:
        return {
            "curve_server": True,
            "curve_secretkey": keys["server_secret"].encode(),
            "curve_publickey": keys["server_public"].encode(),
        }
    return {
        "curve_serverkey": keys["server_public"].encode(),
        "curve_secretkey": keys["client_secret"].encode(),
        "curve_publickey": keys["client_public"].encode(),
    }


def set_options(sock: Any, options: dict[str, Any]) -> None:
    """Set pyzmq socket options given as attribute names (before bind/connect)."""
    for name, value in options.items():
        setattr(sock, name, value)


async def open_end(
    impl: str,
    ctx: Any,
    kind: str,
    endpoint: str,
    *,
    bind: bool,
    hwm: int,
    linger: int = -1,
    options: dict[str, Any] | None = None,
) -> AsyncEnd:
    """Open a socket of *kind* (``"PUSH"``...) bound or connected to *endpoint*.

    *options* (aiomsg keyword options / pyzmq attribute names) are set first;
    raw-asyncio takes none.
    """
    family = FAMILY[impl]
    options = options or {}
    if family == "aiomsg":
        import aiomsg

        sock = ctx.socket(getattr(aiomsg, kind), sndhwm=hwm, rcvhwm=hwm, linger=linger, **options)
        if kind == "SUB":
            sock.subscribe(b"")
        resolved = endpoint
        if bind:
            resolved = await sock.bind(endpoint)
        else:
            await sock.connect(endpoint)

        async def close_aiomsg() -> None:
            await sock.aclose()

        return AsyncEnd(sock.send, sock.recv, close_aiomsg, resolved, sock)
    if family == "zmq.asyncio":
        import zmq

        zsock = ctx.socket(getattr(zmq, kind))
        zsock.sndhwm = hwm
        zsock.rcvhwm = hwm
        zsock.linger = linger
        set_options(zsock, options)
        if kind == "SUB":
            zsock.setsockopt(zmq.SUBSCRIBE, b"")
        resolved = endpoint
        if bind:
            zsock.bind(endpoint)
            resolved = zsock.getsockopt_string(zmq.LAST_ENDPOINT)
        else:
            zsock.connect(endpoint)

        async def close_zmq() -> None:
            zsock.close()

        return AsyncEnd(zsock.send, zsock.recv, close_zmq, resolved, zsock)
    if family == "raw":
        from bench.rawproto import open_raw_connection, start_raw_server

        if options:
            raise ValueError(f"raw-asyncio takes no socket options: {sorted(options)}")

        if bind:
            server = await start_raw_server(endpoint, hwm)
            holder: dict[str, Any] = {}

            async def send_first(body: bytes) -> None:
                stream = holder.get("s") or await server.first_stream()
                holder["s"] = stream
                await stream.send(body)

            async def recv_first() -> bytes:
                stream = holder.get("s") or await server.first_stream()
                holder["s"] = stream
                return await stream.recv()

            async def close_server() -> None:
                server.close()

            return AsyncEnd(send_first, recv_first, close_server, server.address, server)
        stream = await open_raw_connection(endpoint, hwm)
        return AsyncEnd(stream.send, stream.recv, stream.close, endpoint, stream)
    raise ValueError(f"{impl} is not an async implementation")


async def bound_stream(impl: str, end: AsyncEnd) -> AsyncEnd:
    """For a raw-asyncio server end: wait for the peer and use its stream directly."""
    if FAMILY[impl] != "raw":
        return end
    stream = await end.sock.first_stream()
    return AsyncEnd(stream.send, stream.recv, end.close, end.endpoint, stream)


def run_async(impl: str, main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    if ASYNC_LOOPS[impl] == "uvloop":
        import uvloop

        factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    else:
        factory = asyncio.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(main())


# -- throughput: PUSH -> PULL ----------------------------------------------------


async def _receive_count(impl: str, end: AsyncEnd, count: int) -> dict[str, Any]:
    """Receive *count* messages; time from the first to the last."""
    if impl == "aiomsg-batch":
        recv_many = end.sock.recv_many
        got = first = len(await recv_many(1))  # start the clock at the first message
        t0, c0 = time.perf_counter(), time.process_time()
        while got < count:
            got += len(await recv_many(BATCH))
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        return {"elapsed": elapsed, "cpu": cpu, "received": got, "timed": got - first}
    recv = end.recv
    first_size = len(await recv())
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(count - 2):
        await recv()
    last_size = len(await recv()) if count > 1 else first_size
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {
        "elapsed": elapsed,
        "cpu": cpu,
        "received": count,
        "timed": count - 1,
        "sizes": [first_size, last_size],
    }


async def _send_count(impl: str, end: AsyncEnd, count: int, size: int) -> dict[str, Any]:
    message = payload(size)
    t0, c0 = time.perf_counter(), time.process_time()
    if impl == "aiomsg-batch":
        send_many = end.sock.send_many
        batch = [[message]] * BATCH
        full, rest = divmod(count, BATCH)
        for _ in range(full):
            await send_many(batch)
        if rest:
            await send_many(batch[:rest])
    else:
        send = end.send
        for _ in range(count):
            await send(message)
    loop_elapsed = time.perf_counter() - t0
    return {"loop_elapsed": loop_elapsed, "t0": t0, "c0": c0}


def thr_recv(spec: Spec) -> None:
    impl = spec["impl"]
    if impl == "pyzmq":
        import zmq

        ctx = zmq.Context()
        sock = ctx.socket(zmq.PULL)
        sock.rcvhwm = spec["hwm"]
        sock.linger = 0
        set_options(sock, curve_options(spec, server=True))
        sock.bind(spec["endpoint"])
        emit("bound", endpoint=sock.getsockopt_string(zmq.LAST_ENDPOINT))
        count = spec["count"]
        recv = sock.recv
        first_size = len(recv())
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(count - 2):
            recv()
        last_size = len(recv()) if count > 1 else first_size
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        emit(
            "result",
            elapsed=elapsed,
            cpu=cpu,
            received=count,
            timed=count - 1,
            sizes=[first_size, last_size],
        )
        sock.close()
        ctx.term()
        return

    async def main() -> None:
        ctx = new_context(impl)
        end = await open_end(
            impl,
            ctx,
            "PULL",
            spec["endpoint"],
            bind=True,
            hwm=spec["hwm"],
            linger=0,
            options=curve_options(spec, server=True),
        )
        emit("bound", endpoint=end.endpoint)
        end = await bound_stream(impl, end)
        result = await _receive_count(impl, end, spec["count"])
        emit("result", **result)
        await end.close()
        await close_context(impl, ctx)

    run_async(impl, main)


def thr_send(spec: Spec) -> None:
    """Send ``count`` messages, then stay connected until the harness says ``stop``.

    Disconnecting early could lose messages still queued at the receiver
    (libzmq drops a bound pipe's unread messages when its peer goes away),
    so CPU is read when the receiver has everything: it includes the flush.
    """
    impl, count, size = spec["impl"], spec["count"], spec["size"]
    control = Control()
    if impl == "pyzmq":
        import zmq

        ctx = zmq.Context()
        sock = ctx.socket(zmq.PUSH)
        sock.sndhwm = spec["hwm"]
        sock.linger = 0
        set_options(sock, curve_options(spec, server=False))
        sock.connect(spec["endpoint"])
        message = payload(size)
        send = sock.send
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(count):
            send(message)
        loop_elapsed = time.perf_counter() - t0
        control.wait_blocking("stop")
        emit("result", loop_elapsed=loop_elapsed, cpu=time.process_time() - c0, sent=count)
        sock.close()
        ctx.term()
        return

    async def main() -> None:
        ctx = new_context(impl)
        end = await open_end(
            impl,
            ctx,
            "PUSH",
            spec["endpoint"],
            bind=False,
            hwm=spec["hwm"],
            linger=0,
            options=curve_options(spec, server=False),
        )
        sent = await _send_count(impl, end, count, size)
        await control.wait("stop")
        emit(
            "result",
            loop_elapsed=sent["loop_elapsed"],
            cpu=time.process_time() - sent["c0"],
            sent=count,
        )
        await end.close()
        await close_context(impl, ctx)

    run_async(impl, main)


def thr_inproc(spec: Spec) -> None:
    """Sender and receiver in this one process (inproc cannot cross processes)."""
    impl, count, size = spec["impl"], spec["count"], spec["size"]
    endpoint = "inproc://bench-throughput"
    if impl == "pyzmq":
        import zmq

        ctx = zmq.Context()
        pull = ctx.socket(zmq.PULL)
        pull.rcvhwm = spec["hwm"]
        pull.linger = 0
        pull.bind(endpoint)
        push = ctx.socket(zmq.PUSH)
        push.sndhwm = spec["hwm"]
        push.connect(endpoint)
        message = payload(size)

        def produce() -> None:
            send = push.send
            for _ in range(count):
                send(message)

        c0 = time.process_time()
        sender = threading.Thread(target=produce)
        sender.start()
        recv = pull.recv
        recv()
        t0 = time.perf_counter()
        for _ in range(count - 1):
            recv()
        elapsed = time.perf_counter() - t0
        sender.join()
        cpu = time.process_time() - c0
        push.close()
        pull.close()
        ctx.term()
        emit("result", elapsed=elapsed, cpu_total=cpu, received=count, timed=count - 1)
        return

    async def main() -> None:
        ctx = new_context(impl)
        if FAMILY[impl] == "raw":
            # No socket to open: raw-asyncio's in-process ceiling is a
            # bounded deque between the two coroutines (RawChannel).
            from bench.rawproto import RawChannel

            channel = RawChannel(spec["hwm"])
            pull = push = AsyncEnd(channel.send, channel.recv, channel.close, endpoint, channel)
        elif FAMILY[impl] == "floor":
            # Nor for the floor: ZeroMQ's per-message work and no more.
            from bench.floor import InprocFloor

            floor = InprocFloor(spec["hwm"])
            pull = push = AsyncEnd(floor.send, floor.recv, floor.close, endpoint, floor)
        else:
            pull = await open_end(
                impl, ctx, "PULL", endpoint, bind=True, hwm=spec["hwm"], linger=0
            )
            push = await open_end(impl, ctx, "PUSH", endpoint, bind=False, hwm=spec["hwm"])
        c0 = time.process_time()
        receiving = asyncio.ensure_future(_receive_count(impl, pull, count))
        await _send_count(impl, push, count, size)
        result = await receiving
        cpu = time.process_time() - c0
        result.pop("cpu")
        emit("result", cpu_total=cpu, **result)
        await push.close()
        await pull.close()
        await close_context(impl, ctx)

    run_async(impl, main)


# -- latency: REQ/REP round trips --------------------------------------------------


async def _echo(end: AsyncEnd) -> None:
    send, recv = end.send, end.recv
    while True:
        message = await recv()
        await send(message)
        if message == b"STOP":
            return


async def _ping(end: AsyncEnd, count: int, warmup: int, size: int) -> dict[str, Any]:
    send, recv = end.send, end.recv
    message = payload(size)
    clock = time.perf_counter_ns
    for _ in range(warmup):
        await send(message)
        await recv()
    samples: list[int] = []
    append = samples.append
    c0 = time.process_time()
    for _ in range(count):
        t = clock()
        await send(message)
        await recv()
        append(clock() - t)
    cpu = time.process_time() - c0
    await send(b"STOP")
    await recv()
    return {"cpu": cpu, **latency_stats(samples)}


def lat_server(spec: Spec) -> None:
    impl = spec["impl"]
    if impl == "pyzmq":
        import zmq

        ctx = zmq.Context()
        sock = ctx.socket(zmq.REP)
        sock.linger = 1000
        sock.bind(spec["endpoint"])
        emit("bound", endpoint=sock.getsockopt_string(zmq.LAST_ENDPOINT))
        while True:
            message = sock.recv()
            sock.send(message)
            if message == b"STOP":
                break
        sock.close()
        ctx.term()
        return

    async def main() -> None:
        ctx = new_context(impl)
        end = await open_end(impl, ctx, "REP", spec["endpoint"], bind=True, hwm=1000, linger=1000)
        emit("bound", endpoint=end.endpoint)
        end = await bound_stream(impl, end)
        await _echo(end)
        await asyncio.sleep(0.05)
        await end.close()
        await close_context(impl, ctx)

    run_async(impl, main)


def lat_client(spec: Spec) -> None:
    impl, count, warmup, size = spec["impl"], spec["count"], spec["warmup"], spec["size"]
    if impl == "pyzmq":
        import zmq

        ctx = zmq.Context()
        sock = ctx.socket(zmq.REQ)
        sock.linger = 0
        sock.connect(spec["endpoint"])
        message = payload(size)
        send, recv = sock.send, sock.recv
        clock = time.perf_counter_ns
        for _ in range(warmup):
            send(message)
            recv()
        samples: list[int] = []
        c0 = time.process_time()
        for _ in range(count):
            t = clock()
            send(message)
            recv()
            samples.append(clock() - t)
        cpu = time.process_time() - c0
        send(b"STOP")
        recv()
        emit("result", cpu=cpu, **latency_stats(samples))
        sock.close()
        ctx.term()
        return

    async def main() -> None:
        ctx = new_context(impl)
        end = await open_end(impl, ctx, "REQ", spec["endpoint"], bind=False, hwm=1000, linger=0)
        result = await _ping(end, count, warmup, size)
        emit("result", **result)
        await end.close()
        await close_context(impl, ctx)

    run_async(impl, main)


def lat_inproc(spec: Spec) -> None:
    """REQ and REP in this one process: two tasks (two threads for pyzmq)."""
    impl, count, warmup, size = spec["impl"], spec["count"], spec["warmup"], spec["size"]
    endpoint = "inproc://bench-latency"
    if impl == "pyzmq":
        import zmq

        ctx = zmq.Context()
        rep = ctx.socket(zmq.REP)
        rep.bind(endpoint)
        req = ctx.socket(zmq.REQ)
        req.connect(endpoint)

        def serve() -> None:
            while True:
                message = rep.recv()
                rep.send(message)
                if message == b"STOP":
                    return

        server = threading.Thread(target=serve)
        server.start()
        message = payload(size)
        clock = time.perf_counter_ns
        for _ in range(warmup):
            req.send(message)
            req.recv()
        samples: list[int] = []
        c0 = time.process_time()
        for _ in range(count):
            t = clock()
            req.send(message)
            req.recv()
            samples.append(clock() - t)
        cpu = time.process_time() - c0
        req.send(b"STOP")
        req.recv()
        server.join()
        emit("result", cpu=cpu, **latency_stats(samples))
        req.close(0)
        rep.close(0)
        ctx.term()
        return

    async def main() -> None:
        ctx = new_context(impl)
        rep = await open_end(impl, ctx, "REP", endpoint, bind=True, hwm=1000, linger=0)
        req = await open_end(impl, ctx, "REQ", endpoint, bind=False, hwm=1000, linger=0)
        serving = asyncio.ensure_future(_echo(rep))
        result = await _ping(req, count, warmup, size)
        await serving
        emit("result", **result)
        await req.close()
        await rep.close()
        await close_context(impl, ctx)

    run_async(impl, main)


# -- fan-out: PUB -> 4 SUB, and the memory cases ------------------------------------


def _pub_result(t_start: float, c0: float, count: int, dropped: Any) -> None:
    emit(
        "result",
        t_start=t_start,
        t_end=time.monotonic(),
        cpu=time.process_time() - c0,
        sent=count,
        dropped=dropped,
    )


def fan_pub(spec: Spec) -> None:
    """Probe until the harness says ``go`` (all subscribers got a probe), then publish."""
    impl, count, size, hwm = spec["impl"], spec["count"], spec["size"], spec["hwm"]
    control = Control()
    probe, data, end_marker = payload(size, PROBE), payload(size, DATA), payload(size, END)
    if impl == "pyzmq":
        import zmq

        ctx = zmq.Context()
        sock = ctx.socket(zmq.PUB)
        sock.sndhwm = hwm
        sock.linger = 0
        sock.bind(spec["endpoint"])
        emit("bound", endpoint=sock.getsockopt_string(zmq.LAST_ENDPOINT))
        deadline = time.monotonic() + 60
        while not control.has("go") and time.monotonic() < deadline:
            sock.send(probe)
            time.sleep(0.01)
        send = sock.send
        t_start, c0 = time.monotonic(), time.process_time()
        for _ in range(count):
            send(data)
        _pub_result(t_start, c0, count, None)
        while not control.has("stop") and time.monotonic() < deadline + 60:
            sock.send(end_marker)
            time.sleep(0.01)
        sock.close()
        ctx.term()
        return

    async def main() -> None:
        ctx = new_context(impl)
        end = await open_end(impl, ctx, "PUB", spec["endpoint"], bind=True, hwm=hwm, linger=0)
        emit("bound", endpoint=end.endpoint)
        if impl == "raw-asyncio":
            from bench.rawproto import RawPublisher

            send = RawPublisher(end.sock).send
        else:
            send = end.send
        deadline = time.monotonic() + 60
        while not control.has("go") and time.monotonic() < deadline:
            await send(probe)
            await asyncio.sleep(0.01)
        t_start, c0 = time.monotonic(), time.process_time()
        for _ in range(count):
            await send(data)
        _pub_result(t_start, c0, count, getattr(end.sock, "dropped", None))
        while not control.has("stop") and time.monotonic() < deadline + 60:
            await send(end_marker)
            await asyncio.sleep(0.01)
        await end.close()
        await close_context(impl, ctx)

    run_async(impl, main)


def fan_sub(spec: Spec) -> None:
    """Say ``ready`` on the first probe; count data messages until an end marker.

    With ``sockets`` > 1 (the scale rows' many subscribers), this process holds
    that many SUB sockets, says ``ready`` once each has had a probe, and
    reports the sum over them (``t_end`` when the last one saw its end marker).
    """
    if spec.get("sockets", 1) > 1:
        _fan_subs(spec)
        return
    impl, hwm = spec["impl"], spec["hwm"]
    if impl == "pyzmq":
        import zmq

        ctx = zmq.Context()
        sock = ctx.socket(zmq.SUB)
        sock.rcvhwm = hwm
        sock.linger = 0
        sock.setsockopt(zmq.SUBSCRIBE, b"")
        sock.connect(spec["endpoint"])
        recv = sock.recv
        while recv()[:1] != PROBE:
            pass
        emit("ready")
        received = 0
        c0 = time.process_time()
        t_first = 0.0
        while True:
            kind = recv()[:1]
            if kind == DATA:
                received += 1
                if received == 1:
                    t_first = time.monotonic()
            elif kind == END:
                break
        emit(
            "result",
            received=received,
            t_first=t_first,
            t_end=time.monotonic(),
            cpu=time.process_time() - c0,
        )
        sock.close()
        ctx.term()
        return

    async def main() -> None:
        ctx = new_context(impl)
        end = await open_end(impl, ctx, "SUB", spec["endpoint"], bind=False, hwm=hwm, linger=0)
        recv = end.recv
        while (await recv())[:1] != PROBE:
            pass
        emit("ready")
        received = 0
        c0 = time.process_time()
        t_first = 0.0
        while True:
            kind = (await recv())[:1]
            if kind == DATA:
                received += 1
                if received == 1:
                    t_first = time.monotonic()
            elif kind == END:
                break
        emit(
            "result",
            received=received,
            t_first=t_first,
            t_end=time.monotonic(),
            cpu=time.process_time() - c0,
        )
        await end.close()
        await close_context(impl, ctx)

    run_async(impl, main)


def _fan_subs(spec: Spec) -> None:
    """:func:`fan_sub` with ``sockets`` SUB sockets in this one process."""
    impl, hwm, sockets = spec["impl"], spec["hwm"], spec["sockets"]
    if impl == "pyzmq":
        import zmq

        ctx = zmq.Context()
        socks = []
        for _ in range(sockets):
            sock = ctx.socket(zmq.SUB)
            sock.rcvhwm = hwm
            sock.linger = 0
            sock.setsockopt(zmq.SUBSCRIBE, b"")
            sock.connect(spec["endpoint"])
            socks.append(sock)
        for sock in socks:
            while sock.recv()[:1] != PROBE:
                pass
        emit("ready")
        poller = zmq.Poller()
        for sock in socks:
            poller.register(sock, zmq.POLLIN)
        received = 0
        c0 = time.process_time()
        t_first = 0.0
        open_socks = set(socks)
        while open_socks:
            ready = poller.poll(60_000)
            if not ready:
                break  # nothing for a minute: report what came (the harness times out first)
            for sock, _ in ready:
                while True:
                    try:
                        kind = sock.recv(zmq.NOBLOCK)[:1]
                    except zmq.Again:
                        break
                    if kind == DATA:
                        received += 1
                        if received == 1:
                            t_first = time.monotonic()
                    elif kind == END:
                        open_socks.discard(sock)
                        poller.unregister(sock)
                        break
        emit(
            "result",
            received=received,
            t_first=t_first,
            t_end=time.monotonic(),
            cpu=time.process_time() - c0,
        )
        for sock in socks:
            sock.close()
        ctx.term()
        return

    async def main() -> None:
        ctx = new_context(impl)
        ends = [
            await open_end(impl, ctx, "SUB", spec["endpoint"], bind=False, hwm=hwm, linger=0)
            for _ in range(sockets)
        ]
        for end in ends:
            while (await end.recv())[:1] != PROBE:
                pass
        emit("ready")
        firsts: list[float] = []

        async def count(end: AsyncEnd) -> int:
            recv = end.recv
            received = 0
            while True:
                kind = (await recv())[:1]
                if kind == DATA:
                    received += 1
                    if received == 1:
                        firsts.append(time.monotonic())
                elif kind == END:
                    return received

        c0 = time.process_time()
        counts = await asyncio.gather(*(count(end) for end in ends))
        emit(
            "result",
            received=sum(counts),
            t_first=min(firsts, default=0.0),
            t_end=time.monotonic(),
            cpu=time.process_time() - c0,
        )
        for end in ends:
            await end.close()
        await close_context(impl, ctx)

    run_async(impl, main)


class RssSampler:
    """Tracks the largest VmRSS seen, read every *every* calls of :meth:`tick`."""

    def __init__(self, every: int = 10_000) -> None:
        self.base = rss_bytes()
        self.peak = self.base
        self.every = every
        self._n = 0

    def tick(self) -> None:
        self._n += 1
        if self._n >= self.every:
            self._n = 0
            self.sample()

    def sample(self) -> None:
        self.peak = max(self.peak, rss_bytes())

    def report(self) -> dict[str, float]:
        self.sample()
        mib = 1024.0 * 1024.0
        return {
            "rss_start_mib": self.base / mib,
            "rss_peak_mib": self.peak / mib,
            "rss_end_mib": rss_bytes() / mib,
            "vmhwm_mib": peak_rss_bytes() / mib,
            "growth_mib": (self.peak - self.base) / mib,
        }


def mem_pub(spec: Spec) -> None:
    """aiomsg PUB sending ``count`` messages to a SUB that never reads (default options)."""
    impl, count, size = spec["impl"], spec["count"], spec["size"]
    control = Control()

    async def main() -> None:
        import aiomsg

        ctx = aiomsg.Context()
        # "sndhwm" is only for checking the measurement itself (0 = unbounded).
        options = {"sndhwm": spec["sndhwm"]} if spec.get("sndhwm") is not None else {}
        pub = ctx.socket(aiomsg.PUB, linger=0, **options)
        endpoint = await pub.bind(spec["endpoint"])
        emit("bound", endpoint=endpoint)
        probe, data = payload(size, PROBE), payload(size, DATA)
        deadline = time.monotonic() + 60
        while not control.has("go") and time.monotonic() < deadline:
            await pub.send(probe)
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        sampler = RssSampler()
        send, tick = pub.send, sampler.tick
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(count):
            await send(data)
            tick()
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        await asyncio.sleep(0.2)  # let queued output settle
        emit(
            "result",
            sent=count,
            dropped=getattr(pub, "dropped", None),
            elapsed=elapsed,
            cpu=cpu,
            **sampler.report(),
        )
        await control.wait("stop", 30)
        pub.close(0)
        ctx.destroy(0)

    run_async(impl, main)


def mem_sub(spec: Spec) -> None:
    """An aiomsg SUB that takes one probe, says ``ready`` and never reads again."""
    impl = spec["impl"]
    control = Control()

    async def main() -> None:
        import aiomsg

        ctx = aiomsg.Context()
        sub = ctx.socket(aiomsg.SUB, linger=0)
        sub.subscribe(b"")
        await sub.connect(spec["endpoint"])
        while (await sub.recv())[:1] != PROBE:
            pass
        emit("ready")
        await control.wait("stop", 120)
        ctx.destroy(0)

    run_async(impl, main)


def mem_pull(spec: Spec) -> None:
    """An aiomsg PULL that binds and never reads."""
    impl = spec["impl"]
    control = Control()

    async def main() -> None:
        import aiomsg

        ctx = aiomsg.Context()
        pull = ctx.socket(aiomsg.PULL, linger=0)
        emit("bound", endpoint=await pull.bind(spec["endpoint"]))
        await control.wait("stop", 120)
        ctx.destroy(0)

    run_async(impl, main)


def mem_push(spec: Spec) -> None:
    """aiomsg PUSH to a stalled PULL: send with NOBLOCK, retrying after Again, for a while."""
    impl, size, cap, duration = spec["impl"], spec["size"], spec["count"], spec["duration"]

    async def main() -> None:
        import aiomsg

        ctx = aiomsg.Context()
        push = ctx.socket(aiomsg.PUSH, linger=0)
        await push.connect(spec["endpoint"])
        deadline = time.monotonic() + 10
        while push.peer_count == 0 and time.monotonic() < deadline:
            await asyncio.sleep(0.001)
        sampler = RssSampler()
        message = payload(size)
        send, tick, noblock = push.send, sampler.tick, aiomsg.NOBLOCK
        sent = agains = 0
        first_again: int | None = None
        t0, c0 = time.perf_counter(), time.process_time()
        stop_at = time.monotonic() + duration
        while sent < cap:
            try:
                await send(message, noblock)
            except aiomsg.Again:
                agains += 1
                if first_again is None:
                    first_again = sent
                sampler.sample()
                if time.monotonic() >= stop_at:
                    break
                await asyncio.sleep(0.005)
                continue
            sent += 1
            tick()
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        emit(
            "result",
            sent=sent,
            agains=agains,
            first_again=first_again,
            elapsed=elapsed,
            cpu=cpu,
            **sampler.report(),
        )
        ctx.destroy(0)

    run_async(impl, main)


ROLES: dict[str, Callable[[Spec], None]] = {
    "thr-recv": thr_recv,
    "thr-send": thr_send,
    "thr-inproc": thr_inproc,
    "lat-server": lat_server,
    "lat-client": lat_client,
    "lat-inproc": lat_inproc,
    "fan-pub": fan_pub,
    "fan-sub": fan_sub,
    "mem-pub": mem_pub,
    "mem-sub": mem_sub,
    "mem-pull": mem_pull,
    "mem-push": mem_push,
}


#: Other modules with peer roles (a ``ROLES`` dict each), imported when a peer starts.
ROLE_MODULES = ("bench.scale", "bench.floor")


def roles() -> dict[str, Callable[[Spec], None]]:
    """Every role: this module's and those of :data:`ROLE_MODULES`."""
    import importlib

    found = dict(ROLES)
    for name in ROLE_MODULES:
        found.update(importlib.import_module(name).ROLES)
    return found


def main(argv: list[str]) -> int:
    spec: Spec = json.loads(argv[1])
    roles()[spec["role"]](spec)
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    code = main(sys.argv)
    # Skip interpreter teardown (libzmq contexts, lingering threads): the
    # result has been reported, and the harness only waits for the exit.
    os._exit(code)
