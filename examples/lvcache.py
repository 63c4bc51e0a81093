"""Last value cache: a proxy that gives each new subscriber the latest value at once.

Publishers connect to the frontend (a SUB that takes everything) and send
``[topic, value]``; subscribers connect to the backend, an XPUB with
``xpub_verbose``, so that every subscription reaches the cache, repeats
included. When one arrives, the cache sends that topic's last value to the
subscribers straight away, instead of leaving the newcomer waiting for the
next update. Any ZeroMQ subscriber works: the test uses libzmq ones (pyzmq).

    python examples/lvcache.py [--frontend tcp://127.0.0.1:5557] [--backend tcp://127.0.0.1:5558]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib

import aiomsg


async def forward_updates(
    frontend: aiomsg.Socket, backend: aiomsg.Socket, cache: dict[bytes, list[bytes]]
) -> None:
    async for topic, *value in frontend:
        cache[topic] = value
        await backend.send_multipart([topic, *value])


async def answer_subscriptions(backend: aiomsg.Socket, cache: dict[bytes, list[bytes]]) -> None:
    async for event, *_ in backend:
        if event[:1] == b"\x01":  # a subscription, from a new or returning subscriber
            topic = event[1:]
            if topic in cache:
                # Every subscriber of the topic gets it: an update, not a private reply.
                await backend.send_multipart([topic, *cache[topic]])


async def main(frontend_endpoint: str, backend_endpoint: str) -> None:
    async with aiomsg.Context() as ctx:
        frontend = ctx.socket(aiomsg.SUB)
        frontend.subscribe(b"")
        backend = ctx.socket(aiomsg.XPUB, xpub_verbose=True)
        frontend_endpoint = await frontend.bind(frontend_endpoint)
        backend_endpoint = await backend.bind(backend_endpoint)
        print(f"publishers: {frontend_endpoint} subscribers: {backend_endpoint}")
        cache: dict[bytes, list[bytes]] = {}
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(forward_updates(frontend, backend, cache))
            tasks.create_task(answer_subscriptions(backend, cache))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--frontend", default="tcp://127.0.0.1:5557", help="publishers' side")
    parser.add_argument("--backend", default="tcp://127.0.0.1:5558", help="subscribers' side")
    return parser.parse_args()


if __name__ == "__main__":
    args = parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        aiomsg.run(main(args.frontend, args.backend))
