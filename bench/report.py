"""The results as a markdown report (tables, ratios, targets), JSON and a PNG chart."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Result = dict[str, Any]

#: The aiomsg figures the targets are checked with: uvloop, per-message API.
HEADLINE = "aiomsg-uvloop"
BASELINES = ("zmq.asyncio", "pyzmq")


def size_label(size: int) -> str:
    if size >= 1024 and size % 1024 == 0:
        return f"{size // 1024} KiB"
    return f"{size} B"


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
) -> Result | None:
    for result in results:
        if (
            result["pattern"] == pattern
            and result["impl"] == impl
            and (transport is None or result["transport"] == transport)
            and (size is None or result["size"] == size)
            and (case is None or result["case"] == case)
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
    other = find(results, result["pattern"], baseline, result["transport"], result["size"])
    mine, theirs = metric(result, key), metric(other, key)
    if mine is None or not theirs:
        return None
    return mine / theirs


# -- tables ------------------------------------------------------------------------------


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    align = ["---:" if i >= 3 else "---" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def throughput_table(results: list[Result]) -> list[str]:
    rows = []
    for r in results:
        if r["pattern"] != "throughput":
            continue
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
                _ratio(ratio_to(results, r, "zmq.asyncio", "msgs_per_s")),
                _ratio(ratio_to(results, r, "pyzmq", "msgs_per_s")),
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
                _ratio(ratio_to(results, r, "zmq.asyncio", "median_us")),
                _ratio(ratio_to(results, r, "pyzmq", "median_us")),
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
                _ratio(ratio_to(results, r, "zmq.asyncio", "msgs_per_s")),
                _ratio(ratio_to(results, r, "pyzmq", "msgs_per_s")),
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
        }


def _over(a: Result | None, b: Result | None, key: str) -> float | None:
    x, y = metric(a, key), metric(b, key)
    return x / y if x is not None and y else None


def targets(results: list[Result]) -> list[Target]:
    me = HEADLINE

    def thr(impl: str, transport: str, size: int) -> Result | None:
        return find(results, "throughput", impl, transport, size)

    out = [
        Target(
            "PUSH/PULL tcp 16 B msgs/s vs zmq.asyncio",
            _over(thr(me, "tcp", 16), thr("zmq.asyncio", "tcp", 16), "msgs_per_s"),
            10.0,
            True,
        ),
        Target(
            "PUSH/PULL tcp 16 B msgs/s vs pyzmq",
            _over(thr(me, "tcp", 16), thr("pyzmq", "tcp", 16), "msgs_per_s"),
            0.5,
            True,
        ),
        Target(
            "PUSH/PULL tcp 1 KiB msgs/s vs zmq.asyncio",
            _over(thr(me, "tcp", 1024), thr("zmq.asyncio", "tcp", 1024), "msgs_per_s"),
            5.0,
            True,
        ),
        Target(
            "REQ/REP tcp median latency vs zmq.asyncio",
            _over(
                find(results, "latency", me, "tcp"),
                find(results, "latency", "zmq.asyncio", "tcp"),
                "median_us",
            ),
            0.6,
            False,
        ),
        Target(
            "PUB → 4 SUB tcp delivered msgs/s vs zmq.asyncio",
            _over(
                find(results, "fanout", me, "tcp"),
                find(results, "fanout", "zmq.asyncio", "tcp"),
                "msgs_per_s",
            ),
            5.0,
            True,
        ),
    ]
    sizes = sorted({r["size"] for r in results if r["pattern"] == "throughput"})
    for size in sizes:
        inproc, tcp = thr(me, "inproc", size), thr(me, "tcp", size)
        if inproc is None and tcp is None and size != 16:
            continue
        out.append(
            Target(
                f"inproc PUSH/PULL {size_label(size)} msgs/s vs aiomsg's own tcp",
                _over(inproc, tcp, "msgs_per_s"),
                1.5,
                True,
            )
        )
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
        rows.append([t.name, measured, required, t.status])
    lines = [
        f"## Targets ({HEADLINE}, per-message API)",
        "",
        "| target | measured | required | status |",
        "| --- | ---: | ---: | --- |",
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
        "Ratios compare with the same measurement of zmq.asyncio / blocking pyzmq in this run. "
        "Throughput: higher is better. Latency: the ratio of medians, lower is better.",
    ]
    for title, table in (
        ("Throughput: PUSH → PULL", throughput_table(results)),
        ("Latency: REQ/REP round trips", latency_table(results)),
        ("Fan-out: PUB → 4 SUB", fanout_table(results)),
        ("Memory: sender RSS growth", memory_table(results)),
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
    lines += ["", *targets_section(targets(results))]
    return "\n".join(lines) + "\n"


# -- files -----------------------------------------------------------------------------------


def write_json(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")


def write_chart(path: Path, results: list[Result]) -> str:
    """Throughput (tcp, log scale) per implementation per size, and latency medians."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "chart skipped: matplotlib is not installed (pip install matplotlib)"
    thr = [r for r in results if r["pattern"] == "throughput" and r["transport"] == "tcp"]
    lat = [r for r in results if r["pattern"] == "latency"]
    if not thr and not lat:
        return "chart skipped: no tcp throughput or latency results"
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(14, 5.5))
    _bars(ax1, thr, "size", "msgs_per_s", lambda s: size_label(int(s)))
    ax1.set_yscale("log")
    ax1.set_ylabel("messages / s (log)")
    ax1.set_title("PUSH → PULL over tcp: throughput")
    _bars(ax2, lat, "transport", "median_us", str)
    ax2.set_ylabel("median round trip, µs")
    ax2.set_title("REQ/REP latency (16 B): median")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return f"chart written to {path}"


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
