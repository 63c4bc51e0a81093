"""Distribute: PUB/XPUB fan-out with per-peer subscription sets (docs/wire/zmtp.md#subscription-set,
#subscription-matching)."""

from __future__ import annotations

import time

import pytest

from aiomsg._pool.pipe import Pipe
from aiomsg._pool.strategies import Distribute
from aiomsg._pool.strategies.distribute import NoDropDistribute

from ._fakes import FakePool, fill, link_of, make_pipe


def setup(count: int = 2, **kwargs: bool) -> tuple[Distribute, list[Pipe]]:
    dist = Distribute(**kwargs)
    socket = FakePool()
    pipes = [make_pipe(socket, f"p{i}") for i in range(count)]
    for pipe in pipes:
        dist.attach(pipe)
    return dist, pipes


@pytest.mark.parametrize(
    ("topics", "first_frame", "delivered"),
    [
        ([], b"anything", False),
        ([b""], b"anything", True),
        ([b""], b"", True),
        ([b"A"], b"A", True),
        ([b"A"], b"ABC", True),
        ([b"A"], b"BA", False),
        ([b"A"], b"a", False),
        ([b"ABC"], b"AB", False),
        ([b"x", b"AB"], b"ABC", True),
        ([b"\x00\xff"], b"\x00\xff\x01", True),
    ],
)
def test_prefix_match_on_frame_0(topics: list[bytes], first_frame: bytes, delivered: bool) -> None:
    dist, (pipe,) = setup(1)
    for topic in topics:
        dist.subscription(pipe, topic, True)
    assert dist.send([first_frame, b"body"]) is True
    assert link_of(pipe).sent == ([[first_frame, b"body"]] if delivered else [])


def test_only_frame_0_is_matched() -> None:
    dist, (pipe,) = setup(1)
    dist.subscription(pipe, b"B", True)
    dist.send([b"A", b"B"])
    assert link_of(pipe).sent == []


def test_each_pipe_gets_what_it_subscribed_to() -> None:
    dist, (a, b, c) = setup(3)
    dist.subscription(a, b"news", True)
    dist.subscription(b, b"", True)
    for topic in [b"news.1", b"weather", b"news.2"]:
        dist.send([topic])
    assert link_of(a).sent == [[b"news.1"], [b"news.2"]]
    assert link_of(b).sent == [[b"news.1"], [b"weather"], [b"news.2"]]
    assert link_of(c).sent == []


def test_match_all_ignores_subscriptions() -> None:
    dist, (a, b) = setup(2, match_all=True)
    dist.send([b"x"])
    assert link_of(a).sent == link_of(b).sent == [[b"x"]]


def test_full_pipe_drops_and_counts_without_blocking_others() -> None:
    dist, (a, b) = setup(2, match_all=True)
    fill(a)
    backlog = list(a.backlog)
    assert dist.send([b"1"]) is True  # never waits
    assert dist.send([b"2"]) is True
    assert dist.dropped == 2
    assert list(a.backlog) == backlog
    assert link_of(b).sent == [[b"1"], [b"2"]]


def test_subscriptions_are_a_set() -> None:
    """libzmq SUB sends SUBSCRIBE twice but CANCEL once: one CANCEL must remove it."""
    dist, (pipe,) = setup(1)
    assert dist.subscription(pipe, b"A", True) is True
    assert dist.subscription(pipe, b"A", True) is False  # duplicate: no change
    assert dist.topics_of(pipe) == {b"A"}
    assert dist.subscription(pipe, b"A", False) is True
    assert dist.topics_of(pipe) == frozenset()
    dist.send([b"A"])
    assert link_of(pipe).sent == []
    assert dist.subscription(pipe, b"A", False) is False  # cancel of an unknown topic


