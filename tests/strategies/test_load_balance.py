"""LoadBalance: round robin over pipes, skipping full ones (libzmq lb_t)."""

from __future__ import annotations

from aiomsg._pool.strategies import LoadBalance

from ._fakes import FakePool, fill, link_of, make_pipe


def setup(count: int = 3) -> tuple[LoadBalance, list]:
    socket = FakePool()
    balance = LoadBalance()
    pipes = [make_pipe(socket, f"p{i}") for i in range(count)]
    for pipe in pipes:
        balance.attach(pipe)
    return balance, pipes


def test_round_robin() -> None:
    balance, pipes = setup(3)
    for i in range(7):
        assert balance.send([b"m%d" % i])
    assert [link_of(p).sent for p in pipes] == [
        [[b"m0"], [b"m3"], [b"m6"]],
        [[b"m1"], [b"m4"]],
        [[b"m2"], [b"m5"]],
    ]


def test_skips_full_pipes() -> None:
    balance, (a, b, c) = setup(3)
    fill(b)
    picks = [balance.pick() for _ in range(4)]
    assert picks == [a, c, a, c]


def test_pipe_with_room_in_backlog_is_not_full() -> None:
    balance, (a, b) = setup(2)
    link_of(a).writable = False  # backlog 0 < sndhwm 2: still takes messages
    assert balance.send([b"1"]) and balance.send([b"2"])
    assert list(a.backlog) == [[b"1"]]
    assert link_of(b).sent == [[b"2"]]


def test_all_full_returns_none_and_false() -> None:
    balance, pipes = setup(2)
    for pipe in pipes:
        fill(pipe)
    assert balance.pick() is None
    assert balance.send([b"x"]) is False
    assert all(len(p.backlog) == 2 for p in pipes)  # nothing queued


def test_no_pipes() -> None:
    balance = LoadBalance()
    assert balance.pick() is None
    assert balance.send([b"x"]) is False


def test_unlinked_pipe_queues_up_to_hwm() -> None:
    socket = FakePool(sndhwm=1)
    balance = LoadBalance()
    pipe = make_pipe(socket, linked=False)
    balance.attach(pipe)
    assert balance.send([b"1"])
    assert balance.send([b"2"]) is False
    assert list(pipe.backlog) == [[b"1"]]


def test_detach_keeps_the_turn() -> None:
    balance, (a, b, c) = setup(3)
    assert balance.pick() is a
    assert balance.pick() is b
    balance.detach(a)  # a pipe before the turn leaves: c is still next
    assert balance.pick() is c
    assert balance.pick() is b


def test_detach_the_next_pipe() -> None:
    balance, (a, b, c) = setup(3)
    assert balance.pick() is a
    balance.detach(b)
    assert [balance.pick() for _ in range(3)] == [c, a, c]


def test_full_pipe_regains_its_turn_when_drained() -> None:
    balance, (a, b) = setup(2)
    fill(a)
    assert [balance.pick() for _ in range(2)] == [b, b]
    link_of(a).writable = True
    a.flush_backlog()
    assert [balance.pick() for _ in range(2)] == [a, b]
