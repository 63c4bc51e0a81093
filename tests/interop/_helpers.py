"""Shared helpers for the interop tests (not a test module)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

TIMEOUT = 10.0  # seconds; bound for every wait in this tier
SYNC = b"sync"  # topic used to wait out the PUB/SUB "slow joiner"; subscribe to it LAST


def roles(first: str, second: str) -> pytest.MarkDecorator:
    """Parametrize ``libs``: which library plays socket type *first* and which *second*."""
    return pytest.mark.parametrize(
        "libs",
        [("aiomsg", "zmq"), ("zmq", "aiomsg")],
        ids=[f"aiomsg{first}-zmq{second}", f"zmq{first}-aiomsg{second}"],
    )


async def subscribe(sock: Any, kind: str, topic: bytes) -> None:
    """Subscribe a SUB (socket option) or an XSUB (a ``b"\\x01topic"`` message)."""
    if kind == "SUB":
        sock.subscribe(topic)
    else:
        await sock.send_multipart([b"\x01" + topic])


async def unsubscribe(sock: Any, kind: str, topic: bytes) -> None:
    """Unsubscribe a SUB (socket option) or an XSUB (a ``b"\\x00topic"`` message)."""
    if kind == "SUB":
        sock.unsubscribe(topic)
    else:
        await sock.send_multipart([b"\x00" + topic])


async def wait_subscribed(pub: Any, sub: Any, topic: bytes = SYNC) -> None:
    """Publish *topic* until *sub* receives it (bounded by the caller's timeout).

    Subscriptions travel in order on one connection, so once a message for the
    subscription made last arrives, every earlier subscription is in force too.
    Leftover copies of *topic* may still arrive: use :func:`recv_until` to skip them.
    """
    while True:
        await pub.send_multipart([topic])
        try:
            msg = await asyncio.wait_for(sub.recv_multipart(), 0.05)
        except TimeoutError:
            continue
        assert msg == [topic]
        return


async def recv_until(
    sock: Any, end: list[bytes], skip: list[bytes] | None = None
) -> list[list[bytes]]:
    """Receive messages until *end* arrives; return those before it, minus copies of *skip*."""
    got = []
    while (msg := await sock.recv_multipart()) != end:
        if msg != skip:
            got.append(msg)
    return got
