"""LoadBalance: round-robin over pipes, skipping full ones (libzmq ``lb_t``)."""

from __future__ import annotations

from collections.abc import Callable

from aiomsg._pool.pipe import Message, Pipe
from aiomsg._pool.strategies.base import Sender, never, send_probe

__all__ = ["LoadBalance"]


class LoadBalance(Sender):
    """Each message goes to the next pipe in turn that has room.

    A send waits only when every pipe is full, or there is none. When
    ``probe()`` is true, each new peer first gets an empty message
    (``probe_router``, for DEALER and REQ).
    """

    __slots__ = ("_next", "pipes", "probe")

    def __init__(self, *, probe: Callable[[], bool] = never) -> None:
        self.pipes: list[Pipe] = []
        self._next = 0
        self.probe = probe

    def linked(self, pipe: Pipe) -> None:
        if self.probe():
            send_probe(pipe)

    def attach(self, pipe: Pipe) -> None:
        self.pipes.append(pipe)

    def detach(self, pipe: Pipe) -> None:
        index = self.pipes.index(pipe)
        del self.pipes[index]
        if index < self._next:
            self._next -= 1

    def pick(self) -> Pipe | None:
        """The pipe the next message should go to, advancing the turn; None if all full."""
        pipes = self.pipes
        count = len(pipes)
        for step in range(count):
            index = (self._next + step) % count
            pipe = pipes[index]
            if not pipe.full:
                self._next = (index + 1) % count
                return pipe
        return None

    def has_out(self) -> bool:
        return any(not pipe.full for pipe in self.pipes)

    def send(self, message: Message) -> bool:
        pipes = self.pipes
        if len(pipes) == 1:  # one pipe, without the turn-taking (see direct)
            return pipes[0].direct_send(message)
        pipe = self.pick()
        if pipe is None:
            return False
        # Read into a local, then called: a callable in a slot called as a
        # method is an unspecialized lookup in CPython 3.11 (~100
        # instructions; Socket.send reads its own the same way).
        send = pipe.direct_send
        return send(message)

    def direct(self) -> Callable[[Message], bool]:
        # One pipe takes every message: the socket calls its send straight,
        # one Python call fewer per message (~650 instructions of ~8,200
        # per 16 B message sent, callgrind send16).
        pipes = self.pipes
        return pipes[0].direct_send if len(pipes) == 1 else self.send

    def send_many(self, messages: list[Message], start: int) -> int:
        pipes = self.pipes
        if len(pipes) == 1:  # one pipe: the batch goes down whole
            return pipes[0].send_many(messages, start)
        # Several: one message per pipe in turn, as lb_t (Sender's loop).
        return Sender.send_many(self, messages, start)
