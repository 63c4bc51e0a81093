"""A compute worker for the web examples: a RequestServer answering JSON requests.

Each request is ``{"x": 3.0, "delay": 0.0}``; the reply is
``{"x": 3.0, "result": 9.0, "worker": "<name>"}`` after waiting *delay* seconds
(a stand-in for real work, so that timeouts can be seen). The web apps in this
directory spread their requests over a pool of these workers.

    python examples/web/worker.py --bind tcp://127.0.0.1:5555 --name w1
    python examples/web/worker.py --bind tcp://127.0.0.1:5556 --name w2

Any number of requests are answered at once, up to ``--max-concurrency``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os

import msgspec

import aiomsg

#: The longest delay a request may ask for, in seconds.
MAX_DELAY = 60.0


class ComputeRequest(msgspec.Struct):
    """What a worker is asked: square *x*, after *delay* seconds."""

    x: float
    delay: float = 0.0


class ComputeReply(msgspec.Struct):
    """A worker's answer: *result* is ``x * x``; *worker* names who computed it."""

    x: float
    result: float
    worker: str


def make_server(
    router: aiomsg.Socket, name: str, *, max_concurrency: int = 100
) -> aiomsg.RequestServer:
    """A RequestServer on *router* (a ROUTER socket) that squares numbers.

    Serve with ``async with server:`` (in the background) or ``await server.serve()``.
    """

    async def compute(request: ComputeRequest) -> ComputeReply:
        if not 0.0 <= request.delay <= MAX_DELAY:
            raise ValueError(f"delay must be between 0 and {MAX_DELAY} seconds")
        if request.delay:
            await asyncio.sleep(request.delay)  # simulated work
        return ComputeReply(x=request.x, result=request.x * request.x, worker=name)

    return aiomsg.RequestServer.json(
        router, compute, request_type=ComputeRequest, max_concurrency=max_concurrency
    )


async def main(bind: str, name: str, max_concurrency: int) -> None:
    async with aiomsg.Context() as ctx:
        router = ctx.socket(aiomsg.ROUTER, linger=0)
        endpoint = await router.bind(bind)
        print(f"Worker {name} serving on {endpoint}", flush=True)
        await make_server(router, name, max_concurrency=max_concurrency).serve()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--bind", default="tcp://127.0.0.1:5555", help="endpoint to bind (default: %(default)s)"
    )
    parser.add_argument("--name", default=f"worker-{os.getpid()}", help="name put in replies")
    parser.add_argument(
        "--max-concurrency", type=int, default=100, help="requests served at once (default: 100)"
    )
    return parser.parse_args()


if __name__ == "__main__":
    args = parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        aiomsg.run(main(args.bind, args.name, args.max_concurrency))
