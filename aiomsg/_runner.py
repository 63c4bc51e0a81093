"""aiomsg.run(): asyncio.run, on uvloop when it is installed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

__all__ = ["run"]

T = TypeVar("T")


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def run(main: Coroutine[Any, Any, T], *, debug: bool | None = None) -> T:
    """Run *main* to completion on a new event loop and return its result.

    Uses uvloop when it is installed (it is a dependency where the platform
    has it), else asyncio's default loop. Ctrl-C cancels *main* cleanly, then
    raises KeyboardInterrupt here, as asyncio.run() does.
    """
    with asyncio.Runner(debug=debug, loop_factory=_loop_factory()) as runner:
        return runner.run(main)
