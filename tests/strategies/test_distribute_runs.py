"""Distribute's runs: a tick's messages for the same subscribers, encoded
once and written to each of them as one ``bytes`` (docs/internals.md#fan-out).

Every branch of ``Distribute.send``, ``_open_run`` and ``_write_run`` is
driven here with links that take the shared encoding
(:class:`FakeEncodedLink`); tests/sockets/test_fan_out.py drives the same
paths over tcp.
"""

from __future__ import annotations

import asyncio

from aiomsg._pool.pipe import Pipe
from aiomsg._pool.strategies import Distribute
from aiomsg._pool.strategies.distribute import RUN_LIMIT, NoDropDistribute
from aiomsg.transports.interface import encode_all, encode_once

from ._fakes import FakePool, encoded_of, link_of, make_encoded_pipe, make_pipe


def wire(*messages: list[bytes]) -> bytes:
    """The ZMTP frames of *messages*, as a link is handed them."""
    return b"".join(b"".join(encode_once(message)[0]) for message in messages)


def setup(count: int = 3, *, sndhwm: int = 2) -> tuple[Distribute, list[Pipe]]:
    dist = Distribute()
    socket = FakePool(sndhwm=sndhwm)
    pipes = [make_encoded_pipe(socket, f"p{i}") for i in range(count)]
    for pipe in pipes:
        dist.attach(pipe)
        dist.subscription(pipe, b"", True)
    return dist, pipes


async def end_of_tick() -> None:
    """Return once the callbacks scheduled so far have run (the run's
    end-of-tick write among them)."""
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    loop.call_soon(done.set_result, None)
    await done


async def test_a_tick_is_written_once_to_every_subscriber() -> None:
    """The first message goes alone (a lone message is not held back); the
    second for the same subscribers opens a run, which gathers the rest of
    the tick and reaches each link once, at the end of the tick, at once."""
    dist, pipes = setup()
    messages = [[b"m%d" % number] for number in range(5)]
    for message in messages:
        assert dist.send(message)
    for pipe in pipes:
        # Only the first so far: the run waits for the end of the tick.
        assert encoded_of(pipe).encoded == [(wire(messages[0]), 2, False)]
    await end_of_tick()
    for pipe in pipes:
        assert encoded_of(pipe).encoded[1:] == [(wire(*messages[1:]), 8, True)]
        assert pipe.out_msgs == 5
    assert dist.dropped == 0


async def test_a_message_for_other_subscribers_writes_the_run_first() -> None:
    """Each subscriber's messages keep their order: a run is written (to be
    coalesced by the link) before a message that goes elsewhere."""
    dist, (a, b, c) = setup()
    dist.subscription(a, b"", False)
    dist.subscription(a, b"x", True)
    dist.subscription(b, b"", False)
    dist.subscription(b, b"x", True)
    dist.subscription(c, b"", False)
    dist.subscription(c, b"y", True)
    xs = [[b"x%d" % number] for number in range(3)]
    for message in xs:
        dist.send(message)
    dist.send([b"y"])
    for pipe in (a, b):
        assert encoded_of(pipe).encoded == [(wire(xs[0]), 2, False), (wire(*xs[1:]), 4, False)]
    assert encoded_of(c).encoded == [(wire([b"y"]), 1, False)]
    await end_of_tick()  # nothing left for the end of the tick
    assert [len(encoded_of(pipe).encoded) for pipe in (a, b, c)] == [2, 2, 1]


async def test_a_subscription_writes_the_run_first() -> None:
    """The index's sets change in place: the open run goes out before."""
    dist, (a, _, c) = setup()
    for message in ([b"1"], [b"2"], [b"3"]):
        dist.send(message)
    dist.subscription(c, b"", False)
    assert encoded_of(c).encoded[-1] == (wire([b"2"], [b"3"]), 2, False)
    dist.send([b"4"])
    await end_of_tick()
    assert encoded_of(c).encoded[-1] == (wire([b"2"], [b"3"]), 2, False)
    assert encoded_of(a).encoded[-1] == (wire([b"4"]), 1, False)


async def test_joining_leaving_and_flush_write_the_run_first() -> None:
    for change in ("attach", "detach", "unlinked", "flush"):
        dist, (a, b, c) = setup()
        for message in ([b"1"], [b"2"], [b"3"]):
            dist.send(message)
        if change == "attach":
            dist.attach(make_encoded_pipe(FakePool(), "new"))
        elif change == "detach":
            dist.detach(c)
        elif change == "unlinked":
            dist.unlinked(c)
        else:
            dist.flush()
        for pipe in (a, b, c):
            assert encoded_of(pipe).encoded[-1] == (wire([b"2"], [b"3"]), 2, False), change


