"""RADIO/DISH over udp against libzmq 4.3.5 (zeromq.js): unicast on loopback,
and multicast inside a private network namespace the test makes.

Never multicast on the host's network: the multicast test runs its peers
under ``unshare -n``, where only ``lo`` exists, with 224.0.0.0/4 routed to it.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import aiomsg

from ._helpers import TIMEOUT
from ._node import NodePeer, node_missing
from .test_interop_draft import send_until


def free_udp_port() -> int:
    """A loopback UDP port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_zjs_radio_to_aiomsg_dish_unicast(ctx: aiomsg.Context, zjs: NodePeer) -> None:
    dish = ctx.socket(aiomsg.DISH, linger=0)
    await dish.join("weather")
    endpoint = await dish.bind("udp://127.0.0.1:*")
    radio = await zjs.socket("Radio")
    await radio.connect(endpoint)

    async def publish() -> None:
        await radio.send(b"no", group=b"news")  # a udp RADIO sends it: the DISH filters
        await radio.send(b"sunny", group=b"weather")

    assert await send_until(publish, dish.recv_with_group()) == (b"sunny", b"weather")
    big = b"B" * (8192 - 1 - len(b"weather"))  # the largest datagram libzmq sends

    async def publish_big() -> None:
        await radio.send(big, group=b"weather")

    async with asyncio.timeout(TIMEOUT):
        while (await send_until(publish_big, dish.recv_with_group()))[0] != big:
            pass
    assert dish.dropped == 0


async def test_aiomsg_radio_to_zjs_dish_unicast(ctx: aiomsg.Context, zjs: NodePeer) -> None:
    dish = await zjs.socket("Dish")
    await dish.join(b"weather")
    # libzmq's LAST_ENDPOINT for a udp bind to port * is "127.0.0.1:*": no port.
    endpoint = f"udp://127.0.0.1:{free_udp_port()}"
    await dish.bind(endpoint)
    radio = ctx.socket(aiomsg.RADIO, linger=0)
    await radio.connect(endpoint)

    async def publish() -> None:
        await radio.send(b"no", group="news")
        await radio.send(b"sunny", group="weather")

    assert await send_until(publish, dish.recv()) == (b"sunny", b"weather")
    group = b"g" * 127  # the longest group libzmq 4.3.5 reads correctly
    await dish.join(group)

    async def publish_long() -> None:
        await radio.send(b"long", group=group)

    async with asyncio.timeout(TIMEOUT):
        while (await send_until(publish_long, dish.recv()))[1] != group:
            pass


# ------------------------------------------------------------------ multicast

SCENARIO = Path(__file__).with_name("_multicast_scenario.py")


def namespace_missing() -> str | None:
    """Why a private network namespace cannot be made here, or None."""
    if os.geteuid() != 0:
        return "making a network namespace (unshare -n) needs root"
    for tool in ("unshare", "ip"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (util-linux, iproute2)"
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        return f"unshare -n fails here: {probe.stderr.decode().strip()}"
    return None


@pytest.mark.parametrize("direction", ["zjs-radio", "aiomsg-radio"])
async def test_multicast_in_a_private_namespace(direction: str, request: pytest.FixtureRequest) -> None:
    """Two DISHes on one group both receive (libzmq binds with SO_REUSEPORT)."""
    missing = namespace_missing() or node_missing()
    if missing is not None:
        pytest.skip(missing)
    loop_name = "uvloop" if "uvloop" in request.node.name else "asyncio"
    # The namespace: lo only, up, with multicast, and 224.0.0.0/4 routed to it.
    script = (
        "ip link set lo up && ip link set lo multicast on && "
        "ip route add 224.0.0.0/4 dev lo && exec \"$0\" \"$@\""
    )
    process = await asyncio.create_subprocess_exec(
        "unshare", "-n", "sh", "-c", script, sys.executable, str(SCENARIO), direction, loop_name,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    async with asyncio.timeout(3 * TIMEOUT):
        out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    result = json.loads(out.decode().strip().splitlines()[-1])
    assert result == {"received": [["sunny", "weather"], ["sunny", "weather"]]}, result
