"""``python -m bench``: run the benchmark matrix, print the report, save JSON and a chart.

``python -m bench codec`` runs the socket-free codec micro-benchmarks instead
(see :mod:`bench.codec`), ``python -m bench floor`` the per-message floor
of the await shape (see :mod:`bench.floor`), and ``python -m bench multicast``
the epgm rows (see :mod:`bench.multicast`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import floor, report, scale
from bench.harness import ROOT, Endpoints, Params, measure_rounds
from bench.report import FLOOR

IMPLS = ("aiomsg", "aiomsg-uvloop", "aiomsg-batch", "pyzmq", "zmq.asyncio", "raw-asyncio")
PATTERNS = ("throughput", "latency", "fanout", "memory", "curve", "scale")
TRANSPORTS = ("tcp", "ipc", "inproc")
DEFAULT_SIZES = (16, 1024, 65536)

#: Messages per throughput run, by size (full run / --quick).
THROUGHPUT_COUNTS = {16: 200_000, 1024: 100_000, 65536: 10_000}
QUICK_THROUGHPUT_COUNTS = {16: 20_000, 1024: 10_000, 65536: 1_000}
LATENCY_COUNT, QUICK_LATENCY_COUNT = 10_000, 2_000
FANOUT_COUNT, QUICK_FANOUT_COUNT = 50_000, 10_000
#: Memory case (a): messages the PUB sends to a SUB that never reads.
MEMORY_PUB_COUNT = 1_000_000
#: Memory case (b): how long the PUSH keeps retrying NOBLOCK sends after Again.
MEMORY_PUSH_SECONDS, QUICK_MEMORY_PUSH_SECONDS = 2.0, 1.0
MESSAGE_SIZE_SMALL = 16
#: CURVE PUSH → PULL over tcp: sizes and messages per run (full / --quick).
CURVE_SIZES = (16, 1024)
CURVE_COUNTS = {16: 50_000, 1024: 25_000}
QUICK_CURVE_COUNTS = {16: 10_000, 1024: 5_000}
#: Implementations the CURVE rows support, and those measured unless --impl says.
CURVE_IMPLS = ("aiomsg", "aiomsg-uvloop", "pyzmq", "zmq.asyncio")
CURVE_DEFAULT_IMPLS = ("aiomsg-uvloop", "pyzmq")

DEFAULT_JSON = ROOT / "bench" / "results" / "latest.json"
DEFAULT_CHART = ROOT / "bench" / "results" / "chart.png"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="aiomsg vs pyzmq, zmq.asyncio and raw asyncio: throughput, latency, "
        "fan-out, memory, CURVE and the scale curves, each peer in its own process. "
        "'python -m bench codec --help' for the codec micro-benchmarks, "
        "'python -m bench floor --help' for the per-message floor of the await shape.",
    )
    parser.add_argument(
        "--pattern", choices=(*PATTERNS, "all"), default="all", help="what to measure"
    )
    parser.add_argument(
        "--scale",
        action="append",
        choices=scale.CASES,
        help="scale case for --pattern scale/all (repeatable; default all: "
        + ", ".join(scale.CASES)
        + ")",
    )
    parser.add_argument(
        "--transport",
        action="append",
        choices=(*TRANSPORTS, "ws", "all"),
        help="repeatable (default all; ws on its own); fan-out, memory, CURVE and the "
        "scale rows always use tcp",
    )
    parser.add_argument(
        "--size",
        type=int,
        action="append",
        help="throughput message size in bytes (repeatable; default 16, 1024, 65536)",
    )
    parser.add_argument(
        "--count",
        type=int,
        help="messages per throughput, CURVE, fan-out and scale run, round trips per latency "
        "run (default depends on size and pattern; the memory and connections cases keep "
        "their own)",
    )
    parser.add_argument(
        "--impl",
        action="append",
        choices=IMPLS,
        help="implementation (repeatable; default all, except CURVE: aiomsg-uvloop and pyzmq, "
        "and the scale rows: aiomsg-uvloop, pyzmq and raw-asyncio where it applies)",
    )
    parser.add_argument("--repeat", type=int, help="runs per measurement (median; default 3)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small counts, one run each (about three minutes for everything)",
    )
    parser.add_argument("--timeout", type=float, help="seconds allowed per run (default 60)")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write JSON")
    parser.add_argument("--chart", type=Path, default=DEFAULT_CHART, help="where to write PNG")
    parser.add_argument("--no-chart", action="store_true", help="do not draw the chart")
    args = parser.parse_args(argv)
    if args.count is not None and args.count < 2:
        parser.error("--count must be at least 2")
    if args.size and any(size < 1 for size in args.size):
        parser.error("--size must be at least 1")
    # One --transport or several: args.transports holds the selection, and
    # args.transport names it ("all", one transport, or several joined by "+").
    chosen = tuple(dict.fromkeys(args.transport or ["all"]))
    if "ws" in chosen and len(chosen) > 1:
        parser.error("--transport ws runs on its own")
    args.transports = TRANSPORTS if "all" in chosen else chosen
    args.transport = "all" if "all" in chosen else "+".join(chosen)
    return args


@dataclass
class Item:
    pattern: str
    params: Params


def batch_available() -> bool:
    import aiomsg

    return hasattr(aiomsg.Socket, "send_many") and hasattr(aiomsg.Socket, "recv_many")


def plan(args: argparse.Namespace, skipped: list[str]) -> list[Item]:
    patterns = PATTERNS if args.pattern == "all" else (args.pattern,)
    transports = args.transports
    impls = list(dict.fromkeys(args.impl or IMPLS))
    if "aiomsg-batch" in impls and not batch_available():
        impls.remove("aiomsg-batch")
        skipped.append("aiomsg-batch: aiomsg.Socket has no send_many/recv_many")
    sizes = tuple(dict.fromkeys(args.size or DEFAULT_SIZES))
    quick = args.quick
    items: list[Item] = []

    def impls_for(transport: str, pattern: str) -> list[str]:
        chosen = []
        for impl in impls:
            # raw-asyncio's inproc is a channel for throughput (RawChannel),
            # with no REQ/REP shape of its own.
            if impl == "raw-asyncio" and transport == "inproc" and pattern != "throughput":
                continue
            if impl == "aiomsg-batch" and pattern != "throughput":
                continue
            chosen.append(impl)
        return chosen

    if "raw-asyncio" in impls and "inproc" in transports and "latency" in patterns:
        skipped.append("raw-asyncio over inproc latency: its channel has no REQ/REP shape")
    if "throughput" in patterns:
        counts = QUICK_THROUGHPUT_COUNTS if quick else THROUGHPUT_COUNTS
        # Size by size, each over every transport: inproc's target compares
        # it with tcp at 16 B, and rounds() measures a size's rows together.
        for size in sizes:
            count = args.count or counts.get(size) or scale.size_count(size, quick)
            # Large messages: a small high-water mark keeps the queues' memory bounded.
            hwm = scale.LARGE_HWM if size >= scale.LARGE else 1000
            for transport in transports:
                for impl in impls_for(transport, "throughput"):
                    items.append(Item("throughput", Params(count, size, transport, impl, hwm=hwm)))
                if transport == "inproc" and args.impl is None:
                    # The floor the inproc target is read against
                    # (report.references), in the rows' own rounds.
                    items.append(Item("throughput", Params(count, size, transport, FLOOR, hwm=hwm)))
    if "latency" in patterns:
        count = args.count or (QUICK_LATENCY_COUNT if quick else LATENCY_COUNT)
        warmup = min(500, max(50, count // 10))
        for transport in transports:
            for impl in impls_for(transport, "latency"):
                items.append(
                    Item(
                        "latency",
                        Params(count, MESSAGE_SIZE_SMALL, transport, impl, warmup=warmup),
                    )
                )
    if "fanout" in patterns:
        if "tcp" in transports:
            count = args.count or (QUICK_FANOUT_COUNT if quick else FANOUT_COUNT)
            for impl in impls_for("tcp", "fanout"):
                hwm = max(100_000, count + 1000)
                items.append(
                    Item("fanout", Params(count, MESSAGE_SIZE_SMALL, "tcp", impl, hwm=hwm))
                )
        else:
            skipped.append("fanout: runs over tcp only (not selected)")
    if "memory" in patterns:
        mem_impls = [i for i in impls if i in ("aiomsg", "aiomsg-uvloop")]
        if "tcp" not in transports:
            skipped.append("memory: runs over tcp only (not selected)")
        elif not mem_impls:
            skipped.append("memory: measures aiomsg / aiomsg-uvloop only (not selected)")
        duration = QUICK_MEMORY_PUSH_SECONDS if quick else MEMORY_PUSH_SECONDS
        for impl in mem_impls if "tcp" in transports else []:
            items.append(
                Item(
                    "memory",
                    Params(
                        MEMORY_PUB_COUNT,
                        MESSAGE_SIZE_SMALL,
                        "tcp",
                        impl,
                        extra={"case": "pub-unread-sub"},
                    ),
                )
            )
            items.append(
                Item(
                    "memory",
                    Params(
                        MEMORY_PUB_COUNT,
                        MESSAGE_SIZE_SMALL,
                        "tcp",
                        impl,
                        duration=duration,
                        extra={"case": "push-stalled-pull"},
                    ),
                )
            )
    if "curve" in patterns:
        items += plan_curve(args, skipped)
    if "scale" in patterns:
        items += plan_scale(args, skipped)
    return items


def curve_keys() -> dict[str, str] | None:
    """A server and a client CURVE key pair (Z85 text), or None without CURVE support."""
    try:
        import aiomsg

        if not aiomsg.has_curve():
            return None
        server_public, server_secret = aiomsg.curve_keypair()
        client_public, client_secret = aiomsg.curve_keypair()
    except (ImportError, RuntimeError):
        return None
    return {
        "server_public": server_public.decode(),
        "server_secret": server_secret.decode(),
        "client_public": client_public.decode(),
        "client_secret": client_secret.decode(),
    }


def plan_curve(args: argparse.Namespace, skipped: list[str]) -> list[Item]:
    """CURVE PUSH → PULL over tcp at 16 B and 1 KiB."""
    impls = [i for i in dict.fromkeys(args.impl or CURVE_DEFAULT_IMPLS) if i in CURVE_IMPLS]
    if "tcp" not in args.transports:
        skipped.append("curve: runs over tcp only (not selected)")
        return []
    if not impls:
        skipped.append("curve: measures " + ", ".join(CURVE_IMPLS) + " only (none selected)")
        return []
    keys = curve_keys()
    if keys is None:
        skipped.append("curve: aiomsg has no CURVE here (pip install pynacl)")
        return []
    counts = QUICK_CURVE_COUNTS if args.quick else CURVE_COUNTS
    items = []
    for size in CURVE_SIZES:
        count = args.count or counts[size]
        items += [
            Item("curve", Params(count, size, "tcp", impl, extra={"spec": {"curve": keys}}))
            for impl in impls
        ]
        if size <= floor.FRAME_BODY_MAX and args.impl is None:
            # The floor the 16 B target is read against
            # (report.curve_floor_table), in the rows' own rounds.
            items.append(Item("curve", Params(count, size, "tcp", FLOOR)))
    return items


def plan_scale(args: argparse.Namespace, skipped: list[str]) -> list[Item]:
    """The scale curves (:mod:`bench.scale`), over tcp."""
    if "tcp" not in args.transports:
        skipped.append("scale: runs over tcp only (not selected)")
        return []
    cases = tuple(dict.fromkeys(args.scale or scale.CASES))
    impls = list(dict.fromkeys(args.impl or scale.DEFAULT_IMPLS))
    return [
        Item("scale", params)
        for params in scale.plan(cases, impls, args.quick, args.count, skipped)
    ]


def _headline(result: dict[str, Any]) -> str:
    if not result["ok"]:
        return "FAILED: " + (result["errors"][0] if result["errors"] else "?")[:160]
    m = result["metrics"]
    pattern = result["pattern"]
    if pattern == "throughput":
        return f"{m['msgs_per_s']:>12,.0f} msg/s {m['mb_per_s']:>9,.1f} MB/s"
    if pattern == "latency":
        return f"median {m['median_us']:8,.1f} µs  p99 {m['p99_us']:8,.1f} µs"
    if pattern == "fanout":
        return f"{m['msgs_per_s']:>12,.0f} msg/s delivered, lost {m['lost']:,.0f}"
    if pattern == "curve" and result["impl"] == FLOOR:
        return f"seal frame {m['seal_frame_ns']:,.0f} ns, open frame {m['open_frame_ns']:,.0f} ns"
    if pattern == "curve":
        return f"{m['msgs_per_s']:>12,.0f} msg/s {m['mb_per_s']:>9,.1f} MB/s (CURVE)"
    if pattern == "scale":
        return report.scale_headline(result)
    if "growth_mib" not in m:
        return ", ".join(f"{k} {v:,.1f}" for k, v in m.items() if isinstance(v, (int, float)))
    return f"RSS growth {m['growth_mib']:.1f} MiB (worst {m['growth_mib_worst']:.1f})"


def machine_info() -> dict[str, Any]:
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "loadavg_start": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }
    info["summary"] = (
        f"{info['platform']}, Python {info['python']}, {info['cpu_count']} CPUs ({cpu}), "
        f"load average at start {', '.join(f'{x:.2f}' for x in info['loadavg_start'] or ())}"
    )
    return info


def versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    import aiomsg

    found["aiomsg"] = aiomsg.__version__
    try:
        import zmq

        found["pyzmq"] = zmq.__version__
        found["libzmq"] = zmq.zmq_version()
    except ImportError:
        found["pyzmq"] = found["libzmq"] = None
    for name in ("uvloop", "msgspec", "matplotlib"):
        try:
            module = __import__(name)
            found[name] = str(getattr(module, "__version__", "?"))
        except ImportError:
            found[name] = None
    return found


def rounds(items: list[Item]) -> list[list[Item]]:
    """The plan cut into groups measured in rounds (``measure_rounds``):
    each run of the items that a target or a chart puts side by side, those
    of one pattern, message size and case next to each other in the plan
    (every implementation and transport of a row; every point of a scale
    curve), is followed by one of each of the others before the next."""
    groups: list[list[Item]] = []
    key: tuple[object, ...] | None = None
    for item in items:
        p = item.params
        # A scale curve's points are its x (the size curve's too): one group.
        this = (item.pattern, p.extra.get("case"), None if item.pattern == "scale" else p.size)
        if groups and this == key:
            groups[-1].append(item)
        else:
            groups.append([item])
            key = this
    return groups


async def run_plan(items: list[Item], repeat: int, timeout: float) -> list[dict[str, Any]]:
    endpoints = Endpoints()
    results = []
    try:
        width = len(str(len(items)))
        for group in rounds(items):
            measured = [(item.pattern, item.params) for item in group]
            for item, result in zip(
                group, await measure_rounds(measured, repeat, timeout, endpoints), strict=True
            ):
                results.append(result)
                p = item.params
                what = report.what_label(item.pattern, p.size, p.extra)
                print(
                    f"[{len(results):>{width}}/{len(items)}] {item.pattern:<10} {p.transport:<6} "
                    f"{what:<17} {p.impl:<13} {_headline(result)} "
                    f"({result['runs_ok']}/{result['runs_total']} runs, "
                    f"{result['seconds']:.1f} s)",
                    file=sys.stderr,
                    flush=True,
                )
    finally:
        endpoints.cleanup()
    return results


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["codec"]:
        from bench import codec

        return codec.main(argv[1:])
    if argv[:1] == ["floor"]:
        return floor.main(argv[1:])
    if argv[:1] == ["multicast"]:
        from bench import multicast

        return multicast.main(argv[1:])
    args = parse_args(argv)
    if args.transport == "ws":  # its own rows and peers: bench/ws.py
        from bench import ws

        return ws.main(args)
    repeat = args.repeat or (1 if args.quick else 3)
    timeout = args.timeout or (30.0 if args.quick else 60.0)
    skipped: list[str] = []
    items = plan(args, skipped)
    for note in skipped:
        print(f"skipped: {note}", file=sys.stderr)
    if not items:
        print("nothing to measure with these options", file=sys.stderr)
        return 2
    print(
        f"{len(items)} measurements x {repeat} run(s), each run limited to {timeout:.0f} s",
        file=sys.stderr,
        flush=True,
    )
    meta: dict[str, Any] = {"machine": machine_info(), "versions": versions(), "skipped": skipped}
    started = time.time()
    results = asyncio.run(run_plan(items, repeat, timeout))
    meta["machine"]["loadavg_end"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    meta["elapsed_s"] = time.time() - started
    meta["started"] = time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started))
    text = report.markdown(results, meta)
    print(text)
    document = {
        "meta": meta,
        "parameters": {
            "argv": argv,
            "pattern": args.pattern,
            "transport": args.transport,
            "sizes": args.size or list(DEFAULT_SIZES),
            "scale": args.scale or list(scale.CASES),
            "count": args.count,
            "impls": args.impl or list(IMPLS),
            "repeat": repeat,
            "quick": args.quick,
            "timeout_s": timeout,
            "plan": [
                {
                    "pattern": item.pattern,
                    "transport": item.params.transport,
                    "size": item.params.size,
                    "impl": item.params.impl,
                    "count": item.params.count,
                    "hwm": item.params.hwm,
                    # CURVE keys are throwaway, but there is no need to publish them.
                    **{k: v for k, v in item.params.extra.items() if k != "spec"},
                }
                for item in items
            ],
        },
        "results": results,
        "targets": [t.as_dict() for t in report.targets(results)],
        "report_markdown": text,
    }
    report.write_json(args.json, document)
    print(f"JSON written to {args.json}", file=sys.stderr)
    if not args.no_chart:
        print(report.write_chart(args.chart, results), file=sys.stderr)
    return 0 if all(r["ok"] for r in results) else 1