def test_subscriptions_are_per_pipe() -> None:
    dist, (a, b) = setup(2)
    dist.subscription(a, b"A", True)
    dist.subscription(b, b"A", True)
    dist.subscription(a, b"A", False)
    assert dist.topics_of(a) == frozenset()
    assert dist.topics_of(b) == {b"A"}
    dist.send([b"A"])
    assert (link_of(a).sent, link_of(b).sent) == ([], [[b"A"]])


def test_unlinked_forgets_subscriptions() -> None:
    dist, (pipe,) = setup(1)
    dist.subscription(pipe, b"A", True)
    dist.unlinked(pipe)
    assert dist.topics_of(pipe) == frozenset()
    dist.send([b"A"])
    assert link_of(pipe).sent == []


def test_detach_removes_the_pipe() -> None:
    dist, (a, b) = setup(2, match_all=True)
    dist.detach(a)
    assert dist.topics_of(a) == frozenset()
    dist.send([b"x"])
    assert (link_of(a).sent, link_of(b).sent) == ([], [[b"x"]])


def test_overlapping_subscriptions_deliver_once() -> None:
    dist, (a, b) = setup(2)
    for topic in (b"", b"n", b"news", b"news.uk"):
        dist.subscription(a, topic, True)
    dist.subscription(b, b"news.uk", True)
    dist.send([b"news.uk: rain"])
    dist.send([b"new"])
    assert link_of(a).sent == [[b"news.uk: rain"], [b"new"]]
    assert link_of(b).sent == [[b"news.uk: rain"]]


@pytest.mark.parametrize(("max_topics", "max_bytes"), [(2, -1), (-1, 5)])
def test_subscriptions_past_the_limits_are_dropped_and_counted(
    max_topics: int, max_bytes: int, caplog: pytest.LogCaptureFixture
) -> None:
    socket = FakePool()
    dist = Distribute(limits=lambda: (max_topics, max_bytes))
    pipe = make_pipe(socket, "a")
    dist.attach(pipe)
    assert dist.subscription(pipe, b"aa", True)
    assert dist.subscription(pipe, b"bb", True)
    assert not dist.subscription(pipe, b"cc", True)
    assert not dist.subscription(pipe, b"dd", True)
    assert dist.refused == 2
    assert dist.topics_of(pipe) == {b"aa", b"bb"}
    assert len([r for r in caplog.records if "subscription limit" in r.message]) == 1
    dist.send([b"cc"])
    assert link_of(pipe).sent == []
    # A cancel frees room again.
    assert dist.subscription(pipe, b"aa", False)
    assert dist.subscription(pipe, b"cc", True)


def test_publish_cost_does_not_grow_with_the_number_of_subscriptions() -> None:
    """100,000 subscriptions on one peer cost a publish about what one does
    (it once cost 100x: a startswith over all of that peer's topics)."""

    def publish_time(subscriptions: int) -> float:
        socket = FakePool()
        dist = Distribute()
        pipe = make_pipe(socket, "a")
        dist.attach(pipe)
        for number in range(subscriptions):
            dist.subscription(pipe, b"t%06d" % number, True)
        link_of(pipe).sent = []
        message = [b"t000000 data"]
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            for _ in range(5_000):
                dist.send(message)
            best = min(best, time.perf_counter() - start)
        assert len(link_of(pipe).sent) == 15_000
        return best

    one, many = publish_time(1), publish_time(100_000)
    assert many < one * 5, f"{many / one:.1f}x slower with 100,000 subscriptions"


def test_readiness_never_waits_unless_nodrop() -> None:
    lossy, (a, _) = setup()
    fill(a)
    assert lossy.has_out()  # a full subscriber misses the message: never waits
    nodrop = NoDropDistribute()
    socket = FakePool()
    pipes = [make_pipe(socket, f"n{i}") for i in range(2)]
    for pipe in pipes:
        nodrop.attach(pipe)
    assert nodrop.has_out()
    fill(pipes[0])
    assert not nodrop.has_out()  # would wait for the full subscriber
