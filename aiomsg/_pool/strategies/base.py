"""What every strategy shares: hooks for pipes joining and leaving a socket."""

from __future__ import annotations

from collections.abc import Callable

from aiomsg._pool.pipe import Message, Pipe

__all__ = ["Filter", "Receiver", "Sender", "Strategy"]


class Strategy:
    """A policy over a socket's pipes; the hooks default to doing nothing.

    ``attach``/``detach``: the pipe joins or leaves the socket for good.
    ``linked``/``unlinked``: its connection completed a handshake, or was lost.
    ``refusal``: a reason to turn a freshly handshaken peer away, or None.
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

    def refusal(self, pipe: Pipe, identity: bytes) -> str | None:
        return None

    def watch(self, changed: Callable[[], None]) -> None:
        pass


class Sender(Strategy):
    """Decides where an outgoing message goes."""

    __slots__ = ()

    def send(self, message: Message) -> bool:
        """Send (or deliberately drop) *message*; False means wait and retry."""
        raise NotImplementedError


class Receiver(Strategy):
    """Decides which pipe the next incoming message comes from.

    ``last`` is the pipe the most recent message came from (for its peer's
    properties: User-Id, Peer-Address...).
    """

    __slots__ = ()

    last: Pipe | None = None

    def readable(self, pipe: Pipe) -> None:
        """*pipe* went from empty to holding a message."""

    def recv(self) -> Message | None:
        """The next message, or None when none is waiting."""
        raise NotImplementedError


class Filter(Strategy):
    """Sees each message a peer sends before it is queued (SUB's topic match,
    a publisher's subscription bookkeeping)."""

    __slots__ = ()

    def filter(self, pipe: Pipe, message: Message) -> Message | None:
        """The message to queue, or None to drop it."""
        raise NotImplementedError
