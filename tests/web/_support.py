"""Shared pieces of the web example tests: the example modules, workers, a feed, waits.

The examples live in examples/web/, which is not a package: they are loaded
here from their files under private module names.
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import aiomsg

EXAMPLES_WEB = Path(__file__).resolve().parents[2] / "examples" / "web"
TIMEOUT = 10.0  # seconds allowed to any one wait of these tests


def load_example(name: str) -> ModuleType:
    """Import examples/web/<name>.py (once) as the module ``aiomsg_web_example_<name>``."""
    module_name = f"aiomsg_web_example_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, EXAMPLES_WEB / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


worker = load_example("worker")


@asynccontextmanager
async def running_workers(count: int = 2) -> AsyncIterator[list[str]]:
    """*count* example workers (w1, w2...) serving on ephemeral loopback ports; their endpoints."""
    async with aiomsg.Context() as ctx, AsyncExitStack() as stack:
        endpoints = []
        for n in range(1, count + 1):
            router = ctx.socket(aiomsg.ROUTER, linger=0)
            endpoints.append(await router.bind("tcp://127.0.0.1:*"))
            await stack.enter_async_context(worker.make_server(router, f"w{n}"))
        # The servers start serving in background tasks; nothing above need
        # suspend (a tcp bind may complete at once), so wait until they run:
        # the tests take them as part of the world outside the app.
        async with asyncio.timeout(TIMEOUT):
            while sum(task.get_name() == "aiomsg.RequestServer.serve"
                      for task in asyncio.all_tasks()) < count:
                await asyncio.sleep(0)  # a polled condition, bounded above
        yield endpoints


@asynccontextmanager
async def running_feed() -> AsyncIterator[tuple[aiomsg.Socket, str]]:
    """A PUB socket on an ephemeral loopback port, and its endpoint."""
    async with aiomsg.Context() as ctx:
        publisher = ctx.socket(aiomsg.PUB, linger=0)
        yield publisher, await publisher.bind("tcp://127.0.0.1:*")


async def publish_until(
    publisher: aiomsg.Socket, done: asyncio.Future[Any], zipcodes: Sequence[str]
) -> int:
    """Publish weather updates for *zipcodes* in turn until *done* completes.

    A subscriber misses what is published before its subscription arrives
    (the slow joiner), so the test publishes until it has what it wants.
    Update n of a round is "zipcode n 40"; returns the number of rounds.
    """
    rounds = 0
    async with asyncio.timeout(TIMEOUT):
        while not done.done():
            rounds += 1
            for zipcode in zipcodes:
                await publisher.send_string(f"{zipcode} {rounds} 40")
            # Wait for the consumer, a little: a bounded wait, not a timed sleep.
            await asyncio.wait([done], timeout=0.02)
    return rounds


async def wait_until(predicate: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    """Poll *predicate* until it holds; TimeoutError after *timeout* seconds."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.005)  # a polled condition, bounded above


def record_sockets(backend: Any) -> list[aiomsg.Socket]:
    """The app's sockets: its DEALER, then every socket its Context makes from now on.

    *backend* is the example's Backend (the app's state); its Context's
    ``socket`` method is wrapped to keep a reference to each new socket.
    """
    sockets: list[aiomsg.Socket] = [backend.dealer]
    context: aiomsg.Context = backend.context
    make = context.socket

    def socket(socket_type: Any, **options: Any) -> aiomsg.Socket:
        made = make(socket_type, **options)
        sockets.append(made)
        return made

    context.socket = socket  # type: ignore[method-assign]
    return sockets


def is_worker_handler(task: asyncio.Task[Any]) -> bool:
    """Whether *task* runs a request in one of the test's workers (not the app's)."""
    return getattr(task.get_coro(), "__qualname__", "") == "RequestServer._handle"


async def assert_no_tasks_but(
    baseline: set[asyncio.Task[Any]],
    timeout: float = 5.0,
    ignore: Callable[[asyncio.Task[Any]], bool] = lambda task: False,
) -> None:
    """Every task besides *baseline*, the current one and those *ignore* accepts
    ends within *timeout* seconds.

    Tasks that were cancelled may need a few loop iterations to finish: they
    are waited for (bounded), then nothing else may be left.
    """
    current = asyncio.current_task()

    def leftover() -> set[asyncio.Task[Any]]:
        tasks = asyncio.all_tasks() - baseline - {current}
        return {task for task in tasks if not ignore(task)}

    if tasks := leftover():
        _, pending = await asyncio.wait(tasks, timeout=timeout)
        assert not pending, f"tasks left running: {pending}"
    assert not leftover(), f"tasks left running: {leftover()}"


def parse_sse(body: str) -> list[tuple[str, str]]:
    """The ``(event, data)`` pairs of an event stream (comments skipped)."""
    events = []
    for block in body.split("\n\n"):
        fields = dict(
            line.split(": ", 1) for line in block.splitlines() if line and not line.startswith(":")
        )
        if fields:
            events.append((fields.get("event", "message"), fields["data"]))
    return events
