"""The scale and CURVE rows' peers run end to end with tiny counts. Behaviour only, no timing:
each run succeeds and reports figures of the right kind."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bench.harness import Endpoints, Params, measure

pytestmark = pytest.mark.timeout(60)


def run(pattern: str, params: Params, timeout: float = 30.0) -> dict[str, Any]:
    endpoints = Endpoints()
    try:
        return asyncio.run(measure(pattern, params, 1, timeout, endpoints))
    finally:
        endpoints.cleanup()


@pytest.mark.parametrize("impl", ["aiomsg-uvloop", "pyzmq", "raw-asyncio"])
def test_router_with_several_dealers(impl: str) -> None:
    if impl == "pyzmq":
        pytest.importorskip("zmq")
    got = run(
        "scale",
        Params(600, 16, "tcp", impl, extra={"case": "peers", "x": 3, "peers": 3}),
    )
    assert got["ok"], got["errors"]
    assert got["x"] == 3 and got["case"] == "peers"
    m = got["metrics"]
    assert m["msgs_per_s"] > 0 and m["router_cpu_us"] > 0
    assert m["accepts_per_s"] > 0


def test_idle_connections_report_memory_per_connection() -> None:
    got = run(
        "scale",
        Params(0, 16, "tcp", "aiomsg-uvloop", extra={"case": "connections", "x": 5, "peers": 5}),
    )
    assert got["ok"], got["errors"]
    m = got["metrics"]
    assert m["accepts_per_s"] > 0
    assert m["server_kib_per_conn"] is not None and m["client_kib_per_socket"] is not None
    assert "msgs_per_s" not in m


@pytest.mark.parametrize("impl", ["aiomsg-uvloop", "raw-asyncio"])
def test_subscribers_sharing_processes_receive_everything(impl: str) -> None:
    extra = {"case": "subscribers", "x": 3, "subscribers": 3, "processes": 2}
    got = run("scale", Params(300, 16, "tcp", impl, hwm=10_000, extra=extra))
    assert got["ok"], got["errors"]
    assert got["metrics"]["lost"] == 0
    raw = got["runs"][0]["raw"]["subscribers"]
    assert sorted(r["received"] for r in raw) == [300, 600]  # one process has two SUBs


def test_large_message_throughput_row() -> None:
    got = run(
        "scale",
        Params(4, 1 << 20, "tcp", "raw-asyncio", hwm=4, extra={"case": "size", "x": 1 << 20}),
    )
    assert got["ok"], got["errors"]
    assert got["metrics"]["mb_per_s"] > 0
    assert got["runs"][0]["raw"]["receiver"]["sizes"] == [1 << 20, 1 << 20]


@pytest.mark.parametrize("impl", ["aiomsg-uvloop", "pyzmq"])
def test_curve_row_runs_with_the_planned_keys(impl: str) -> None:
    from bench import cli

    keys = cli.curve_keys()
    if keys is None:
        pytest.skip("no CURVE support (PyNaCl) here")
    got = run("curve", Params(300, 16, "tcp", impl, extra={"spec": {"curve": keys}}))
    assert got["ok"], got["errors"]
    assert got["metrics"]["msgs_per_s"] > 0


def test_curve_row_really_uses_curve() -> None:
    # A client that expects another server key cannot complete the handshake,
    # so nothing arrives and the run fails: the keys are in use, not ignored.
    from bench import cli

    keys, other = cli.curve_keys(), cli.curve_keys()
    if keys is None or other is None:
        pytest.skip("no CURVE support (PyNaCl) here")
    wrong = {**keys, "server_public": other["server_public"]}
    got = run(
        "curve",
        Params(300, 16, "tcp", "aiomsg-uvloop", extra={"spec": {"curve": wrong}}),
        timeout=3.0,
    )
    assert not got["ok"]
    assert "timeout" in got["errors"][0]
