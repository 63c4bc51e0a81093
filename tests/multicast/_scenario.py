"""Runs inside a private network namespace (see _netns.py); not a test module.

Reads a scenario (JSON, argv[1]), injects loss with nftables if it asks,
starts the receivers, then the sources (aiomsg or libzmq peers, each its own
process), synchronises them without sleeping (sources repeat a SYNC message
until every receiver has heard each of them), lets the sources send, waits
for every receiver's result, stops the sources, and prints one JSON line:
``{"subs": [...], "pubs": [...], "dropped": n}``.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PEERS = {
    "aiomsg": [sys.executable, str(HERE / "_peer_aiomsg.py")],
    "libzmq": ["/usr/bin/python3", str(HERE / "_peer_libzmq.py")],
}
TABLE = "aiomsg_loss"
DEBUG = bool(os.environ.get("AIOMSG_SCENARIO_DEBUG"))


def loss_rules(loss: dict[str, Any], raw: bool) -> list[str]:
    """nftables rules dropping data on the receiving side (INPUT hook:
    docs/wire/pgm.md#loss-injection): a percentage of ODATA and RDATA, and/or
    the first transmission of chosen ODATA sqns."""
    if raw:
        match, ptype, sqn = "ip protocol 113", "@th,32,8", "@th,128,32"
    else:
        match, ptype, sqn = f"udp dport {loss['port']}", "@th,96,8", "@th,192,32"
    rules = []
    if loss.get("percent"):
        rules.append(
            f"{match} {ptype} {{ 4, 5 }} numgen random mod 100 < {loss['percent']} counter drop"
        )
    if loss.get("rdata") == 100:
        rules.append(f"{match} {ptype} 5 counter drop")
    for number in loss.get("odata_sqns", []):
        rules.append(f"{match} {ptype} 4 {sqn} {number} counter drop")
    return rules


def apply_loss(loss: dict[str, Any] | None, raw: bool) -> None:
    if not loss:
        return
    script = [
        f"add table inet {TABLE}",
        f"add chain inet {TABLE} input {{ type filter hook input priority 0; }}",
    ]
    script += [f"add rule inet {TABLE} input {rule}" for rule in loss_rules(loss, raw)]
    subprocess.run(["nft", "-f", "-"], input="\n".join(script).encode(), check=True)


def dropped() -> int:
    listing = subprocess.run(
        ["nft", "list", "table", "inet", TABLE], capture_output=True, check=False
    ).stdout.decode()
    return sum(int(n) for n in re.findall(r"counter packets (\d+)", listing))


class Peer:
    def __init__(self, spec: dict[str, Any], role: str, loop: str) -> None:
        self.spec, self.role, self.loop = spec, role, loop
        self.lines: asyncio.Queue[str] = asyncio.Queue()
        self.process: asyncio.subprocess.Process | None = None
        self.stderr = b""
        self._reader: asyncio.Future[None] | None = None

    async def start(self) -> None:
        spec = self.spec
        command = [*PEERS[spec["impl"]], self.role, spec["endpoint"], "--loop", self.loop]
        for key in ("name", "case", "count", "topic", "timeout", "stream", "last"):
            if spec.get(key) is not None:
                command += [f"--{key}", str(spec[key])]
        command += ["--options", json.dumps(spec.get("options", {}))]
        for flag in ("bind", "xpub", "xsub"):
            if spec.get(flag):
                command.append(f"--{flag}")
        self.process = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        async for raw in self.process.stdout:
            line = raw.decode(errors="replace").strip()
            if DEBUG:
                print(f"{time.monotonic():.3f} raw {self.spec['impl']} {self.role}: {line[:100]!r}", file=sys.stderr)
            if line.startswith("@"):  # OpenPGM writes warnings to stdout too
                await self.lines.put(line[1:])
        await self.lines.put("EOF")

    async def expect(self, prefix: str) -> str:
        while True:
            line = await self.lines.get()
            if DEBUG:
                print(f"{time.monotonic():.3f} {self.spec['impl']} {self.role}: {line[:80]}", file=sys.stderr)
            if line.startswith(prefix):
                return line[len(prefix) :].strip()
            if line == "EOF":
                assert self.process is not None and self.process.stderr is not None
                error = (await self.process.stderr.read()).decode(errors="replace")
                raise RuntimeError(f"{self.spec['impl']} {self.role} ended: {error[-2000:]}")

    def tell(self, command: str) -> None:
        assert self.process is not None and self.process.stdin is not None
        self.process.stdin.write(command.encode() + b"\n")

    async def result(self) -> dict[str, Any]:
        found: dict[str, Any] = json.loads(await self.expect("RESULT"))
        found["impl"] = self.spec["impl"]
        return found

    async def end(self) -> None:
        if self.process is not None:
            try:
                async with asyncio.timeout(10):
                    await self.process.wait()
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


async def run(scenario: dict[str, Any]) -> dict[str, Any]:
    loop = scenario.get("loop", "asyncio")
    apply_loss(scenario.get("loss"), scenario.get("raw", False))
    subs = [Peer(spec, "sub", loop) for spec in scenario["subs"]]
    pubs = [Peer(spec, "pub", loop) for spec in scenario["pubs"]]
    early = [sub for sub in subs if not sub.spec.get("late")]
    late = [sub for sub in subs if sub.spec.get("late")]
    try:
        async with asyncio.timeout(scenario.get("timeout", 40)):
            for sub in early:
                await sub.start()
                await sub.expect("READY")
            for pub in pubs:
                await pub.start()
                await pub.expect("READY")
            names = {pub.spec["name"] for pub in pubs}
            for sub in early:
                heard: set[str] = set()
                while heard != names:
                    heard.add(await sub.expect("SYNCED"))
            for pub in pubs:
                pub.tell("GO")
            if late:
                for pub in pubs:
                    await pub.expect("SENT 20")
                for sub in late:
                    await sub.start()
                    await sub.expect("READY")
            sub_results = [await sub.result() for sub in subs]
            for pub in pubs:
                pub.tell("STOP")
            pub_results = [await pub.result() for pub in pubs]
    except TimeoutError:
        report = []
        for peer in subs + pubs:
            if peer.process is not None and peer.process.returncode is None:
                peer.process.kill()
            await peer.end()
            if peer.process is not None and peer.process.stderr is not None:
                error = (await peer.process.stderr.read()).decode(errors="replace")
                report.append(f"--- {peer.spec['impl']} {peer.role}:\n{error[-3000:]}")
        raise RuntimeError("scenario timed out\n" + "\n".join(report)) from None
    finally:
        for peer in subs + pubs:
            if peer.process is not None and peer.process.returncode is None:
                peer.process.kill()
        for peer in subs + pubs:
            await peer.end()
    return {"subs": sub_results, "pubs": pub_results, "dropped": dropped()}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(run(json.loads(sys.argv[1])))))
