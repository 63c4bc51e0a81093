"""Chunking must not matter: the same bytes give the same events however they are split."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aiomsg._zmtp.codec import _STORE_MIN, HandshakeComplete, PeerFailed, Subscription, ZmtpCodec
from aiomsg.constants import SocketType

from ._wire import (
    LIBZMQ_GREETING,
    READY_FROM_ROUTER,
    SUBSCRIBE_A,
    command,
    feed,
    frame,
    greeting,
    message,
    ping,
    prop,
    split_at,
)

# What a libzmq ROUTER might send a DEALER: every kind of frame the decoder meets.
LIBZMQ_STREAM = (
    LIBZMQ_GREETING
    + READY_FROM_ROUTER
    + message(b"hello")
    + message(b"", b"multi", b"part")
    + message(b"")
    + frame(b"a", more=True)
    + ping(25, b"ctx")
    + frame(b"L" * 300, more=True)
    + frame(b"z")
    + SUBSCRIBE_A
    + frame(b"abc", long=True)
    + message(b"x" * 255, b"y" * 256)
    + ping(0)
    + message(b"tail")
)
LIBZMQ_EVENTS = [
    [b"hello"],
    [b"", b"multi", b"part"],
    [b""],
    [b"a", b"L" * 300, b"z"],
    Subscription(b"A", subscribe=True),
    [b"abc"],
    [b"x" * 255, b"y" * 256],
    [b"tail"],
]
LIBZMQ_OUTPUT = b"\x04\x08\x04PONGctx" + b"\x04\x05\x04PONG"

# The same idea with every optional long form: ZMTP 4.7 greeting, LONG headers on
# READY, commands and small frames, and unknown commands between frames.
LONG_FORMS_STREAM = (
    greeting(major=4, minor=7, padding=b"\x01" * 8)
    + command(b"READY", prop(b"Socket-Type", b"DEALER") + prop(b"X-Big", b"v" * 300), long=True)
    + frame(b"", more=True, long=True)
    + command(b"XYZZY", long=True)
    + frame(b"1", long=True)
    + command(b"PING", b"\x00\x01" + b"c" * 23, long=True)
    + command(b"SUBSCRIBE", b"t" * 260)
    + command(b"CANCEL", b"", long=True)
    + frame(b"m", more=True)
    + command(b"PONG")
    + frame(b"n" * 1000)
)
LONG_FORMS_EVENTS = [
    [b"", b"1"],
    Subscription(b"t" * 260, subscribe=True),
    Subscription(b"", subscribe=False),
    [b"m", b"n" * 1000],
]
LONG_FORMS_OUTPUT = b"\x04\x15\x04PONG" + b"c" * 16

STREAMS = {
    "libzmq": (LIBZMQ_STREAM, LIBZMQ_EVENTS, LIBZMQ_OUTPUT),
    "long-forms": (LONG_FORMS_STREAM, LONG_FORMS_EVENTS, LONG_FORMS_OUTPUT),
}
STREAM_IDS = list(STREAMS)


def run(chunks: list[bytes]) -> tuple[list[object], bytes]:
    """Feed *chunks* to a fresh DEALER codec: its events and what it queued after READY."""
    conn = ZmtpCodec(SocketType.DEALER)
    conn.take_output()
    events = feed(conn, chunks)
    out = b"".join(conn.take_output())
    # Drop our READY (sent once the peer's greeting is in) to compare the rest.
    assert out.startswith(b"\x04\x29\x05READY")
    return events, out[0x2B:]


WHOLE = {name: run([stream]) for name, (stream, _, _) in STREAMS.items()}


@pytest.mark.parametrize("name", STREAM_IDS)
def test_whole_stream(name: str) -> None:
    _, expected_events, expected_output = STREAMS[name]
    events, out = WHOLE[name]
    assert isinstance(events[0], HandshakeComplete)
    assert events[1:] == expected_events
    assert out == expected_output


@pytest.mark.parametrize("name", STREAM_IDS)
def test_two_pieces_at_every_split_point(name: str) -> None:
    stream = STREAMS[name][0]
    for point in range(len(stream) + 1):
        assert run(split_at(stream, [point])) == WHOLE[name], f"split at {point}"


@pytest.mark.parametrize("name", STREAM_IDS)
def test_one_byte_at_a_time(name: str) -> None:
    stream = STREAMS[name][0]
    assert run([stream[i : i + 1] for i in range(len(stream))]) == WHOLE[name]


@pytest.mark.parametrize("name", STREAM_IDS)
@pytest.mark.parametrize("size", [2, 3, 7, 9, 10, 11, 63, 64, 65, 100, 257])
def test_fixed_size_chunks(name: str, size: int) -> None:
    stream = STREAMS[name][0]
    assert run([stream[i : i + size] for i in range(0, len(stream), size)]) == WHOLE[name]


@pytest.mark.parametrize("name", STREAM_IDS)
def test_empty_chunks_are_harmless(name: str) -> None:
    stream = STREAMS[name][0]
    chunks = [b""] + [
        piece for i in range(0, len(stream), 50) for piece in (stream[i : i + 50], b"")
    ]
    assert run(chunks) == WHOLE[name]


@settings(max_examples=200, deadline=None)
@given(name=st.sampled_from(STREAM_IDS), data=st.data())
def test_random_split_points(name: str, data: st.DataObject) -> None:
    stream = STREAMS[name][0]
    points = data.draw(st.lists(st.integers(0, len(stream)), max_size=40), label="split points")
    assert run(split_at(stream, points)) == WHOLE[name]


# -- two codecs talking to each other --------------------------------------------
def pair(
    a_type: SocketType = SocketType.DEALER, b_type: SocketType = SocketType.ROUTER
) -> tuple[ZmtpCodec, ZmtpCodec]:
    a = ZmtpCodec(a_type, identity=b"A-id")
    b = ZmtpCodec(b_type)
    a_events = a.receive_data(b"".join(b.take_output()))
    b_events = b.receive_data(b"".join(a.take_output()))
    a_events += a.receive_data(b"".join(b.take_output()))
    assert [type(e) for e in a_events] == [HandshakeComplete]
    assert [type(e) for e in b_events] == [HandshakeComplete]
    sends_identity = a_type in (SocketType.REQ, SocketType.DEALER, SocketType.ROUTER)
    assert b_events[0].identity == (b"A-id" if sends_identity else b"")
    assert a_events[0].identity == b""
    assert not a.has_output and not b.has_output
    return a, b


frames_st = st.one_of(st.binary(max_size=20), st.binary(min_size=250, max_size=600))
messages_st = st.lists(st.lists(frames_st, min_size=1, max_size=5), min_size=1, max_size=8)


@settings(max_examples=100, deadline=None)
@given(messages=messages_st, data=st.data())
def test_two_codecs_round_trip(messages: list[list[bytes]], data: st.DataObject) -> None:
    a, b = pair()
    for msg in messages:
        a.send_message(msg)
    wire = b"".join(a.take_output())
    points = data.draw(st.lists(st.integers(0, len(wire)), max_size=20), label="split points")
    assert feed(b, split_at(wire, points)) == messages
    # and back the other way, whole
    for msg in messages:
        b.send_message(msg)
    assert a.receive_data(b"".join(b.take_output())) == messages


@settings(max_examples=50, deadline=None)
@given(messages=messages_st, topics=st.lists(st.binary(max_size=300), max_size=4), data=st.data())
def test_two_codecs_with_pings_and_subscriptions(
    messages: list[list[bytes]], topics: list[bytes], data: st.DataObject
) -> None:
    sub, pub = pair(SocketType.XSUB, SocketType.XPUB)
    expected: list[object] = []
    for topic in topics:
        sub.send_subscription(topic, True)
        expected.append(Subscription(topic, True))
    for msg in messages:
        sub.send_message(msg)
        expected.append(msg)
    wire = b"".join(sub.take_output())
    # A PING from the subscriber side, placed at a frame boundary chosen at random.
    pong_context = data.draw(st.binary(max_size=20), label="ping context")
    cut = data.draw(st.sampled_from(frame_boundaries(wire)), label="ping position")
    wire = wire[:cut] + ping(0, pong_context) + wire[cut:]
    points = data.draw(st.lists(st.integers(0, len(wire)), max_size=20), label="split points")
    assert feed(pub, split_at(wire, points)) == expected
    # The PONG goes back and is silently consumed.
    assert sub.receive_data(b"".join(pub.take_output())) == []


def frame_boundaries(wire: bytes) -> list[int]:
    """Offsets of every frame start in *wire* (plus its end), by walking the headers."""
    offsets, offset = [], 0
    while offset < len(wire):
        offsets.append(offset)
        if wire[offset] & 2:
            size = int.from_bytes(wire[offset + 1 : offset + 9], "big")
            offset += 9 + size
        else:
            offset += 2 + wire[offset + 1]
    return [*offsets, offset]


@settings(max_examples=200, deadline=None)
@given(garbage=st.binary(max_size=200), after_handshake=st.booleans())
def test_arbitrary_bytes_never_raise(garbage: bytes, after_handshake: bool) -> None:
    conn = ZmtpCodec(SocketType.DEALER, maxmsgsize=1000)
    prefix = LIBZMQ_GREETING + READY_FROM_ROUTER if after_handshake else b""
    events = conn.receive_data(prefix + garbage)
    failures = [i for i, e in enumerate(events) if isinstance(e, PeerFailed)]
    assert failures in ([], [len(events) - 1])
    if failures:
        assert conn.receive_data(prefix + garbage) == []


# -- large frames: joined once from the chunks that carry them --------------------
BIG = [b"h" * 10, b"B" * 300_000, b"C" * 70_000]


def limited_pair(limit: int) -> tuple[ZmtpCodec, ZmtpCodec]:
    """A DEALER and a ROUTER with *limit* as max_message_size, handshaken."""
    a = ZmtpCodec(SocketType.DEALER, identity=b"A-id")
    b = ZmtpCodec(SocketType.ROUTER, max_message_size=limit)
    a.receive_data(b"".join(b.take_output()))
    b.receive_data(b"".join(a.take_output()))
    a.receive_data(b"".join(b.take_output()))
    return a, b


@pytest.mark.parametrize("size", [1000, 65536, 262144, 400_000])
def test_large_frames_arriving_in_chunks_are_whole_bytes(size: int) -> None:
    a, b = pair()
    for msg in (BIG, [b"small"], BIG[1:], [b"end"]):
        a.send_message(msg)
    wire = b"".join(a.take_output())
    events = feed(b, [wire[i : i + size] for i in range(0, len(wire), size)])
    assert events == [BIG, [b"small"], BIG[1:], [b"end"]]
    assert all(type(f) is bytes for message in events for f in message)  # type: ignore[attr-defined]


@pytest.mark.parametrize("limit", [370_009, 370_010])
def test_large_multipart_message_over_max_message_size_in_chunks(limit: int) -> None:
    a, b = limited_pair(limit)
    a.send_message(BIG)
    wire = b"".join(a.take_output())
    events = feed(b, [wire[i : i + 65536] for i in range(0, len(wire), 65536)])
    if limit >= sum(map(len, BIG)):
        assert events == [BIG]
    else:
        assert len(events) == 1 and isinstance(events[0], PeerFailed)
        assert "max_message_size" in events[0].reason


# -- large frames read straight into a buffer (the caller's BufferedProtocol) -------
@pytest.fixture(params=["in place", "kept buffer"])
def storage(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both storages a large frame is read into: its own bytes, filled in
    place (CPython), and the kept buffer copied once (elsewhere)."""
    if request.param == "kept buffer":
        monkeypatch.setattr("aiomsg._zmtp.codec.fillable_bytes", lambda size: None)


