"""The NULL handshake: READY we send, READY/ERROR we accept (docs/wire/zmtp.md#null)."""

from __future__ import annotations

import pytest

from aiomsg._zmtp.codec import Admission, HandshakeComplete, PeerFailed, ZmtpCodec
from aiomsg._zmtp.greeting import Greeting
from aiomsg.constants import SocketType

from ._wire import (
    LIBZMQ_GREETING,
    NULL_ERROR_400,
    PLAIN_ERROR_BUGGY,
    READY_FROM_DEALER,
    READY_FROM_PUB,
    READY_FROM_ROUTER,
    SUBSCRIBE_A,
    command,
    frame,
    message,
    ping,
    prop,
    ready,
    ready_for,
)

S = SocketType


def our_ready(socket_type: SocketType, identity: bytes = b"") -> bytes:
    conn = ZmtpCodec(socket_type, identity=identity)
    conn.take_output()
    assert conn.receive_data(LIBZMQ_GREETING) == []
    return b"".join(conn.take_output())


OUR_READY = {
    # libzmq 4.3.5 captures
    "ROUTER-capture": (S.ROUTER, b"", READY_FROM_ROUTER),
    "PUB-capture": (S.PUB, b"", READY_FROM_PUB),
    "DEALER-capture": (S.DEALER, b"", READY_FROM_DEALER),
    # Identity only for REQ/DEALER/ROUTER, even when empty
    "REQ": (S.REQ, b"", ready_for(b"REQ", b"")),
    "REQ-identity": (S.REQ, b"ABCDE", ready_for(b"REQ", b"ABCDE")),
    "DEALER-identity": (S.DEALER, b"ABCDE", ready_for(b"DEALER", b"ABCDE")),
    "ROUTER-identity": (S.ROUTER, b"r1", ready_for(b"ROUTER", b"r1")),
    "REP": (S.REP, b"", ready_for(b"REP")),
    "SUB": (S.SUB, b"", ready_for(b"SUB")),
    "XPUB": (S.XPUB, b"", ready_for(b"XPUB")),
    "XSUB": (S.XSUB, b"", ready_for(b"XSUB")),
    "PUSH": (S.PUSH, b"", ready_for(b"PUSH")),
    "PULL": (S.PULL, b"", ready_for(b"PULL")),
    "PAIR": (S.PAIR, b"", ready_for(b"PAIR")),
}


@pytest.mark.parametrize(
    ("socket_type", "identity", "expected"), OUR_READY.values(), ids=OUR_READY.keys()
)
def test_our_ready_bytes(socket_type: SocketType, identity: bytes, expected: bytes) -> None:
    assert our_ready(socket_type, identity) == expected


def test_ready_builder_matches_captures() -> None:
    """Sanity check of the test's own encoder against the libzmq captures."""
    assert ready_for(b"ROUTER", b"") == READY_FROM_ROUTER
    assert ready_for(b"PUB") == READY_FROM_PUB


def test_parse_libzmq_dealer_ready() -> None:
    conn = ZmtpCodec(S.ROUTER)
    assert conn.receive_data(LIBZMQ_GREETING) == []
    assert not conn.ready
    (event,) = conn.receive_data(READY_FROM_DEALER)
    assert event == HandshakeComplete(
        socket_type=b"DEALER",
        identity=b"",
        properties={b"Socket-Type": b"DEALER", b"Identity": b""},
        greeting=Greeting(3, 1, b"NULL", False),
    )
    assert conn.ready


def test_handshake_complete_carries_identity_and_metadata() -> None:
    peer_ready = ready(
        (b"Socket-Type", b"DEALER"), (b"Identity", b"ABCDE"), (b"X-Foo", b"bar"), (b"X-Empty", b"")
    )
    conn = ZmtpCodec(S.ROUTER)
    (event,) = conn.receive_data(LIBZMQ_GREETING + peer_ready)
    assert isinstance(event, HandshakeComplete)
    assert event.socket_type == b"DEALER"
    assert event.identity == b"ABCDE"
    assert event.properties == {
        b"Socket-Type": b"DEALER",
        b"Identity": b"ABCDE",
        b"X-Foo": b"bar",
        b"X-Empty": b"",
    }


# RFC 23/37 table (docs/wire/zmtp.md#socket-types), written out independently of aiomsg.constants.
LEGAL = {
    "REQ": {"REP", "ROUTER"},
    "REP": {"REQ", "DEALER"},
    "DEALER": {"REP", "DEALER", "ROUTER"},
    "ROUTER": {"REQ", "DEALER", "ROUTER"},
    "PUB": {"SUB", "XSUB"},
    "XPUB": {"SUB", "XSUB"},
    "SUB": {"PUB", "XPUB"},
    "XSUB": {"PUB", "XPUB"},
    "PUSH": {"PULL"},
    "PULL": {"PUSH"},
    "PAIR": {"PAIR"},
}
PAIRS = [(local, peer) for local in LEGAL for peer in LEGAL]


