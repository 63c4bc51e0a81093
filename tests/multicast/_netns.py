"""Running multicast scenarios inside a private network namespace.

Multicast never leaves the machine: every scenario runs under ``unshare -n``
in a namespace of its own, where only ``lo`` exists, up, with multicast on
and 224.0.0.0/4 routed to it. Nothing is ever sent on the host's network.
The functions saying what is missing name it, for the skip message.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

SCENARIO = Path(__file__).with_name("_scenario.py")
SYSTEM_PYTHON = "/usr/bin/python3"
#: The namespace: lo only, up, multicast on, every group routed to it.
SETUP = (
    "ip link set lo up && ip link set lo multicast on && "
    "ip route add 224.0.0.0/4 dev lo && exec \"$0\" \"$@\""
)


@cache
def namespace_missing() -> str | None:
    """Why a private network namespace cannot be made here, or None."""
    if os.geteuid() != 0:
        return "multicast tests run in a private network namespace: unshare -n needs root"
    for tool in ("unshare", "ip"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (util-linux, iproute2)"
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        return f"unshare -n fails here: {probe.stderr.decode().strip()}"
    return None


@cache
def libzmq_missing() -> str | None:
    """Why the libzmq peer (Debian's python3-zmq, with OpenPGM) cannot run, or None."""
    if not Path(SYSTEM_PYTHON).exists():
        return f"{SYSTEM_PYTHON} is missing (the libzmq peer is Debian's python3-zmq)"
    probe = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import zmq; print(zmq.has('pgm'))"],
        capture_output=True,
        check=False,
    )
    if probe.returncode != 0:
        return f"{SYSTEM_PYTHON} cannot import zmq: apt-get install python3-zmq (make peers)"
    if probe.stdout.strip() != b"True":
        return f"{SYSTEM_PYTHON}'s libzmq has no OpenPGM (zmq.has('pgm') is false)"
    return None


@cache
def nft_missing() -> str | None:
    """Why nftables cannot inject loss here, or None."""
    if shutil.which("nft") is None:
        return "nft is not installed (apt-get install nftables, or make peers)"
    return None


def loop_name(request: Any) -> str:
    """The event loop the test runs under, for the peers to use too."""
    return "uvloop" if "uvloop" in request.node.name else "asyncio"


async def run_in_namespace(script: Path, *args: str, timeout: float = 60) -> dict[str, Any]:
    """Run *script* under this interpreter in a fresh namespace; its last stdout
    line, as JSON.

    Raises:
        AssertionError: it failed (its stderr is in the message).
        TimeoutError: it took longer than *timeout* seconds.
    """
    process = await asyncio.create_subprocess_exec(
        "unshare", "-n", "sh", "-c", SETUP, sys.executable, str(script), *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        async with asyncio.timeout(timeout):
            out, err = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, err.decode(errors="replace")[-4000:]
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return result


async def run_scenario(scenario: dict[str, Any], timeout: float = 60) -> dict[str, Any]:
    """Run *scenario* (see _scenario.py) in a fresh namespace; its JSON result.

    Raises:
        AssertionError: the scenario failed (its stderr is in the message).
        TimeoutError: it took longer than *timeout* seconds.
    """
    return await run_in_namespace(SCENARIO, json.dumps(scenario), timeout=timeout)
