"""The 64-byte greeting: what we send, and which peer greetings we accept (docs/wire/zmtp.md#greeting)."""

from __future__ import annotations

import pytest

from aiomsg._zmtp.codec import HandshakeComplete, PeerFailed, ZmtpCodec
from aiomsg._zmtp.greeting import Greeting
from aiomsg.constants import SocketType

from ._wire import (
    DEALER_ABCDE_GREETING,
    LIBZMQ_GREETING,
    NULL_MECHANISM,
    READY_FROM_DEALER,
    greeting,
)


def our_greeting(socket_type: SocketType, identity: bytes = b"") -> bytes:
    return ZmtpCodec(socket_type, identity=identity).take_output()[0]


@pytest.mark.parametrize(
    ("socket_type", "identity", "expected"),
    [
        (SocketType.PUSH, b"", LIBZMQ_GREETING),
        (SocketType.DEALER, b"", LIBZMQ_GREETING),
        (SocketType.DEALER, b"ABCDE", DEALER_ABCDE_GREETING),
        (SocketType.REQ, b"ABCDE", DEALER_ABCDE_GREETING),
    ],
    ids=["push", "dealer-no-id", "dealer-id-ABCDE", "req-id-ABCDE"],
)
def test_our_greeting_bytes(socket_type: SocketType, identity: bytes, expected: bytes) -> None:
    assert our_greeting(socket_type, identity) == expected


def test_our_greeting_fields() -> None:
    data = our_greeting(SocketType.PUB)
    assert len(data) == 64
    assert data[0] == 0xFF
    assert data[1:9] == b"\x00" * 7 + b"\x01"  # identity length + 1, as libzmq writes
    assert data[9:12] == b"\x7f\x03\x01"
    assert data[12:32] == b"NULL" + b"\x00" * 16
    assert data[32] == 0  # as-server
    assert data[33:] == bytes(31)


def test_nothing_but_the_greeting_before_the_peer_greets() -> None:
    conn = ZmtpCodec(SocketType.DEALER)
    assert conn.take_output() == [LIBZMQ_GREETING]
    assert not conn.has_output
    assert conn.receive_data(LIBZMQ_GREETING[:40]) == []
    assert not conn.has_output  # READY waits for the peer's full greeting


ACCEPTED = {
    "libzmq-4.3.5": (LIBZMQ_GREETING, Greeting(3, 1, b"NULL", False)),
    "nonzero-padding": (greeting(padding=b"\xde\xad\xbe\xef" * 2), Greeting(3, 1, b"NULL", False)),
    "as-server-1": (greeting(as_server=1), Greeting(3, 1, b"NULL", True)),
    "minor-0": (greeting(minor=0), Greeting(3, 0, b"NULL", False)),
    "zmtp-4.7": (greeting(major=4, minor=7), Greeting(4, 7, b"NULL", False)),
    "signature-end-odd": (greeting(signature_end=0x01), Greeting(3, 1, b"NULL", False)),
    "nonzero-filler": (greeting(filler=b"\x55" * 31), Greeting(3, 1, b"NULL", False)),
}


@pytest.mark.parametrize(("peer", "expected"), ACCEPTED.values(), ids=ACCEPTED.keys())
def test_peer_greeting_accepted(peer: bytes, expected: Greeting) -> None:
    conn = ZmtpCodec(SocketType.ROUTER)
    assert conn.receive_data(peer) == []
    assert conn.greeting == expected
    (event,) = conn.receive_data(READY_FROM_DEALER)
    assert isinstance(event, HandshakeComplete)
    assert event.greeting == expected


# (prefix that must already be refused, rest of an otherwise valid greeting)
REFUSED_EARLY = {
    "bad-signature-G": b"G",
    "bad-signature-00": b"\x00",
    "unversioned-byte9-even": greeting(signature_end=0x7E)[:10],
    "zmtp-1.0-byte9-zero": greeting(signature_end=0x00)[:10],
    "major-2": greeting(major=2)[:11],
    "major-1": greeting(major=1)[:11],
    "major-0": greeting(major=0)[:11],
}


@pytest.mark.parametrize("prefix", REFUSED_EARLY.values(), ids=REFUSED_EARLY.keys())
def test_bad_greeting_refused_as_soon_as_visible(prefix: bytes) -> None:
    conn = ZmtpCodec(SocketType.DEALER)
    conn.take_output()
    (event,) = conn.receive_data(prefix)
    assert isinstance(event, PeerFailed)
    assert not event.refused
    assert not conn.ready
    assert conn.take_output() == []  # no READY, no ERROR: just close
    assert conn.receive_data(LIBZMQ_GREETING + READY_FROM_DEALER) == []


@pytest.mark.parametrize(
    "prefix",
    [REFUSED_EARLY["unversioned-byte9-even"], REFUSED_EARLY["major-2"]],
    ids=["byte9-even", "major-2"],
)
def test_bad_greeting_refused_early_when_trickling(prefix: bytes) -> None:
    conn = ZmtpCodec(SocketType.DEALER)
    events = [event for byte in prefix for event in conn.receive_data(bytes((byte,)))]
    assert len(events) == 1 and isinstance(events[0], PeerFailed)


REFUSED_MECHANISM = {
    "PLAIN": b"PLAIN" + bytes(15),
    "CURVE": b"CURVE" + bytes(15),
    "lower-case-null": b"null" + bytes(16),
    "mixed-case-Null": b"Null" + bytes(16),
    "space-padded": b"NULL" + b" " * 16,
    "empty": bytes(20),
    "trailing-garbage": b"NULL\x00X" + bytes(14),
}


@pytest.mark.parametrize("mechanism", REFUSED_MECHANISM.values(), ids=REFUSED_MECHANISM.keys())
def test_mechanism_mismatch_refused(mechanism: bytes) -> None:
    conn = ZmtpCodec(SocketType.DEALER)
    conn.take_output()
    (event,) = conn.receive_data(greeting(mechanism=mechanism))
    assert isinstance(event, PeerFailed)
    assert not event.refused
    assert "mechanism" in event.reason
    assert conn.take_output() == []  # libzmq closes silently: no ERROR


def test_mechanism_is_checked_on_all_20_bytes() -> None:
    assert b"NULL".ljust(20, b"\x00") == NULL_MECHANISM
    conn = ZmtpCodec(SocketType.DEALER)
    assert conn.receive_data(greeting(mechanism=NULL_MECHANISM)) == []
    assert conn.greeting is not None and conn.greeting.mechanism == b"NULL"
