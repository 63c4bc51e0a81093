"""The CURVE receive paths, driven on purpose: ``_Curve.open_run`` (a run of
whole MESSAGE frames opened in one call) and the codec's per-frame path
through ``decode`` for everything the run leaves (docs/internals.md#curve-per-message).

The frames are sealed here with ``nacl.bindings`` from the RFC's layout
(docs/wire/zmtp.md#curve), not by the code under test; the same bytes must
give the same events whichever path opens them and however the reads cut
them, and a forged or replayed frame must fail the connection with the
messages before it delivered and the nonce not advanced.
"""

from __future__ import annotations

import itertools
import struct
import sys
from collections.abc import Callable
from typing import Any

import pytest
from nacl.bindings import crypto_box_afternm, crypto_box_open_afternm

from aiomsg._zmtp.codec import PeerFailed, Subscription
from aiomsg._zmtp.mechanism import Mechanism
from aiomsg._zmtp.sodium import sodium_lib

from .conftest import Keys
from .test_mechanisms import Side, curve_pair


class Sealer:
    """The client's MESSAGE frames, sealed independently of aiomsg's encoder."""

    def __init__(self, key: bytes, first: int = 3) -> None:
        self.key = key
        self.nonce = first  # HELLO was 1, INITIATE 2

    def frame(
        self,
        body: bytes,
        inner: int = 0,
        *,
        outer: int | None = None,
        nonce: int | None = None,
        tamper: bool = False,
    ) -> bytes:
        if nonce is None:
            nonce, self.nonce = self.nonce, self.nonce + 1
        short = struct.pack(">Q", nonce)
        box = crypto_box_afternm(bytes((inner,)) + body, b"CurveZMQMESSAGEC" + short, self.key)
        if tamper:
            box = box[:-1] + bytes((box[-1] ^ 1,))
        content = b"\x07MESSAGE" + short + box
        if outer is None:
            outer = 0 if len(content) < 256 else 2
        if outer & 2:
            return bytes((outer,)) + struct.pack(">Q", len(content)) + content
        return bytes((outer, len(content))) + content


def handshaken(keys: Keys, **limits: int) -> tuple[Side, Sealer]:
    """A server codec past the handshake, and a sealer with the client's key."""
    c, s = curve_pair(keys, **limits)
    assert c.done and s.done
    return s, Sealer(c.conn.mechanism._key)  # type: ignore[attr-defined]


def spy_runs(side: Side) -> list[tuple[int, int]]:
    """Record each open_run call's (offset in, offset out) on *side*."""
    mechanism = side.conn.mechanism
    real = mechanism.open_run
    calls: list[tuple[int, int]] = []

    def spied(data: bytes, offset: int, *rest: Any) -> int:
        out = real(data, offset, *rest)
        calls.append((offset, out))
        return out

    mechanism.open_run = spied  # type: ignore[method-assign]
    return calls


def without_runs(side: Side) -> None:
    """Every frame through decode(): the default open_run opens none."""
    mechanism = side.conn.mechanism
    mechanism.open_run = Mechanism.open_run.__get__(mechanism)  # type: ignore[method-assign]


def stream(sealer: Sealer) -> tuple[bytes, list[object]]:
    """Every way into and out of a run, and the events it must give."""
    parts = [
        (sealer.frame(b"one"), [b"one"]),  # a run of short whole messages
        (sealer.frame(b"two"), [b"two"]),
        (sealer.frame(b"L" * 1000), [b"L" * 1000]),  # long, in the same run (grows the buffer)
        (sealer.frame(b"a", 1), None),  # a multipart message, in the same run
        (sealer.frame(b"b" * 300, 1), None),
        (sealer.frame(b"c"), [b"a", b"b" * 300, b"c"]),
        (sealer.frame(b"\x09SUBSCRIBEtopic", 2), Subscription(b"topic", True)),  # a command
        (sealer.frame(b"three"), [b"three"]),  # a run again after it
        (sealer.frame(b"f", 1), None),  # a message the run ends within: left in parts...
        (sealer.frame(b"odd", 1, outer=1), None),  # ...at an outer MORE, left to decode()
        (sealer.frame(b"g"), [b"f", b"odd", b"g"]),  # which ignores it
        (sealer.frame(b"odd", outer=1), [b"odd"]),
        (sealer.frame(b"x" * 222), [b"x" * 222]),  # the longest body of a short frame
        (sealer.frame(b"y" * 223), [b"y" * 223]),  # the shortest of a long one
        (sealer.frame(b"tiny", outer=2), [b"tiny"]),  # a short box in the long form
        (sealer.frame(b"reserved", 0x04), [b"reserved"]),  # unknown inner bits ignored
        (sealer.frame(b""), [b""]),
        (sealer.frame(b"d", 1), None),  # a multipart message ending the stream
        (sealer.frame(b"e"), [b"d", b"e"]),
    ]
    wire = b"".join(frame for frame, _ in parts)
    return wire, [event for _, event in parts if event is not None]


