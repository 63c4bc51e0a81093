"""Distribute: send to every subscribed pipe, dropping for full ones (libzmq ``dist_t``)."""

from __future__ import annotations

from aiomsg._pool.pipe import Message, Pipe
from aiomsg._pool.strategies.base import Sender

__all__ = ["Distribute"]


class Distribute(Sender):
    """Every message goes to each pipe whose subscriptions prefix-match frame 0.

    Never waits: a pipe at its high-water mark misses the message, and the
    drop is counted in :attr:`dropped`. With ``match_all`` (XSUB upstream),
    every pipe gets every message.

    Each peer's subscriptions are a set, as libzmq keeps them
    (docs/wire/zmtp.md#subscription-set): a second SUBSCRIBE of a topic adds
    nothing and one CANCEL removes it. They are mirrored into ``pipe.topics``
    as a tuple, so matching is one ``bytes.startswith`` call per pipe.
    """

    __slots__ = ("_changed", "_topics", "dropped", "match_all", "pipes")

    def __init__(self, *, match_all: bool = False) -> None:
        self.pipes: list[Pipe] = []
        self.match_all = match_all
        self.dropped = 0
        self._topics: dict[Pipe, set[bytes]] = {}
        # Pipes whose topic tuple is stale: rebuilt once, at the next send, so
        # a flood of SUBSCRIBEs costs O(n), not O(n^2).
        self._changed: set[Pipe] = set()

    def attach(self, pipe: Pipe) -> None:
        self.pipes.append(pipe)
        self._topics[pipe] = set()

    def detach(self, pipe: Pipe) -> None:
        self.pipes.remove(pipe)
        del self._topics[pipe]
        self._changed.discard(pipe)

    def unlinked(self, pipe: Pipe) -> None:
        # A peer that comes back subscribes again.
        self._topics[pipe] = set()
        self._changed.add(pipe)

    def topics_of(self, pipe: Pipe) -> frozenset[bytes]:
        return frozenset(self._topics.get(pipe, ()))

    def subscription(self, pipe: Pipe, topic: bytes, subscribe: bool) -> bool:
        """Record a peer's subscribe or cancel; True if it changed its set."""
        topics = self._topics[pipe]
        if subscribe == (topic in topics):
            return False
        if subscribe:
            topics.add(topic)
        else:
            topics.discard(topic)
        self._changed.add(pipe)
        return True

    def has_out(self) -> bool:
        return True  # never waits: a full pipe misses the message

    def send(self, message: Message) -> bool:
        if self._changed:
            for pipe in self._changed:
                pipe.topics = tuple(self._topics[pipe])
            self._changed.clear()
        first = message[0]
        match_all = self.match_all
        shared = False
        for pipe in self.pipes:
            if match_all or first.startswith(pipe.topics):
                # Each receiver gets a list of its own (inproc hands lists
                # over by reference, and an application may change its copy).
                if not pipe.send(message.copy() if shared else message):
                    self.dropped += 1
                shared = True
        return True
