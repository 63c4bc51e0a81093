"""The bench's own logic: plans, labels, targets, report tables and the chart.

Benchmarks report; these tests check that the code around them behaves
(what gets measured, how a ratio is taken, what the report says), with
made-up results and no timing.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

import aiomsg
from bench import cli, report, scale


def result(
    pattern: str,
    impl: str,
    size: int = 16,
    transport: str = "tcp",
    case: str | None = None,
    x: int | None = None,
    ok: bool = True,
    **metrics: float,
) -> dict[str, Any]:
    return {
        "pattern": pattern,
        "transport": transport,
        "size": size,
        "impl": impl,
        "case": case,
        "x": x,
        "count": 1000,
        "ok": ok,
        "runs_ok": 1 if ok else 0,
        "runs_total": 1,
        "metrics": metrics if ok else {},
        "errors": [] if ok else ["boom"],
        "runs": [],
        "seconds": 0.1,
    }


def by_name(found: list[report.Target]) -> dict[str, report.Target]:
    return {t.name: t for t in found}


# -- plans ----------------------------------------------------------------------------


def test_scale_plan_covers_every_case_point_and_default_impl() -> None:
    args = cli.parse_args(["--quick", "--pattern", "scale"])
    skipped: list[str] = []
    items = cli.plan(args, skipped)
    assert {item.pattern for item in items} == {"scale"}
    points = {(i.params.extra["case"], i.params.extra["x"], i.params.impl) for i in items}
    for size in scale.SIZES:
        for impl in scale.DEFAULT_IMPLS:
            assert ("size", size, impl) in points
    for subs in scale.SUBSCRIBERS:
        assert ("subscribers", subs, "raw-asyncio") in points
    for peers in scale.PEERS:
        assert ("peers", peers, "aiomsg-uvloop") in points
        assert ("peers", peers, "pyzmq") in points
        assert ("peers", peers, "raw-asyncio") in points  # the ceiling's own curve
    assert ("connections", scale.CONNECTIONS, "raw-asyncio") not in points  # no handshake
    assert ("connections", scale.CONNECTIONS, "pyzmq") in points
    assert any("not for raw-asyncio" in note for note in skipped)


def test_scale_plan_bounds_counts_and_memory() -> None:
    items = scale.plan(("size",), ["pyzmq"], quick=True, count=None, skipped=[])
    by_size = {p.size: p for p in items}
    largest = by_size[16 << 20]
    assert scale.QUICK_SIZE_BUDGET["min"] <= largest.count <= 64
    assert largest.hwm == scale.LARGE_HWM  # a few 16 MiB messages queued, not a thousand
    assert by_size[16].count == scale.QUICK_SIZE_BUDGET["max"]
    assert by_size[16].hwm == 1000
    for p in items:
        assert p.count * p.size <= max(scale.QUICK_SIZE_BUDGET["bytes"], 64 << 20) * 2


def test_subscribers_share_at_most_four_processes() -> None:
    items = scale.plan(("subscribers",), ["aiomsg-uvloop"], quick=False, count=None, skipped=[])
    for p in items:
        assert p.extra["subscribers"] == p.extra["x"]
        assert p.extra["processes"] == min(p.extra["x"], scale.SUB_PROCESSES)
        assert p.count == scale.published_count(p.extra["x"], quick=False)
        assert p.hwm > p.count  # lossless unless something is wrong


def test_peers_and_connections_plan() -> None:
    items = scale.plan(("peers", "connections"), ["pyzmq"], quick=True, count=500, skipped=[])
    peers = [p for p in items if p.extra["case"] == "peers"]
    assert [p.extra["peers"] for p in peers] == list(scale.PEERS)
    assert all(p.count == 500 for p in peers)
    (connections,) = [p for p in items if p.extra["case"] == "connections"]
    assert connections.count == 0 and connections.extra["peers"] == scale.CONNECTIONS


def test_scale_and_curve_need_tcp() -> None:
    skipped: list[str] = []
    args = cli.parse_args(["--pattern", "scale", "--transport", "ipc"])
    assert cli.plan(args, skipped) == []
    assert any("scale: runs over tcp only" in note for note in skipped)
    args = cli.parse_args(["--pattern", "curve", "--transport", "inproc"])
    assert cli.plan(args, skipped) == []
    assert any("curve: runs over tcp only" in note for note in skipped)


def test_curve_plan_default_impls_and_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    keys = {"server_public": "a", "server_secret": "b", "client_public": "c", "client_secret": "d"}
    monkeypatch.setattr(cli, "curve_keys", lambda: keys)
    items = cli.plan(cli.parse_args(["--pattern", "curve", "--quick"]), [])
    # Each size's rows, and at 16 B (a short frame) the floor after them.
    assert [(i.params.size, i.params.impl) for i in items] == [
        (16, "aiomsg-uvloop"), (16, "pyzmq"), (16, report.FLOOR),
        (1024, "aiomsg-uvloop"), (1024, "pyzmq"),
    ]
    rows = [i for i in items if i.params.impl != report.FLOOR]
    assert all(i.params.extra["spec"]["curve"] == keys for i in rows)
    assert all(i.params.transport == "tcp" for i in items)
    # One round group per size: the floor is measured in its rows' rounds.
    assert [len(group) for group in cli.rounds(items)] == [3, 2]
    # Implementations named: those only, no floor.
    named = cli.plan(cli.parse_args(["--pattern", "curve", "--impl", "pyzmq"]), [])
    assert {i.params.impl for i in named} == {"pyzmq"}


def test_curve_plan_without_curve_support_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "curve_keys", lambda: None)
    skipped: list[str] = []
    assert cli.plan(cli.parse_args(["--pattern", "curve"]), skipped) == []
    assert any("no CURVE" in note for note in skipped)


def test_throughput_plan_keeps_large_messages_bounded() -> None:
    args = cli.parse_args(["--pattern", "throughput", "--transport", "tcp", "--size", "16777216"])
    items = cli.plan(args, [])
    assert items and all(i.params.hwm == scale.LARGE_HWM for i in items)
    assert all(i.params.count == scale.size_count(16 << 20, quick=False) for i in items)


def test_rounds_group_what_a_target_or_chart_compares() -> None:
    """Each size's throughput rows, every transport and implementation
    (inproc's target compares it with tcp), are one group; so is each
    scale curve, all its points (ROUTER's target compares 1,000 peers with
    1); the latency rows are one."""
    args = cli.parse_args(
        ["--pattern", "all", "--quick", "--transport", "tcp", "--transport", "inproc"]
    )
    items = cli.plan(args, [])
    groups = cli.rounds(items)
    assert [item for group in groups for item in group] == items  # the plan's items, once
    keys = [
        {(i.pattern, i.params.extra.get("case"), i.params.size) for i in group}
        for group in groups
    ]
    sixteen = next(group for group in groups if group[0].pattern == "throughput")
    assert {(i.params.transport, i.params.impl) for i in sixteen} >= {
        ("tcp", "aiomsg-uvloop"),
        ("tcp", "raw-asyncio"),
        ("inproc", "aiomsg-uvloop"),
        ("inproc", "raw-asyncio"),
    }
    assert {i.params.size for i in sixteen} == {16}
    peers = next(g for g in groups if g[0].params.extra.get("case") == "peers")
    assert {i.params.extra["x"] for i in peers} == set(scale.PEERS)
    assert {i.params.impl for i in peers} >= {"aiomsg-uvloop", "raw-asyncio"}
    assert len({i.pattern for i in next(g for g in groups if g[0].pattern == "latency")}) == 1
    # Apart from the scale curves, a group is one pattern, size and case.
    assert all(len(k) == 1 for k, g in zip(keys, groups, strict=True) if g[0].pattern != "scale")


def test_measure_rounds_interleaves_runs_and_summarises_each(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bench import harness

    calls: list[str] = []

    async def fake(p: harness.Params, endpoints: object, session: object) -> dict[str, Any]:
        calls.append(p.impl)
        if p.impl == "b" and calls.count("b") == 2:
            raise harness.PeerError("peer b failed")
        return {"msgs_per_s": 100.0 * len(calls), "raw": {}}

    monkeypatch.setitem(harness.RUNNERS, "throughput", fake)
    measured = [("throughput", harness.Params(10, 16, "tcp", impl)) for impl in ("a", "b")]
    endpoints = harness.Endpoints()
    try:
        first, second = asyncio.run(harness.measure_rounds(measured, 3, 5.0, endpoints))
    finally:
        endpoints.cleanup()
    assert calls == ["a", "b", "a", "b", "a", "b"]  # one run of each per round
    assert first["impl"] == "a" and first["runs_ok"] == 3 and first["errors"] == []
    assert first["metrics"]["msgs_per_s"] == 300.0  # median of 100, 300, 500
    assert second["runs_ok"] == 2 and second["errors"] == ["peer b failed"]
    assert second["metrics"]["msgs_per_s"] == 400.0  # median of 200 and 600
    assert first["runs_total"] == second["runs_total"] == 3


# -- labels -----------------------------------------------------------------------------


def test_labels() -> None:
    assert report.size_label(16) == "16 B"
    assert report.size_label(1024) == "1 KiB"
    assert report.size_label(16 << 20) == "16 MiB"
    assert report.what_label("scale", 4096, {"case": "size", "x": 4096}) == "size 4 KiB"
    assert report.what_label("scale", 16, {"case": "peers", "x": 100}) == "100 DEALERs"
    assert report.what_label("curve", 1024, {}) == "1 KiB CURVE"
    assert report.what_label("memory", 16, {"case": "pub-unread-sub"}) == "pub-unread-sub"


# -- targets ------------------------------------------------------------------------------


def test_targets_take_ratios_against_the_ceiling_and_pyzmq() -> None:
    results = [
        result("throughput", "aiomsg-uvloop", msgs_per_s=600.0),
        result("throughput", "raw-asyncio", msgs_per_s=1000.0),
        result("throughput", "aiomsg-batch", msgs_per_s=900.0),
        result("throughput", "pyzmq", msgs_per_s=1000.0),
        result("throughput", "aiomsg-uvloop", 1024, msgs_per_s=600.0),
        result("throughput", "raw-asyncio", 1024, msgs_per_s=1000.0),
        result("throughput", "aiomsg-uvloop", transport="inproc", msgs_per_s=1200.0),
        result("latency", "aiomsg-uvloop", median_us=105.0),
        result("latency", "raw-asyncio", median_us=100.0),
        result("fanout", "aiomsg-uvloop", msgs_per_s=50.0),
        result("fanout", "raw-asyncio", msgs_per_s=100.0),
        result("curve", "aiomsg-uvloop", msgs_per_s=80.0),
        result("curve", "pyzmq", msgs_per_s=100.0),
    ]
    found = by_name(report.targets(results))
    per_message = found["tcp PUSH/PULL 16 B, per-message API, vs raw-asyncio"]
    assert per_message.measured == pytest.approx(0.6) and per_message.status == "met"
    batch = found["tcp PUSH/PULL 16 B, batch API (aiomsg-batch), vs blocking pyzmq"]
    assert batch.measured == pytest.approx(0.9) and batch.status == "missed"
    kib = found["tcp PUSH/PULL 1 KiB vs raw-asyncio"]
    assert kib.status == "missed"  # 0.6 < 0.65
    latency = found["REQ/REP tcp median latency vs raw-asyncio"]
    assert latency.measured == pytest.approx(1.05) and latency.status == "met"  # lower is better
    assert found["PUB → 4 SUB tcp, delivered msgs/s, vs raw-asyncio"].status == "met"
    assert found["CURVE PUSH/PULL tcp 16 B vs libzmq CURVE (pyzmq)"].status == "met"
    assert found["CURVE PUSH/PULL tcp 1 KiB vs libzmq CURVE (pyzmq)"].status == "not measured"
    inproc = found["inproc PUSH/PULL 16 B vs aiomsg's own tcp"]
    assert inproc.measured == pytest.approx(2.0) and inproc.status == "met"


def test_targets_give_the_ratio_range_over_the_rounds() -> None:
    mine = result("throughput", "aiomsg-uvloop", msgs_per_s=600.0)
    theirs = result("throughput", "raw-asyncio", msgs_per_s=1000.0)
    mine["runs"] = [{"msgs_per_s": v} for v in (500.0, 600.0, 900.0)]
    theirs["runs"] = [{"msgs_per_s": v} for v in (1000.0, 1000.0, 1000.0)]
    for r in (mine, theirs):
        r["runs_ok"] = r["runs_total"] = 3
    found = by_name(report.targets([mine, theirs]))
    per_message = found["tcp PUSH/PULL 16 B, per-message API, vs raw-asyncio"]
    assert per_message.measured == pytest.approx(0.6)  # still the ratio of the medians
    assert per_message.rounds == pytest.approx((0.5, 0.9))
    assert per_message.as_dict()["rounds"] == pytest.approx([0.5, 0.9])
    section = "\n".join(report.targets_section(report.targets([mine, theirs])))
    assert "| 0.60x | ≥ 0.5x | met | 0.50x to 0.90x |" in section
    # A failed run would pair the others with the wrong rounds: no range.
    theirs["runs_ok"], theirs["runs"] = 2, theirs["runs"][:2]
    per_message = by_name(report.targets([mine, theirs]))[per_message.name]
    assert per_message.rounds is None and per_message.measured == pytest.approx(0.6)


def test_scale_targets_and_the_large_message_fallback() -> None:
    results = [
        result("scale", "aiomsg-uvloop", case="peers", x=1, msgs_per_s=100.0),
        result("scale", "aiomsg-uvloop", case="peers", x=1000, msgs_per_s=79.0),
        result("scale", "aiomsg-uvloop", case="connections", x=1000, server_kib_per_conn=12.0),
        result("scale", "aiomsg-uvloop", 16 << 20, case="size", x=16 << 20, mb_per_s=300.0),
        result("scale", "pyzmq", 16 << 20, case="size", x=16 << 20, mb_per_s=250.0),
    ]
    found = by_name(report.targets(results))
    router = found["ROUTER aggregate msgs/s with 1,000 DEALERs vs with 1"]
    assert router.measured == pytest.approx(0.79) and router.status == "missed"
    memory = found["memory per idle tcp connection (bound side)"]
    assert memory.measured == 12.0 and memory.unit == "KiB" and memory.status == "met"
    large = found["tcp 16 MiB messages, MB/s, vs blocking pyzmq"]
    assert large.measured == pytest.approx(1.2) and large.status == "met"


def test_references_give_the_ceilings_own_ratio_and_skip_what_was_not_run() -> None:
    results = [
        result("scale", "raw-asyncio", case="peers", x=1, msgs_per_s=200.0),
        result("scale", "raw-asyncio", case="peers", x=1000, msgs_per_s=130.0),
    ]
    (name, value), *_ = report.references(results)
    assert "1,000 connections vs with 1" in name and value == pytest.approx(0.65)
    assert f"| {name} | 0.65x |" in "\n".join(report.references_section(report.references(results)))
    assert report.references_section(report.references([])) == []


def test_references_give_the_inproc_ceiling_against_both_tcp_rows() -> None:
    results = [
        result("throughput", "raw-asyncio", transport="inproc", msgs_per_s=1500.0),
        result("throughput", "raw-asyncio", msgs_per_s=1000.0),
        result("throughput", "aiomsg-uvloop", msgs_per_s=600.0),
    ]
    found = dict(report.references(results))
    own = found["raw-asyncio: inproc 16 B (RawChannel) vs its own tcp 16 B "
                "(target: inproc 16 B vs aiomsg's own tcp)"]
    assert own == pytest.approx(1.5)
    ours = found["raw-asyncio's inproc 16 B (RawChannel) vs aiomsg's own tcp 16 B "
                 "(the same target, at the ceiling)"]
    assert ours == pytest.approx(2.5)
    # Without aiomsg's tcp row, only the ceiling's own ratio is given.
    text = "\n".join(report.references_section(report.references(results[:2])))
    assert "| raw-asyncio: inproc 16 B (RawChannel) vs its own tcp 16 B" in text
    assert "at the ceiling" not in text


def test_references_give_the_inproc_floor_against_aiomsg_tcp_and_inproc() -> None:
    results = [
        result("throughput", report.FLOOR, transport="inproc", msgs_per_s=1200.0),
        result("throughput", "aiomsg-uvloop", msgs_per_s=1000.0),
        result("throughput", "aiomsg-uvloop", transport="inproc", msgs_per_s=1080.0),
    ]
    found = dict(report.references(results))
    at_floor = found["the inproc floor 16 B (InprocFloor: ZeroMQ's per-message work) vs "
                     "aiomsg's own tcp 16 B (the same target, at the floor)"]
    assert at_floor == pytest.approx(1.2)
    added = found["aiomsg's inproc 16 B vs the inproc floor 16 B (what aiomsg adds to the floor)"]
    assert added == pytest.approx(0.9)
    # Without the floor row (--impl given), neither line.
    text = "\n".join(report.references_section(report.references(results[1:])))
    assert "floor" not in text


def test_inproc_rows_come_with_the_floor_in_their_rounds() -> None:
    args = cli.parse_args(
        ["--pattern", "throughput", "--transport", "tcp", "--transport", "inproc",
         "--size", "16", "--size", "1024", "--quick"]
    )
    items = cli.plan(args, [])
    floors = [i.params for i in items if i.params.impl == report.FLOOR]
    assert [(p.transport, p.size) for p in floors] == [("inproc", 16), ("inproc", 1024)]
    # Measured in the same rounds as the rows of its size, tcp's included.
    for group in cli.rounds(items):
        impls = {(i.params.transport, i.params.impl) for i in group}
        assert ("inproc", report.FLOOR) in impls and ("tcp", "aiomsg-uvloop") in impls
    # Implementations named, or no inproc: no floor.
    for argv in (["--transport", "inproc", "--impl", "aiomsg-uvloop"], ["--transport", "tcp"]):
        named = cli.plan(cli.parse_args(["--pattern", "throughput", "--quick", *argv]), [])
        assert named and report.FLOOR not in {i.params.impl for i in named}


def test_inproc_floor_hands_every_message_over_in_order_within_its_marks() -> None:
    from bench.floor import InprocFloor

    async def main() -> None:
        floor = InprocFloor(hwm=4)
        sent = [b"%d" % i for i in range(300)]  # past the fairness budget (256)
        longest = 0

        async def receive() -> list[bytes]:
            nonlocal longest
            got = []
            for _ in sent:
                longest = max(longest, len(floor._pipe.inbound))
                got.append(await floor.recv())
            return got

        receiving = asyncio.ensure_future(receive())
        async with asyncio.timeout(5):
            for body in sent:
                await floor.send(bytearray(body))  # any buffer, handed over as bytes
            got = await receiving
        assert got == sent and all(type(body) is bytes for body in got)
        assert floor.handed == len(sent)
        assert longest <= 4  # the sender parked at the mark

    asyncio.run(main())


def test_inproc_floor_yields_to_other_tasks_while_sending_without_a_bound() -> None:
    from bench.floor import InprocFloor

    async def main() -> None:
        floor = InprocFloor(hwm=0)
        turns = 0

        async def other() -> None:
            nonlocal turns
            while True:
                turns += 1
                await asyncio.sleep(0)

        ticking = asyncio.ensure_future(other())
        await asyncio.sleep(0)
        before = turns
        async with asyncio.timeout(5):
            for _ in range(1000):  # never waits for room: only the budget yields
                await floor.send(b"x")
        assert turns - before >= 1000 // 256
        ticking.cancel()

    asyncio.run(main())


def test_inproc_floor_refuses_what_it_does_not_time() -> None:
    from bench.floor import InprocFloor

    async def main() -> None:
        floor = InprocFloor()
        with pytest.raises(NotImplementedError, match="single-frame sends"):
            await floor.send(b"x", 2)  # SNDMORE
        with pytest.raises(NotImplementedError, match="single-frame sends"):
            await floor.send(b"x", routing_id=1)
        with pytest.raises(NotImplementedError, match="single-frame receives"):
            await floor.recv(1)  # NOBLOCK

    asyncio.run(main())


def test_floor_steps_delete_each_step_from_the_floor_as_written() -> None:
    """bench/profiles/floor_steps.py times InprocFloor with one step deleted
    at a time: every deletion must still match the source, and each
    variant must still hand every message over."""
    import importlib.util

    from bench import floor

    path = Path(floor.__file__).parent / "profiles" / "floor_steps.py"
    spec = importlib.util.spec_from_file_location("floor_steps", path)
    assert spec is not None and spec.loader is not None
    steps = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(steps)
    classes = steps.variants()
    assert list(classes) == ["whole floor", *(f"without {step}" for step in steps.STEPS)]

    async def main() -> None:
        for name, cls in classes.items():
            channel = cls(8)
            async with asyncio.timeout(5):
                assert await floor._pair(100, 16, channel) > 0
            assert not channel._pipe.inbound  # every message taken
            assert channel.handed == (0 if name == "without message counter" else 100)

    asyncio.run(main())


def test_inproc_peer_runs_the_floor(capsys: pytest.CaptureFixture[str]) -> None:
    from bench import peers

    peers.thr_inproc({"impl": report.FLOOR, "count": 500, "size": 16, "hwm": 1000})
    got = json.loads(capsys.readouterr().out)
    assert got["event"] == "result" and got["received"] == 500 and got["timed"] == 499
    assert got["sizes"] == [16, 16] and got["elapsed"] > 0


def test_raw_asyncio_runs_inproc_throughput_but_not_latency() -> None:
    skipped: list[str] = []
    args = cli.parse_args(
        ["--pattern", "all", "--transport", "inproc", "--impl", "raw-asyncio", "--quick"]
    )
    items = cli.plan(args, skipped)
    assert {(i.pattern, i.params.transport) for i in items} == {("throughput", "inproc")}
    assert any("raw-asyncio over inproc latency" in note for note in skipped)


def test_transport_repeats_and_ws_runs_alone() -> None:
    args = cli.parse_args(["--pattern", "throughput", "--transport", "inproc", "--transport", "tcp"])
    assert (args.transports, args.transport) == (("inproc", "tcp"), "inproc+tcp")
    assert {i.params.transport for i in cli.plan(args, [])} == {"inproc", "tcp"}
    assert cli.parse_args([]).transports == cli.TRANSPORTS
    with pytest.raises(SystemExit):
        cli.parse_args(["--transport", "ws", "--transport", "tcp"])


def test_failed_runs_are_not_measured() -> None:
    results = [
        result("throughput", "aiomsg-uvloop", ok=False),
        result("throughput", "raw-asyncio", msgs_per_s=1000.0),
    ]
    found = by_name(report.targets(results))
    assert found["tcp PUSH/PULL 16 B, per-message API, vs raw-asyncio"].status == "not measured"


def test_targets_section_lists_every_target_with_its_status() -> None:
    results = [
        result("throughput", "aiomsg-uvloop", msgs_per_s=400.0),
        result("throughput", "raw-asyncio", msgs_per_s=1000.0),
    ]
    lines = report.targets_section(report.targets(results))
    text = "\n".join(lines)
    assert (
        "| tcp PUSH/PULL 16 B, per-message API, vs raw-asyncio | 0.40x | ≥ 0.5x | missed |" in text
    )
    assert "| memory per idle tcp connection (bound side) | — | ≤ 16 KiB | not measured |" in text
    assert f"0 of 1 measured targets met ({len(report.targets([]))} defined)." in text


# -- report tables and chart ---------------------------------------------------------------


def scale_results() -> list[dict[str, Any]]:
    out = []
    for impl, k in (("aiomsg-uvloop", 1.0), ("pyzmq", 2.0)):
        for size in (16, 65536):
            out.append(
                result(
                    "scale",
                    impl,
                    size,
                    case="size",
                    x=size,
                    msgs_per_s=1e5 * k,
                    mb_per_s=size * k,
                    recv_cpu_us=size / 1000 * k,
                )
            )
        for subs in (1, 4):
            out.append(
                result(
                    "scale",
                    impl,
                    case="subscribers",
                    x=subs,
                    msgs_per_s=1e5 * subs * k,
                    published_per_s=1e5 * k,
                    pub_cpu_us=subs * k,
                    lost=0.0,
                )
            )
        for peers in (1, 10):
            out.append(
                result(
                    "scale", impl, case="peers", x=peers, msgs_per_s=1e5 * k, router_cpu_us=2.0 * k
                )
            )
        out.append(
            result(
                "scale",
                impl,
                case="connections",
                x=1000,
                accepts_per_s=500.0 * k,
                server_kib_per_conn=5.0 * k,
                client_kib_per_socket=20.0,
            )
        )
    return out


def test_markdown_has_a_table_per_scale_case_with_ratios() -> None:
    text = report.markdown(scale_results(), {"machine": {"summary": "test machine"}})
    for title in (
        "## Scale: message size",
        "## Scale: subscribers",
        "## Scale: peers",
        "## Scale: connections",
    ):
        assert title in text
    # aiomsg at 10 peers: same rate as with 1 (1.00x), half of pyzmq's (0.50x).
    assert "| 10 | aiomsg-uvloop | 100,000 |" in text
    assert "| 1.00x | 0.50x |" in text
    assert "| 1000 | aiomsg-uvloop | 500 | 5.0 | 20.0 | 0.50x | 0.50x |" in text


def test_chart_draws_the_scale_curves(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    path = tmp_path / "chart.png"
    message = report.write_chart(path, scale_results())
    assert message == f"chart written to {path}"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_chart_without_anything_to_draw_says_so(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    message = report.write_chart(tmp_path / "c.png", [result("memory", "aiomsg")])
    assert message.startswith("chart skipped")


def test_fd_limit_is_raised_not_lowered() -> None:
    import resource

    before = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    assert scale.raise_fd_limit(16) >= min(before, 16)
    assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] == before


def test_floor_measures_every_piece() -> None:
    from bench import floor

    for size in (16, 100_000):  # both sides of raw-asyncio's large-message path
        found = floor.measure(count=50, size=size, rounds=1)
        # The frame pieces time short frames only.
        assert list(found) == [
            name for name in floor.PIECES if size <= floor.FRAME_BODY_MAX or name not in floor.FRAME_PIECES
        ]
        assert all(ns > 0 for ns in found.values())


def test_floor_command_prints_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["floor", "--count", "20", "--rounds", "1"]) == 0
    out = capsys.readouterr().out
    assert "| piece | ns/message |" in out and "| raw recv |" in out


def test_floor_curve_adds_seal_and_open_to_each_side() -> None:
    from bench import floor

    lines = floor.curve_floor({"seal": 500.0, "open": 700.0}, send_us=1.5, recv_us=1.0)
    assert "send 1,500 + seal 500 = 2,000 ns" in lines[0]
    assert "recv 1,000 + open 700 = 1,700 ns" in lines[0]
    assert "at most 500,000 msg/s" in lines[1]  # the sender, the slower side


def test_floor_curve_adds_the_frames_when_measured() -> None:
    from bench import floor

    found = {"seal": 500.0, "open": 700.0, "seal frame": 800.0, "open frame": 1500.0}
    lines = floor.curve_floor(found, send_us=1.5, recv_us=1.0)
    assert len(lines) == 4
    assert "NULL plus the frames" in lines[2]
    assert "send 1,500 + seal frame 800 = 2,300 ns" in lines[2]
    assert "recv 1,000 + open frame 1,500 = 2,500 ns" in lines[2]
    assert "at most 400,000 msg/s" in lines[3]  # the receiver, the slower side


def test_floor_command_prints_the_curve_floor(capsys: pytest.CaptureFixture[str]) -> None:
    if not aiomsg.has_curve():
        pytest.skip("no PyNaCl")
    argv = ["floor", "--count", "20", "--rounds", "1", "--null-cpu", "1.0", "0.5"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "| seal |" in out and "| open frame |" in out
    assert "CURVE floor, NULL plus the box calls: send 1,000 + seal" in out
    assert "CURVE floor, NULL plus the frames: send 1,000 + seal frame" in out


def test_floor_frame_pieces_time_short_frames_only() -> None:
    if not aiomsg.has_curve():
        pytest.skip("no PyNaCl")
    from bench import floor

    assert set(floor.curve_pieces(50, 16)) == set(floor.CURVE_PIECES)
    assert set(floor.curve_pieces(50, 1024)) == {"seal", "open"}
    with pytest.raises(ValueError, match="short frames"):
        asyncio.run(floor.PIECES["open frame"](10, floor.FRAME_BODY_MAX + 1))


def test_floor_peer_reports_the_curve_pieces(capsys: pytest.CaptureFixture[str]) -> None:
    if not aiomsg.has_curve():
        pytest.skip("no PyNaCl")
    from bench import floor

    floor.curve_floor_peer({"count": 50, "size": 16})
    got = json.loads(capsys.readouterr().out)
    assert got["event"] == "result"
    assert {k for k in got if k != "event"} == {
        "seal_ns", "open_ns", "seal_frame_ns", "open_frame_ns"
    }
    assert all(got[k] > 0 for k in got if k != "event")


def test_curve_floor_rate_and_table() -> None:
    floor_row = result(
        "curve", report.FLOOR, seal_ns=400.0, open_ns=500.0,
        seal_frame_ns=600.0, open_frame_ns=1000.0,
    )
    results = [
        result("throughput", "aiomsg-uvloop", send_cpu_us=0.5, recv_cpu_us=0.6, msgs_per_s=1.0),
        result("throughput", "raw-asyncio", send_cpu_us=0.3, recv_cpu_us=0.4, msgs_per_s=1.0),
        result("curve", "aiomsg-uvloop", msgs_per_s=300_000.0),
        result("curve", "pyzmq", msgs_per_s=1_000_000.0),
        floor_row,
    ]
    # aiomsg: send 500 + 600, recv 600 + 1,000 ns: the receiver sets 625,000/s.
    assert report.curve_floor_rate(results, "aiomsg-uvloop", 16) == pytest.approx(625_000)
    # raw-asyncio: recv 400 + 1,000 ns.
    assert report.curve_floor_rate(results, "raw-asyncio", 16) == pytest.approx(1e9 / 1400)
    assert report.curve_floor_rate(results, "pyzmq", 16) is None  # no NULL row
    table = "\n".join(report.curve_floor_table(results))
    assert "| 16 B | 400 | 500 | 600 | 1,000 | 625,000 | 714,286 | 0.62x | 0.71x | 1/1 |" in table
    # The CURVE table keeps its rows, not the floor's.
    curve = "\n".join(report.curve_table(results))
    assert "aiomsg-uvloop" in curve and report.FLOOR not in curve
    assert "the floor" in report.markdown(results, {})


def test_count_never_sends_more_than_a_gibibyte_on_the_size_curve() -> None:
    items = scale.plan(("size",), ["pyzmq"], quick=False, count=1_000_000, skipped=[])
    by_size = {p.size: p.count for p in items}
    assert by_size[16] == 1_000_000
    assert by_size[16 << 20] * (16 << 20) <= scale.MAX_BYTES
