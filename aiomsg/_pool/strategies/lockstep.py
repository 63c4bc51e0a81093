"""Lockstep: the strict request/reply alternation of REQ and REP (RFC 28)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from aiomsg._pool.pipe import Delivered, Message, Pipe
from aiomsg._pool.strategies.base import Sender
from aiomsg._pool.strategies.fair_queue import FairQueue, fair_recv
from aiomsg._pool.strategies.load_balance import LoadBalance
from aiomsg.errors import InvalidState
from aiomsg.options import DEFAULTS

__all__ = ["ReplyLockstep", "RequestLockstep"]


class RequestLockstep(FairQueue, Sender):
    """REQ: send a request to the next peer, then take only that peer's reply.

    Requests are load-balanced and carry the empty delimiter frame; replies
    from any other peer, or without the delimiter, are dropped as libzmq
    does. Sending a request first drops whatever is already queued: a
    duplicate or late reply must not answer it (libzmq's ``req_t::xsend``).

    *options* is the socket's option mapping, read when a request is sent:
    ``req_relaxed`` allows a new request before the previous reply (that
    reply is then dropped), ``req_correlate`` puts a 4-byte request id before
    the delimiter and takes only the reply that echoes it
    (docs/wire/zmtp.md#req-options), and ``probe_router`` is passed to the
    load balancer.

    Replies are fair-queued from the pipes: the class is the
    :class:`FairQueue` it takes them from, so that an arrival and a receive
    are one call each, not one more to a queue of its own.
    """

    __slots__ = ("_awaiting", "_expected", "_next_id", "_options", "balance")

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__()
        self._options = options if options is not None else DEFAULTS
        self.balance = LoadBalance(probe=lambda: bool(self._options["probe_router"]))
        self._awaiting: Pipe | None = None
        self._expected = b""  # the request id the reply must echo; b"" = none
        # Any 4-byte counter will do; libzmq's starts at random too.
        self._next_id = int.from_bytes(os.urandom(4), "little")

    def attach(self, pipe: Pipe) -> None:
        self.balance.attach(pipe)

    def detach(self, pipe: Pipe) -> None:
        self.balance.detach(pipe)

    def linked(self, pipe: Pipe) -> None:
        self.balance.linked(pipe)

    def send(self, message: Message) -> bool:
        options = self._options
        if self._awaiting is not None and not options["req_relaxed"]:
            raise InvalidState("REQ socket is waiting for a reply: recv() it before sending again")
        pipes = self.balance.pipes
        # One pipe has no turn to take: its send refuses the request when
        # it is full, as pick() would (two Python calls fewer per request,
        # pick and Pipe.full: tests/sockets/test_hot_paths.py drives one
        # pipe and several).
        pipe = pipes[0] if len(pipes) == 1 else self.balance.pick()
        if pipe is None:
            return False
        send = pipe.direct_send  # a local: see LoadBalance.send
        if options["req_correlate"]:
            # libzmq copies a host-order uint32; the peer only echoes it.
            expected = self._next_id.to_bytes(4, "little")
            if not send([expected, b"", *message]):
                return False
            self._next_id = (self._next_id + 1) & 0xFFFFFFFF
        else:
            expected = b""
            if not send([b"", *message]):
                return False
        while self._ready and fair_recv(self) is not None:
            pass  # stale replies (bounded: only what is queued now)
        self._awaiting, self._expected = pipe, expected
        return True

    def has_out(self) -> bool:
        waiting = self._awaiting is not None and not self._options["req_relaxed"]
        return not waiting and self.balance.has_out()

    def _reply_body(self, pipe: Pipe | None, message: Delivered) -> Delivered | None:
        """The body of *message* if it answers the request awaited, else None.

        The envelope is [request id] + the empty delimiter; one call per
        message on the hot path, which recv() and has_in() share. A message
        of one frame queued as its bytes fails the delimiter test without a
        test of its own: indexing bytes gives an int, never b"".
        """
        expected = self._expected
        skip = 2 if expected else 1
        if (
            pipe is self._awaiting
            and len(message) > skip
            and message[skip - 1] == b""
            and (not expected or message[0] == expected)
        ):
            return message[skip:]
        return None

    def recv(self) -> Delivered | None:
        awaiting = self._awaiting
        if awaiting is None:
            raise InvalidState("REQ socket must send a request before it can recv()")
        ready = self._ready
        if not ready:
            return None  # the probe before a wait: no further call
        expected = self._expected
        skip = 2 if expected else 1
        while ready:
            # FairQueue.recv and _reply_body, inlined: a reply is one call
            # here, not three (tests/sockets/test_hot_paths.py drives this
            # copy through recv() and the original through poll()).
            self.last = pipe = ready.popleft()
            inbound = pipe.inbound
            message = inbound.popleft()
            if inbound:
                ready.append(pipe)
            if pipe.reading_paused and len(inbound) <= pipe.resume_at:
                pipe.maybe_resume_reading()
            if (
                pipe is awaiting
                and len(message) > skip
                # The bytes of a single frame fail here (an int is never b""):
                # no envelope, dropped, with no test per reply of its own.
                and message[skip - 1] == b""
                and (not expected or message[0] == expected)
            ):
                self._awaiting = None
                return message[skip:]
        return None

    def recv_many(self, limit: int) -> list[Delivered]:
        # One message per turn of the lockstep: the next recv() would raise.
        message = self.recv()
        return [] if message is None else [message]

    def has_in(self) -> bool:
        if self._awaiting is None:
            return False
        while (head := self.peek()) is not None:
            if self._reply_body(*head) is not None:
                return True
            # recv() would drop it: drop it now, so that the next arrival on
            # this pipe is announced (a pipe announces only its first message).
            fair_recv(self)
        return False


class ReplyLockstep(FairQueue, Sender):
    """REP: take a request, remember its envelope, send the reply back with it.

    The envelope is every frame up to and including the first empty one; a
    request without it is dropped, as libzmq does. Requests are
    fair-queued, as :class:`RequestLockstep`'s replies are.
    """

    __slots__ = ("_envelope", "_pipe", "dropped")

    def __init__(self) -> None:
        super().__init__()
        self._pipe: Pipe | None = None
        self._envelope: Message = []
        self.dropped = 0

    def recv(self) -> Delivered | None:
        if self._pipe is not None:
            raise InvalidState("REP socket must send() its reply before the next recv()")
        ready = self._ready
        if not ready:
            return None  # the probe before a wait: no further call
        while ready:
            # FairQueue.recv and _envelope_end, inlined: a request is one
            # call here, not three (tests/sockets/test_hot_paths.py drives
            # this copy through recv() and the original through poll()).
            self.last = pipe = ready.popleft()
            inbound = pipe.inbound
            message = inbound.popleft()
            if inbound:
                ready.append(pipe)
            if pipe.reading_paused and len(inbound) <= pipe.resume_at:
                pipe.maybe_resume_reading()
            if type(message) is bytes:
                continue  # one frame (queued as its bytes): no envelope, dropped
            try:
                split = message.index(b"") + 1
            except ValueError:
                continue  # no envelope: dropped
            if split < len(message):
                # Not bytes (skipped above): a list, which mypy does not infer.
                self._pipe, self._envelope = pipe, message[:split]  # type: ignore[assignment]
                return message[split:]
        return None

    def recv_many(self, limit: int) -> list[Delivered]:
        # One message per turn of the lockstep: the next recv() would raise.
        message = self.recv()
        return [] if message is None else [message]

    def has_in(self) -> bool:
        if self._pipe is not None:
            return False
        while (head := self.peek()) is not None:
            if _envelope_end(head[1]) is not None:
                return True
            fair_recv(self)  # recv() would drop it (see RequestLockstep.has_in)
        return False

    def send(self, message: Message) -> bool:
        pipe = self._pipe
        if pipe is None:
            raise InvalidState("REP socket must recv() a request before it can send()")
        self._pipe = None
        send = pipe.direct_send  # a local: see LoadBalance.send
        # The requester may have gone, or be at its HWM: the reply is dropped.
        if not send(self._envelope + message):
            self.dropped += 1
        return True

    def has_out(self) -> bool:
        return self._pipe is not None


def _envelope_end(request: Delivered) -> int | None:
    """Where the body of *request* starts (after the empty delimiter), or None
    for a request without envelope or body, which REP drops (a message of
    one frame, a list or its bytes, has not both)."""
    if type(request) is bytes:
        return None  # bytes.index(b"") would find the empty string at 0
    try:
        split = request.index(b"") + 1
    except ValueError:
        return None
    return split if split < len(request) else None
