"""SingleFrames: the receiving rule of the single-frame draft types (RFC 37)."""

from __future__ import annotations

from aiomsg._pool.pipe import Delivered, Pipe
from aiomsg._pool.strategies.base import Filter

__all__ = ["SingleFrames"]


class SingleFrames(Filter):
    """Drops every received message of more than one frame, and counts it.

    CLIENT, SERVER, GATHER, PEER and CHANNEL: libzmq drops such a message and
    keeps the connection (docs/wire/draft.md#single-frame), and so do we.
    """

    __slots__ = ("dropped",)

    def __init__(self) -> None:
        #: Multipart messages received and dropped.
        self.dropped = 0

    def filter(self, pipe: Pipe, message: Delivered) -> Delivered | None:
        if type(message) is bytes or len(message) == 1:
            return message
        self.dropped += 1
        return None
