"""Scale rows: how cost grows with peers, subscribers, message size and connections.

``python -m bench --pattern scale [--scale CASE ...]`` runs these cases, each
for aiomsg and pyzmq in the same run (and raw-asyncio where it has the shape):

* ``size``: PUSH → PULL over tcp, 16 B to 16 MiB (the throughput peers);
* ``subscribers``: PUB → 1, 4, 16 and 64 SUBs (the fan-out peers, several
  SUB sockets per subscriber process: at most :data:`SUB_PROCESSES` processes);
* ``peers``: a ROUTER receiving from 1, 10, 100 and 1,000 DEALERs (all the
  DEALERs in one process, sending round-robin): aggregate messages per second
  and CPU per message on each side; raw-asyncio's are
  :class:`bench.rawproto.RawRouter` and one ``RawStream`` per DEALER;
* ``connections``: 1,000 DEALERs connect to a ROUTER and each sends one
  message: connections accepted (handshake done, first message delivered) per
  second, and the resident memory each idle connection costs on the bound
  side (per connection) and on the connecting side (per socket).

This module holds the plan of those cases (:func:`plan`), their harness runner
(:func:`scale_run`) and the peer roles of the ``peers`` and ``connections``
cases (:data:`ROLES`); the ``size`` and ``subscribers`` cases reuse the
throughput and fan-out runners and roles.
"""

from __future__ import annotations

import asyncio
import gc
import resource
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench.harness import Endpoints, Params, Run, Session

CASES = ("size", "subscribers", "peers", "connections")
#: Implementations each case supports (raw-asyncio has no handshake to time).
CASE_IMPLS: dict[str, tuple[str, ...]] = {
    "size": ("aiomsg", "aiomsg-uvloop", "pyzmq", "zmq.asyncio", "raw-asyncio"),
    "subscribers": ("aiomsg", "aiomsg-uvloop", "pyzmq", "zmq.asyncio", "raw-asyncio"),
    "peers": ("aiomsg", "aiomsg-uvloop", "pyzmq", "zmq.asyncio", "raw-asyncio"),
    "connections": ("aiomsg", "aiomsg-uvloop", "pyzmq", "zmq.asyncio"),
}
#: What ``--pattern scale`` measures unless ``--impl`` says otherwise.
DEFAULT_IMPLS = ("aiomsg-uvloop", "pyzmq", "raw-asyncio")

SIZES = (16, 256, 4096, 65536, 1 << 20, 16 << 20)
SUBSCRIBERS = (1, 4, 16, 64)
PEERS = (1, 10, 100, 1000)
CONNECTIONS = 1000
#: Subscriber processes at most; more subscribers share them (2 cores here).
SUB_PROCESSES = 4

#: Per-size message counts: bytes budget, floor and cap (full run / --quick). The
#: full counts keep ``--pattern scale`` (three runs each) near three minutes.
SIZE_BUDGET = {"bytes": 128 << 20, "min": 16, "max": 50_000}
QUICK_SIZE_BUDGET = {"bytes": 64 << 20, "min": 8, "max": 20_000}
#: The most payload one size-curve run sends, whatever --count says.
MAX_BYTES = 1 << 30
#: Deliveries per subscribers run (published = deliveries / subscribers, at least the floor).
SUB_DELIVERIES, QUICK_SUB_DELIVERIES, SUB_MIN_PUBLISHED = 100_000, 40_000, 1_000
#: Messages the ROUTER receives per peers run, whatever the number of peers.
#: 200,000 rather than 50,000: a run of 50,000 lasted 20 to 70 ms on the
#: reference machine, within one hiccup of its scheduler, and one
#: implementation's rate with 1,000 DEALERs then varied by 1.6x between the
#: five runs of one row (790 k to 1,310 k msg/s); at 200,000 (130 to 280 ms)
#: by 1.2x (docs/benchmarks.md#scale-rows).
PEER_MESSAGES, QUICK_PEER_MESSAGES = 200_000, 20_000
#: Above this size the size sweep uses a small high-water mark (memory).
LARGE = 1 << 20
LARGE_HWM = 8


