"""Data frames and commands once the handshake is done (docs/wire/zmtp.md#framing,
#pubsub, #heartbeats)."""

from __future__ import annotations

import pytest

from aiomsg._zmtp.codec import PeerFailed, Subscription, ZmtpCodec
from aiomsg._zmtp.frames import LAST_HEADERS, LAST_HEADERS_LIMIT
from aiomsg.constants import SocketType
from aiomsg.transports.interface import encode_all, encode_once

from ._wire import (
    CANCEL_A,
    PING_TTL_2_5S,
    PONG_CTX,
    SUBSCRIBE_A,
    SUBSCRIBE_A_30,
    command,
    frame,
    handshaken,
    message,
    output,
    ping,
    ready_for,
)

ENCODE = {
    "empty": ([b""], b"\x00\x00"),
    "one-byte": ([b"a"], b"\x00\x01a"),
    "two-empty": ([b"", b""], b"\x01\x00\x00\x00"),
    "multipart": ([b"a", b"bc", b"def"], b"\x01\x01a\x01\x02bc\x00\x03def"),
    "255-short": ([b"x" * 255], b"\x00\xff" + b"x" * 255),
    "256-long": ([b"x" * 256], b"\x02" + (256).to_bytes(8, "big") + b"x" * 256),
    # The last size with a prebuilt header (frames.LAST_HEADERS), the first packed.
    "4095-long": ([b"x" * 4095], b"\x02" + (4095).to_bytes(8, "big") + b"x" * 4095),
    "4096-long": ([b"x" * 4096], b"\x02" + (4096).to_bytes(8, "big") + b"x" * 4096),
    "long-with-more": (
        [b"y" * 300, b"z"],
        b"\x03" + (300).to_bytes(8, "big") + b"y" * 300 + b"\x00\x01z",
    ),
}


@pytest.mark.parametrize(("frames", "wire"), ENCODE.values(), ids=ENCODE.keys())
def test_encode_message(frames: list[bytes], wire: bytes) -> None:
    conn = handshaken()
    conn.send_message(frames)
    assert output(conn) == wire


def test_prebuilt_last_frame_headers_are_the_spec_headers() -> None:
    """Every prebuilt header of a last (or only) frame is flags 0 and the
    size: one byte up to 255, LONG and eight bytes from 256 on."""
    assert LAST_HEADERS_LIMIT == len(LAST_HEADERS) > 256
    for size, header in enumerate(LAST_HEADERS):
        if size < 256:
            assert header == bytes((0, size))
        else:
            assert header == b"\x02" + size.to_bytes(8, "big")


@pytest.mark.parametrize(("frames", "wire"), ENCODE.values(), ids=ENCODE.keys())
def test_encode_once_and_encode_all_match_the_codec(frames: list[bytes], wire: bytes) -> None:
    """The fan-out's encoders write what the codec writes."""
    encoded, size = encode_once(frames)
    assert (b"".join(encoded), size) == (wire, sum(map(len, frames)))
    assert b"".join(encode_all([frames, frames])) == wire * 2


@pytest.mark.parametrize(("frames", "wire"), ENCODE.values(), ids=ENCODE.keys())
def test_decode_what_we_encode(frames: list[bytes], wire: bytes) -> None:
    assert handshaken().receive_data(wire) == [frames]


DECODE = {
    "long-form-small-body": (frame(b"abc", long=True), [[b"abc"]]),
    "long-form-empty-body": (frame(b"", long=True), [[b""]]),
    "long-form-with-more": (frame(b"a", more=True, long=True) + frame(b"b"), [[b"a", b"b"]]),
    "empty-frames": (message(b"", b"", b""), [[b"", b"", b""]]),
    "two-messages": (message(b"a") + message(b"b", b"c"), [[b"a"], [b"b", b"c"]]),
    "reserved-bits-ignored": (
        frame(b"a", more=True, reserved=0xF8) + frame(b"b", reserved=0x08),
        [[b"a", b"b"]],
    ),
    "reserved-bits-on-command": (
        command(b"PING", b"\x00\x00", reserved=0x80) + message(b"x"),
        [[b"x"]],
    ),
    "subscription-30-is-data": (SUBSCRIBE_A_30, [[b"\x01A"]]),
    "cancel-30-is-data": (b"\x00\x02\x00A", [[b"\x00A"]]),
}


