"""PAIR: an exclusive two-way link with a single peer (RFC 31); CHANNEL, its
single-frame form (RFC 52)."""

from __future__ import annotations

from typing import Any

from aiomsg._pool.strategies import Exclusive, SingleFrames
from aiomsg._socket import Socket
from aiomsg.constants import SocketType

__all__ = ["Channel", "Pair"]


class Pair(Socket):
    """Talks to exactly one PAIR peer; a second one is refused, with an ERROR
    saying why, while it lasts."""

    __slots__ = ()

    socket_type = SocketType.PAIR

    def __init__(self, *args: Any, **options: Any) -> None:
        super().__init__(*args, **options)
        exclusive = Exclusive()
        self._use(exclusive, exclusive)


class Channel(Socket):
    """A single-frame PAIR (RFC 52). A second peer is refused, with an ERROR
    saying why, while the first lasts (libzmq keeps it open and ignores it,
    docs/wire/draft.md#channel); multipart messages received are dropped
    and counted in :attr:`dropped`."""

    __slots__ = ("_single_frames",)

    socket_type = SocketType.CHANNEL

    def __init__(self, *args: Any, **options: Any) -> None:
        super().__init__(*args, **options)
        exclusive = Exclusive()
        self._single_frames = SingleFrames()
        self._use(exclusive, exclusive, self._single_frames)

    @property
    def dropped(self) -> int:
        """Multipart messages received and dropped (CHANNEL is single-frame)."""
        return self._single_frames.dropped
