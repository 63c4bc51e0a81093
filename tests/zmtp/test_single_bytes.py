"""``ZmtpCodec(single_bytes=True)``: a message of one frame is its bytes.

What the tcp and ipc connections ask for, so that a pipe queues a
single-frame message without a list (``aiomsg.transports.interface.Delivered``).
Every parsing path gives the same messages as without the option, each
single-frame one as its ``bytes`` and each multipart one as its list; and
without the option nothing changes (tests/zmtp/test_receive_paths.py).
"""

from __future__ import annotations

import pytest

from aiomsg._zmtp.codec import _STORE_MIN

from ._wire import feed, frame, handshaken, split_at
from .test_receive_paths import EVENTS, STREAM


def _bare(events: list[object]) -> list[object]:
    """*events* as single_bytes has them: a list of one frame is its bytes."""
    return [e[0] if isinstance(e, list) and len(e) == 1 else e for e in events]


def _check_forms(events: list[object]) -> None:
    for event in events:
        if isinstance(event, list):
            assert len(event) > 1, event  # a multipart message stays a list
            assert all(type(part) is bytes for part in event)


def test_every_path_in_one_read_gives_bytes_for_one_frame() -> None:
    events = handshaken(single_bytes=True).receive_data(STREAM)
    assert events == _bare(EVENTS)
    single = sum(isinstance(e, list) and len(e) == 1 for e in EVENTS)
    assert single == 8 and sum(type(e) is bytes for e in events) == single
    _check_forms(events)


def test_every_path_cut_at_every_point_gives_bytes_for_one_frame() -> None:
    # Cut frames complete through the general path (_join_frame, _complete_frame).
    for point in range(len(STREAM) + 1):
        events = feed(handshaken(single_bytes=True), split_at(STREAM, [point]))
        assert events == _bare(EVENTS), point
        _check_forms(events)


@pytest.mark.parametrize("read", [1000, 4096, 65536])
def test_a_stored_large_frame_is_its_bytes(read: int) -> None:
    # A frame of _STORE_MIN bytes or more is stored as it arrives
    # (_store_frame, _fill_body, _take_body): one frame, its bytes; two, a list.
    body = bytes(range(256)) * (_STORE_MIN // 256 + 1)
    wire = frame(body) + frame(b"h", more=True) + frame(body)
    conn = handshaken(single_bytes=True)
    events = feed(conn, [wire[i : i + read] for i in range(0, len(wire), read)])
    assert events == [body, [b"h", body]]
    assert type(events[0]) is bytes


def test_without_the_option_a_single_frame_stays_a_list() -> None:
    events = handshaken().receive_data(frame(b"one") + frame(b"L" * 300))
    assert events == [[b"one"], [b"L" * 300]]
