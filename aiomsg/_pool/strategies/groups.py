"""Groups: the RADIO/DISH pattern (RFC 48) as strategies.

Inside aiomsg a RADIO message is the pair ``[group, body]``, which is also
its ZMTP wire form (a group frame with MORE, then the body;
docs/wire/draft.md#radio-dish-zmtp). A DISH's JOIN and LEAVE travel the
subscription path of publish/subscribe: the DISH's link sends them as JOIN
and LEAVE commands, and they reach the RADIO as the ``\\x01group`` /
``\\x00group`` messages of :mod:`~aiomsg._pool.strategies.subscriptions`.
"""

from __future__ import annotations

from aiomsg._pool.pipe import Delivered, Message, Pipe
from aiomsg._pool.strategies.base import Filter, Receiver, Sender
from aiomsg._pool.strategies.fair_queue import FairQueue, fair_recv
from aiomsg._pool.strategies.subscriptions import parse_subscription
from aiomsg.errors import InvalidMessage, InvalidState
from aiomsg.transports.interface import ALL_GROUPS

__all__ = ["GroupDistribute", "GroupQueue", "JoinedGroups", "TrackGroups", "as_group"]

#: RFC 48: a group is at most 255 bytes (the JOIN limit of a libzmq RADIO).
MAX_GROUP = 255


def as_group(group: bytes | str) -> bytes:
    """*group* as bytes (str is UTF-8 encoded), checked.

    Raises:
        InvalidMessage: over 255 bytes, which aborts a libzmq RADIO that
            receives it in a JOIN, or with a NUL, which truncates it there
            (docs/wire/draft.md#radio-side).
    """
    name = group.encode() if isinstance(group, str) else bytes(group)
    if len(name) > MAX_GROUP:
        raise InvalidMessage(f"a group is at most {MAX_GROUP} bytes, not {len(name)}")
    if b"\x00" in name:
        raise InvalidMessage("a group must not contain a NUL byte")
    return name


class GroupDistribute(Sender):
    """RADIO: each ``[group, body]`` goes to every peer that joined exactly that group.

    Never waits: a peer at its high-water mark misses the message (counted
    in :attr:`dropped`), as libzmq's RADIO does by default. A peer linked
    with the :data:`~aiomsg.transports.interface.ALL_GROUPS` property (a
    udp target, which filters on its side) gets every message.
    """

    __slots__ = ("_groups", "dropped", "pipes")

    def __init__(self) -> None:
        self.pipes: list[Pipe] = []
        # None: every group (the peer filters itself).
        self._groups: dict[Pipe, set[bytes] | None] = {}
        self.dropped = 0

    def attach(self, pipe: Pipe) -> None:
        self.pipes.append(pipe)
        self._groups[pipe] = set()

    def detach(self, pipe: Pipe) -> None:
        self.pipes.remove(pipe)
        del self._groups[pipe]

    def linked(self, pipe: Pipe) -> None:
        # Not reset otherwise: over inproc the DISH's JOINs may arrive first.
        if ALL_GROUPS in pipe.peer_properties:
            self._groups[pipe] = None

    def unlinked(self, pipe: Pipe) -> None:
        # A DISH that comes back joins again (it replays its groups).
        self._groups[pipe] = set()

    def join(self, pipe: Pipe, group: bytes, join: bool) -> None:
        """Record a peer's JOIN or LEAVE. A set, as a libzmq DISH never repeats
        a JOIN (docs/wire/draft.md#radio-side)."""
        groups = self._groups[pipe]
        if groups is None:
            return
        if join:
            groups.add(group)
        else:
            groups.discard(group)

    def has_out(self) -> bool:
        return True  # never waits: a full pipe misses the message

    def send(self, message: Message) -> bool:
        if len(message) != 2:
            raise InvalidMessage("a RADIO sends to a group: send(data, group=...)")
        group = message[0]
        shared = False
        for pipe in self.pipes:
            groups = self._groups[pipe]
            if groups is None or group in groups:
                if not pipe.direct_send(message.copy() if shared else message):
                    self.dropped += 1
                shared = True
        return True


class TrackGroups(Filter):
    """RADIO: JOIN and LEAVE from a DISH are recorded in the :class:`GroupDistribute`;
    anything else a DISH sends is ignored, as libzmq does."""

    __slots__ = ("distribute",)

    def __init__(self, distribute: GroupDistribute) -> None:
        self.distribute = distribute

    def filter(self, pipe: Pipe, message: Delivered) -> Delivered | None:
        change = parse_subscription(message)
        if change is not None and (type(message) is bytes or len(message) == 1):
            self.distribute.join(pipe, *change)
        return None


class JoinedGroups(Filter):
    """DISH: the groups it joined, told to every RADIO it is linked to (again
    on each reconnect), and the check of what arrives.

    A message that is not a ``[group, body]`` pair is dropped and counted in
    :attr:`dropped` (a libzmq DISH would disconnect; dropping keeps a
    tolerant DISH serving, docs/wire/draft.md#dish-validation). A message for
    a group not joined is dropped silently: a udp RADIO sends everything and
    leaves the filtering to the DISH (docs/wire/draft.md#udp-datagram).
    """

    __slots__ = ("dropped", "groups", "pipes")

    def __init__(self) -> None:
        self.pipes: list[Pipe] = []
        self.groups: set[bytes] = set()
        #: Messages received that were not a ``[group, body]`` pair.
        self.dropped = 0

    def attach(self, pipe: Pipe) -> None:
        self.pipes.append(pipe)

    def detach(self, pipe: Pipe) -> None:
        self.pipes.remove(pipe)

    def linked(self, pipe: Pipe) -> None:
        assert pipe.link is not None
        for group in sorted(self.groups):  # libzmq replays in std::set order
            pipe.link.send_subscription(group, True)

    def change(self, group: bytes, join: bool) -> None:
        """Join or leave *group*, telling every linked RADIO.

        Raises:
            InvalidState: joining a group twice, or leaving one not joined
                (libzmq's EINVAL).
        """
        if join == (group in self.groups):
            state = "already joined" if join else "not joined"
            raise InvalidState(f"group {group!r} is {state}")
        if join:
            self.groups.add(group)
        else:
            self.groups.discard(group)
        for pipe in self.pipes:
            if pipe.link is not None:
                pipe.link.send_subscription(group, join)

    def filter(self, pipe: Pipe, message: Delivered) -> Delivered | None:
        # A message of one frame (a list of one, or its bytes) has no group.
        if type(message) is bytes or len(message) != 2:
            self.dropped += 1
            return None
        group = message[0]  # not bytes: a list, which mypy does not infer
        if len(group) > MAX_GROUP:  # type: ignore[arg-type]
            self.dropped += 1
            return None
        return message if group in self.groups else None


class GroupQueue(FairQueue):
    """DISH: a FairQueue of ``[group, body]`` pairs that hands out the body
    and keeps the group of the last one in :attr:`last_group`."""

    __slots__ = ("last_group",)

    def __init__(self) -> None:
        super().__init__()
        self.last_group = b""

    def recv(self) -> Delivered | None:
        message = fair_recv(self)
        if message is None:
            return None
        # JoinedGroups queues only [group, body] pairs, never a bare frame.
        self.last_group = message[0]  # type: ignore[assignment]
        return message[1:]

    # Each message loses its group frame: Receiver's loop over recv(), not
    # FairQueue's run, which would hand out the messages as queued.
    recv_many = Receiver.recv_many