def received(side: Side) -> list[object]:
    return [e for e in side.events if isinstance(e, (list, Subscription, PeerFailed))]


@pytest.mark.parametrize("runs", [True, False])
def test_every_way_through_in_one_read(keys: Keys, runs: bool) -> None:
    s, sealer = handshaken(keys)
    wire, expected = stream(sealer)
    calls = spy_runs(s)
    if not runs:
        without_runs(s)
    s.feed(wire)
    assert received(s) == expected
    if runs:
        # Where each run started and ended, by frame: 0-6 (the long one
        # and a multipart message within it, ended by the command, handed
        # back), 7-8 (ended by the outer MORE of 9, left to decode(), with
        # the message of 8 left in parts), 9-10 through decode() (a message
        # under way), 11 too (its outer flags), 12-18 (long and short, a
        # multipart message last).
        at = boundaries(wire)
        assert calls == [(at[0], at[7]), (at[7], at[9]), (at[12], at[19])]
        assert len(at) == 20


def boundaries(wire: bytes) -> list[int]:
    """The offset of each frame in *wire*, split by their headers, and its end."""
    out, offset = [0], 0
    while offset < len(wire):
        if wire[offset] & 2:
            (size,) = struct.unpack_from(">Q", wire, offset + 1)
            offset += 9 + size
        else:
            offset += 2 + wire[offset + 1]
        out.append(offset)
    return out


def test_every_way_through_cut_at_every_point(keys: Keys) -> None:
    # A frame, a header or a long header's size in two reads: the run stops
    # at the cut frame, the codec keeps it, and the next read goes on.
    s, sealer = handshaken(keys)
    wire, expected = stream(sealer)
    mechanism = s.conn.mechanism
    start = mechanism._received  # type: ignore[attr-defined]
    for point in range(0, len(wire) + 1, 3):
        s, sealer = handshaken(keys)
        wire, expected = stream(sealer)
        s.feed(wire[:point])
        s.feed(wire[point:])
        assert received(s) == expected, point
        assert s.conn.mechanism._received == start + 19  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (
            lambda seal: seal.frame(b"forged", tamper=True),
            "CURVE MESSAGE failed to authenticate: tampered, forged or wrong key",
        ),
        (
            lambda seal: seal.frame(b"again", nonce=4),
            "CURVE MESSAGE nonce 4 is not above 4: replayed or reordered",
        ),
        (
            lambda seal: seal.frame(b"back", nonce=3),
            "CURVE MESSAGE nonce 3 is not above 4: replayed or reordered",
        ),
        (
            lambda seal: seal.frame(b"L" * 300, tamper=True),
            "CURVE MESSAGE failed to authenticate: tampered, forged or wrong key",
        ),
        (
            lambda seal: b"\x00\x20" + b"\x07MESSAGE" + bytes(24),
            "CURVE traffic frame is not a valid MESSAGE",
        ),
        (
            lambda seal: seal.frame(b"x")[:2] + b"\x07MESSAGF" + seal.frame(b"x")[10:],
            "CURVE traffic frame is not a valid MESSAGE",
        ),
    ],
)
@pytest.mark.parametrize("runs", [True, False])
def test_a_bad_frame_in_a_run(
    keys: Keys, bad: Callable[[Sealer], bytes], reason: str, runs: bool
) -> None:
    """The messages before it are delivered, the connection fails with the
    same reason on either path, and the nonce stays at the last good one."""
    s, sealer = handshaken(keys)
    if not runs:
        without_runs(s)
    good = sealer.frame(b"first") + sealer.frame(b"second")  # nonces 3 and 4
    after = Sealer(sealer.key, 50).frame(b"never")
    s.feed(good + bad(sealer) + after)
    assert s.messages == [[b"first"], [b"second"]]
    assert s.failure is not None and s.failure.reason == reason
    assert s.conn.mechanism._received == 4  # type: ignore[attr-defined]


