"""``python -m bench multicast``: epgm PUB -> SUB, aiomsg and libzmq in the same run.

Two tables, reported and never asserted:

- **throughput**: messages of 16 B and 1 KiB from one PUB to one SUB of the
  same library, sources paced at ``rate`` 40 Mbit/s; msg/s and MB/s as the
  SUB saw them (first to last message received);
- **loss**: 1 KiB messages with 0 %, 1 % and 5 % of the data packets
  dropped on the receiving side (nftables, INPUT hook): how many messages
  were delivered, how many packets were dropped, how many repairs (RDATA)
  reached the receiver, and how many messages were lost for good.

Multicast never leaves the machine: the whole run happens in a private
network namespace made for it (``unshare -n``: root), where only ``lo``
exists. The libzmq side is Debian's ``python3-zmq`` (libzmq with OpenPGM)
under the system ``python3``; pyzmq's wheels have no PGM. Where any of that
is missing the rows are skipped, saying why.

This module runs in three roles: on the host (``main``: checks, then
re-runs itself in a namespace), inside the namespace (``inside``: the
driver), and as a peer (``peer``), under this interpreter for aiomsg and
under ``/usr/bin/python3`` for libzmq; a peer imports only the standard
library and its own messaging library.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SYSTEM_PYTHON = "/usr/bin/python3"
ENDPOINT = "epgm://127.0.0.1;239.192.1.1:5570"
PORT = 5570
SETUP = (
    "ip link set lo up && ip link set lo multicast on && "
    "ip route add 224.0.0.0/4 dev lo && exec \"$0\" \"$@\""
)
TABLE = "aiomsg_bench"
SYNC, DATA = b"S", b"M"
#: kbit/s of the sources (ZMQ_RATE) for each table. Not "as fast as
#: possible": a source faster than its receivers overflows their kernel
#: buffers and measures repair storms instead of throughput.
THROUGHPUT_RATE = 40_000
LOSS_RATE = 20_000


# -- the host side ---------------------------------------------------------------------


def missing() -> str | None:
    """Why the multicast rows cannot run here, or None."""
    if os.geteuid() != 0:
        return "they run in a private network namespace: unshare -n needs root"
    for tool in ("unshare", "ip", "nft"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (util-linux, iproute2, nftables: make peers)"
    probe = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import zmq; assert zmq.has('pgm')"], capture_output=True, check=False
    )
    if probe.returncode != 0:
        return f"{SYSTEM_PYTHON} has no libzmq with PGM (apt-get install python3-zmq: make peers)"
    return None


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench multicast", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer messages (a few seconds)")
    parser.add_argument("--impl", action="append", choices=("aiomsg", "libzmq"))
    parser.add_argument("--json", type=Path, help="also write the results here")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    why = missing()
    if why is not None:
        print(f"skipped: multicast rows: {why}", file=sys.stderr)
        return 0
    plan = {
        "impls": args.impl or ["aiomsg", "libzmq"],
        "throughput": {"16": 2_000 if args.quick else 50_000, "1024": 2_000 if args.quick else 20_000},
        "loss": {"count": 500 if args.quick else 3_000, "percents": [0, 1, 5]},
    }
    command = ["unshare", "-n", "sh", "-c", SETUP, sys.executable, "-m", "bench.multicast"]
    done = subprocess.run(
        [*command, "inside", json.dumps(plan)], cwd=ROOT, capture_output=True, check=False
    )
    if done.returncode != 0:
        print(done.stderr.decode(errors="replace")[-3000:], file=sys.stderr)
        return 1
    results = json.loads(done.stdout.decode().strip().splitlines()[-1])
    print(markdown(results))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))
    return 0


def markdown(results: dict[str, Any]) -> str:
    lines = [
        "### epgm throughput (PUB -> SUB, one host, lo in a private namespace)",
        "",
        "| library | size | messages | received | msg/s | MB/s |",
        "|---|---|---|---|---|---|",
    ]
    for row in results["throughput"]:
        seconds = max(row["seconds"], 1e-9)
        rate = row["received"] / seconds
        lines.append(
            f"| {row['impl']} | {row['size']} B | {row['sent']:,} | {row['received']:,} "
            f"| {rate:,.0f} | {rate * row['size'] / 1e6:,.1f} |"
        )
    lines += [
        "",
        "### epgm under loss (1 KiB messages, data packets dropped on input)",
        "",
        "| library | loss | sent | delivered | packets dropped | repairs received | lost |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in results["loss"]:
        lines.append(
            f"| {row['impl']} | {row['percent']} % | {row['sent']:,} | {row['received']:,} "
            f"| {row['dropped']:,} | {row['repairs']:,} | {row['sent'] - row['received']:,} |"
        )
    return "\n".join(lines)


# -- inside the namespace ----------------------------------------------------------------


def nft(script: str) -> None:
    subprocess.run(["nft", "-f", "-"], input=script.encode(), check=True)


def set_loss(percent: int) -> None:
    """Drop *percent* % of ODATA and RDATA on input, and count the RDATA let through."""
    subprocess.run(["nft", "delete", "table", "inet", TABLE], capture_output=True, check=False)
    match = f"udp dport {PORT}"
    rules = [f"add table inet {TABLE}", f"add chain inet {TABLE} input {{ type filter hook input priority 0; }}"]
    if percent:
        rules.append(
            f"add rule inet {TABLE} input {match} @th,96,8 {{ 4, 5 }} "
            f"numgen random mod 100 < {percent} counter drop comment \"dropped\""
        )
    rules.append(f"add rule inet {TABLE} input {match} @th,96,8 5 counter comment \"repairs\"")
    nft("\n".join(rules))


def counters() -> dict[str, int]:
    listing = subprocess.run(
        ["nft", "list", "table", "inet", TABLE], capture_output=True, check=True
    ).stdout.decode()
    found = {"dropped": 0, "repairs": 0}
    for packets, name in re.findall(r"counter packets (\d+) bytes \d+ (?:drop )?comment \"(\w+)\"", listing):
        found[name] = int(packets)
    return found


class Peer:
    def __init__(self, impl: str, *args: str) -> None:
        self.impl, self.args = impl, args
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        python = sys.executable if self.impl == "aiomsg" else SYSTEM_PYTHON
        self.process = await asyncio.create_subprocess_exec(
            python, "-m", "bench.multicast", "peer", self.impl, *self.args,
            cwd=ROOT, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip

    async def expect(self, prefix: str) -> str:
        assert self.process is not None and self.process.stdout is not None
        async for raw in self.process.stdout:
            line = raw.decode(errors="replace").strip()
            if line.startswith("@" + prefix):
                return line[len(prefix) + 1 :].strip()
        raise RuntimeError(f"{self.impl} peer {self.args[0]} ended before {prefix}")

    def tell(self, line: str) -> None:
        assert self.process is not None and self.process.stdin is not None
        self.process.stdin.write(line.encode() + b"\n")

    async def end(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()


async def one_run(impl: str, size: int, count: int, rate: int, percent: int) -> dict[str, Any]:
    set_loss(percent)
    sub = Peer(impl, "sub", str(size), str(count), str(rate))
    pub = Peer(impl, "pub", str(size), str(count), str(rate))
    try:
        async with asyncio.timeout(120):
            await sub.start()
            await sub.expect("READY")
            await pub.start()
            await pub.expect("READY")
            await sub.expect("SYNCED")
            pub.tell("GO")
            result: dict[str, Any] = json.loads(await sub.expect("RESULT"))
            pub.tell("STOP")
    finally:
        await sub.end()
        await pub.end()
    return {"impl": impl, "size": size, "sent": count, "percent": percent, **result, **counters()}


async def inside(plan: dict[str, Any]) -> dict[str, Any]:
    results: dict[str, list[dict[str, Any]]] = {"throughput": [], "loss": []}
    for impl in plan["impls"]:
        for size, count in plan["throughput"].items():
            results["throughput"].append(await one_run(impl, int(size), count, THROUGHPUT_RATE, 0))
        for percent in plan["loss"]["percents"]:
            results["loss"].append(await one_run(impl, 1024, plan["loss"]["count"], LOSS_RATE, percent))
    return results


# -- a peer: stdlib and one messaging library ------------------------------------------------


def say(out: Any, line: str) -> None:
    out.write("@" + line + "\n")
    out.flush()


def peer(impl: str, role: str, size: int, count: int, rate: int) -> None:
    """Run one PUB or SUB; lines on the driver's channel start with '@'."""
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # OpenPGM's warnings go to fd 1: keep them off the channel
    options = {"rate": rate, "recovery_ivl": 2000, "sndhwm": 0, "rcvhwm": 0}
    if impl == "aiomsg":
        asyncio.run(_aiomsg_peer(out, role, size, count, options))
    else:
        _libzmq_peer(out, role, size, count, options)


