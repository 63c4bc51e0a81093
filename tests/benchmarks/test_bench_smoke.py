"""Smoke test for ``python -m bench``: it runs and reports. Behaviour only, no timing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_quick_inproc_throughput_reports_a_rate(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    command = [
        sys.executable,
        "-m",
        "bench",
        "--quick",
        "--pattern",
        "throughput",
        "--transport",
        "inproc",
        "--impl",
        "aiomsg",
        "--count",
        "2000",
        "--repeat",
        "1",
        "--no-chart",
        "--json",
        str(out),
    ]
    completed = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=50, check=False
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert "| inproc |" in completed.stdout
    document = json.loads(out.read_text())
    results = document["results"]
    assert results, "no results in the JSON"
    assert {r["impl"] for r in results} == {"aiomsg"}
    for result in results:
        assert result["ok"], result["errors"]
        assert result["pattern"] == "throughput"
        assert result["transport"] == "inproc"
        assert result["metrics"]["msgs_per_s"] > 0
        assert result["runs"] and result["runs"][0]["msgs_per_s"] > 0
    assert document["meta"]["versions"]["aiomsg"]


def test_ws_rows_report_a_rate_or_say_why_not(tmp_path: Path) -> None:
    """``--transport ws`` runs its own rows (bench/ws.py): each reports a rate,
    or is skipped naming what is missing (Node, zeromq.js)."""
    out = tmp_path / "latest.json"
    command = [
        sys.executable, "-m", "bench", "--transport", "ws", "--quick", "--size", "16",
        "--count", "300", "--repeat", "1", "--json", str(out),
    ]  # fmt: skip
    completed = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert "| aiomsg ws |" in completed.stdout and "| libzmq ws |" in completed.stdout
    results = json.loads((tmp_path / "ws.json").read_text())["results"]
    assert {entry["row"] for entry in results} >= {"aiomsg tcp", "aiomsg ws", "libzmq ws"}
    for entry in results:
        assert "error" not in entry, entry
        assert entry.get("msg_per_s", 0) > 0 or entry.get("skipped"), entry
