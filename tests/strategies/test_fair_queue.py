"""FairQueue: one message per pipe per turn (libzmq fq_t)."""

from __future__ import annotations

from aiomsg._pool.pipe import Pipe
from aiomsg._pool.strategies import FairQueue

from ._fakes import FakeLink, FakePool, link_of, make_pipe


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


def test_resuming_is_checked_inline_at_the_pipes_resume_at() -> None:
    """recv checks Pipe.resume_at itself and calls maybe_resume_reading only
    once the queue is down to it (half the HWM, rounded down), not once per
    message taken from a paused pipe."""

    class CountingPipe(Pipe):
        calls = 0

        def maybe_resume_reading(self) -> None:
            self.calls += 1
            super().maybe_resume_reading()

    queue = FairQueue()
    a = CountingPipe(FakePool(queue, rcvhwm=5), "tcp://a", sndhwm=2, rcvhwm=5)
    a.attach_link(FakeLink(), "a", {})
    assert a.resume_at == 2
    a.deliver_many([[b"%d" % i] for i in range(8)])  # one read past the HWM
    assert link_of(a).paused and a.reading_paused
    for left in range(7, 2, -1):
        queue.recv()
        assert len(a.inbound) == left and link_of(a).paused
    assert a.calls == 0  # 7..3 left: above resume_at, no call
    queue.recv()
    assert len(a.inbound) == 2 and not link_of(a).paused and not a.reading_paused
    assert a.calls == 1
    assert drain(queue) == [b"6", b"7"]
    assert a.calls == 1  # no longer paused: no check at all


def test_recv_many_across_pipes_resumes_each_at_its_resume_at() -> None:
    """recv_many's turn-by-turn part (several pipes ready) resumes a paused
    pipe when its own queue is down to resume_at, as recv does."""
    queue, (a, b, _) = setup(rcvhwm=4)
    a.deliver_many([[b"a%d" % i] for i in range(5)])
    b.deliver_many([[b"b%d" % i] for i in range(4)])
    assert link_of(a).paused and link_of(b).paused
    assert queue.recv_many(4) == [[b"a0"], [b"b0"], [b"a1"], [b"b1"]]
    assert link_of(a).paused  # 3 left > 2
    assert not link_of(b).paused  # 2 left
    assert queue.recv_many(2) == [[b"a2"], [b"b2"]]
    assert not link_of(a).paused
