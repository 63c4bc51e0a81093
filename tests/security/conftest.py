"""Fixtures for the security tests: keys (made once per session), contexts.

The tests need PyNaCl (``pip install aiomsg[curve]``); pyzmq for interop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

import aiomsg

pytest.importorskip("nacl", reason="CURVE needs PyNaCl (pip install aiomsg[curve])")


@dataclass(frozen=True)
class KeyPair:
    public: bytes  # Z85
    secret: bytes  # Z85


@dataclass(frozen=True)
class Keys:
    server: KeyPair
    client: KeyPair
    other: KeyPair  # a client key nobody allowed


@pytest.fixture(scope="session")
def keys() -> Keys:
    return Keys(*(KeyPair(*aiomsg.curve_keypair()) for _ in range(3)))


@pytest.fixture
async def ctx() -> AsyncIterator[aiomsg.Context]:
    context = aiomsg.Context()
    try:
        yield context
    finally:
        context.destroy(linger=0)
