"""Exclusive: one peer at a time, both directions (PAIR, RFC 31)."""

from __future__ import annotations

from aiomsg.pipe import Message, Pipe
from aiomsg.strategies.base import Receiver, Sender

__all__ = ["Exclusive"]


class Exclusive(Sender, Receiver):
    """Talks to a single pipe; a second peer is refused while the first is linked."""

    __slots__ = ("last", "pipe")

    def __init__(self) -> None:
        self.pipe: Pipe | None = None
        self.last: Pipe | None = None

    def refusal(self, pipe: Pipe, identity: bytes) -> str | None:
        if self.pipe is not None and self.pipe is not pipe and self.pipe.link is not None:
            return "PAIR socket already has a peer"
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

    def recv(self) -> Message | None:
        pipe = self.pipe
        if pipe is None or not pipe.inbound:
            return None
        self.last = pipe
        return pipe.take()