@pytest.mark.parametrize(("local", "peer"), PAIRS, ids=[f"{a}-{b}" for a, b in PAIRS])
def test_socket_type_pairing(local: str, peer: str) -> None:
    conn = ZmtpCodec(S[local])
    conn.take_output()
    (event,) = conn.receive_data(LIBZMQ_GREETING + ready_for(peer.encode()))
    if peer in LEGAL[local]:
        assert isinstance(event, HandshakeComplete)
        assert event.socket_type == peer.encode()
        assert b"ERROR" not in b"".join(conn.take_output())
    else:
        assert isinstance(event, PeerFailed)
        assert not event.refused
        assert conn.take_output()[-1] == command(b"ERROR", b"\x13Invalid socket type")
        assert not conn.ready


@pytest.mark.parametrize("value", [b"Dealer", b"dealer", b"DEALER ", b"", b"CLIENT", b"STREAM"])
def test_socket_type_value_must_match_exactly(value: bytes) -> None:
    conn = ZmtpCodec(S.ROUTER)
    (event,) = conn.receive_data(LIBZMQ_GREETING + ready_for(value))
    assert isinstance(event, PeerFailed)


def test_incompatible_peer_traffic_in_same_chunk_is_not_delivered() -> None:
    conn = ZmtpCodec(S.PUSH)
    events = conn.receive_data(LIBZMQ_GREETING + ready_for(b"PUSH") + message(b"hi"))
    assert len(events) == 1 and isinstance(events[0], PeerFailed)


def test_missing_socket_type_is_accepted() -> None:
    conn = ZmtpCodec(S.PULL)
    (event,) = conn.receive_data(LIBZMQ_GREETING + ready())
    assert isinstance(event, HandshakeComplete)
    assert (event.socket_type, event.identity, event.properties) == (b"", b"", {})


@pytest.mark.parametrize(
    ("name", "value"),
    [(b"socket-type", b"PUSH"), (b"SOCKET-TYPE", b"PUSH"), (b"Socket-type", b"PULL")],
)
def test_socket_type_name_is_case_sensitive(name: bytes, value: bytes) -> None:
    """Only exactly ``Socket-Type`` is checked; other spellings are plain metadata."""
    conn = ZmtpCodec(S.PUSH)
    (event,) = conn.receive_data(LIBZMQ_GREETING + ready((name, value)))
    assert isinstance(event, HandshakeComplete)
    assert event.socket_type == b""
    assert event.properties == {name: value}


def test_identity_name_is_case_sensitive() -> None:
    conn = ZmtpCodec(S.ROUTER)
    peer_ready = ready((b"Socket-Type", b"DEALER"), (b"identity", b"ABCDE"))
    (event,) = conn.receive_data(LIBZMQ_GREETING + peer_ready)
    assert isinstance(event, HandshakeComplete)
    assert event.identity == b""


MALFORMED_READY = {
    "name-runs-past-end": command(b"READY", b"\x0bSocket-Ty"),
    "value-size-missing": command(b"READY", b"\x0bSocket-Type\x00\x00"),
    "value-runs-past-end": command(b"READY", b"\x0bSocket-Type\x00\x00\x00\x06DEAL"),
    "trailing-byte": command(b"READY", prop(b"Socket-Type", b"DEALER") + b"\x01"),
    "zero-length-name": command(b"READY", b"\x00\x00\x00\x00\x00"),
    "huge-value-size": command(b"READY", b"\x0bSocket-Type\xff\xff\xff\xffDEALER"),
}


@pytest.mark.parametrize("peer_ready", MALFORMED_READY.values(), ids=MALFORMED_READY.keys())
def test_malformed_ready_fails(peer_ready: bytes) -> None:
    conn = ZmtpCodec(S.ROUTER)
    (event,) = conn.receive_data(LIBZMQ_GREETING + peer_ready)
    assert isinstance(event, PeerFailed)
    assert not event.refused
    assert not conn.ready


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (NULL_ERROR_400, "400"),
        (command(b"ERROR", b"\x13Invalid socket type"), "Invalid socket type"),
        (command(b"ERROR", b"\x00"), ""),
    ],
    ids=["zap-400-capture", "invalid-socket-type", "empty-reason"],
)
def test_error_during_handshake_is_a_refusal(error: bytes, reason: str) -> None:
    conn = ZmtpCodec(S.DEALER)
    (event,) = conn.receive_data(LIBZMQ_GREETING + error)
    assert isinstance(event, PeerFailed)
    assert event.refused
    assert event.reason.endswith(f": {reason}")
    assert not conn.ready


def test_libzmq_misspelled_error_is_a_refusal() -> None:
    """libzmq 4.3.5's PLAIN ERROR is malformed (``^RROR``): read as the ERROR it is."""
    conn = ZmtpCodec(S.DEALER)
    (event,) = conn.receive_data(LIBZMQ_GREETING + PLAIN_ERROR_BUGGY)
    assert isinstance(event, PeerFailed)
    assert event.refused and "400" in event.reason


def test_unparsable_handshake_command_is_fatal() -> None:
    """A command whose name length overruns the frame fails the handshake."""
    conn = ZmtpCodec(S.DEALER)
    (event,) = conn.receive_data(LIBZMQ_GREETING + b"\x04\x05\x5eABCD")
    assert isinstance(event, PeerFailed)
    assert not event.refused


