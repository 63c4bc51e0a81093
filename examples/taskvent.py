"""Task ventilator: hands out a batch of tasks to workers through a PUSH socket.

The parallel pipeline has three programs: this ventilator, any number of
workers, and a sink that collects their results.

    ventilator (PUSH) --> workers (PULL ... PUSH) --> sink (PULL)

PUSH deals messages round-robin to its connected peers, so to spread the batch
over every worker the ventilator first waits until --wait-workers workers have
connected (it watches the socket's monitor for completed handshakes). It also
tells the sink that the batch has started. Each task is a workload in
milliseconds; a worker "processes" it by sleeping that long.

    python examples/tasksink.py
    python examples/taskwork.py          # in as many terminals as you like
    python examples/taskvent.py --wait-workers 2

With --connect the ventilator connects to a streamer device (device_streamer.py)
instead of binding, and waits for that connection rather than for workers.
"""

from __future__ import annotations

import argparse
import contextlib
import random

import aiomsg


async def main(
    port: int, connect: str | None, sink_port: int, tasks: int, max_ms: int, wait_workers: int
) -> None:
    async with aiomsg.Context() as ctx:
        sender = ctx.socket(aiomsg.PUSH)
        events = sender.monitor()  # before bind/connect, so that no handshake is missed
        if connect:
            await sender.connect(connect)
            peers, waiting_for = 1, "the device"
        else:
            await sender.bind(f"tcp://*:{port}")
            peers, waiting_for = wait_workers, f"{wait_workers} worker(s)"
        sink = ctx.socket(aiomsg.PUSH)
        await sink.connect(f"tcp://127.0.0.1:{sink_port}")

        print(f"Waiting for {waiting_for} to connect...")
        for _ in range(peers):
            await events.wait_for(aiomsg.Event.HANDSHAKE_SUCCEEDED)

        await sink.send(b"0")  # the batch starts now
        workloads = [random.randint(1, max_ms) for _ in range(tasks)]
        print(f"Sending {tasks} tasks, total expected cost: {sum(workloads)} msec")
        for workload in workloads:
            await sender.send_string(str(workload))
    # Leaving the context waits until every queued task has been handed over.


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--port", type=int, default=5557, help="TCP port to bind (default: 5557)")
    where.add_argument("--connect", metavar="ENDPOINT", help="connect here instead of binding")
    parser.add_argument(
        "--sink-port", type=int, default=5558, help="sink's TCP port (default: 5558)"
    )
    parser.add_argument("--tasks", type=int, default=100, help="tasks in the batch (default: 100)")
    parser.add_argument("--max-ms", type=int, default=100, help="longest workload (default: 100)")
    parser.add_argument(
        "--wait-workers", type=int, default=1, metavar="N", help="workers to wait for (default: 1)"
    )
    return parser.parse_args()


if __name__ == "__main__":
    args = parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        aiomsg.run(
            main(
                args.port, args.connect, args.sink_port, args.tasks, args.max_ms, args.wait_workers
            )
        )
