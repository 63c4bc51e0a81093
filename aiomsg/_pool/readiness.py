"""Waiting until any of several sockets is ready: the core of ``poll``.

Sockets report readiness through two calls of their public API: ``events``
(what a send or receive could do now without waiting) and ``watch`` /
``unwatch`` (wake a future when that may have changed; the pool's watchers).
:func:`wait_ready` checks, watches every socket with one future, and checks
again when it is woken, so it never spins: it runs only when a socket's
readiness changed, or when the timeout expires.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Protocol, TypeVar

__all__ = ["Pollable", "wait_ready"]


class Pollable(Protocol):
    """What :func:`wait_ready` needs of a socket (``aiomsg.Socket`` has it)."""

    @property
    def events(self) -> int:
        """POLLIN and/or POLLOUT: what would not wait now."""

    def watch(self, waiter: asyncio.Future[None], events: int) -> None:
        """Set *waiter*'s result when readiness for *events* may have changed."""

    def unwatch(self, waiter: asyncio.Future[None]) -> None:
        """Forget *waiter*."""


P = TypeVar("P", bound=Pollable)


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


async def wait_ready(items: Sequence[tuple[P, int]], timeout: float | None) -> list[tuple[P, int]]:
    """Wait until some of *items* (``(socket, events wanted)``) are ready.

    Returns ``(socket, events ready)`` for each ready socket, in the order of
    *items*: after one turn of the event loop if any is ready already, else
    as soon as one becomes ready, or an empty list after *timeout*
    milliseconds (None or negative: no limit; 0: do not wait).

    Raises:
        Closed: a socket is (or gets) closed.
        InvalidState: a socket belongs to another event loop.

    Cancelling is safe: waiting takes nothing from any socket.
    """
    loop = asyncio.get_running_loop()
    deadline = None if timeout is None or timeout < 0 else loop.time() + timeout / 1000
    # Every poll lets the other tasks run once, even when a socket is ready
    # already: a loop that polls a socket that stays ready (POLLOUT) without
    # acting on it must not starve the loop, nor the peers it waits for.
    await asyncio.sleep(0)
    while True:
        ready = []
        for sock, wanted in items:
            events = sock.events & wanted
            if events:
                ready.append((sock, events))
        if ready or (deadline is not None and loop.time() >= deadline):
            return ready
        waiter: asyncio.Future[None] = loop.create_future()
        timer = loop.call_at(deadline, _wake, waiter) if deadline is not None else None
        try:
            for sock, wanted in items:
                sock.watch(waiter, wanted)
            await waiter
        finally:
            if timer is not None:
                timer.cancel()
            for sock, _ in items:
                sock.unwatch(waiter)