@pytest.mark.parametrize(("wire", "events"), DECODE.values(), ids=DECODE.keys())
def test_decode(wire: bytes, events: list[object]) -> None:
    assert handshaken().receive_data(wire) == events


def test_partial_frame_yields_nothing_until_complete() -> None:
    conn = handshaken()
    wire = message(b"hello", b"world")
    assert conn.receive_data(wire[:-1]) == []
    assert conn.receive_data(wire[-1:]) == [[b"hello", b"world"]]


def test_16_mib_frame() -> None:
    body = bytes(range(256)) * (1 << 16)
    assert len(body) == 16 << 20
    sender = handshaken()
    sender.send_message([b"head", body])
    wire = output(sender)
    assert wire[6:15] == b"\x02" + len(body).to_bytes(8, "big")
    receiver = handshaken()
    step = 1 << 16
    events = [
        e for i in range(0, len(wire), step) for e in receiver.receive_data(wire[i : i + step])
    ]
    assert len(events) == 1
    assert events[0][0] == b"head" and events[0][1] == body


# -- maxmsgsize ------------------------------------------------------------------
@pytest.mark.parametrize("limit", [0, 1, 10, 255, 256, 1000])
def test_maxmsgsize_frame_of_exactly_the_limit_passes(limit: int) -> None:
    conn = handshaken(maxmsgsize=limit)
    assert conn.receive_data(message(b"", b"m" * limit)) == [[b"", b"m" * limit]]


@pytest.mark.parametrize("limit", [0, 1, 10, 255, 256, 1000])
def test_maxmsgsize_exceeded_fails_on_the_header(limit: int) -> None:
    wire = frame(b"m" * (limit + 1))
    header = wire[: 9 if limit + 1 > 255 else 2]
    conn = handshaken(maxmsgsize=limit)
    (event,) = conn.receive_data(header)  # no body yet
    assert isinstance(event, PeerFailed)
    assert str(limit + 1) in event.reason
    assert conn.receive_data(wire[len(header) :]) == []


def test_maxmsgsize_long_header_trickling_in_fails_once_complete() -> None:
    wire = frame(b"m" * 11, long=True)
    conn = handshaken(maxmsgsize=10)
    events = [conn.receive_data(bytes((b,))) for b in wire[:9]]
    assert events[:8] == [[]] * 8
    assert len(events[8]) == 1 and isinstance(events[8][0], PeerFailed)


def test_maxmsgsize_is_per_frame() -> None:
    conn = handshaken(maxmsgsize=4)
    assert conn.receive_data(message(b"1234", b"5678", b"9abc")) == [[b"1234", b"5678", b"9abc"]]


def test_maxmsgsize_minus_one_is_unlimited() -> None:
    conn = handshaken(maxmsgsize=-1)
    assert conn.receive_data(message(b"z" * 70000)) == [[b"z" * 70000]]


# -- commands --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("ping_frame", "pong"),
    [
        (PING_TTL_2_5S, command(b"PONG")),
        (ping(0, b"ctx"), PONG_CTX),
        (ping(25, b"0123456789abcdef"), command(b"PONG", b"0123456789abcdef")),
        (ping(25, b"0123456789abcdefGHIJKLM"), command(b"PONG", b"0123456789abcdef")),
        (command(b"PING", b"\x00\x19ctx", long=True), PONG_CTX),
    ],
    ids=["capture-no-context", "ctx-capture", "16-bytes", "23-bytes-cut-to-16", "long-form"],
)
def test_ping_is_answered_with_pong(ping_frame: bytes, pong: bytes) -> None:
    conn = handshaken()
    assert conn.receive_data(ping_frame) == []
    assert output(conn) == pong


def test_ping_between_frames_of_a_multipart_message() -> None:
    conn = handshaken()
    wire = (
        frame(b"a", more=True)
        + ping(25, b"ctx")
        + frame(b"", more=True)
        + ping(0)
        + frame(b"b" * 300)
    )
    assert conn.receive_data(wire) == [[b"a", b"", b"b" * 300]]
    assert output(conn) == PONG_CTX + command(b"PONG")


