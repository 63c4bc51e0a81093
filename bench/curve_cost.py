"""What CURVE costs: aiomsg PUSH -> PULL over loopback tcp, NULL vs CURVE, same run.

    python -m bench.curve_cost [--count N] [--repeat R]

Each measurement runs the PULL side in a child process (so sender and
receiver each have a core) and the PUSH side here; the child times the
messages from the first to the last and reports messages per second. The
best of ``--repeat`` runs is shown for each mechanism and size.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time

import aiomsg

SIZES = (16, 1024)


def _run(coro: object) -> object:
    try:
        import uvloop

        return uvloop.run(coro)  # type: ignore[arg-type]
    except ImportError:
        return asyncio.run(coro)  # type: ignore[arg-type]


def _server_options(mech: str, keys: dict[str, str]) -> dict[str, object]:
    if mech == "CURVE":
        return {"curve_server": True, "curve_secretkey": keys["server_secret"]}
    return {}


def _client_options(mech: str, keys: dict[str, str]) -> dict[str, object]:
    if mech == "CURVE":
        return {
            "curve_serverkey": keys["server_public"],
            "curve_secretkey": keys["client_secret"],
        }
    return {}


async def _pull(mech: str, count: int, keys: dict[str, str]) -> None:
    async with aiomsg.Context() as ctx:
        pull = ctx.socket(aiomsg.PULL, rcvhwm=0, **_server_options(mech, keys))
        endpoint = await pull.bind("tcp://127.0.0.1:*")
        print(endpoint, flush=True)
        await pull.recv()
        start = time.perf_counter()
        for _ in range(count - 1):
            await pull.recv()
        elapsed = time.perf_counter() - start
        print(json.dumps({"rate": (count - 1) / elapsed}), flush=True)
        pull.close(linger=0)


async def _push(endpoint: str, mech: str, size: int, count: int, keys: dict[str, str]) -> None:
    async with aiomsg.Context() as ctx:
        push = ctx.socket(aiomsg.PUSH, sndhwm=10000, **_client_options(mech, keys))
        await push.connect(endpoint)
        body = b"x" * size
        for _ in range(count):
            await push.send(body)
        await push.aclose(linger=-1)


def measure(mech: str, size: int, count: int, keys: dict[str, str]) -> float:
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.curve_cost", "--pull", mech, "--count", str(count)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None
    child.stdin.write(json.dumps(keys) + "\n")
    child.stdin.close()
    endpoint = child.stdout.readline().strip()
    _run(_push(endpoint, mech, size, count, keys))
    result = json.loads(child.stdout.readline())
    child.wait(timeout=60)
    return float(result["rate"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000, help="messages per run")
    parser.add_argument("--repeat", type=int, default=3, help="runs per cell (best kept)")
    parser.add_argument("--pull", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pull:
        keys = json.loads(sys.stdin.readline())
        _run(_pull(args.pull, args.count, keys))
        return
    server_public, server_secret = aiomsg.curve_keypair()
    _, client_secret = aiomsg.curve_keypair()
    keys = {
        "server_public": server_public.decode(),
        "server_secret": server_secret.decode(),
        "client_secret": client_secret.decode(),
    }
    print(f"aiomsg {aiomsg.__version__}, PUSH -> PULL over tcp://127.0.0.1, {args.count} msgs/run")
    print(f"{'size':>6} | {'NULL msg/s':>12} | {'CURVE msg/s':>12} | CURVE/NULL")
    print("-" * 50)
    for size in SIZES:
        rates = {
            mech: max(measure(mech, size, args.count, keys) for _ in range(args.repeat))
            for mech in ("NULL", "CURVE")
        }
        ratio = rates["CURVE"] / rates["NULL"]
        print(f"{size:>5}B | {rates['NULL']:>12,.0f} | {rates['CURVE']:>12,.0f} | {ratio:.0%}")


if __name__ == "__main__":
    main()