@pytest.mark.parametrize("runs", [True, False])
def test_limits_hold_in_a_run(keys: Keys, runs: bool) -> None:
    """A payload at the limit is opened in the run; one above is left to the
    codec's own checks, which fail the connection as before."""
    for limits, at, reason in [
        ({"maxmsgsize": 100}, 100, "frame of 101 bytes exceeds maxmsgsize 100"),
        ({"maxmsgsize": 300}, 300, "frame of 301 bytes exceeds maxmsgsize 300"),
        (
            {"max_message_size": 100},
            100,
            "message of 101 bytes or more exceeds max_message_size 100",
        ),
    ]:
        s, sealer = handshaken(keys, **limits)
        calls = spy_runs(s)
        if not runs:
            without_runs(s)
        s.feed(sealer.frame(b"a") + sealer.frame(b"b" * at) + sealer.frame(b"c" * (at + 1)))
        assert s.messages == [[b"a"], [b"b" * at]]
        assert s.failure is not None and s.failure.reason == reason
        if runs:
            assert calls[0][1] == len(
                sealer.frame(b"a", nonce=0) + sealer.frame(b"b" * at, nonce=0)
            )


def test_run_and_decode_share_the_nonce(keys: Keys) -> None:
    """A frame through decode() (a multipart message) between runs: each
    path checks against the nonce the other recorded."""
    s, sealer = handshaken(keys)
    s.feed(sealer.frame(b"one") + sealer.frame(b"p", 1))  # run, then held (nonce 4)
    s.feed(sealer.frame(b"q", 1))  # decode() (nonce 5): a message is pending
    s.feed(sealer.frame(b"r"))  # decode() (nonce 6)
    s.feed(sealer.frame(b"two", nonce=6))  # the run: 6 was decode()'s
    assert s.messages == [[b"one"], [b"p", b"q", b"r"]]
    assert s.failure is not None and s.failure.reason == (
        "CURVE MESSAGE nonce 6 is not above 6: replayed or reordered"
    )


def test_commands_between_frames_of_a_message(keys: Keys) -> None:
    s, sealer = handshaken(keys)
    s.feed(
        sealer.frame(b"a", 1)
        + sealer.frame(b"\x04PING\x00\x00ctx", 2)
        + sealer.frame(b"b")
        + sealer.frame(b"solo")
    )
    assert s.messages == [[b"a", b"b"], [b"solo"]] and s.failure is None
    assert s.take()  # the PONG


# ------------------------------------------------------------ sending: encode_run


def opened(wire: bytes, key: bytes) -> list[tuple[int, bytes]]:
    """Each MESSAGE frame of *wire* as (short nonce, inner flags byte + body),
    opened with nacl.bindings; every outer flags byte must be 00 or 02."""
    out, at = [], boundaries(wire)
    for start, stop in itertools.pairwise(at):
        assert wire[start] in (0, 2)
        body = wire[start + (9 if wire[start] else 2) : stop]
        assert body[:8] == b"\x07MESSAGE"
        plain = crypto_box_open_afternm(body[16:], b"CurveZMQMESSAGEC" + body[8:16], key)
        out.append((struct.unpack(">Q", body[8:16])[0], plain))
    return out