def _stdin_ready(timeout: float) -> bool:
    import select

    return bool(select.select([sys.stdin], [], [], timeout)[0])


def _libzmq_peer(out: Any, role: str, size: int, count: int, options: dict[str, int]) -> None:
    import zmq

    ctx = zmq.Context()
    sock = ctx.socket(zmq.PUB if role == "pub" else zmq.SUB)
    for name, value in options.items():
        sock.setsockopt(getattr(zmq, name.upper()), value)
    sock.linger = 0
    if role == "sub":
        sock.subscribe(b"")
    sock.connect(ENDPOINT)
    say(out, "READY")
    if role == "pub":
        while not _stdin_ready(0.02):
            sock.send(SYNC)
        sys.stdin.readline()
        body = DATA + bytes(size - 1)
        for _ in range(count):
            sock.send(body)
        sys.stdin.readline()  # serve repairs until STOP
    else:
        received, first, last, synced = 0, 0.0, 0.0, False
        while received < count:
            if not sock.poll(2000 if received else 30_000):
                break
            message = sock.recv()
            if message[:1] == SYNC:
                if not synced:
                    synced = True
                    say(out, "SYNCED")
                continue
            last = time.perf_counter()
            first = first or last
            received += 1
        say(out, "RESULT " + json.dumps({"received": received, "seconds": last - first}))
    sock.close()
    ctx.term()


