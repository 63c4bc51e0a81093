"""After a fault: complete messages first, then PeerFailed, then silence."""

from __future__ import annotations

import pytest

from aiomsg._zmtp.codec import HandshakeComplete, PeerFailed, ZmtpCodec
from aiomsg.constants import SocketType

from ._wire import (
    LIBZMQ_GREETING,
    NULL_ERROR_400,
    READY_FROM_ROUTER,
    command,
    frame,
    handshaken,
    message,
    ping,
)

GARBAGE = {
    "empty-command": b"\x04\x00",
    "command-name-past-end": b"\x04\x03\x09ab",
    "frame-over-maxmsgsize": frame(b"q" * 101),
    "command-over-maxmsgsize": command(b"SUBSCRIBE", b"t" * 100),
    "long-frame-over-maxmsgsize": b"\x02" + (1 << 62).to_bytes(8, "big"),
}


@pytest.mark.parametrize("garbage", GARBAGE.values(), ids=GARBAGE.keys())
def test_complete_messages_before_the_fault_come_first(garbage: bytes) -> None:
    conn = handshaken(maxmsgsize=100)
    chunk = message(b"one") + message(b"two", b"parts") + frame(b"half", more=True)
    events = conn.receive_data(chunk + garbage + message(b"never"))
    assert events[:2] == [[b"one"], [b"two", b"parts"]]
    assert len(events) == 3 and isinstance(events[2], PeerFailed)
    assert not conn.ready


@pytest.mark.parametrize("garbage", GARBAGE.values(), ids=GARBAGE.keys())
def test_handshake_and_messages_before_the_fault_come_first(garbage: bytes) -> None:
    conn = ZmtpCodec(SocketType.DEALER, maxmsgsize=100)
    events = conn.receive_data(LIBZMQ_GREETING + READY_FROM_ROUTER + message(b"m") + garbage)
    assert isinstance(events[0], HandshakeComplete)
    assert events[1] == [b"m"]
    assert len(events) == 3 and isinstance(events[2], PeerFailed)


@pytest.mark.parametrize("garbage", GARBAGE.values(), ids=GARBAGE.keys())
def test_nothing_after_peer_failed(garbage: bytes) -> None:
    conn = handshaken(maxmsgsize=100)
    (event,) = conn.receive_data(garbage)
    assert isinstance(event, PeerFailed)
    for more in [message(b"late"), ping(0, b"ctx"), LIBZMQ_GREETING, b"", b"\x00"]:
        assert conn.receive_data(more) == []
    assert conn.take_output() == []  # no PONG for a PING after the fault
    assert not conn.ready


def test_fault_in_a_later_chunk_after_a_partial_frame() -> None:
    conn = handshaken()
    assert conn.receive_data(message(b"ok") + b"\x01\x05par") == [[b"ok"]]
    events = conn.receive_data(b"ts" + b"\x04\x00" + message(b"never"))
    assert len(events) == 1 and isinstance(events[0], PeerFailed)


def test_nothing_after_a_refusal() -> None:
    conn = ZmtpCodec(SocketType.DEALER)
    events = conn.receive_data(LIBZMQ_GREETING + NULL_ERROR_400 + READY_FROM_ROUTER)
    assert len(events) == 1 and isinstance(events[0], PeerFailed) and events[0].refused
    assert conn.receive_data(READY_FROM_ROUTER + message(b"x")) == []


def test_nothing_after_a_greeting_failure() -> None:
    conn = ZmtpCodec(SocketType.DEALER)
    (event,) = conn.receive_data(b"GET / HTTP/1.1\r\n")
    assert isinstance(event, PeerFailed)
    assert conn.receive_data(LIBZMQ_GREETING + READY_FROM_ROUTER) == []


@pytest.mark.parametrize("split", [False, True], ids=["one-chunk", "byte-by-byte"])
def test_max_message_size_bounds_a_whole_multipart_message(split: bool) -> None:
    """Each frame is under maxmsgsize, but together they pass max_message_size:
    the peer fails before the message is ever held whole."""
    conn = handshaken(maxmsgsize=100, max_message_size=250)
    ok = message(b"a" * 100, b"b" * 100, b"c" * 50)  # exactly 250 bytes: fine
    endless = b"".join(frame(b"x" * 100, more=True) for _ in range(3))
    data = ok + endless
    events = (
        [event for byte in range(len(data)) for event in conn.receive_data(data[byte : byte + 1])]
        if split
        else conn.receive_data(data)
    )
    assert events[0] == [b"a" * 100, b"b" * 100, b"c" * 50]
    assert len(events) == 2 and isinstance(events[1], PeerFailed)
    assert "max_message_size 250" in events[1].reason
