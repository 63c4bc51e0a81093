"""What every strategy shares: hooks for pipes joining and leaving a socket."""

from __future__ import annotations

import collections
from collections.abc import Callable, Sequence

from aiomsg._pool.pipe import Delivered, Message, Pipe

__all__ = ["Filter", "Receiver", "Sender", "Strategy", "never", "send_probe"]


def never() -> bool:
    """The default of a strategy's optional behaviour: off."""
    return False


def send_probe(pipe: Pipe) -> None:
    """``probe_router``: an empty message to a peer that has just linked, so
    that a ROUTER there learns our routing id (docs/wire/zmtp.md#req-options).
    A pipe with no room drops it, as libzmq's ``pipe_t::write`` may."""
    pipe.send([b""])


class Strategy:
    """A policy over a socket's pipes; the hooks default to doing nothing.

    ``attach``/``detach``: the pipe joins or leaves the socket for good.
    ``linked``/``unlinked``: its connection completed a handshake, or was lost.
    ``refusal``: a reason to turn a peer away, or None, once its handshake
    properties are known (*pipe* is None for a peer being accepted).
    ``dropped``: messages the strategy dropped by its own rules, and
    ``refused``: peers' requests it refused at a bound (subscriptions past
    the limits); a strategy that counts declares them as slots.
    ``watch``: the pool hands over a callable to call whenever state the
    socket's readiness waits look at changes (a subscription).
    """

    __slots__ = ()

    dropped: int = 0
    refused: int = 0

    def attach(self, pipe: Pipe) -> None:
        pass

    def detach(self, pipe: Pipe) -> None:
        pass

    def linked(self, pipe: Pipe) -> None:
        pass

    def unlinked(self, pipe: Pipe) -> None:
        pass

    def refusal(self, pipe: Pipe | None, identity: bytes) -> str | None:
        return None

    def watch(self, changed: Callable[[], None]) -> None:
        pass


class Sender(Strategy):
    """Decides where an outgoing message goes."""

    __slots__ = ()

    def send(self, message: Message) -> bool:
        """Send (or deliberately drop) *message*; False means wait and retry."""
        raise NotImplementedError

    def direct(self) -> Callable[[Message], bool]:
        """What to call instead of :meth:`send`, to the same effect, while
        the pipes stay as they are: the pool asks again whenever a pipe
        joins or leaves. :meth:`send` itself, unless the strategy can name
        something that skips it (LoadBalance with one pipe: that pipe's send).
        """
        return self.send

    def send_many(self, messages: list[Message], start: int) -> int:
        """:meth:`send` ``messages[start:]`` in order until one would wait;
        return the index of that one (``len(messages)``: all went).

        This default sends them one by one; a strategy whose messages all
        go to one pipe hands the batch down whole (``Pipe.send_many``).
        """
        send = self.send
        end = len(messages)
        while start < end and send(messages[start]):
            start += 1
        return start

    def has_out(self) -> bool:
        """Whether :meth:`send` would take a message now rather than return
        False (libzmq's ``xhas_out``): the socket's POLLOUT."""
        raise NotImplementedError

    def flush(self) -> None:
        """Hand what :meth:`send` took but holds back (Distribute's run of a
        tick) to the pipes now. Nothing, unless the strategy holds some."""


class Receiver(Strategy):
    """Decides which pipe the next incoming message comes from.

    ``last`` is the pipe the most recent message came from (for its peer's
    properties: User-Id, Peer-Address...).
    """

    __slots__ = ()

    last: Pipe | None = None

    def readable(self, pipe: Pipe) -> None:
        """*pipe* went from empty to holding a message."""

    def arrivals(self) -> Callable[[Pipe], None]:
        """What the pool calls instead of :meth:`readable`, to the same
        effect: :meth:`readable` itself, unless the strategy can name
        something cheaper (:class:`FairQueue`: its queue's ``append``, a C
        call). Asked once, when the socket type is composed."""
        return self.readable

    def ready_queue(self) -> collections.deque[Pipe] | None:
        """The queue of pipes holding messages that the socket's receive may
        take from itself, exactly as :meth:`recv` would: the first pipe's
        first message, the pipe queued again at the back while it holds
        more, :attr:`last` set, reading resumed as :meth:`recv` resumes it
        (:class:`FairQueue`). None (this default): the socket calls
        :meth:`recv`. Asked when the socket type is composed."""
        return None

    def recv(self) -> Delivered | None:
        """The next message, or None when none is waiting.

        A message as queued (:data:`~aiomsg._pool.pipe.Delivered`): a
        single-frame message may be its bytes, which the socket hands out
        as they are from ``recv()`` and in a list where its API promises
        one; a strategy that rebuilds messages (a routing id, a group, an
        envelope) returns lists.
        """
        raise NotImplementedError

    def recv_many(self, limit: int) -> list[Delivered]:
        """Up to *limit* messages, in the order :meth:`recv` would return
        them; empty when none is waiting.

        This default calls :meth:`recv` for each; :class:`FairQueue` takes
        them from its pipes directly. A strategy that allows one message
        per turn (REQ, REP) returns at most one.
        """
        messages: list[Delivered] = []
        recv = self.recv
        while len(messages) < limit:
            message = recv()
            if message is None:
                break
            messages.append(message)
        return messages

    def has_in(self) -> bool:
        """Whether :meth:`recv` would return a message now (libzmq's
        ``xhas_in``): the socket's POLLIN. Messages that :meth:`recv` would
        drop anyway may be dropped here already."""
        raise NotImplementedError


class Filter(Strategy):
    """Sees each message a peer sends before it is queued (SUB's topic match,
    a publisher's subscription bookkeeping)."""

    __slots__ = ()

    def filter(self, pipe: Pipe, message: Delivered) -> Delivered | None:
        """The message to queue, or None to drop it. *message* is as the
        transport delivered it (:data:`~aiomsg._pool.pipe.Delivered`: its
        frames, or the bytes of its one frame), and so is what is queued."""
        raise NotImplementedError

    def filter_many(
        self, pipe: Pipe, messages: Sequence[Delivered]
    ) -> Sequence[Delivered] | None:
        """The messages of one read to queue, in order: :meth:`filter` for a
        whole read in one call (the tcp receive path), or None when this
        filter must see them one at a time (it queues messages of its own,
        as XPUB's subscriptions, whose order among the others must hold).
        A filter whose ``filter`` only keeps or drops overrides this."""
        return None
