"""Task worker: pulls tasks from the ventilator and pushes results to the sink.

Each task is a workload in milliseconds; the worker simulates the work by
sleeping that long, sends an empty result to the sink and prints a dot. Start
as many workers as you like: the ventilator spreads the tasks over all of them.

    python examples/taskwork.py [--port 5557] [--sink-port 5558] [--count N]

See taskvent.py for the whole pipeline. Runs until interrupted, or stops after
--count tasks.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib

import aiomsg


async def main(port: int, sink_port: int, count: int | None) -> None:
    async with aiomsg.Context() as ctx:
        receiver = ctx.socket(aiomsg.PULL)
        events = receiver.monitor()
        await receiver.connect(f"tcp://127.0.0.1:{port}")
        sender = ctx.socket(aiomsg.PUSH)
        await sender.connect(f"tcp://127.0.0.1:{sink_port}")
        # Connecting goes on in the background; say when it is done, so that
        # whoever starts the batch knows this worker will get its share.
        await events.wait_for(aiomsg.Event.HANDSHAKE_SUCCEEDED)
        print("Connected to the ventilator", flush=True)

        done = 0
        while count is None or done < count:
            workload = int(await receiver.recv_string())
            await asyncio.sleep(workload / 1000)
            await sender.send(b"")
            print(".", end="", flush=True)
            done += 1
        print()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--port", type=int, default=5557, help="ventilator's TCP port (default: 5557)"
    )
    parser.add_argument(
        "--sink-port", type=int, default=5558, help="sink's TCP port (default: 5558)"
    )
    parser.add_argument("--count", type=int, help="stop after this many tasks (default: never)")
    return parser.parse_args()


if __name__ == "__main__":
    args = parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        aiomsg.run(main(args.port, args.sink_port, args.count))
