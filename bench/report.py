"""The results as a markdown report (tables, ratios, targets), JSON and a PNG chart."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Result = dict[str, Any]

#: The aiomsg figures the targets are checked with: uvloop, per-message API.
HEADLINE = "aiomsg-uvloop"
BASELINES = ("zmq.asyncio", "pyzmq", "raw-asyncio")
#: The ceiling: the same per-message await shape with no library around it.
CEILING = "raw-asyncio"
#: The floors (bench/floor.py), an impl of their own, each measured in the
#: same rounds as the rows it is read against: the CURVE rows' (the pieces
#: of a frame's work, bench.harness.curve_run) and the inproc rows'
#: (InprocFloor: the least per-message work of ZeroMQ's semantics).
FLOOR = "floor"


def size_label(size: int) -> str:
    if size >= 1 << 20 and size % (1 << 20) == 0:
        return f"{size >> 20} MiB"
    if size >= 1024 and size % 1024 == 0:
        return f"{size // 1024} KiB"
    return f"{size} B"


#: What the x of each scale case counts.
SCALE_X = {
    "size": "message size",
    "subscribers": "subscribers",
    "peers": "DEALERs",
    "connections": "connections",
}


#: The CPU figure the chart draws for each scale case, and whose it is.
SCALE_CPU = {
    "size": ("recv_cpu_us", "receiver"),
    "subscribers": ("pub_cpu_us", "publisher"),
    "peers": ("router_cpu_us", "ROUTER"),
}


def what_label(pattern: str, size: int, extra: dict[str, Any]) -> str:
    """Short label of one measurement for the progress lines."""
    if pattern == "scale":
        case, x = extra.get("case"), extra.get("x")
        if case == "size":
            return f"size {size_label(int(x or size))}"
        return f"{x} {SCALE_X.get(str(case), str(case))}"
    if pattern == "curve":
        return f"{size_label(size)} CURVE"
    return str(extra.get("case") or size_label(size))


def scale_headline(result: dict[str, Any]) -> str:
    """The progress line's figure for a scale run."""
    m = result["metrics"]
    case = result.get("case")
    if case == "connections":
        return (
            f"{m.get('accepts_per_s') or 0:>9,.0f} accepts/s, "
            f"{m.get('server_kib_per_conn') or 0:.1f} KiB/conn (bound side)"
        )
    if case == "subscribers":
        return f"{m.get('msgs_per_s') or 0:>12,.0f} msg/s delivered, lost {m.get('lost') or 0:,.0f}"
    if case == "size":
        return f"{m.get('msgs_per_s') or 0:>12,.0f} msg/s {m.get('mb_per_s') or 0:>9,.1f} MB/s"
    return f"{m.get('msgs_per_s') or 0:>12,.0f} msg/s at the ROUTER"


