"""Shared pytest configuration for the aiomsg test suite.

Every asyncio test runs once per available event loop implementation: the
standard-library loop (test id ``[asyncio]``) and, where it is installed,
uvloop (test id ``[uvloop]``). This uses pytest-asyncio's
``pytest_asyncio_loop_factories`` hook (pytest-asyncio >= 1.4); overriding
the ``event_loop_policy`` fixture is deprecated there.

A single test can be restricted to a subset of loops with
``@pytest.mark.asyncio(loop_factories=["asyncio"])``.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path

import pytest

try:
    import uvloop
except ImportError:  # pragma: no cover - uvloop is absent on Windows
    uvloop = None  # type: ignore[assignment]

# tests/helpers.py is shared by the test packages: make `from helpers import`
# work whatever pytest's import mode.
_TESTS = str(Path(__file__).resolve().parent)
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)

import aiomsg  # noqa: E402

LoopFactory = Callable[[], asyncio.AbstractEventLoop]

LOOP_FACTORIES: dict[str, LoopFactory] = {"asyncio": asyncio.new_event_loop}
if uvloop is not None:
    LOOP_FACTORIES["uvloop"] = uvloop.new_event_loop


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> Mapping[str, LoopFactory]:
    """Parametrize every asyncio test over the available event loops."""
    return LOOP_FACTORIES


@pytest.fixture
async def ctx() -> AsyncIterator[aiomsg.Context]:
    """A context whose sockets are all closed (linger 0) when the test ends."""
    context = aiomsg.Context()
    try:
        yield context
    finally:
        context.destroy(linger=0)
        with contextlib.suppress(aiomsg.AiomsgError):
            async with asyncio.timeout(5):
                await context.term()
