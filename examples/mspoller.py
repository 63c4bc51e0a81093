"""Multiple socket poller: one loop serving a task PULL and a weather SUB.

The classic way to read from several sockets in one loop is a poller:
register the sockets, wait until one is readable, receive from it without
waiting. aiomsg.Poller does this on the event loop, as zmq.asyncio.Poller
does; poll() returns (socket, events) pairs, so dict() of the result says
which sockets are ready.

    python examples/weather_server.py
    python examples/taskvent.py --wait-workers 1
    python examples/mspoller.py [--vent-port 5557] [--weather-port 5556]

One task per socket (asyncio.TaskGroup) does the same job without a poller;
the poller is the shape code ported from pyzmq already has. Runs until
interrupted, or until --tasks tasks and --updates updates have arrived.
"""

from __future__ import annotations

import argparse
import contextlib

import aiomsg


async def main(
    vent_port: int, weather_port: int, tasks: int | None, updates: int | None
) -> None:
    async with aiomsg.Context() as ctx:
        receiver = ctx.socket(aiomsg.PULL)
        await receiver.connect(f"tcp://127.0.0.1:{vent_port}")
        subscriber = ctx.socket(aiomsg.SUB)
        await subscriber.connect(f"tcp://127.0.0.1:{weather_port}")
        subscriber.subscribe(b"10001")

        poller = aiomsg.Poller()
        poller.register(receiver, aiomsg.POLLIN)
        poller.register(subscriber, aiomsg.POLLIN)
        got_tasks = got_updates = 0
        while (tasks is None or got_tasks < tasks) or (updates is None or got_updates < updates):
            ready = dict(await poller.poll())
            if receiver in ready:
                print(f"Task: {await receiver.recv_string()} ms")
                got_tasks += 1
            if subscriber in ready:
                print(f"Weather update: {await subscriber.recv_string()}")
                got_updates += 1


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--vent-port", type=int, default=5557, help="ventilator's TCP port (default: 5557)"
    )
    parser.add_argument(
        "--weather-port", type=int, default=5556, help="weather server's TCP port (default: 5556)"
    )
    parser.add_argument("--tasks", type=int, help="stop once this many tasks arrived...")
    parser.add_argument("--updates", type=int, help="...and this many weather updates")
    return parser.parse_args()


if __name__ == "__main__":
    args = parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        aiomsg.run(main(args.vent_port, args.weather_port, args.tasks, args.updates))
