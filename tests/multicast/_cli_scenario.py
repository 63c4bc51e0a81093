"""Runs inside a private network namespace (test_pgm_apps.py); not a test module.

``cli``: ``aiomsg sub`` over epgm, then ``aiomsg pub`` once the SUB reports
its session up (-v logs it). ``weather``: the weather example's client and
server over epgm. Prints one JSON line with what the receiving side printed.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENDPOINT = "epgm://127.0.0.1;239.192.1.1:5562"


async def cli() -> dict[str, object]:
    aiomsg = [sys.executable, "-m", "aiomsg"]
    sub = await asyncio.create_subprocess_exec(
        *aiomsg, "sub", ENDPOINT, "--topic", "weather", "-v", "-n", "2", "-t", "15",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert sub.stderr is not None
    async for line in sub.stderr:  # wait for the SUB's session, not a while
        if b"handshake_succeeded" in line:
            break
    pub = await asyncio.create_subprocess_exec(
        *aiomsg, "pub", ENDPOINT, stdin=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    await pub.communicate(b"weather\tsunny\nsport\t2-1\nweather\train\n")
    out, _ = await sub.communicate()
    return {"stdout": out.decode(), "pub": pub.returncode, "sub": sub.returncode}


async def weather() -> dict[str, object]:
    examples = ROOT / "examples"
    server = await asyncio.create_subprocess_exec(
        sys.executable, str(examples / "weather_server.py"), "--endpoint", ENDPOINT,
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert server.stdout is not None
    await server.stdout.readline()  # "Publishing weather updates on ..."
    client = await asyncio.create_subprocess_exec(
        sys.executable, str(examples / "weather_client.py"), "10001", "--endpoint", ENDPOINT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await client.communicate()
    server.kill()
    await server.wait()
    return {"stdout": out.decode(), "client": client.returncode, "stderr": err.decode()[-2000:]}


async def main(which: str) -> None:
    async with asyncio.timeout(30):
        result = await (cli() if which == "cli" else weather())
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
