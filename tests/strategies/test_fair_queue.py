"""FairQueue: one message per pipe per turn (libzmq fq_t)."""

from __future__ import annotations

from aiomsg._pool.pipe import Pipe
from aiomsg._pool.strategies import FairQueue

from ._fakes import FakePool, link_of, make_pipe


def setup(count: int = 3, rcvhwm: int = 10) -> tuple[FairQueue, list[Pipe]]:
    queue = FairQueue()
    socket = FakePool(queue, rcvhwm=rcvhwm)
    return queue, [make_pipe(socket, f"p{i}") for i in range(count)]


def drain(queue: FairQueue) -> list[bytes]:
    received = []
    while (message := queue.recv()) is not None:
        received.append(message[0])
    return received


def test_empty() -> None:
    queue, _ = setup()
    assert queue.recv() is None
    assert queue.recv_from() == (None, None)


def test_fairness_across_pipes() -> None:
    queue, (a, b, c) = setup()
    for i in range(3):
        a.deliver([b"a%d" % i])
    b.deliver([b"b0"])
    for i in range(2):
        c.deliver([b"c%d" % i])
    assert drain(queue) == [b"a0", b"b0", b"c0", b"a1", b"c1", b"a2"]


def test_order_follows_first_readiness() -> None:
    queue, (a, b, c) = setup()
    c.deliver([b"c0"])
    a.deliver([b"a0"])
    a.deliver([b"a1"])
    assert drain(queue) == [b"c0", b"a0", b"a1"]
    assert not b.inbound


def test_recv_from_names_the_pipe() -> None:
    queue, (_, b, _) = setup()
    b.deliver([b"x", b"y"])
    assert queue.recv_from() == (b, [b"x", b"y"])
    assert queue.recv_from() == (None, None)


def test_a_pipe_is_queued_once_however_many_messages_it_holds() -> None:
    """Readiness is O(1): readable() fires only on empty -> non-empty."""
    queue = FairQueue()
    socket = FakePool(queue)
    a, b = make_pipe(socket, "a"), make_pipe(socket, "b")
    for i in range(5):
        a.deliver([b"a%d" % i])
    b.deliver([b"b0"])
    assert socket.readable_calls == [a, b]
    assert [queue.recv_from()[0] for _ in range(3)] == [a, b, a]  # a rejoins the back
    b.deliver([b"b1"])  # b was empty: ready again, behind a
    assert socket.readable_calls == [a, b, b]
    assert [queue.recv_from()[0] for _ in range(5)] == [a, b, a, a, None]


def test_pipe_becomes_ready_again_after_emptying() -> None:
    queue, (a, _, _) = setup()
    a.deliver([b"1"])
    assert drain(queue) == [b"1"]
    a.deliver([b"2"])
    assert drain(queue) == [b"2"]


def test_detached_pipe_messages_are_still_received() -> None:
    queue, (a, b, _) = setup()
    a.deliver([b"a0"])
    a.deliver([b"a1"])
    b.deliver([b"b0"])
    a.detach_link()  # the peer went away
    queue.detach(a)  # and the pipe left the socket
    assert drain(queue) == [b"a0", b"b0", b"a1"]


def test_taking_resumes_reading_at_the_low_water_mark() -> None:
    queue, (a, _, _) = setup(rcvhwm=4)
    for i in range(4):
        a.deliver([b"%d" % i])
    assert link_of(a).paused
    queue.recv()
    assert link_of(a).paused  # 3 left > 4 // 2
    queue.recv()
    assert not link_of(a).paused  # 2 left
