"""RouteById: ROUTER addressing (docs/wire/zmtp.md#routing-ids)."""

from __future__ import annotations

import os

import pytest

from aiomsg._pool.pipe import Pipe
from aiomsg._pool.strategies import RouteById
from aiomsg.errors import HostUnreachable

from ._fakes import FakePool, fill, link_of, make_pipe


def linked(router: RouteById, socket: FakePool, name: str, identity: bytes | None = None) -> Pipe:
    pipe = make_pipe(socket, name, identity=identity)
    assert router.refusal(pipe, identity or b"") is None
    router.attach(pipe)
    router.linked(pipe)
    return pipe


def test_generated_ids_are_zero_plus_be_uint32_incrementing() -> None:
    router, socket = RouteById(), FakePool()
    ids = [
        linked(router, socket, f"p{i}", identity).routing_id
        for i, identity in enumerate([None, b"", None])
    ]
    assert all(len(i) == 5 and i[0] == 0 for i in ids)
    first = int.from_bytes(ids[0][1:], "big")
    assert [int.from_bytes(i[1:], "big") for i in ids] == [
        first,
        (first + 1) % 2**32,
        (first + 2) % 2**32,
    ]


def test_generated_ids_start_at_random_and_wrap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "urandom", lambda n: b"\xff" * n)
    router, socket = RouteById(), FakePool()
    ids = [linked(router, socket, f"p{i}").routing_id for i in range(2)]
    assert ids == [b"\x00\xff\xff\xff\xff", b"\x00\x00\x00\x00\x00"]


def test_generated_id_has_the_libzmq_capture_shape(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "urandom", lambda n: bytes.fromhex("6b8b4569"))
    router = RouteById()
    assert linked(router, FakePool(), "p").routing_id == bytes.fromhex("006b8b4569")


def test_peer_identity_becomes_routing_id() -> None:
    router, socket = RouteById(), FakePool()
    pipe = linked(router, socket, "p", b"ABCDE")
    assert pipe.routing_id == b"ABCDE"
    assert router.routes == {b"ABCDE": pipe}


@pytest.mark.parametrize(
    ("identity", "refused"),
    [(b"ABCDE", True), (b"other", False), (b"", False), (b"\x00abc", True)],
    ids=["duplicate", "new", "empty", "reserved-zero-prefix"],
)
def test_refusal(identity: bytes, refused: bool) -> None:
    router, socket = RouteById(), FakePool()
    linked(router, socket, "first", b"ABCDE")
    newcomer = make_pipe(socket, "second", identity=identity)
    reason = router.refusal(newcomer, identity)
    assert (reason is not None) == refused


def test_identity_is_free_again_after_unlink() -> None:
    router, socket = RouteById(), FakePool()
    first = linked(router, socket, "first", b"ABCDE")
    first.detach_link()
    router.unlinked(first)
    assert router.routes == {}
    second = linked(router, socket, "second", b"ABCDE")
    assert router.routes == {b"ABCDE": second}


def test_send_strips_the_routing_frame() -> None:
    router, socket = RouteById(), FakePool()
    a = linked(router, socket, "a", b"A")
    b = linked(router, socket, "b", b"B")
    assert router.send([b"B", b"", b"hello"])
    assert router.send([b"A", b"x"])
    assert link_of(a).sent == [[b"x"]]
    assert link_of(b).sent == [[b"", b"hello"]]


@pytest.mark.parametrize(("mandatory", "raises"), [(False, False), (True, True)])
def test_unknown_id(mandatory: bool, raises: bool) -> None:
    router = RouteById(mandatory=lambda: mandatory)
    pipe = linked(router, FakePool(), "a", b"A")
    if raises:
        with pytest.raises(HostUnreachable):
            router.send([b"nobody", b"x"])
    else:
        assert router.send([b"nobody", b"x"]) is True
    assert link_of(pipe).sent == []


@pytest.mark.parametrize(("mandatory", "result"), [(False, True), (True, False)])
def test_full_pipe_drops_or_waits(mandatory: bool, result: bool) -> None:
    router = RouteById(mandatory=lambda: mandatory)
    pipe = linked(router, FakePool(), "a", b"A")
    fill(pipe)
    backlog = list(pipe.backlog)
    assert router.send([b"A", b"x"]) is result
    assert list(pipe.backlog) == backlog


def test_mandatory_is_read_at_send_time() -> None:
    flag = {"on": False}
    router = RouteById(mandatory=lambda: flag["on"])
    assert router.send([b"nobody", b"x"]) is True
    flag["on"] = True
    with pytest.raises(HostUnreachable):
        router.send([b"nobody", b"x"])


def test_routing_id_alone_is_dropped() -> None:
    """A message with a routing id and no body goes nowhere, even to a known peer."""
    router = RouteById(mandatory=lambda: True)
    assert router.send([b"anyone"]) is True