def _num(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    if digits == 0:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"


def _ratio(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.2f}x" if value < 10 else f"{value:.1f}x"


def _runs(result: Result) -> str:
    text = f"{result['runs_ok']}/{result['runs_total']}"
    return text if result["ok"] else f"{text} FAILED"


def find(
    results: list[Result],
    pattern: str,
    impl: str,
    transport: str | None = None,
    size: int | None = None,
    case: str | None = None,
    x: int | None = None,
) -> Result | None:
    for result in results:
        if (
            result["pattern"] == pattern
            and result["impl"] == impl
            and (transport is None or result["transport"] == transport)
            and (size is None or result["size"] == size)
            and (case is None or result["case"] == case)
            and (x is None or result.get("x") == x)
            and result["ok"]
        ):
            return result
    return None


def metric(result: Result | None, key: str) -> float | None:
    if result is None:
        return None
    value = result["metrics"].get(key)
    return float(value) if isinstance(value, (int, float)) else None


def ratio_to(results: list[Result], result: Result, baseline: str, key: str) -> float | None:
    """*result*'s *key* divided by the same measurement of *baseline* in this run."""
    if not result["ok"]:
        return None
    other = find(
        results,
        result["pattern"],
        baseline,
        result["transport"],
        result["size"],
        result.get("case"),
        result.get("x"),
    )
    mine, theirs = metric(result, key), metric(other, key)
    if mine is None or not theirs:
        return None
    return mine / theirs


# -- tables ------------------------------------------------------------------------------


def _vs(results: list[Result], result: Result, key: str, *baselines: str) -> list[str]:
    """The ratio cells of *result*'s *key* to each baseline's, in order."""
    return [_ratio(ratio_to(results, result, baseline, key)) for baseline in baselines]


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    align = ["---:" if i >= 3 else "---" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def throughput_table(results: list[Result]) -> list[str]:
    rows = []
    # Transport by transport, in the order they first appear, as the table
    # reads best; the plan measures size by size (bench.cli.plan).
    order = list(dict.fromkeys(r["transport"] for r in results))
    measured = sorted(
        (r for r in results if r["pattern"] == "throughput"),
        key=lambda r: order.index(r["transport"]),
    )
    for r in measured:
        m = r["metrics"]
        rows.append(
            [
                r["transport"],
                size_label(r["size"]),
                r["impl"],
                _num(m.get("msgs_per_s")),
                _num(m.get("mb_per_s"), 1),
                _num(m.get("send_cpu_us"), 2),
                _num(m.get("recv_cpu_us"), 2),
                _num(m.get("cpu_total_us"), 2),
                *_vs(results, r, "msgs_per_s", "zmq.asyncio", "pyzmq", CEILING),
                _runs(r),
            ]
        )
    header = [
        "transport",
        "size",
        "impl",
        "msgs/s",
        "MB/s",
        "snd CPU µs/msg",
        "rcv CPU µs/msg",
        "total CPU µs/msg",
        "vs zmq.asyncio",
        "vs pyzmq",
        "vs raw-asyncio",
        "runs",
    ]
    return _table(header, rows) if rows else []


def latency_table(results: list[Result]) -> list[str]:
    rows = []
    for r in results:
        if r["pattern"] != "latency":
            continue
        m = r["metrics"]
        rows.append(
            [
                r["transport"],
                size_label(r["size"]),
                r["impl"],
                _num(m.get("median_us"), 1),
                _num(m.get("p99_us"), 1),
                _num(m.get("p999_us"), 1),
                _num(m.get("client_cpu_us"), 1),
                *_vs(results, r, "median_us", "zmq.asyncio", "pyzmq", CEILING),
                _runs(r),
            ]
        )
    header = [
        "transport",
        "size",
        "impl",
        "median µs",
        "p99 µs",
        "p99.9 µs",
        "client CPU µs/rt",
        "median vs zmq.asyncio",
        "median vs pyzmq",
        "median vs raw-asyncio",
        "runs",
    ]
    return _table(header, rows) if rows else []


def fanout_table(results: list[Result]) -> list[str]:
    rows = []
    for r in results:
        if r["pattern"] != "fanout":
            continue
        m = r["metrics"]
        lost = m.get("lost")
        rows.append(
            [
                r["transport"],
                size_label(r["size"]),
                r["impl"],
                _num(m.get("msgs_per_s")),
                "—" if lost is None else f"{lost:,.0f} ({m.get('loss_pct', 0.0):.2f}%)",
                _num(m.get("lost_total")),
                _num(m.get("pub_cpu_us"), 2),
                _num(m.get("sub_cpu_us"), 2),
                *_vs(results, r, "msgs_per_s", "zmq.asyncio", "pyzmq", CEILING),
                _runs(r),
            ]
        )
    header = [
        "transport",
        "size",
        "impl",
        "delivered msgs/s (4 subs)",
        "lost (median run)",
        "lost (all runs)",
        "pub CPU µs/msg",
        "sub CPU µs/msg",
        "vs zmq.asyncio",
        "vs pyzmq",
        "vs raw-asyncio",
        "runs",
    ]
    return _table(header, rows) if rows else []


def curve_table(results: list[Result]) -> list[str]:
    rows = []
    for r in results:
        if r["pattern"] != "curve" or r["impl"] == FLOOR:
            continue  # the floor's pieces: curve_floor_table
        m = r["metrics"]
        rows.append(
            [
                r["transport"],
                size_label(r["size"]),
                r["impl"],
                _num(m.get("msgs_per_s")),
                _num(m.get("mb_per_s"), 1),
                _num(m.get("send_cpu_us"), 2),
                _num(m.get("recv_cpu_us"), 2),
                _ratio(ratio_to(results, r, "pyzmq", "msgs_per_s")),
                _ratio(
                    _over(r, find(results, "throughput", r["impl"], "tcp", r["size"]), "msgs_per_s")
                ),
                _runs(r),
            ]
        )
    header = [
        "transport",
        "size",
        "impl",
        "msgs/s",
        "MB/s",
        "snd CPU µs/msg",
        "rcv CPU µs/msg",
        "vs pyzmq CURVE",
        "vs own NULL",
        "runs",
    ]
    return _table(header, rows) if rows else []


def curve_floor_rate(results: list[Result], null_impl: str, size: int) -> float | None:
    """The CURVE floor at *size*, in messages per second: each side's CPU per
    message in *null_impl*'s NULL tcp row of that size plus that side's whole
    frame work (the floor row's ``seal frame`` / ``open frame``), the slower
    side setting the rate. None when either row is missing."""
    floor = find(results, "curve", FLOOR, "tcp", size)
    null = find(results, "throughput", null_impl, "tcp", size)
    send, recv = metric(null, "send_cpu_us"), metric(null, "recv_cpu_us")
    seal, unseal = metric(floor, "seal_frame_ns"), metric(floor, "open_frame_ns")
    if send is None or recv is None or seal is None or unseal is None:
        return None
    return 1e9 / max(send * 1000 + seal, recv * 1000 + unseal)


def curve_floor_table(results: list[Result]) -> list[str]:
    """The floor rows' pieces (ns per message) and the rate each NULL path allows."""
    rows = []
    for r in results:
        if r["pattern"] != "curve" or r["impl"] != FLOOR:
            continue
        m = r["metrics"]
        rates = [curve_floor_rate(results, impl, r["size"]) for impl in (HEADLINE, CEILING)]
        theirs = metric(find(results, "curve", "pyzmq", "tcp", r["size"]), "msgs_per_s")
        rows.append(
            [
                size_label(r["size"]),
                *(_num(m.get(f"{piece}_ns")) for piece in ("seal", "open", "seal_frame", "open_frame")),
                *(_num(rate) for rate in rates),
                *(_ratio(rate / theirs if rate and theirs else None) for rate in rates),
                _runs(r),
            ]
        )
    header = [
        "size",
        "seal ns",
        "open ns",
        "seal frame ns",
        "open frame ns",
        f"floor msgs/s on {HEADLINE} NULL",
        f"floor msgs/s on {CEILING} NULL",
        f"{HEADLINE} floor vs pyzmq CURVE",
        f"{CEILING} floor vs pyzmq CURVE",
        "runs",
    ]
    return _table(header, rows) if rows else []


def _scale_results(results: list[Result], case: str) -> list[Result]:
    return [r for r in results if r["pattern"] == "scale" and r.get("case") == case]


def scale_size_table(results: list[Result]) -> list[str]:
    rows = []
    for r in _scale_results(results, "size"):
        m = r["metrics"]
        rows.append(
            [
                size_label(r["size"]),
                r["impl"],
                _num(r["count"]),
                _num(m.get("msgs_per_s")),
                _num(m.get("mb_per_s"), 1),
                _num(m.get("send_cpu_us"), 2),
                _num(m.get("recv_cpu_us"), 2),
                *_vs(results, r, "msgs_per_s", "pyzmq", CEILING),
                _runs(r),
            ]
        )
    header = [
        "size",
        "impl",
        "messages",
        "msgs/s",
        "MB/s",
        "snd CPU µs/msg",
        "rcv CPU µs/msg",
        "vs pyzmq",
        "vs raw-asyncio",
        "runs",
    ]
    return _table(header, rows) if rows else []


def scale_subscribers_table(results: list[Result]) -> list[str]:
    rows = []
    for r in _scale_results(results, "subscribers"):
        m = r["metrics"]
        rows.append(
            [
                str(r.get("x")),
                r["impl"],
                _num(m.get("msgs_per_s")),
                _num(m.get("published_per_s")),
                _num(m.get("pub_cpu_us"), 2),
                _num(m.get("sub_cpu_us"), 2),
                _num(m.get("lost")),
                *_vs(results, r, "msgs_per_s", "pyzmq", CEILING),
                _runs(r),
            ]
        )
    header = [
        "subscribers",
        "impl",
        "delivered msgs/s",
        "published msgs/s",
        "pub CPU µs/msg",
        "sub CPU µs/delivery",
        "lost",
        "vs pyzmq",
        "vs raw-asyncio",
        "runs",
    ]
    return _table(header, rows) if rows else []


def scale_peers_table(results: list[Result]) -> list[str]:
    rows = []
    for r in _scale_results(results, "peers"):
        m = r["metrics"]
        one = find(results, "scale", r["impl"], case="peers", x=1)
        rows.append(
            [
                str(r.get("x")),
                r["impl"],
                _num(m.get("msgs_per_s")),
                _num(m.get("router_cpu_us"), 2),
                _num(m.get("dealers_cpu_us"), 2),
                _ratio(_over(r, one, "msgs_per_s")),
                _ratio(ratio_to(results, r, "pyzmq", "msgs_per_s")),
                _runs(r),
            ]
        )
    header = [
        "DEALERs",
        "impl",
        "ROUTER msgs/s (aggregate)",
        "ROUTER CPU µs/msg",
        "DEALERs CPU µs/msg",
        "vs 1 DEALER",
        "vs pyzmq",
        "runs",
    ]
    return _table(header, rows) if rows else []


def scale_connections_table(results: list[Result]) -> list[str]:
    rows = []
    for r in _scale_results(results, "connections"):
        m = r["metrics"]
        rows.append(
            [
                str(r.get("x")),
                r["impl"],
                _num(m.get("accepts_per_s")),
                _num(m.get("server_kib_per_conn"), 1),
                _num(m.get("client_kib_per_socket"), 1),
                _ratio(ratio_to(results, r, "pyzmq", "accepts_per_s")),
                _ratio(ratio_to(results, r, "pyzmq", "server_kib_per_conn")),
                _runs(r),
            ]
        )
    header = [
        "connections",
        "impl",
        "accepted/s",
        "KiB per idle connection (bound side)",
        "KiB per connecting socket",
        "accepts vs pyzmq",
        "memory vs pyzmq",
        "runs",
    ]
    return _table(header, rows) if rows else []


CASE_LABELS = {
    "pub-unread-sub": "PUB → SUB that never reads",
    "push-stalled-pull": "PUSH (NOBLOCK) → stalled PULL",
}


def memory_table(results: list[Result]) -> list[str]:
    rows = []
    for r in results:
        if r["pattern"] != "memory":
            continue
        m = r["metrics"]
        if r["case"] == "pub-unread-sub":
            note = f"dropped {_num(m.get('dropped'))}"
        else:
            note = f"first Again after {_num(m.get('first_again'))}, {_num(m.get('agains'))} Again"
        rows.append(
            [
                CASE_LABELS.get(r["case"], str(r["case"])),
                r["transport"],
                r["impl"],
                _num(m.get("sent")),
                _num(m.get("rss_start_mib"), 1),
                _num(m.get("growth_mib"), 1),
                _num(m.get("growth_mib_worst"), 1),
                note,
                _runs(r),
            ]
        )
    header = [
        "case",
        "transport",
        "impl",
        "messages sent",
        "RSS at start MiB",
        "RSS growth MiB (median)",
        "growth (worst run)",
        "notes",
        "runs",
    ]
    return _table(header, rows) if rows else []


# -- targets -------------------------------------------------------------------------------


@dataclass
class Target:
    name: str
    measured: float | None
    required: float
    higher_is_better: bool
    unit: str = "x"
    #: A ratio's lowest and highest over the run's rounds (each round's run
    #: of one row against the same round's run of the other), when every
    #: run of both succeeded: how far the machine moved it within the run.
    rounds: tuple[float, float] | None = None

    @property
    def status(self) -> str:
        if self.measured is None:
            return "not measured"
        ok = (
            self.measured >= self.required
            if self.higher_is_better
            else self.measured <= self.required
        )
        return "met" if ok else "missed"

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "measured": self.measured,
            "required": self.required,
            "comparison": ">=" if self.higher_is_better else "<=",
            "unit": self.unit,
            "status": self.status,
            "rounds": list(self.rounds) if self.rounds else None,
        }


def _over(a: Result | None, b: Result | None, key: str) -> float | None:
    x, y = metric(a, key), metric(b, key)
    return x / y if x is not None and y else None


def _round_ratios(a: Result | None, b: Result | None, key: str) -> tuple[float, float] | None:
    """The lowest and highest of *a*'s run over *b*'s run of the same round
    (``measure_rounds`` runs them one after the other, in the same rounds
    when they are in one group); None unless every run of both succeeded."""
    if a is None or b is None or not a["runs"] or len(a["runs"]) != len(b["runs"]):
        return None
    if a["runs_ok"] != a["runs_total"] or b["runs_ok"] != b["runs_total"]:
        return None  # a failed run would pair the others with the wrong rounds
    ratios = []
    for mine, theirs in zip(a["runs"], b["runs"], strict=True):
        x, y = mine.get(key), theirs.get(key)
        if not isinstance(x, (int, float)) or not isinstance(y, (int, float)) or not y:
            return None
        ratios.append(x / y)
    return min(ratios), max(ratios)


def _ratio_target(
    name: str, a: Result | None, b: Result | None, key: str, required: float, higher: bool
) -> Target:
    """A target that is *a*'s *key* over *b*'s, with its per-round range."""
    return Target(name, _over(a, b, key), required, higher, rounds=_round_ratios(a, b, key))


#: The issue's ceiling ratios: (name, pattern, impl, baseline impl, size, key, required,
#: higher is better). Checked against the same measurement of the baseline in one run.
RATIO_TARGETS: list[tuple[str, str, str, str, int, str, float, bool]] = [
    (
        "tcp PUSH/PULL 16 B, per-message API, vs raw-asyncio",
        "throughput",
        HEADLINE,
        CEILING,
        16,
        "msgs_per_s",
        0.5,
        True,
    ),
    (
        "tcp PUSH/PULL 16 B, batch API (aiomsg-batch), vs blocking pyzmq",
        "throughput",
        "aiomsg-batch",
        "pyzmq",
        16,
        "msgs_per_s",
        1.0,
        True,
    ),
    (
        "tcp PUSH/PULL 1 KiB vs raw-asyncio",
        "throughput",
        HEADLINE,
        CEILING,
        1024,
        "msgs_per_s",
        0.65,
        True,
    ),
    (
        "PUB → 4 SUB tcp, delivered msgs/s, vs raw-asyncio",
        "fanout",
        HEADLINE,
        CEILING,
        16,
        "msgs_per_s",
        0.4,
        True,
    ),
    (
        "REQ/REP tcp median latency vs raw-asyncio",
        "latency",
        HEADLINE,
        CEILING,
        16,
        "median_us",
        1.1,
        False,
    ),
    (
        "CURVE PUSH/PULL tcp 16 B vs libzmq CURVE (pyzmq)",
        "curve",
        HEADLINE,
        "pyzmq",
        16,
        "msgs_per_s",
        0.7,
        True,
    ),
    (
        "CURVE PUSH/PULL tcp 1 KiB vs libzmq CURVE (pyzmq)",
        "curve",
        HEADLINE,
        "pyzmq",
        1024,
        "msgs_per_s",
        0.7,
        True,
    ),
]
LARGE_MESSAGE = 16 << 20


def targets(results: list[Result]) -> list[Target]:
    me = HEADLINE
    out = []
    for name, pattern, impl, baseline, size, key, required, higher in RATIO_TARGETS:
        out.append(
            _ratio_target(
                name,
                find(results, pattern, impl, "tcp", size),
                find(results, pattern, baseline, "tcp", size),
                key,
                required,
                higher,
            )
        )
    out.append(
        _ratio_target(
            "inproc PUSH/PULL 16 B vs aiomsg's own tcp",
            find(results, "throughput", me, "inproc", 16),
            find(results, "throughput", me, "tcp", 16),
            "msgs_per_s",
            1.5,
            True,
        )
    )

    def large(impl: str) -> Result | None:
        # A throughput row of 16 MiB if the run has one, else the size curve's point.
        return find(results, "throughput", impl, "tcp", LARGE_MESSAGE) or find(
            results, "scale", impl, "tcp", LARGE_MESSAGE, case="size"
        )

    out.append(
        _ratio_target(
            "tcp 16 MiB messages, MB/s, vs blocking pyzmq",
            large(me),
            large("pyzmq"),
            "mb_per_s",
            1.0,
            True,
        )
    )
    out.append(
        _ratio_target(
            "ROUTER aggregate msgs/s with 1,000 DEALERs vs with 1",
            find(results, "scale", me, case="peers", x=1000),
            find(results, "scale", me, case="peers", x=1),
            "msgs_per_s",
            0.8,
            True,
        )
    )
    out.append(
        Target(
            "memory per idle tcp connection (bound side)",
            metric(find(results, "scale", me, case="connections"), "server_kib_per_conn"),
            16.0,
            False,
            "KiB",
        )
    )
    # Round one's bounds on memory growth, kept as regression guards.
    for case in ("pub-unread-sub", "push-stalled-pull"):
        out.append(
            Target(
                f"memory: {CASE_LABELS[case]}, RSS growth (worst run)",
                metric(find(results, "memory", me, case=case), "growth_mib_worst"),
                50.0,
                False,
                "MiB",
            )
        )
    return out


def references(results: list[Result]) -> list[tuple[str, float | None]]:
    """The ceiling's own figure for each target that compares aiomsg with
    itself rather than with a reference: the same ratio, taken for
    raw-asyncio in the same run, shows what pure Python on asyncio reaches.
    The inproc target also gets its own measure with the in-process ceiling
    (raw-asyncio's RawChannel) in place of aiomsg's inproc: the most it
    could read against this run's aiomsg tcp; then with the inproc floor
    (bench/floor.py's InprocFloor) in its place, the most a library that
    keeps ZeroMQ's per-message semantics could read, and aiomsg's inproc
    against that floor."""

    def over_16(a: tuple[str, str], b: tuple[str, str]) -> float | None:
        """One 16 B throughput row's msgs/s over another's, each named by
        (impl, transport)."""
        return _over(
            find(results, "throughput", *a, 16), find(results, "throughput", *b, 16), "msgs_per_s"
        )

    return [
        (
            "raw-asyncio: ROUTER msgs/s with 1,000 connections vs with 1 "
            "(target: ROUTER 1,000 DEALERs vs 1)",
            _over(
                find(results, "scale", CEILING, case="peers", x=1000),
                find(results, "scale", CEILING, case="peers", x=1),
                "msgs_per_s",
            ),
        ),
        (
            "raw-asyncio: inproc 16 B (RawChannel) vs its own tcp 16 B "
            "(target: inproc 16 B vs aiomsg's own tcp)",
            over_16((CEILING, "inproc"), (CEILING, "tcp")),
        ),
        (
            # The inproc target's measure with the in-process ceiling in
            # place of aiomsg's inproc: the most that target could read.
            "raw-asyncio's inproc 16 B (RawChannel) vs aiomsg's own tcp 16 B "
            "(the same target, at the ceiling)",
            over_16((CEILING, "inproc"), (HEADLINE, "tcp")),
        ),
        (
            # And with the floor: the most a library keeping ZeroMQ's
            # per-message semantics could read (bench/floor.py, InprocFloor).
            "the inproc floor 16 B (InprocFloor: ZeroMQ's per-message work) vs "
            "aiomsg's own tcp 16 B (the same target, at the floor)",
            over_16((FLOOR, "inproc"), (HEADLINE, "tcp")),
        ),
        (
            "aiomsg's inproc 16 B vs the inproc floor 16 B (what aiomsg adds to the floor)",
            over_16((HEADLINE, "inproc"), (FLOOR, "inproc")),
        ),
    ]


def references_section(found: list[tuple[str, float | None]]) -> list[str]:
    rows = [f"| {name} | {_ratio(value)} |" for name, value in found if value is not None]
    if not rows:
        return []
    return [
        "",
        "The ceiling and the floor on the same measures (for the targets above that compare "
        "aiomsg with itself):",
        "",
        "| reference | measured |",
        "| --- | ---: |",
        *rows,
    ]


def targets_section(found: list[Target]) -> list[str]:
    rows = []
    for t in found:
        sign = "≥" if t.higher_is_better else "≤"
        if t.measured is None:
            measured = "—"
        elif t.unit == "x":
            measured = _ratio(t.measured)
        else:
            measured = f"{t.measured:.1f} {t.unit}"
        required = f"{sign} {t.required:g}{'x' if t.unit == 'x' else ' ' + t.unit}"
        rounds = "—" if t.rounds is None else f"{t.rounds[0]:.2f}x to {t.rounds[1]:.2f}x"
        rows.append([t.name, measured, required, t.status, rounds])
    lines = [
        f"## Targets ({HEADLINE} unless named; ratios within this run)",
        "",
        "The last column: the ratio's lowest and highest over the rounds, each "
        "round's run against the same round's run (measured is the ratio of the medians).",
        "",
        "| target | measured | required | status | rounds |",
        "| --- | ---: | ---: | --- | ---: |",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    met = sum(t.status == "met" for t in found)
    checked = sum(t.status != "not measured" for t in found)
    lines += ["", f"{met} of {checked} measured targets met ({len(found)} defined)."]
    return lines


def markdown(results: list[Result], meta: dict[str, Any]) -> str:
    lines = [
        "# aiomsg benchmarks",
        "",
        f"{meta.get('machine', {}).get('summary', '')}",
        "",
        "Ratios compare with the same measurement of zmq.asyncio / blocking pyzmq / "
        "raw-asyncio (the ceiling) in this run. "
        "Throughput: higher is better. Latency: the ratio of medians, lower is better.",
    ]
    for title, table in (
        ("Throughput: PUSH → PULL", throughput_table(results)),
        ("Latency: REQ/REP round trips", latency_table(results)),
        ("Fan-out: PUB → 4 SUB", fanout_table(results)),
        ("Memory: sender RSS growth", memory_table(results)),
        ("CURVE: PUSH → PULL", curve_table(results)),
        ("CURVE: the floor (a NULL row's CPU per side plus a frame's work)", curve_floor_table(results)),
        ("Scale: message size (PUSH → PULL, tcp)", scale_size_table(results)),
        ("Scale: subscribers (PUB → N SUB, tcp)", scale_subscribers_table(results)),
        ("Scale: peers (N DEALER → ROUTER, tcp)", scale_peers_table(results)),
        ("Scale: connections (accept rate, idle memory)", scale_connections_table(results)),
    ):
        if table:
            lines += ["", f"## {title}", "", *table]
    failures = [r for r in results if r["errors"]]
    if failures:
        lines += ["", "## Failed runs", ""]
        for r in failures:
            where = f"{r['pattern']} {r['transport']} {size_label(r['size'])} {r['impl']}"
            for error in r["errors"]:
                lines.append(f"- {where}: {error}")
    skipped = meta.get("skipped") or []
    if skipped:
        lines += ["", "## Skipped", ""] + [f"- {s}" for s in skipped]
    lines += ["", *targets_section(targets(results)), *references_section(references(results))]
    return "\n".join(lines) + "\n"


# -- files -----------------------------------------------------------------------------------


def write_json(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")


def write_chart(path: Path, results: list[Result]) -> str:
    """One PNG: tcp throughput per size (log scale) and latency medians as bars, then
    the scale curves (size, subscribers, peers: rates, then CPU per message) and
    the connection figures."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "chart skipped: matplotlib is not installed (pip install matplotlib)"
    thr = [r for r in results if r["pattern"] == "throughput" and r["transport"] == "tcp"]
    lat = [r for r in results if r["pattern"] == "latency"]
    panels: list[tuple[str, Any]] = []
    if thr:
        panels.append(("thr", thr))
    if lat:
        panels.append(("lat", lat))
    # The rates along each scale curve, then how the CPU per message grows along
    # the same curves, then the connection figures.
    for kind in ("size", "subscribers", "peers", "size-cpu", "subscribers-cpu", "peers-cpu"):
        found = [r for r in _scale_results(results, kind.split("-")[0]) if r["ok"]]
        if found:
            panels.append((kind, found))
    found = [r for r in _scale_results(results, "connections") if r["ok"]]
    if found:
        panels.append(("connections", found))
    if not panels:
        return "chart skipped: no tcp throughput, latency or scale results"
    columns = 2 if len(panels) in (2, 4) else min(3, len(panels))
    rows = (len(panels) + columns - 1) // columns
    fig, axes = plt.subplots(rows, columns, figsize=(6.5 * columns, 5 * rows), squeeze=False)
    for ax in axes.flat[len(panels) :]:
        ax.set_visible(False)
    for ax, (kind, found) in zip(axes.flat, panels, strict=False):
        _panel(ax, kind, found)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return f"chart written to {path}"


def _panel(ax: Any, kind: str, found: list[Result]) -> None:
    if kind == "thr":
        _bars(ax, found, "size", "msgs_per_s", lambda s: size_label(int(s)))
        ax.set_yscale("log")
        ax.set_ylabel("messages / s (log)")
        ax.set_title("PUSH → PULL over tcp: throughput")
    elif kind == "lat":
        _bars(ax, found, "transport", "median_us", str)
        ax.set_ylabel("median round trip, µs")
        ax.set_title("REQ/REP latency (16 B): median")
    elif kind == "size":
        _curves(ax, found, "mb_per_s")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ticks = sorted({int(r["x"]) for r in found})
        ax.set_xticks(ticks)
        ax.set_xticklabels([size_label(t) for t in ticks], rotation=30, fontsize=8)
        ax.set_xlabel("message size")
        ax.set_ylabel("MB/s of payload (log)")
        ax.set_title("Scale: PUSH → PULL tcp by message size")
    elif kind == "subscribers":
        _curves(ax, found, "msgs_per_s")
        ax.set_xscale("log", base=2)
        ticks = sorted({int(r["x"]) for r in found})
        ax.set_xticks(ticks)
        ax.set_xticklabels([str(t) for t in ticks])
        ax.set_ylim(bottom=0)
        ax.set_xlabel("subscribers")
        ax.set_ylabel("messages delivered / s")
        ax.set_title("Scale: PUB → N SUB (16 B), delivered")
    elif kind == "peers":
        _curves(ax, found, "msgs_per_s")
        ax.set_xscale("log")
        ax.set_ylim(bottom=0)
        ax.set_xlabel("DEALERs")
        ax.set_ylabel("messages / s at the ROUTER")
        ax.set_title("Scale: N DEALER → ROUTER (16 B), aggregate")
    elif kind.endswith("-cpu"):
        case = kind[: -len("-cpu")]
        key, what = SCALE_CPU[case]
        _curves(ax, found, key)
        ax.set_xscale("log", base=2 if case != "peers" else 10)
        ax.set_yscale("log")
        if case == "size":
            ticks = sorted({int(r["x"]) for r in found})
            ax.set_xticks(ticks)
            ax.set_xticklabels([size_label(t) for t in ticks], rotation=30, fontsize=8)
        elif case == "subscribers":
            ticks = sorted({int(r["x"]) for r in found})
            ax.set_xticks(ticks)
            ax.set_xticklabels([str(t) for t in ticks])
        ax.set_xlabel(SCALE_X[case])
        ax.set_ylabel(f"{what}, CPU µs per message (log)")
        ax.set_title(f"Scale: {what} CPU per message by {SCALE_X[case]}")
    else:  # connections
        _bars(ax, found, "case", "server_kib_per_conn", lambda _: "bound side")
        for r in found:
            ax.annotate(
                f"{r['impl']}: {metric(r, 'accepts_per_s') or 0:,.0f} accepts/s",
                xy=(0.02, 0.95 - 0.07 * found.index(r)),
                xycoords="axes fraction",
                fontsize=8,
            )
        ax.set_ylabel("KiB per idle tcp connection")
        ax.set_title(f"Scale: {found[0].get('x')} idle connections")


def _curves(ax: Any, found: list[Result], key: str) -> None:
    """One line per implementation: *key* against the run's x."""
    drawn = False
    for impl in dict.fromkeys(r["impl"] for r in found):
        points = sorted(
            (int(r["x"]), value)
            for r in found
            if r["impl"] == impl and (value := metric(r, key)) is not None
        )
        if points:
            xs, ys = zip(*points, strict=True)
            ax.plot(xs, ys, marker="o", label=impl, color=COLORS.get(impl))
            drawn = True
    if drawn:
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, "not measured", ha="center", va="center", transform=ax.transAxes)
    ax.grid(alpha=0.3)


#: One colour per implementation, the same in both charts.
COLORS = {
    "aiomsg": "#9ecae1",
    "aiomsg-uvloop": "#2171b5",
    "aiomsg-batch": "#08306b",
    "pyzmq": "#d62728",
    "zmq.asyncio": "#ff9896",
    "raw-asyncio": "#7f7f7f",
}


def _bars(ax: Any, results: list[Result], group_key: str, key: str, label: Any) -> None:
    groups = list(dict.fromkeys(r[group_key] for r in results))
    impls = list(dict.fromkeys(r["impl"] for r in results))
    if not groups or not impls:
        ax.text(0.5, 0.5, "not measured", ha="center", va="center", transform=ax.transAxes)
        return
    width = 0.8 / len(impls)
    for i, impl in enumerate(impls):
        xs, ys = [], []
        for g, group in enumerate(groups):
            for r in results:
                value = metric(r, key) if r["ok"] else None
                if r[group_key] == group and r["impl"] == impl and value:
                    xs.append(g + (i - (len(impls) - 1) / 2) * width)
                    ys.append(value)
        ax.bar(xs, ys, width, label=impl, color=COLORS.get(impl))
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels([label(g) for g in groups])
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
