"""Memory per idle tcp connection on the accepting side.

    python bench/profiles/idle_memory.py [N] [uvloop]

A ROUTER binds here; a child process connects N DEALERs to it (one
connection each) and stays idle. Reported: tracemalloc's growth (Python
objects only) and RSS growth, both divided by N, once all N are linked.
"""

from __future__ import annotations

import asyncio
import gc
import os
import resource
import subprocess
import sys
import tracemalloc

import aiomsg

CHILD = """
import asyncio, sys, aiomsg
async def main():
    async with aiomsg.Context() as ctx:
        socks = [ctx.socket(aiomsg.DEALER) for _ in range(int(sys.argv[2]))]
        for s in socks:
            await s.connect(sys.argv[1])
        print("connected", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        for s in socks:
            s.close(0)
asyncio.run(main())
"""


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def main(n: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4 * n + 100)), hard))
    async with aiomsg.Context() as ctx:
        router = ctx.socket(aiomsg.ROUTER)
        endpoint = await router.bind("tcp://127.0.0.1:*")
        # Warm up: one connection first, so one-time costs are not counted.
        warm = ctx.socket(aiomsg.DEALER)
        await warm.connect(endpoint)
        await router.wait_peers(1)
        gc.collect()
        tracemalloc.start()
        before_py = tracemalloc.get_traced_memory()[0]
        before_rss = rss()
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, endpoint, str(n)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        await router.wait_peers(n + 1)
        await asyncio.sleep(0.5)  # let every handshake's leftovers go
        gc.collect()
        after_py = tracemalloc.get_traced_memory()[0]
        after_rss = rss()
        snapshot = tracemalloc.take_snapshot()
        tracemalloc.stop()
        print(f"{n} idle connections: tracemalloc {(after_py - before_py) / n:,.0f} B each, "
              f"RSS {(after_rss - before_rss) / n:,.0f} B each")
        for stat in snapshot.statistics("lineno")[:15]:
            print(f"  {stat.size / n:8.0f} B/conn  {stat.traceback}")
        assert child.stdin is not None
        child.stdin.write("\n")
        child.stdin.flush()
        child.wait()


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    if sys.argv[2:] == ["uvloop"]:
        import uvloop

        uvloop.run(main(count))
    else:
        asyncio.run(main(count))
