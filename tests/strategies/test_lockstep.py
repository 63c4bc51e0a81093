"""RequestLockstep / ReplyLockstep: REQ and REP (RFC 28, docs/wire/zmtp.md#reqrep)."""

from __future__ import annotations

import pytest

from aiomsg._pool.pipe import Pipe
from aiomsg._pool.strategies.lockstep import ReplyLockstep, RequestLockstep
from aiomsg.errors import InvalidState
from aiomsg.options import DEFAULTS

from ._fakes import FakePool, fill, link_of, make_pipe


def req_setup(count: int = 2) -> tuple[RequestLockstep, list[Pipe]]:
    req = RequestLockstep()
    socket = FakePool(req)
    pipes = [make_pipe(socket, f"p{i}") for i in range(count)]
    for pipe in pipes:
        req.attach(pipe)
    return req, pipes


def rep_setup(count: int = 2) -> tuple[ReplyLockstep, list[Pipe]]:
    rep = ReplyLockstep()
    socket = FakePool(rep)
    return rep, [make_pipe(socket, f"p{i}") for i in range(count)]


# -- REQ ---------------------------------------------------------------------
def test_req_recv_before_send_is_invalid() -> None:
    req, _ = req_setup()
    with pytest.raises(InvalidState):
        req.recv()


def test_req_second_send_before_reply_is_invalid() -> None:
    req, _ = req_setup()
    assert req.send([b"q1"])
    with pytest.raises(InvalidState):
        req.send([b"q2"])


def test_req_adds_the_delimiter_and_strips_it_from_the_reply() -> None:
    req, (a, _) = req_setup()
    assert req.send([b"q", b"2"])
    assert link_of(a).sent == [[b"", b"q", b"2"]]
    assert req.recv() is None  # no reply yet: still waiting, not an error
    a.deliver([b"", b"r", b"2"])
    assert req.recv() == [b"r", b"2"]
    with pytest.raises(InvalidState):
        req.recv()  # the reply was taken: must send again


def test_req_requests_are_load_balanced() -> None:
    req, (a, b) = req_setup()
    for i, pipe in enumerate([a, b, a]):
        assert req.send([b"q%d" % i])
        pipe.deliver([b"", b"r%d" % i])
        assert req.recv() == [b"r%d" % i]
    assert link_of(a).sent == [[b"", b"q0"], [b"", b"q2"]]
    assert link_of(b).sent == [[b"", b"q1"]]


@pytest.mark.parametrize(
    "bad_reply",
    [[b"r"], [b""], [b"x", b"", b"r"], [b"\x01\x02\x03\x04", b"", b"r"]],
    ids=["no-delimiter", "delimiter-only", "extra-routing-frame", "correlate-id"],
)
def test_req_drops_malformed_replies(bad_reply: list[bytes]) -> None:
    req, (a, _) = req_setup()
    req.send([b"q"])
    a.deliver(bad_reply)
    assert req.recv() is None
    a.deliver([b"", b"good"])
    assert req.recv() == [b"good"]


def test_req_drops_stale_replies_from_another_pipe() -> None:
    req, (a, b) = req_setup()
    req.send([b"q0"])  # goes to a
    b.deliver([b"", b"stale"])
    assert req.recv() is None  # b's message was read and dropped
    b.deliver([b"", b"stale-2"])
    a.deliver([b"", b"r0"])
    assert req.recv() == [b"r0"]  # stale-2, ahead in the queue, was skipped
    assert not b.inbound
    req.send([b"q1"])  # goes to b
    assert req.recv() is None
    b.deliver([b"", b"r1"])
    assert req.recv() == [b"r1"]


def test_req_waits_when_every_pipe_is_full() -> None:
    req, pipes = req_setup()
    for pipe in pipes:
        fill(pipe)
    assert req.send([b"q"]) is False
    assert req.send([b"q"]) is False  # not awaiting: a retry is allowed
    with pytest.raises(InvalidState):
        req.recv()


def test_req_without_pipes_waits() -> None:
    req = RequestLockstep()
    assert req.send([b"q"]) is False


# -- REP ---------------------------------------------------------------------
def test_rep_send_before_recv_is_invalid() -> None:
    rep, _ = rep_setup()
    with pytest.raises(InvalidState):
        rep.send([b"r"])


def test_rep_recv_twice_without_reply_is_invalid() -> None:
    rep, (a, _) = rep_setup()
    a.deliver([b"", b"q1"])
    a.deliver([b"", b"q2"])
    assert rep.recv() == [b"q1"]
    with pytest.raises(InvalidState):
        rep.recv()


@pytest.mark.parametrize(
    ("request_", "envelope", "body"),
    [
        ([b"", b"q"], [b""], [b"q"]),
        ([b"", b"q", b"2"], [b""], [b"q", b"2"]),
        ([b"ID1", b"ID2", b"", b"q"], [b"ID1", b"ID2", b""], [b"q"]),
        ([b"\x01\x02\x03\x04", b"", b"q"], [b"\x01\x02\x03\x04", b""], [b"q"]),
        ([b"", b"", b"q"], [b""], [b"", b"q"]),
    ],
    ids=["plain", "multipart", "routed", "correlate-id", "empty-body-frame"],
)
def test_rep_envelope_round_trip(
    request_: list[bytes], envelope: list[bytes], body: list[bytes]
) -> None:
    rep, (a, _) = rep_setup()
    a.deliver(request_)
    assert rep.recv() == body
    assert rep.send([b"reply"])
    assert link_of(a).sent == [[*envelope, b"reply"]]