@pytest.mark.parametrize("private", [True, False])
def test_unsealed_bodies_are_sealed_in_order(
    keys: Keys, private: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One-frame messages queued in ZmtpCodec.unsealed (as the link and the
    batch queue them) are sealed when the output is taken, or before
    anything else is queued: commands and multipart messages keep their
    place, and the nonces count on in queue order. *private*: libsodium's
    functions directly (_Curve.encode_run); else nacl.bindings through the
    default Mechanism.encode_run."""
    if not private:
        sodium_lib.cache_clear()
        monkeypatch.setitem(sys.modules, "nacl._sodium", None)
    try:
        c, s = curve_pair(keys)
    finally:
        sodium_lib.cache_clear()
    codec = c.conn
    run_method = codec.mechanism.encode_run
    default = run_method.__func__ is Mechanism.encode_run  # type: ignore[attr-defined]
    assert default is not private
    key = codec.mechanism._key  # type: ignore[attr-defined]
    big = bytes(range(256)) * 400  # grows the sealing buffer
    codec.unsealed += [b"one", b""]
    assert codec.has_output and not codec.output  # nothing sealed yet
    codec.send_ping()  # a command: the two bodies are sealed first
    codec.unsealed.append(b"x" * 222)  # the longest short frame
    codec.send_message([b"a", b"b"])  # multipart: sealed after it
    batch = [[b"y" * 223], [b"k", b"l"], [big]]
    assert codec.send_messages(batch, 0, 1 << 30) == (3, 223 + 2 + len(big))
    codec.unsealed.append(b"last")
    wire = c.take()
    assert not codec.unsealed and not codec.has_output
    assert opened(wire, key) == [
        (3, b"\x00one"),
        (4, b"\x00"),
        (5, b"\x02\x04PING\x00\x00"),
        (6, b"\x00" + b"x" * 222),
        (7, b"\x01a"),
        (8, b"\x00b"),
        (9, b"\x00" + b"y" * 223),
        (10, b"\x01k"),
        (11, b"\x00l"),
        (12, b"\x00" + big),
        (13, b"\x00last"),
    ]
    s.feed(wire)
    assert s.failure is None
    assert s.messages == [[b"one"], [b""], [b"x" * 222], [b"a", b"b"], *batch, [b"last"]]


def test_encode_run_writes_what_encode_writes(keys: Keys) -> None:
    """The same bodies from the same nonce: _Curve.encode_run's frames are
    byte for byte those of one encode() call each (and the counter ends
    where theirs does)."""
    c, _ = curve_pair(keys)
    mechanism = c.conn.mechanism
    bodies = [b"", b"a", b"x" * 222, b"y" * 223, b"z" * 5000, b"w" * 10]
    start = mechanism._sent  # type: ignore[attr-defined]
    run_frames: list[bytes] = []
    mechanism.encode_run(bodies, run_frames)
    end = mechanism._sent  # type: ignore[attr-defined]
    mechanism._sent = start  # type: ignore[attr-defined]
    assert run_frames == [mechanism.encode(0, body) for body in bodies]
    assert mechanism._sent == end == start + len(bodies)  # type: ignore[attr-defined]


@pytest.mark.parametrize("runs", [True, False])
def test_counted_multipart_messages_leave_the_run(keys: Keys, runs: bool) -> None:
    """Under max_message_size a frame with MORE ends the run, handed back
    opened: the codec counts the message's size, and fails one above it."""
    s, sealer = handshaken(keys, max_message_size=100)
    calls = spy_runs(s)
    if not runs:
        without_runs(s)
    wire = sealer.frame(b"a" * 50, 1) + sealer.frame(b"b" * 50) + sealer.frame(b"solo")
    wire += sealer.frame(b"c" * 50, 1) + sealer.frame(b"d" * 51)
    s.feed(wire)
    assert s.messages == [[b"a" * 50, b"b" * 50], [b"solo"]]
    assert s.failure is not None
    assert s.failure.reason == "message of 101 bytes or more exceeds max_message_size 100"
    if runs:
        at = boundaries(wire)
        # 0 (MORE), 1 through decode() (a message under way), 2-3 (MORE).
        assert calls == [(at[0], at[1]), (at[2], at[4])]


@pytest.mark.parametrize("top", [2**30, 2**32])
def test_nonces_past_the_packers(keys: Keys, top: int) -> None:
    """Short frames are packed with a 32-bit nonce up to 2**30 - 1: a
    connection that counts past it (and past 2**32) goes on with the full
    8 bytes, through encode() and encode_run() alike, and the peer opens
    every frame."""
    c, s = curve_pair(keys)
    key = c.conn.mechanism._key  # type: ignore[attr-defined]
    c.conn.mechanism._sent = top - 3  # type: ignore[attr-defined]
    s.conn.mechanism._received = top - 3  # type: ignore[attr-defined]  # as if all had come
    c.conn.send_message([b"a"])  # encode(): top - 2
    c.conn.unsealed += [b"b", b"c", b"d"]  # a run that crosses: top - 1, top, top + 1
    c.conn.send_message([b"e" * 222])  # encode(), past it: top + 2
    c.conn.unsealed += [b"f", b"g" * 300]  # a run past it: top + 3, top + 4
    wire = c.take()
    assert opened(wire, key) == [
        (top - 2, b"\x00a"),
        (top - 1, b"\x00b"),
        (top, b"\x00c"),
        (top + 1, b"\x00d"),
        (top + 2, b"\x00" + b"e" * 222),
        (top + 3, b"\x00f"),
        (top + 4, b"\x00" + b"g" * 300),
    ]
    s.feed(wire)
    assert s.failure is None
    assert s.messages == [[b"a"], [b"b"], [b"c"], [b"d"], [b"e" * 222], [b"f"], [b"g" * 300]]
    assert s.conn.mechanism._received == top + 4  # type: ignore[attr-defined]