def feed_direct(conn: ZmtpCodec, wire: bytes, chunk: int, least: int = 1) -> list[object]:
    """Feed *wire* as a connection does: reads of *chunk* bytes, and the rest of
    any data frame with at least *least* bytes to come read straight into the
    buffer the codec hands out (filled *chunk* bytes at a time)."""
    events: list[object] = []
    offset = 0
    while offset < len(wire):
        events += conn.receive_data(wire[offset : offset + chunk])
        offset += chunk
        if conn.body_remaining >= least:
            view = conn.body_buffer()
            filled = 0
            while filled < len(view):
                piece = wire[offset : offset + min(chunk, len(view) - filled)]
                view[filled : filled + len(piece)] = piece
                filled += len(piece)
                offset += len(piece)
            events += conn.body_received()
    return events


@pytest.mark.parametrize("least", [1, 100_000])
@pytest.mark.parametrize("size", [1000, 65536, 262144])
@pytest.mark.usefixtures("storage")
def test_large_frames_read_directly_are_whole_bytes(size: int, least: int) -> None:
    a, b = pair()
    sent = [BIG, [b"small"], BIG[1:], [b"C" * 5000, b"end"], [b"D" * 400_000]]
    for msg in sent:
        a.send_message(msg)
    events = feed_direct(b, b"".join(a.take_output()), size, least)
    assert events == sent
    assert all(type(f) is bytes for message in events for f in message)  # type: ignore[attr-defined]
    assert b.body_remaining == 0


