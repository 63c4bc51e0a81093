"""FairQueue: take messages from pipes in turn (libzmq ``fq_t``)."""

from __future__ import annotations

import collections
from collections.abc import Callable
from itertools import repeat, starmap

from aiomsg._pool.pipe import Delivered, Pipe
from aiomsg._pool.strategies.base import Receiver

__all__ = ["FairQueue", "fair_recv"]


class FairQueue(Receiver):
    """Round-robin over the pipes that hold messages, one message per turn.

    A pipe is queued here exactly while its inbound queue is non-empty, so a
    receive costs O(1) however many peers there are. A pipe whose peer left
    stays until its last message is taken: nothing received is lost.
    """

    __slots__ = ("_ready", "last")

    def __init__(self) -> None:
        self._ready: collections.deque[Pipe] = collections.deque()
        self.last: Pipe | None = None

    def readable(self, pipe: Pipe) -> None:
        self._ready.append(pipe)

    def arrivals(self) -> Callable[[Pipe], None]:
        # The queue's own append: a C call rather than a Python one per
        # arrival on an empty pipe, which is every message of a
        # request/reply exchange (~N instructions per round trip,
        # callgrind reqrep). The queue is never replaced, so the bound
        # append stays valid; a subclass that overrides readable keeps it.
        if type(self).readable is FairQueue.readable:
            return self._ready.append
        return self.readable

    def ready_queue(self) -> collections.deque[Pipe] | None:
        # The socket's receive takes from the queue itself, as recv() does
        # (Socket.recv, Socket.recv_multipart): one Python call fewer per
        # message (~500 instructions, callgrind recv16). Not for a subclass
        # whose recv does more (ROUTER's routing id, DISH's group, REQ/REP).
        if type(self).recv is FairQueue.recv:
            return self._ready
        return None

    def recv(self) -> Delivered | None:
        ready = self._ready
        if not ready:
            return None
        self.last = pipe = ready.popleft()
        inbound = pipe.inbound
        message = inbound.popleft()
        if inbound:
            ready.append(pipe)
        # The length first: while paused, one call per resume rather than
        # one per message (~500 instructions per message at the bench's
        # rcvhwm of 1,000, where a read queues far more than that).
        if pipe.reading_paused and len(inbound) <= pipe.resume_at:
            pipe.maybe_resume_reading()
        return message

    def recv_many(self, limit: int) -> list[Delivered]:
        """Up to *limit* messages, exactly as that many :meth:`recv` calls
        would return them: one per pipe in turn while several pipes hold
        messages; once only one does, every turn would be its turn, so its
        messages are taken as a run (one extend, one resume check).
        tests/sockets/test_batch_paths.py drives both parts."""
        ready = self._ready
        messages: list[Delivered] = []
        append = messages.append
        while len(ready) > 1 and len(messages) < limit:
            self.last = pipe = ready.popleft()
            inbound = pipe.inbound
            append(inbound.popleft())
            if inbound:
                ready.append(pipe)
            if pipe.reading_paused and len(inbound) <= pipe.resume_at:
                pipe.maybe_resume_reading()
        want = limit - len(messages)
        if ready and want > 0:
            self.last = pipe = ready[0]
            inbound = pipe.inbound
            if len(inbound) <= want:
                messages += inbound
                inbound.clear()
                ready.popleft()
            else:
                # want calls of popleft, looped in C (starmap over empty args).
                messages += starmap(inbound.popleft, repeat((), want))
            if pipe.reading_paused:
                pipe.maybe_resume_reading()
        return messages

    def has_in(self) -> bool:
        return bool(self._ready)

    def peek(self) -> tuple[Pipe, Delivered] | None:
        """The pipe and message :meth:`recv` would return next, left in place."""
        if not self._ready:
            return None
        pipe = self._ready[0]
        return pipe, pipe.inbound[0]

    def recv_from(self) -> tuple[Pipe | None, Delivered | None]:
        """The next message and the pipe it came from."""
        message = self.recv()
        return (self.last if message is not None else None), message


#: FairQueue.recv as a plain function, for a subclass's recv that does more
#: with each message (ROUTER, DISH, REQ, REP) to call through a module
#: global: CPython 3.11 looks an attribute of a class up generically
#: (``FairQueue.recv(self)``: ~100 instructions more per message, callgrind).
fair_recv = FairQueue.recv
