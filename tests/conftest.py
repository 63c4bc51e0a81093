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
from collections.abc import Callable, Mapping

import pytest

try:
    import uvloop
except ImportError:  # pragma: no cover - uvloop is absent on Windows
    uvloop = None  # type: ignore[assignment]

LoopFactory = Callable[[], asyncio.AbstractEventLoop]

LOOP_FACTORIES: dict[str, LoopFactory] = {"asyncio": asyncio.new_event_loop}
if uvloop is not None:
    LOOP_FACTORIES["uvloop"] = uvloop.new_event_loop


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> Mapping[str, LoopFactory]:
    """Parametrize every asyncio test over the available event loops."""
    return LOOP_FACTORIES