async def test_a_link_that_stopped_taking_gets_the_run_through_its_pipe() -> None:
    """A link paused (or lost) while the run was open: its messages go
    through the pipe one by one, queued up to sndhwm and the rest dropped
    and counted, while the others get the run."""
    dist, (a, b, c) = setup(sndhwm=2)
    messages = [[b"m%d" % number] for number in range(6)]
    for message in messages:
        dist.send(message)
    encoded_of(c).writable = False
    b.link = None
    await end_of_tick()
    assert encoded_of(a).encoded[-1] == (wire(*messages[1:]), 10, True)
    assert a.out_msgs == 6
    assert [list(queued) for queued in (b.backlog, c.backlog)] == [messages[1:3]] * 2
    assert dist.dropped == 2 * 3
    # The pipes hold copies: what the application sent stays its own.
    assert c.backlog[0] is not messages[1]


async def test_a_run_past_the_limit_is_written_before_the_tick_ends() -> None:
    dist, pipes = setup(2)
    body = b"x" * (RUN_LIMIT // 4)
    for _ in range(6):
        dist.send([body])
    for pipe in pipes:
        sizes = [(size, now) for _, size, now in encoded_of(pipe).encoded]
        assert sizes == [(len(body), False), (4 * len(body), False)]
    await end_of_tick()
    for pipe in pipes:
        assert [size for _, size, _ in encoded_of(pipe).encoded] == [
            len(body),
            4 * len(body),
            len(body),
        ]
        assert pipe.out_msgs == 6


async def test_no_run_for_a_large_message_one_subscriber_or_another_kind_of_link() -> None:
    """A run needs two or more pipes whose links take the shared encoding,
    writable with nothing queued, and a message under the limit: otherwise
    each message goes to each pipe as it is sent."""
    dist, (a, b) = setup(2)
    for _ in range(3):
        dist.send([b"y" * RUN_LIMIT])
    assert [now for _, _, now in encoded_of(a).encoded] == [False] * 3
    # Nor in one that is open: the run goes first, then the message alone.
    for body in (b"1", b"2", b"y" * RUN_LIMIT):
        dist.send([body])
    assert [size for _, size, _ in encoded_of(b).encoded[3:]] == [2, RUN_LIMIT]
    single, (only,) = setup(1)
    for _ in range(3):
        single.send([b"z"])
    assert len(encoded_of(only).encoded) == 3
    mixed = Distribute(match_all=True)
    plain = make_pipe(FakePool(), "plain")
    encoded = make_encoded_pipe(FakePool(), "encoded")
    for pipe in (plain, encoded):
        mixed.attach(pipe)
    for number in range(4):
        mixed.send([b"%d" % number])
    assert len(link_of(plain).sent) == len(encoded_of(encoded).encoded) == 4
    await end_of_tick()
    assert len(encoded_of(encoded).encoded) == 4


def test_no_run_without_a_running_loop() -> None:
    """A send from outside the loop has no tick to end: no run opens."""
    dist, pipes = setup(2)
    for number in range(3):
        dist.send([b"%d" % number])
    for pipe in pipes:
        assert [size for _, size, _ in encoded_of(pipe).encoded] == [1, 1, 1]


async def test_nodrop_never_runs() -> None:
    """xpub_nodrop checks every pipe's room per message: a run, checked only
    when written, could drop."""
    dist = NoDropDistribute(match_all=True)
    pipes = [make_encoded_pipe(FakePool(), f"p{i}") for i in range(2)]
    for pipe in pipes:
        dist.attach(pipe)
    for number in range(3):
        assert dist.send([b"%d" % number])
    for pipe in pipes:
        assert [now for _, _, now in encoded_of(pipe).encoded] == [False] * 3


def test_encode_all_is_encode_once_of_each() -> None:
    messages = [[b"a"], [b"b" * 300], [b"c", b"d" * 256], [b""], [b"", b""]]
    assert b"".join(encode_all(messages)) == wire(*messages)


def test_messages_to_everyone_skip_matching_only_while_that_is_so() -> None:
    """With the empty topic the only one, send() takes the subscribers as
    they are, without matching the message; any other topic (or none) and
    each message is matched again."""
    dist = Distribute()
    socket = FakePool(sndhwm=0)
    a, b = (make_pipe(socket, name) for name in "ab")
    for pipe in (a, b):
        dist.attach(pipe)

    def delivered(first: bytes) -> list[bool]:
        before = [len(link_of(pipe).sent) for pipe in (a, b)]
        dist.send([first])
        return [len(link_of(pipe).sent) > count for pipe, count in zip((a, b), before, strict=True)]

    assert delivered(b"x") == [False, False]
    dist.subscription(a, b"", True)
    assert delivered(b"x") == [True, False]
    dist.subscription(b, b"", True)
    assert delivered(b"x") == [True, True]
    dist.subscription(b, b"y", True)  # two topic lengths: matched per message
    dist.subscription(a, b"", False)
    assert delivered(b"x") == [False, True]
    assert delivered(b"y") == [False, True]
    dist.subscription(b, b"y", False)  # the empty topic alone again, b's
    assert delivered(b"x") == [False, True]
    dist.unlinked(b)  # forgets b's subscriptions: nobody
    assert delivered(b"x") == [False, False]