async def _aiomsg_peer(out: Any, role: str, size: int, count: int, options: dict[str, int]) -> None:
    import aiomsg

    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    async with aiomsg.Context() as ctx:
        sock = ctx.socket(aiomsg.PUB if role == "pub" else aiomsg.SUB, linger=0, **options)
        if role == "sub":
            sock.subscribe(b"")
        await sock.connect(ENDPOINT)
        say(out, "READY")
        if role == "pub":
            go = asyncio.ensure_future(reader.readline())
            while not go.done():
                await sock.send(SYNC)
                await asyncio.wait({go}, timeout=0.02)
            body = DATA + bytes(size - 1)
            for _ in range(count):
                await sock.send(body)
            await reader.readline()  # serve repairs until STOP
        else:
            received, first, last, synced = 0, 0.0, 0.0, False
            try:
                while received < count:
                    async with asyncio.timeout(2 if received else 30):
                        message = await sock.recv()
                    if message[:1] == SYNC:
                        if not synced:
                            synced = True
                            say(out, "SYNCED")
                        continue
                    last = time.perf_counter()
                    first = first or last
                    received += 1
            except TimeoutError:
                pass
            losses = sock.stats().data_losses
            say(out, "RESULT " + json.dumps({"received": received, "seconds": last - first, "losses": losses}))
        ctx.destroy(linger=0)


if __name__ == "__main__":
    role = sys.argv[1]
    if role == "inside":
        print(json.dumps(asyncio.run(inside(json.loads(sys.argv[2])))))
    elif role == "peer":
        impl, kind, size, count, rate = sys.argv[2:7]
        peer(impl, kind, int(size), int(count), int(rate))
    else:
        raise SystemExit(main(sys.argv[1:]))