BEFORE_READY = {
    "data-frame": message(b"hello"),
    "empty-data-frame": frame(b""),
    "more-data-frame": frame(b"a", more=True),
    "ping": ping(25),
    "pong": command(b"PONG"),
    "subscribe": SUBSCRIBE_A,
    "hello": command(b"HELLO", b"\x01u\x01p"),
    "empty-command": frame(b"", command=True),
}


@pytest.mark.parametrize("first", BEFORE_READY.values(), ids=BEFORE_READY.keys())
def test_anything_but_ready_or_error_before_ready_fails(first: bytes) -> None:
    conn = ZmtpCodec(S.DEALER)
    conn.take_output()
    events = conn.receive_data(LIBZMQ_GREETING + first + READY_FROM_ROUTER)
    assert len(events) == 1 and isinstance(events[0], PeerFailed)
    assert not events[0].refused
    assert b"PONG" not in b"".join(conn.take_output())


def test_oversized_handshake_frame_fails_on_its_header() -> None:
    conn = ZmtpCodec(S.DEALER)
    header = b"\x06" + (1 << 40).to_bytes(8, "big")
    (event,) = conn.receive_data(LIBZMQ_GREETING + header)
    assert isinstance(event, PeerFailed)


def test_ready_and_traffic_in_one_chunk() -> None:
    conn = ZmtpCodec(S.PULL)
    events = conn.receive_data(LIBZMQ_GREETING + ready_for(b"PUSH") + message(b"a", b"b"))
    assert isinstance(events[0], HandshakeComplete)
    assert events[1:] == [[b"a", b"b"]]


def test_second_ready_after_handshake_is_ignored() -> None:
    conn = ZmtpCodec(S.PULL)
    events = conn.receive_data(
        LIBZMQ_GREETING + ready_for(b"PUSH") + ready_for(b"PUB") + message(b"x")
    )
    assert isinstance(events[0], HandshakeComplete)
    assert events[1:] == [[b"x"]]


@pytest.mark.parametrize(
    ("reason", "wire_reason"),
    [
        ("Invalid socket type", b"Invalid socket type"),
        ("x" * 300, b"x" * 255),
        ("caf\xe9", b"caf?"),
    ],
    ids=["plain", "cut-to-255", "non-ascii"],
)
def test_send_error(reason: str, wire_reason: bytes) -> None:
    conn = ZmtpCodec(S.DEALER)
    conn.take_output()
    conn.send_error(reason)
    assert conn.take_output() == [command(b"ERROR", bytes((len(wire_reason),)) + wire_reason)]


# ---------------------------------------------------------------- accepting side, admission


def accepted(socket_type: SocketType, admit: Admission | None = None) -> ZmtpCodec:
    conn = ZmtpCodec(socket_type, accepted=True, admit=admit)
    conn.take_output()  # our greeting
    return conn


def test_accepting_side_sends_ready_after_the_peers() -> None:
    # RFC 37 order (the client speaks first), so that a peer can be turned
    # away before it sees our READY; libzmq sends its READY without waiting.
    conn = accepted(S.PAIR)
    assert conn.receive_data(LIBZMQ_GREETING) == []
    assert conn.take_output() == []
    events = conn.receive_data(ready_for(b"PAIR"))
    assert [type(event) for event in events] == [HandshakeComplete]
    assert b"".join(conn.take_output()) == ready_for(b"PAIR")


def test_refused_peer_gets_only_an_error_with_the_reason() -> None:
    asked: list[dict[bytes, bytes]] = []

    def admit(properties: dict[bytes, bytes]) -> str | None:
        asked.append(properties)
        return "PAIR socket already has a peer"

    conn = accepted(S.PAIR, admit)
    conn.receive_data(LIBZMQ_GREETING)
    (failed,) = conn.receive_data(ready_for(b"PAIR"))
    assert isinstance(failed, PeerFailed) and failed.rejected and failed.fatal
    assert failed.reason == "PAIR socket already has a peer"
    assert asked == [{b"Socket-Type": b"PAIR"}]
    reason = b"PAIR socket already has a peer"
    assert b"".join(conn.take_output()) == command(b"ERROR", bytes([len(reason)]) + reason)


def test_connecting_side_still_sends_ready_at_once() -> None:
    conn = ZmtpCodec(S.PAIR, admit=lambda properties: None)
    conn.take_output()
    assert conn.receive_data(LIBZMQ_GREETING) == []
    assert b"".join(conn.take_output()) == ready_for(b"PAIR")


def test_incompatible_peer_gets_the_error_before_our_ready() -> None:
    conn = accepted(S.PAIR)
    conn.receive_data(LIBZMQ_GREETING)
    (failed,) = conn.receive_data(ready_for(b"DEALER", b""))
    assert isinstance(failed, PeerFailed) and failed.fatal
    reason = b"Invalid socket type"
    assert b"".join(conn.take_output()) == command(b"ERROR", bytes([len(reason)]) + reason)
