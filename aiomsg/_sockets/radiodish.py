"""RADIO and DISH: group messaging (RFC 48); see :mod:`aiomsg._pool.strategies.groups`."""

from __future__ import annotations

from typing import Any

from aiomsg._pool.strategies import GroupDistribute, GroupQueue, JoinedGroups, TrackGroups
from aiomsg._pool.strategies.groups import as_group
from aiomsg._socket import Socket
from aiomsg.constants import SocketType

__all__ = ["Dish", "Radio"]


class Radio(Socket):
    """Sends each message, ``send(data, group=...)``, to every DISH that joined
    that group (exact match). Never waits: a DISH at its ``sndhwm`` misses
    the message (counted in :attr:`dropped`). Cannot receive.
    """

    __slots__ = ("_distribute",)

    socket_type = SocketType.RADIO
    wants_subscriptions = True  # a DISH's JOIN and LEAVE

    def __init__(self, *args: Any, **options: Any) -> None:
        super().__init__(*args, **options)
        self._distribute = GroupDistribute()
        self._use(self._distribute, None, TrackGroups(self._distribute))

    @property
    def dropped(self) -> int:
        """Messages not sent to some DISH because it was at its HWM."""
        return self._distribute.dropped


class Dish(Socket):
    """Receives the messages of the groups it joined (:meth:`join`) from its
    RADIO peers; :meth:`recv_with_group` also tells the group. Cannot send.
    """

    __slots__ = ("_groups",)

    socket_type = SocketType.DISH

    def __init__(self, *args: Any, **options: Any) -> None:
        super().__init__(*args, **options)
        self._groups = JoinedGroups()
        self._use(None, GroupQueue(), self._groups)

    async def join(self, group: bytes | str) -> None:
        """Receive the messages sent to *group* (``str`` is UTF-8 encoded).

        Every connected RADIO is told at once (a JOIN command; nothing over
        udp, where the DISH filters), and every RADIO that connects later.
        Returns at once.

        Raises:
            InvalidMessage: *group* is over 255 bytes or contains a NUL.
            InvalidState: *group* is already joined.
            Closed: the socket is closed.
        """
        self._check_open()
        self._groups.change(as_group(group), join=True)

    async def leave(self, group: bytes | str) -> None:
        """Stop receiving the messages of *group*. Returns at once.

        Raises:
            InvalidMessage: *group* is over 255 bytes or contains a NUL.
            InvalidState: *group* is not joined.
            Closed: the socket is closed.
        """
        self._check_open()
        self._groups.change(as_group(group), join=False)

    @property
    def groups(self) -> frozenset[bytes]:
        """The groups joined now."""
        return frozenset(self._groups.groups)

    @property
    def dropped(self) -> int:
        """Messages received that were not a well-formed ``[group, body]`` pair
        (a malformed RADIO message, a bad udp datagram)."""
        return self._groups.dropped
