"""Exclusive: PAIR talks to one peer at a time (RFC 31)."""

from __future__ import annotations

from aiomsg._pool.strategies import Exclusive

from ._fakes import FakePool, fill, link_of, make_pipe


def setup() -> tuple[Exclusive, FakePool]:
    exclusive = Exclusive()
    return exclusive, FakePool(exclusive)


def test_no_peer() -> None:
    exclusive, _ = setup()
    assert exclusive.send([b"x"]) is False
    assert exclusive.recv() is None


def test_second_peer_refused_while_first_linked() -> None:
    exclusive, socket = setup()
    first = make_pipe(socket, "first")
    exclusive.attach(first)
    exclusive.linked(first)
    second = make_pipe(socket, "second")
    assert exclusive.refusal(second, b"") is not None
    assert exclusive.refusal(first, b"") is None  # the same pipe reconnecting


def test_second_peer_accepted_once_first_is_gone() -> None:
    exclusive, socket = setup()
    first = make_pipe(socket, "first")
    exclusive.attach(first)
    exclusive.linked(first)
    first.detach_link()
    exclusive.unlinked(first)
    second = make_pipe(socket, "second")
    assert exclusive.refusal(second, b"") is None
    exclusive.attach(second)
    exclusive.linked(second)
    assert exclusive.send([b"x"])
    assert link_of(second).sent == [[b"x"]]


def test_send_and_recv_through_the_pipe() -> None:
    exclusive, socket = setup()
    pipe = make_pipe(socket)
    exclusive.attach(pipe)
    exclusive.linked(pipe)
    assert exclusive.send([b"a", b"b"])
    assert link_of(pipe).sent == [[b"a", b"b"]]
    pipe.deliver([b"in"])
    assert exclusive.recv() == [b"in"]
    assert exclusive.recv() is None


def test_full_pipe_makes_send_wait() -> None:
    exclusive, socket = setup()
    pipe = make_pipe(socket)
    exclusive.attach(pipe)
    fill(pipe)
    assert exclusive.send([b"x"]) is False


def test_detach_forgets_the_pipe() -> None:
    exclusive, socket = setup()
    pipe = make_pipe(socket)
    exclusive.attach(pipe)
    exclusive.detach(pipe)
    assert exclusive.send([b"x"]) is False
    assert exclusive.refusal(make_pipe(socket, "other"), b"") is None
