"""PAIR: an exclusive two-way link with a single peer (RFC 31)."""

from __future__ import annotations

from typing import Any

from aiomsg._pool.strategies import Exclusive
from aiomsg._socket import Socket
from aiomsg.constants import SocketType

__all__ = ["Pair"]


class Pair(Socket):
    """Talks to exactly one PAIR peer; a second one is refused while it lasts."""

    __slots__ = ()

    socket_type = SocketType.PAIR

    def __init__(self, *args: Any, **options: Any) -> None:
        super().__init__(*args, **options)
        exclusive = Exclusive()
        self._use(exclusive, exclusive)
