"""Each path of ``ZmtpCodec._receive_traffic``, driven on purpose.

The parse loop takes a whole short single-frame message, a short frame of a
multipart message and a whole long single-frame message in fast paths of
their own (the first and the last with an inner loop for a run of them); everything else (commands, long frames of multipart messages,
frames cut by a read, short frames under a limit below 255 bytes) takes the
general path. The same bytes must give the same events whichever path
parses them, however the reads cut them, and the limits must hold on each.
"""

from __future__ import annotations

import sys

import pytest

from aiomsg._zmtp.codec import PeerFailed, Subscription

from ._wire import SUBSCRIBE_A, feed, frame, handshaken, message, ping, split_at

# Every kind of traffic frame, each path in turn, and each next to the others.
STREAM = (
    message(b"short")  # short fast path, a whole message
    + message(b"second")  # ...and a run of them (its inner loop)
    + message(b"a", b"b", b"c")  # short fast path, multipart
    + frame(b"L" * 1000)  # long fast path
    + frame(b"K" * 700)  # ...and a run of them (its inner loop)
    + frame(b"M" * 300, more=True)  # long, multipart: general path
    + frame(b"m")
    + frame(b"s", more=True)  # a long last frame after a short one: general path
    + frame(b"N" * 256)
    + SUBSCRIBE_A  # a command: general path
    + frame(b"tiny", long=True)  # a short body in the long form: long fast path
    + ping(0)
    + frame(b"", long=True)
    + message(b"x" * 255)  # the longest short frame
    + frame(b"y" * 256)  # the shortest long one
)
EVENTS = [
    [b"short"],
    [b"second"],
    [b"a", b"b", b"c"],
    [b"L" * 1000],
    [b"K" * 700],
    [b"M" * 300, b"m"],
    [b"s", b"N" * 256],
    Subscription(b"A", subscribe=True),
    [b"tiny"],
    [b""],
    [b"x" * 255],
    [b"y" * 256],
]


def test_every_path_in_one_read() -> None:
    assert handshaken().receive_data(STREAM) == EVENTS


def test_every_path_cut_at_every_point() -> None:
    # Each cut lands a frame, a header or a long header's size in two reads:
    # the frame then completes from the buffered piece and the read parses
    # on in place, from where that frame ends.
    for point in range(len(STREAM) + 1):
        assert feed(handshaken(), split_at(STREAM, [point])) == EVENTS, point


@pytest.mark.parametrize("read", [1, 7, 1000, 1033, 1500, 4096])
def test_a_stream_of_long_frames_read_in_pieces(read: int) -> None:
    # 1 KiB messages, as a sender streams them: nearly every read ends inside
    # a frame, which the next read completes before parsing on in place.
    bodies = [bytes([n]) * 1024 for n in range(40)]
    wire = b"".join(frame(body) for body in bodies)
    conn = handshaken()
    events = feed(conn, [wire[i : i + read] for i in range(0, len(wire), read)])
    assert events == [[body] for body in bodies]
    assert all(type(m[0]) is bytes for m in events)  # type: ignore[index]
    # Then a frame that trails off: nothing more until its end arrives.
    assert conn.receive_data(frame(b"z" * 500)[:100]) == []
    assert conn.receive_data(frame(b"z" * 500)[100:] + message(b"end")) == [[b"z" * 500], [b"end"]]


@pytest.mark.parametrize("option", ["maxmsgsize", "max_message_size"])
def test_a_limit_below_255_holds_on_short_frames(option: str) -> None:
    # Under such a limit short frames take the general path, which checks it.
    conn = handshaken(**{option: 10})
    events = conn.receive_data(message(b"1234567890") + message(b"12345678901") + message(b"x"))
    assert events[0] == [b"1234567890"]
    assert len(events) == 2 and isinstance(events[1], PeerFailed)
    assert option in events[1].reason


@pytest.mark.parametrize("option", ["maxmsgsize", "max_message_size"])
def test_a_limit_holds_on_whole_long_frames(option: str) -> None:
    conn = handshaken(**{option: 300})
    events = conn.receive_data(frame(b"y" * 300) + frame(b"z" * 301) + message(b"x"))
    assert events[0] == [b"y" * 300]
    assert len(events) == 2 and isinstance(events[1], PeerFailed)
    assert option in events[1].reason


def test_a_limit_of_255_or_more_keeps_short_frames_whole() -> None:
    conn = handshaken(maxmsgsize=255, max_message_size=300)
    assert conn.receive_data(message(b"x" * 255) + message(b"a", b"b")) == [
        [b"x" * 255],
        [b"a", b"b"],
    ]


def test_a_long_frame_past_the_fast_paths_bound_takes_the_general_path() -> None:
    # Without a limit, the long fast path compares sizes with the largest
    # one-digit int (ZmtpCodec._fast_limit), not sys.maxsize: a larger frame
    # (here, with the bound lowered to 500 bytes) leaves the run for the
    # general path, which delivers it whole, and the run then goes on.
    conn = handshaken()
    assert conn._fast_limit == (1 << 30) - 1  # no limit set
    conn._fast_limit = 500
    wire = frame(b"a" * 400) + frame(b"b" * 600) + frame(b"c" * 300) + message(b"end")
    assert conn.receive_data(wire) == [[b"a" * 400], [b"b" * 600], [b"c" * 300], [b"end"]]


def test_a_long_header_cut_short_waits_for_the_rest() -> None:
    conn = handshaken()
    wire = frame(b"L" * 600)
    for cut in range(1, 9):  # inside the 9-byte header
        assert conn.receive_data(wire[:cut]) == []
        assert conn.receive_data(wire[cut:]) == [[b"L" * 600]]
    assert conn.body_remaining == 0



def test_a_read_is_held_only_for_a_frame_that_is_most_of_it() -> None:
    # A frame cut at the end of a read is kept until the rest arrives: as a
    # copy when it is the smaller part of the read (the read is freed now),
    # as a view of the read when it is most of it (a large frame's start,
    # not copied). sys.getrefcount sees the view's reference to the read.
    small, large = frame(b"s" * 1000), frame(b"L" * 5000)
    for body, cut, held in ((b"a" * 2000, small, False), (b"a", large, True)):
        conn = handshaken()
        read = frame(body) + cut[:600]
        references = sys.getrefcount(read)
        assert conn.receive_data(read) == [[body]]
        assert sys.getrefcount(read) == references + held
        assert conn.receive_data(cut[600:] + message(b"z")) == [[cut[9:]], [b"z"]]
        assert sys.getrefcount(read) == references
