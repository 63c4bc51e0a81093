"""The ``examples`` fixture: starts example programs, kills them all at the end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ._runner import Examples


@pytest.fixture
def examples() -> Iterator[Examples]:
    runner = Examples()
    try:
        yield runner
    finally:
        runner.close()
