"""PUSH and PULL: the pipeline pattern (RFC 30)."""

from __future__ import annotations

from typing import Any

from aiomsg._pool.strategies import FairQueue, LoadBalance
from aiomsg._socket import Socket
from aiomsg.constants import SocketType

__all__ = ["Pull", "Push"]


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
