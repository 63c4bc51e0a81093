"""Task sink: collects the workers' results and times the whole batch.

The sink waits for the ventilator's start-of-batch signal, then for one result
per task (printing ":" for every tenth and "." for the others), and reports how
long the batch took. With several workers it takes about the batch's expected
cost divided by the number of workers.

    python examples/tasksink.py [--port 5558] [--tasks 100]

See taskvent.py for the whole pipeline.
"""

from __future__ import annotations

import argparse
import contextlib
import time

import aiomsg


async def main(port: int, tasks: int) -> None:
    async with aiomsg.Context() as ctx:
        receiver = ctx.socket(aiomsg.PULL)
        await receiver.bind(f"tcp://*:{port}")

        await receiver.recv()  # the ventilator's start-of-batch signal
        start = time.perf_counter()
        for n in range(1, tasks + 1):
            await receiver.recv()
            print(":" if n % 10 == 0 else ".", end="", flush=True)
        elapsed_ms = (time.perf_counter() - start) * 1000
        print(f"\nTotal elapsed time: {elapsed_ms:.0f} msec")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, default=5558, help="TCP port to bind (default: 5558)")
    parser.add_argument("--tasks", type=int, default=100, help="results to wait for (default: 100)")
    return parser.parse_args()


if __name__ == "__main__":
    args = parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        aiomsg.run(main(args.port, args.tasks))
