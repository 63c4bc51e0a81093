"""Fixtures for the transport conformance tests."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

# tests/helpers.py is shared by several test packages; make it importable
# whatever pytest's import mode.
_TESTS = str(Path(__file__).resolve().parent.parent)
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)

import aiomsg  # noqa: E402


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