@pytest.mark.parametrize("limit", [370_009, 370_010])
@pytest.mark.usefixtures("storage")
def test_max_message_size_holds_for_frames_read_directly(limit: int) -> None:
    a, b = limited_pair(limit)
    a.send_message(BIG)
    a.send_message([b"after"])
    events = feed_direct(b, b"".join(a.take_output()), 65536)
    if limit >= sum(map(len, BIG)):
        assert events == [BIG, [b"after"]]
    else:
        assert len(events) == 1 and isinstance(events[0], PeerFailed)
        assert "max_message_size" in events[0].reason


def test_frames_read_in_place_are_their_own_bytes() -> None:
    """On CPython the storage handed out is the frame's bytes object: what
    the kernel reads into it is what the receiver gets, with no copy."""
    a, b = pair()
    a.send_message([b"1" * 300_000])
    wire = b"".join(a.take_output())
    b.receive_data(wire[:1000])
    view = b.body_buffer()
    view[:] = wire[1000:]
    [[frame]] = b.body_received()
    assert type(frame) is bytes and frame == b"1" * 300_000
    assert view.obj is not None and getattr(view.obj, "frame", None) is frame
    assert hash(frame) == hash(b"1" * 300_000)


def test_the_direct_read_buffer_is_reused_then_released(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("aiomsg._zmtp.codec.fillable_bytes", lambda size: None)
    a, b = pair()
    wire_of = []
    for body in (b"1" * 300_000, b"2" * 200_000, b"3" * 300_000):
        a.send_message([body])
        wire_of.append(b"".join(a.take_output()))
    # A release while a frame is being read keeps that frame's buffer.
    b.receive_data(wire_of[0][:1000])
    view = b.body_buffer()
    b.release_body()
    view[:] = wire_of[0][1000:]
    assert b.body_received() == [[b"1" * 300_000]]
    # The smaller frame that follows reuses it, and is cut to its own size.
    assert feed_direct(b, wire_of[1], 1000) == [[b"2" * 200_000]]
    b.release_body()
    assert feed_direct(b, wire_of[2], 1000) == [[b"3" * 300_000]]


# -- large frames stored as reads bring them (the codec fills them itself) -----------
@pytest.mark.parametrize("read", [1000, 4096, 65536, 100_003])
@pytest.mark.usefixtures("storage")
def test_large_frames_cut_by_reads_are_stored_whole(read: int) -> None:
    """A data frame of _STORE_MIN bytes or more that a read cuts gets its
    storage at once (body_remaining says how much is still to come) and the
    reads that follow fill it, what follows it in the last one parsed in
    place; a smaller frame is joined from its pieces and never stored."""
    a, b = pair()
    sent = [
        [b"S" * (_STORE_MIN - 1)],
        [b"T" * _STORE_MIN],
        [b"x"],
        BIG,
        [b"m" * 40_000, b"tail"],
        [b"end"],
    ]
    for msg in sent:
        a.send_message(msg)
    wire = b"".join(a.take_output())
    events: list[object] = []
    stored = []
    for offset in range(0, len(wire), read):
        events += b.receive_data(wire[offset : offset + read])
        stored.append(b.body_remaining)
    assert events == sent
    assert all(type(f) is bytes for message in events for f in message)  # type: ignore[attr-defined]
    assert max(stored) > 0 and b.body_remaining == 0


@pytest.mark.parametrize("read", [7, 1000, 30_000])
def test_frames_under_the_store_size_are_joined(read: int) -> None:
    a, b = pair()
    sent = [[bytes([n]) * (_STORE_MIN - 1)] for n in range(5)]
    for msg in sent:
        a.send_message(msg)
    wire = b"".join(a.take_output())
    events: list[object] = []
    for offset in range(0, len(wire), read):
        events += b.receive_data(wire[offset : offset + read])
        assert b.body_remaining == 0
    assert events == sent


@pytest.mark.parametrize("limit", [370_009, 370_010])
@pytest.mark.usefixtures("storage")
def test_max_message_size_holds_for_stored_frames(limit: int) -> None:
    a, b = limited_pair(limit)
    a.send_message(BIG)
    a.send_message([b"after"])
    wire = b"".join(a.take_output())
    events = feed(b, [wire[i : i + 50_000] for i in range(0, len(wire), 50_000)])
    if limit >= sum(map(len, BIG)):
        assert events == [BIG, [b"after"]]
    else:
        assert len(events) == 1 and isinstance(events[0], PeerFailed)
        assert "max_message_size" in events[0].reason
        assert b.body_remaining == 0
        assert b.receive_data(b"\x00\x01x") == []  # failed: input is ignored