def size_count(size: int, quick: bool) -> int:
    budget = QUICK_SIZE_BUDGET if quick else SIZE_BUDGET
    return max(budget["min"], min(budget["max"], budget["bytes"] // size))


def published_count(subscribers: int, quick: bool) -> int:
    deliveries = QUICK_SUB_DELIVERIES if quick else SUB_DELIVERIES
    return max(SUB_MIN_PUBLISHED, deliveries // subscribers)


def plan(
    cases: tuple[str, ...], impls: list[str], quick: bool, count: int | None, skipped: list[str]
) -> list[Params]:
    """The Params of every scale run, in order: case by case, point by point, impl by impl."""
    from bench.harness import Params

    out: list[Params] = []
    for case in cases:
        chosen = [impl for impl in impls if impl in CASE_IMPLS[case]]
        left_out = [impl for impl in impls if impl not in CASE_IMPLS[case]]
        if left_out:
            skipped.append(f"scale {case}: not for {', '.join(left_out)}")
        for impl in chosen:
            if case == "size":
                for size in SIZES:
                    hwm = LARGE_HWM if size >= LARGE else 1000
                    # --count applies, but never past 1 GiB of payload (16 MiB messages).
                    n = min(count or size_count(size, quick), max(16, MAX_BYTES // size))
                    out.append(Params(n, size, "tcp", impl, hwm=hwm, extra=_x(case, size)))
            elif case == "subscribers":
                for subs in SUBSCRIBERS:
                    n = count or published_count(subs, quick)
                    extra = {
                        **_x(case, subs),
                        "subscribers": subs,
                        "processes": min(subs, SUB_PROCESSES),
                    }
                    out.append(Params(n, 16, "tcp", impl, hwm=max(100_000, n + 1000), extra=extra))
            elif case == "peers":
                for peers in PEERS:
                    n = count or (QUICK_PEER_MESSAGES if quick else PEER_MESSAGES)
                    extra = {**_x(case, peers), "peers": peers}
                    out.append(Params(n, 16, "tcp", impl, extra=extra))
            elif case == "connections":
                extra = {**_x(case, CONNECTIONS), "peers": CONNECTIONS}
                out.append(Params(0, 16, "tcp", impl, extra=extra))
    # Group by point so that each implementation's figure sits beside the others'.
    order = {case: i for i, case in enumerate(cases)}
    out.sort(key=lambda p: (order[p.extra["case"]], p.extra["x"]))
    return out


def _x(case: str, x: int) -> dict[str, Any]:
    return {"case": case, "x": x}


# -- harness side -----------------------------------------------------------------------


async def scale_run(p: Params, endpoints: Endpoints, session: Session) -> Run:
    """One run of a scale case (the harness's runner for the ``scale`` pattern)."""
    from bench import harness

    case = p.extra["case"]
    if case == "size":
        return await harness.throughput_run(p, endpoints, session)
    if case == "subscribers":
        return await harness.fanout_run(p, endpoints, session)
    return await router_run(p, endpoints, session)


async def router_run(p: Params, endpoints: Endpoints, session: Session) -> Run:
    """N DEALERs (one process) → one ROUTER: connection phase, then ``count`` messages."""
    from bench.harness import PeerError

    peers = int(p.extra["peers"])
    base = {"impl": p.impl, "count": p.count, "size": p.size, "hwm": p.hwm, "peers": peers}
    router = await session.start(
        "router", {**base, "role": "scale-router", "endpoint": endpoints.bind(p.transport)}
    )
    bound = await router.event("bound")
    dealers = await session.start("dealers", {**base, "role": "scale-dealers", **bound})
    started = await dealers.event("connecting")
    ready = await router.event("ready")
    dealers.tell("go")
    measured = await dealers.event("measured")
    run: Run = {
        "accepts_per_s": peers / max(ready["t_ready"] - started["t_start"], 1e-9),
        "server_kib_per_conn": ready["rss_delta"] / peers / 1024,
        "client_kib_per_socket": measured["rss_delta"] / peers / 1024,
    }
    if p.count:
        got = await router.event("result")
        if got["timed"] < 1 or got["elapsed"] <= 0:
            raise PeerError(f"nothing was timed: {got}")
        dealers.tell("stop")
        sent = await dealers.event("result")
        run.update(
            {
                "msgs_per_s": got["timed"] / got["elapsed"],
                "router_cpu_us": got["cpu"] / got["timed"] * 1e6,
                "dealers_cpu_us": sent["cpu"] / sent["sent"] * 1e6,
            }
        )
        run["raw"] = {"router": got, "dealers": sent, "ready": ready}
    else:
        dealers.tell("stop")
        run["raw"] = {"ready": ready, "dealers": measured}
    return run


# -- peer roles -------------------------------------------------------------------------


def raise_fd_limit(wanted: int) -> int:
    """Raise RLIMIT_NOFILE towards *wanted* (at most the hard limit); the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        new = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
        soft = new
    return int(soft)


def _settled_rss() -> int:
    from bench.peers import rss_bytes

    gc.collect()
    return rss_bytes()


HELLO = b"h"


def scale_router(spec: dict[str, Any]) -> None:
    """Bind a ROUTER; report ``ready`` once every DEALER's hello arrived, then time ``count``."""
    from bench.peers import emit, new_context, run_async

    impl, peers, count = spec["impl"], spec["peers"], spec["count"]
    raise_fd_limit(peers * 3 + 256)
    if impl == "pyzmq":
        import zmq

        ctx = zmq.Context()
        ctx.max_sockets = peers + 64
        sock = ctx.socket(zmq.ROUTER)
        sock.rcvhwm = spec["hwm"]
        sock.linger = 0
        sock.bind(spec["endpoint"])
        rss0 = _settled_rss()
        emit("bound", endpoint=sock.getsockopt_string(zmq.LAST_ENDPOINT))
        recv = sock.recv_multipart
        for _ in range(peers):
            recv()
        t_ready = time.monotonic()
        emit("ready", t_ready=t_ready, rss_delta=_settled_rss() - rss0)
        if count:
            recv()
            t0, c0 = time.perf_counter(), time.process_time()
            for _ in range(count - 1):
                recv()
            elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
            emit("result", elapsed=elapsed, cpu=cpu, received=count, timed=count - 1)
        sock.close()
        ctx.term()
        return

    async def main() -> None:
        if impl == "raw-asyncio":
            from bench.rawproto import RawRouter, start_raw_server

            server = await start_raw_server(
                spec["endpoint"], spec["hwm"], backlog=peers + 128, kind=RawRouter
            )
            assert isinstance(server, RawRouter)
            endpoint, recv, close = server.address, server.recv, server.close
        else:
            sock = _async_socket(impl, new_context(impl), "ROUTER", spec["hwm"])
            endpoint = await _bind(impl, sock, spec["endpoint"])
            recv, close = sock.recv_multipart, lambda: _close(impl, sock)
        rss0 = _settled_rss()
        emit("bound", endpoint=endpoint)
        for _ in range(peers):
            await recv()
        t_ready = time.monotonic()
        emit("ready", t_ready=t_ready, rss_delta=_settled_rss() - rss0)
        if count:
            await recv()
            t0, c0 = time.perf_counter(), time.process_time()
            for _ in range(count - 1):
                await recv()
            elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
            emit("result", elapsed=elapsed, cpu=cpu, received=count, timed=count - 1)
        close()

    run_async(impl, main)


def scale_dealers(spec: dict[str, Any]) -> None:
    """Open ``peers`` DEALERs, connect them all, then a hello on each; on ``go`` send
    ``count`` messages round-robin; on ``stop`` report (and stay connected until then)."""
    from bench.peers import Control, emit, new_context, payload, run_async

    impl, peers, count, size = spec["impl"], spec["peers"], spec["count"], spec["size"]
    control = Control()
    raise_fd_limit(peers * 3 + 256)
    message = payload(size)
    if impl == "pyzmq":
        import zmq

        ctx = zmq.Context()
        ctx.max_sockets = peers + 64
        rss0 = _settled_rss()
        t_start = time.monotonic()
        emit("connecting", t_start=t_start)
        socks = []
        for _ in range(peers):
            sock = ctx.socket(zmq.DEALER)
            sock.sndhwm = spec["hwm"]
            sock.linger = 0
            sock.connect(spec["endpoint"])
            socks.append(sock)
        for sock in socks:
            sock.send(HELLO)
        control.wait_blocking("go")
        emit("measured", rss_delta=_settled_rss() - rss0)
        c0 = time.process_time()
        for i in range(count):
            socks[i % peers].send(message)
        control.wait_blocking("stop")
        emit("result", cpu=time.process_time() - c0, sent=count)
        for sock in socks:
            sock.close()
        ctx.term()
        return

    async def main() -> None:
        ctx = new_context(impl)
        rss0 = _settled_rss()
        t_start = time.monotonic()
        emit("connecting", t_start=t_start)
        socks: list[Any] = []
        for _ in range(peers):
            if impl == "raw-asyncio":
                from bench.rawproto import open_raw_connection

                socks.append(await open_raw_connection(spec["endpoint"], spec["hwm"]))
                continue
            sock = _async_socket(impl, ctx, "DEALER", spec["hwm"])
            await _connect(impl, sock, spec["endpoint"])
            socks.append(sock)
        for sock in socks:
            await sock.send(HELLO)
        await control.wait("go")
        emit("measured", rss_delta=_settled_rss() - rss0)
        c0 = time.process_time()
        for i in range(count):
            await socks[i % peers].send(message)
        await control.wait("stop")
        emit("result", cpu=time.process_time() - c0, sent=count)
        for sock in socks:
            _close(impl, sock)

    run_async(impl, main)


def _async_socket(impl: str, ctx: Any, kind: str, hwm: int) -> Any:
    from bench.peers import FAMILY

    if FAMILY[impl] == "aiomsg":
        import aiomsg

        return ctx.socket(getattr(aiomsg, kind), sndhwm=hwm, rcvhwm=hwm, linger=0)
    import zmq

    ctx.max_sockets = max(ctx.max_sockets, 4096)
    sock = ctx.socket(getattr(zmq, kind))
    sock.sndhwm = sock.rcvhwm = hwm
    sock.linger = 0
    return sock


async def _bind(impl: str, sock: Any, endpoint: str) -> str:
    from bench.peers import FAMILY

    if FAMILY[impl] == "aiomsg":
        return str(await sock.bind(endpoint))
    import zmq

    sock.bind(endpoint)
    return str(sock.getsockopt_string(zmq.LAST_ENDPOINT))


async def _connect(impl: str, sock: Any, endpoint: str) -> None:
    from bench.peers import FAMILY

    if FAMILY[impl] == "aiomsg":
        await sock.connect(endpoint)
    else:
        sock.connect(endpoint)
    await asyncio.sleep(0)


def _close(impl: str, sock: Any) -> None:
    if impl == "raw-asyncio":
        sock.transport.close()  # a RawStream; its peer is gone by now
    else:
        sock.close(0)


ROLES = {"scale-router": scale_router, "scale-dealers": scale_dealers}