def test_ping_between_frames_across_calls() -> None:
    conn = handshaken()
    assert conn.receive_data(frame(b"a", more=True) + ping(25, b"ctx")) == []
    assert output(conn) == PONG_CTX
    assert conn.receive_data(frame(b"b")) == [[b"a", b"b"]]


UNKNOWN = {
    "pong": command(b"PONG", b"ctx"),
    "ready-again": ready_for(b"PUB"),
    "hello": command(b"HELLO"),
    "error": command(b"ERROR", b"\x03400"),
    "join": command(b"JOIN", b"grp"),
    "made-up": command(b"XYZZY", b"data"),
    "empty-name": command(b"", b"data"),
    "long-form": command(b"FOO", b"x" * 300),
}


@pytest.mark.parametrize("cmd", UNKNOWN.values(), ids=UNKNOWN.keys())
def test_unknown_commands_are_ignored_even_inside_a_message(cmd: bytes) -> None:
    conn = handshaken()
    wire = cmd + frame(b"a", more=True) + cmd + frame(b"b") + cmd
    assert conn.receive_data(wire) == [[b"a", b"b"]]
    assert conn.take_output() == []


@pytest.mark.parametrize(
    ("wire", "event"),
    [
        (SUBSCRIBE_A, Subscription(b"A", subscribe=True)),
        (CANCEL_A, Subscription(b"A", subscribe=False)),
        (b"\x04\x0a\x09SUBSCRIBE", Subscription(b"", subscribe=True)),
        (b"\x04\x07\x06CANCEL", Subscription(b"", subscribe=False)),
        (command(b"SUBSCRIBE", b"t" * 300), Subscription(b"t" * 300, subscribe=True)),
        (command(b"SUBSCRIBE", b"\x00\x01\xff"), Subscription(b"\x00\x01\xff", subscribe=True)),
    ],
    ids=["subscribe-capture", "cancel-capture", "subscribe-all", "cancel-all", "long", "binary"],
)
def test_subscription_commands(wire: bytes, event: Subscription) -> None:
    conn = handshaken(SocketType.PUB, peer_ready=ready_for(b"SUB"))
    assert conn.receive_data(wire) == [event]


def test_subscription_command_inside_a_multipart_message() -> None:
    conn = handshaken(SocketType.XPUB, peer_ready=ready_for(b"XSUB"))
    wire = frame(b"a", more=True) + SUBSCRIBE_A + frame(b"b")
    assert conn.receive_data(wire) == [Subscription(b"A", True), [b"a", b"b"]]


def test_subscription_30_data_frame_is_a_plain_message() -> None:
    conn = handshaken(SocketType.XPUB, peer_ready=ready_for(b"XSUB"))
    assert conn.receive_data(bytes.fromhex("00 02 01 41")) == [[b"\x01A"]]


MALFORMED_COMMANDS = {
    "empty-body": b"\x04\x00",
    "name-past-end": b"\x04\x02\x05R",
    "name-past-end-long": b"\x06" + (3).to_bytes(8, "big") + b"\x09AB",
    "oversized": b"\x06" + (1 << 40).to_bytes(8, "big"),
}


@pytest.mark.parametrize("wire", MALFORMED_COMMANDS.values(), ids=MALFORMED_COMMANDS.keys())
def test_malformed_command_after_handshake_fails(wire: bytes) -> None:
    conn = handshaken()
    (event,) = conn.receive_data(wire)
    assert isinstance(event, PeerFailed)
    assert not event.refused


def test_ping_we_send_matches_libzmq_and_records_peer_ttl() -> None:
    """Our PING is libzmq's capture (TTL 2.5 s, no context); a peer's PING TTL is kept."""
    ours, theirs = ZmtpCodec(SocketType.PUSH), ZmtpCodec(SocketType.PULL)
    theirs.receive_data(b"".join(ours.take_output()))  # our greeting
    ours.receive_data(b"".join(theirs.take_output()))  # their greeting and READY
    theirs.receive_data(b"".join(ours.take_output()))  # our READY
    assert ours.ready and theirs.ready
    ours.send_ping(2500)
    assert b"".join(ours.take_output()) == bytes.fromhex("04 07 04") + b"PING" + b"\x00\x19"
    assert theirs.peer_ttl == 0
    theirs.receive_data(bytes.fromhex("04 07 04") + b"PING" + b"\x00\x19")
    assert theirs.peer_ttl == 2500
