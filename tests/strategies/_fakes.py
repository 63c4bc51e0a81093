"""Real :class:`aiomsg._pool.pipe.Pipe` objects over a fake owner and fake links.

The fake owner implements :class:`aiomsg._pool.pipe.PipeEvents`: it forwards
``pipe_readable`` to the receiver strategy under test, as the pool does, and
counts ``pipe_writable`` calls. The fake link implements
:class:`aiomsg.transports.Link`.
"""

from __future__ import annotations

from aiomsg._pool.pipe import Message, Pipe, PipeEvents
from aiomsg._pool.strategies import Receiver
from aiomsg.transports import Link


class FakePool:
    def __init__(
        self, receiver: Receiver | None = None, *, sndhwm: int = 2, rcvhwm: int = 10
    ) -> None:
        self.receiver = receiver
        self.sndhwm = sndhwm
        self.rcvhwm = rcvhwm
        self.immediate = False
        self.writable_calls = 0
        self.readable_calls: list[Pipe] = []

    def pipe_readable(self, pipe: Pipe) -> None:
        self.readable_calls.append(pipe)
        if self.receiver is not None:
            self.receiver.readable(pipe)

    def pipe_writable(self) -> None:
        self.writable_calls += 1


class FakeLink:
    """Records what the pipe writes; ``writable=False`` models a full transport."""

    def __init__(self, *, writable: bool = True) -> None:
        self.writable = writable
        self.sent: list[Message] = []
        self.subscriptions: list[tuple[bytes, bool]] = []
        self.paused = False
        self.closed: str | None = None
        self.pending_output = 0

    def try_send(self, message: Message) -> bool:
        if not self.writable:
            return False
        self.sent.append(message)
        return True

    def send_subscription(self, topic: bytes, subscribe: bool) -> None:
        self.subscriptions.append((topic, subscribe))

    def pause_reading(self) -> None:
        self.paused = True

    def resume_reading(self) -> None:
        self.paused = False

    def close(self, reason: str) -> None:
        self.closed = reason

    def abort(self, reason: str) -> None:
        self.closed = reason


def make_pipe(
    socket: FakePool,
    name: str = "p",
    *,
    linked: bool = True,
    writable: bool = True,
    identity: bytes | None = None,
) -> Pipe:
    """A pipe, optionally with a live link whose peer sent *identity* in READY."""
    pipe = Pipe(
        socket, f"tcp://{name}", sndhwm=socket.sndhwm, rcvhwm=socket.rcvhwm, immediate=False
    )
    if linked:
        properties = {} if identity is None else {b"Identity": identity}
        pipe.attach_link(FakeLink(writable=writable), name, properties)
    return pipe


def link_of(pipe: Pipe) -> FakeLink:
    assert isinstance(pipe.link, FakeLink)
    return pipe.link


def fill(pipe: Pipe) -> None:
    """Make *pipe* full: link not writable and backlog at the send HWM."""
    link_of(pipe).writable = False
    while not pipe.full:
        assert pipe.send([b"filler"])


def _conforms(pool: FakePool, link: FakeLink) -> tuple[PipeEvents, Link]:
    """Never called: mypy checks here that the fakes implement the declared interfaces."""
    return pool, link


class FakeEncodedLink(FakeLink):
    """A link that takes messages already in their ZMTP wire form, as tcp
    and ipc with NULL or PLAIN do (``Link.send_encoded``): records each
    call as (the bytes, the payload size, whether to write at once)."""

    def __init__(self, *, writable: bool = True) -> None:
        super().__init__(writable=writable)
        self.encoded: list[tuple[bytes, int, bool]] = []

    def send_encoded(self, wire: list[bytes], size: int, now: bool) -> bool:
        if not self.writable:
            return False
        self.encoded.append((b"".join(wire), size, now))
        return True


def make_encoded_pipe(socket: FakePool, name: str = "p") -> Pipe:
    """A pipe whose live link is a :class:`FakeEncodedLink`."""
    pipe = Pipe(socket, f"tcp://{name}", sndhwm=socket.sndhwm, rcvhwm=socket.rcvhwm)
    pipe.attach_link(FakeEncodedLink(), name, {})
    return pipe


def encoded_of(pipe: Pipe) -> FakeEncodedLink:
    assert isinstance(pipe.link, FakeEncodedLink)
    return pipe.link