@pytest.mark.parametrize(
    "bad_request",
    [[b"q"], [b"ID", b"q"], [b""], [b"ID", b""]],
    ids=["no-delimiter", "routing-no-delimiter", "delimiter-only", "delimiter-last"],
)
def test_rep_drops_requests_without_delimiter(bad_request: list[bytes]) -> None:
    rep, (a, _) = rep_setup()
    a.deliver(bad_request)
    assert rep.recv() is None
    a.deliver([b"", b"good"])
    assert rep.recv() == [b"good"]


def test_rep_replies_go_to_the_requesting_pipe() -> None:
    rep, (a, b) = rep_setup()
    a.deliver([b"", b"qa"])
    b.deliver([b"", b"qb"])
    for expected in ([b"qa"], [b"qb"]):
        assert rep.recv() == expected
        rep.send([b"re:" + expected[0]])
    assert link_of(a).sent == [[b"", b"re:qa"]]
    assert link_of(b).sent == [[b"", b"re:qb"]]


def test_rep_reply_to_a_gone_or_full_requester_is_dropped() -> None:
    rep, (a, b) = rep_setup()
    a.deliver([b"", b"qa"])
    b.deliver([b"", b"qb"])
    rep.recv()
    a.detach_link()
    assert rep.send([b"lost"]) is True  # queued in a's backlog, never an error
    assert rep.recv() == [b"qb"]
    fill(b)
    assert rep.send([b"dropped"]) is True
    assert [b"", b"dropped"] not in list(b.backlog)
    with pytest.raises(InvalidState):
        rep.send([b"again"])  # the turn was used


# -- readiness (POLLIN / POLLOUT) ----------------------------------------------


def test_req_readiness_follows_the_lockstep() -> None:
    req, (a, _) = req_setup()
    assert req.has_out() and not req.has_in()  # must send first
    assert req.send([b"q"])
    assert not req.has_out() and not req.has_in()  # waiting for a's reply
    a.deliver([b"", b"r"])
    assert req.has_in() and not req.has_out()
    assert req.recv() == [b"r"]
    assert req.has_out() and not req.has_in()


def test_req_readiness_drops_what_recv_would_drop() -> None:
    req, (a, b) = req_setup()
    assert req.send([b"q"])
    b.deliver([b"", b"stale reply from another peer"])
    a.deliver([b"no delimiter"])
    # recv() would drop both: has_in() drops them already, so that the
    # reply that follows on a (now empty) announces itself.
    assert not req.has_in()
    assert not a.inbound and not b.inbound
    a.deliver([b"", b"the reply"])
    assert req.has_in()
    assert req.recv() == [b"the reply"]


def test_rep_readiness_follows_the_lockstep() -> None:
    rep, (a, _) = rep_setup()
    assert not rep.has_in() and not rep.has_out()
    a.deliver([b"no envelope"])
    assert not rep.has_in() and not a.inbound  # dropped, as recv() would
    a.deliver([b"id", b"", b"request"])
    assert rep.has_in() and not rep.has_out()
    assert rep.recv() == [b"request"]
    assert rep.has_out() and not rep.has_in()
    assert rep.send([b"reply"])
    assert not rep.has_out()


def test_relaxed_req_is_writable_while_awaiting() -> None:
    req = RequestLockstep({**DEFAULTS, "req_relaxed": True})
    socket = FakePool(req)
    pipe = make_pipe(socket, "p")
    req.attach(pipe)
    assert req.send([b"q1"])
    assert req.has_out()  # a new request may go before the reply
    assert not req.has_in()


def test_rep_and_req_resume_a_paused_pipe_at_its_resume_at() -> None:
    """The inlined takes of REP and REQ check Pipe.resume_at as FairQueue
    does: a pipe paused at its HWM resumes once drained to half of it."""
    rep = ReplyLockstep()
    rep_pipe = make_pipe(FakePool(rep, rcvhwm=4), "rep")
    rep_pipe.deliver_many([[b"id%d" % i, b"", b"q%d" % i] for i in range(5)])
    assert link_of(rep_pipe).paused
    assert rep.recv() == [b"q0"]
    assert link_of(rep_pipe).paused  # 4 left > 2
    assert rep.send([b"r0"])
    assert rep.recv() == [b"q1"]
    assert link_of(rep_pipe).paused  # 3 left
    assert rep.send([b"r1"])
    assert rep.recv() == [b"q2"]
    assert not link_of(rep_pipe).paused  # 2 left

    req = RequestLockstep()
    req_pipe = make_pipe(FakePool(req, rcvhwm=2), "req")
    req.attach(req_pipe)
    assert req.send([b"q"])
    # A reply without its delimiter, then the real one: past the HWM, so
    # reading pauses.
    req_pipe.deliver_many([[b"no delimiter"], [b"", b"r"]])
    assert link_of(req_pipe).paused
    assert req.recv() == [b"r"]  # the malformed one was dropped on the way
    assert not link_of(req_pipe).paused
