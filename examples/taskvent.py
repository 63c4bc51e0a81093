"""Task ventilator: hands out a batch of tasks to workers through a PUSH socket.

The parallel pipeline has three programs: this ventilator, any number of
workers, and a sink that collects their results.

    ventilator (PUSH) --> workers (PULL ... PUSH) --> sink (PULL)

PUSH deals messages round-robin to its connected peers, so to spread the batch
over every worker the ventilator waits until they are connected: as in the
classic program, until you press Enter; or, with --wait-workers N, until N
workers have completed their handshake (it watches the socket's monitor). It
also tells the sink that the batch has started. Each task is a workload in
milliseconds; a worker "processes" it by sleeping that long.

    python examples/tasksink.py
    python examples/taskwork.py          # in as many terminals as you like
    python examples/taskvent.py          # press Enter once the workers are up

The wait for Enter runs input() in a thread (asyncio.to_thread): a plain
input() would block the event loop, and with it every connection in the
background, so the workers could not even finish connecting.

With --connect the ventilator connects to a streamer device (device_streamer.py)
instead of binding, and waits for that connection rather than for workers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random

import aiomsg


async def main(
    port: int,
    connect: str | None,
    sink_port: int,
    tasks: int,
    max_ms: int,
    wait_workers: int | None,
) -> None:
    async with aiomsg.Context() as ctx:
        sender = ctx.socket(aiomsg.PUSH)
        events = sender.monitor()  # before bind/connect, so that no handshake is missed
        if connect:
            await sender.connect(connect)
            peers: int | None = 1
        else:
            await sender.bind(f"tcp://*:{port}")
            peers = wait_workers
        sink = ctx.socket(aiomsg.PUSH)
        await sink.connect(f"tcp://127.0.0.1:{sink_port}")

        if peers is None:
            # Not input(): it would stop the event loop, and the workers'
            # connections with it, until Enter is pressed.
            await asyncio.to_thread(input, "Press Enter when the workers are ready: ")
        else:
            print(f"Waiting for {'the device' if connect else f'{peers} worker(s)'} to connect...")
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
        "--wait-workers",
        type=int,
        metavar="N",
        help="wait for N workers to connect instead of for Enter",
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
