"""PUSH and PULL: the pipeline pattern (RFC 30); SCATTER and GATHER, its
single-frame form (RFC 49)."""

from __future__ import annotations

from typing import Any

from aiomsg._pool.strategies import FairQueue, LoadBalance, SingleFrames
from aiomsg._socket import Socket
from aiomsg.constants import SocketType

__all__ = ["Gather", "Pull", "Push", "Scatter"]


class Push(Socket):
    """Sends each message to the next PULL peer in turn (LoadBalance)."""

    __slots__ = ()

    socket_type = SocketType.PUSH

    def __init__(self, *args: Any, **options: Any) -> None:
        super().__init__(*args, **options)
        self._use(LoadBalance(), None)


class Pull(Socket):
    """Receives from all PUSH peers fairly (FairQueue)."""

    __slots__ = ()

    socket_type = SocketType.PULL

    def __init__(self, *args: Any, **options: Any) -> None:
        super().__init__(*args, **options)
        self._use(None, FairQueue())


class Scatter(Socket):
    """A single-frame PUSH: each message goes to the next GATHER peer in turn."""

    __slots__ = ()

    socket_type = SocketType.SCATTER

    def __init__(self, *args: Any, **options: Any) -> None:
        super().__init__(*args, **options)
        self._use(LoadBalance(), None)


class Gather(Socket):
    """A single-frame PULL: receives from all SCATTER peers fairly; multipart
    messages are dropped and counted in :attr:`dropped`."""

    __slots__ = ("_single_frames",)

    socket_type = SocketType.GATHER

    def __init__(self, *args: Any, **options: Any) -> None:
        super().__init__(*args, **options)
        self._single_frames = SingleFrames()
        self._use(None, FairQueue(), self._single_frames)

    @property
    def dropped(self) -> int:
        """Multipart messages received and dropped (GATHER is single-frame)."""
        return self._single_frames.dropped
