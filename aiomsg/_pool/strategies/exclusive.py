"""Exclusive: one peer at a time, both directions (PAIR, RFC 31; CHANNEL, RFC 52)."""

from __future__ import annotations

from collections.abc import Callable

from aiomsg._pool.pipe import Message, Pipe
from aiomsg._pool.strategies.base import Receiver, Sender
from aiomsg._pool.strategies.fair_queue import FairQueue

__all__ = ["Exclusive"]


class Exclusive(Sender, Receiver):
    """Sends to a single pipe; a second peer is refused while the first is linked.

    Receiving goes through a FairQueue, so that messages received from a
    peer that has since left are still delivered before the next peer's.
    """

    __slots__ = ("_queue", "pipe")

    def __init__(self) -> None:
        self.pipe: Pipe | None = None
        self._queue = FairQueue()

    @property
    def last(self) -> Pipe | None:  # type: ignore[override]
        return self._queue.last

    def refusal(self, pipe: Pipe | None, identity: bytes) -> str | None:
        if self.pipe is not None and self.pipe is not pipe and self.pipe.link is not None:
            return "socket already has its one peer"
        return None

    def attach(self, pipe: Pipe) -> None:
        if self.pipe is None or self.pipe.link is None:
            self.pipe = pipe

    def linked(self, pipe: Pipe) -> None:
        self.pipe = pipe

    def detach(self, pipe: Pipe) -> None:
        if self.pipe is pipe:
            self.pipe = None

    def send(self, message: Message) -> bool:
        return self.pipe is not None and self.pipe.send(message)

    def direct(self) -> Callable[[Message], bool]:
        # Every message goes to the one pipe: the socket calls it straight,
        # as LoadBalance's with one pipe. Which pipe that is changes as
        # peers link (linked), and the pool asks again then.
        return self.send if self.pipe is None else self.pipe.direct()

    def send_many(self, messages: list[Message], start: int) -> int:
        return start if self.pipe is None else self.pipe.send_many(messages, start)

    def has_out(self) -> bool:
        return self.pipe is not None and not self.pipe.full

    def readable(self, pipe: Pipe) -> None:
        self._queue.readable(pipe)

    def recv(self) -> Message | None:
        return self._queue.recv()

    def recv_many(self, limit: int) -> list[Message]:
        return self._queue.recv_many(limit)

    def has_in(self) -> bool:
        return self._queue.has_in()
