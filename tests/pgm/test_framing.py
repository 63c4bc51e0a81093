"""libzmq's stream inside PGM data packets: packing and joining (docs/wire/pgm.md#pgm-framing)."""

from __future__ import annotations

import pytest

from aiomsg._pgm.framing import NO_OFFSET, Packer, StreamDecoder, encode_message

APDU = 1428  # epgm at MAXTPDU 1500


def packed(messages: list[list[bytes]], apdu: int = APDU) -> list[bytes]:
    packer = Packer(apdu)
    for message in messages:
        packer.add(message)
    tsdus = []
    while (tsdu := packer.next_tsdu(flush=True)) is not None:
        tsdus.append(tsdu)
    return tsdus


def decoded(tsdus: list[bytes]) -> list[list[bytes]]:
    decoder = StreamDecoder()
    out: list[list[bytes]] = []
    for tsdu in tsdus:
        messages, error = decoder.feed(tsdu)
        assert error is None
        out += messages
    return out


def test_v1_frames_as_libzmq_writes_them() -> None:
    assert b"".join(encode_message([b"hello"])) == bytes.fromhex("0600") + b"hello"
    assert b"".join(encode_message([b"topic", b"payload"])) == bytes.fromhex(
        "0601746f70696308007061796c6f6164"
    )
    assert b"".join(encode_message([b"A" * 300]))[:10] == bytes.fromhex("ff000000000000012d00")
    # 253 bytes is the last short frame, 254 the first long one.
    assert b"".join(encode_message([b"x" * 253]))[0] == 254
    assert b"".join(encode_message([b"x" * 254]))[0] == 0xFF


def test_a_3072_byte_message_packs_as_libzmqs_did() -> None:
    """docs/wire/pgm.md#pgm-packing: 1428, 1428 and 232 bytes. libzmq's third
    offset is 230 (just past the end, its quirk); ours is ffff, which says the
    same: no message starts there."""
    body = bytes(range(256)) * 12
    first, second, third = packed([[body]])
    assert (len(first), len(second), len(third)) == (1428, 1428, 232)
    assert first[:13] == bytes.fromhex("0000" "ff0000000000000c01" "00" "00")
    assert second[:2] == b"\xff\xff"
    assert third[:2] == (NO_OFFSET).to_bytes(2, "big")  # no message starts in it


def test_small_messages_share_a_packet() -> None:
    tsdus = packed([[b"hello"], [b"topic", b"payload"], [b"A" * 300]])
    assert len(tsdus) == 1 and tsdus[0][:2] == b"\x00\x00"
    assert decoded(tsdus) == [[b"hello"], [b"topic", b"payload"], [b"A" * 300]]


def test_a_full_packet_is_cut_without_flush() -> None:
    packer = Packer(APDU)
    packer.add([b"x" * 100])
    assert packer.next_tsdu(flush=False) is None
    packer.add([b"y" * 3000])
    assert len(packer.next_tsdu(flush=False) or b"") == APDU


@pytest.mark.parametrize("size", [0, 1, 253, 254, 65536, 1 << 20])
def test_round_trip_across_packets(size: int) -> None:
    messages = [[b"head"], [bytes(i % 251 for i in range(size)), b"", b"tail"], [b"end"]]
    tsdus = packed(messages)
    assert all(2 < len(t) <= APDU for t in tsdus)  # never a 0- or 1-byte TSDU
    assert decoded(tsdus) == messages


def test_a_late_joiner_skips_to_the_first_message_start() -> None:
    tsdus = packed([[b"a" * 3000], [b"b" * 10], [b"c" * 10]])
    decoder = StreamDecoder()
    # Joining at the second packet (offset ffff): nothing; at the third: "b" and "c".
    assert decoder.feed(tsdus[1]) == ([], None) and not decoder.joined
    messages, error = decoder.feed(tsdus[2])
    assert error is None and messages == [[b"b" * 10], [b"c" * 10]]


def test_an_offset_at_the_end_is_legal() -> None:
    """libzmq points the offset just past a packet's end when the next packet
    starts a message (docs/wire/pgm.md#pgm-packing)."""
    decoder = StreamDecoder()
    assert decoder.feed(b"\x00\x03abc") == ([], None)
    assert decoder.joined
    assert decoder.feed(b"\x00\x00\x02\x00z") == ([[b"z"]], None)


@pytest.mark.parametrize(
    ("tsdu", "reason"),
    [
        (b"", "has no offset"),
        (b"\x00", "has no offset"),
        (b"\x00\x05ab", "past the packet"),
        (b"\x00\x00\x00\x00", "size 0"),
    ],
)
def test_bad_streams_are_reported_and_left(tsdu: bytes, reason: str) -> None:
    decoder = StreamDecoder()
    messages, error = decoder.feed(tsdu)
    assert messages == [] and error is not None and reason in error
    assert not decoder.joined
    # It joins again at the next message boundary.
    assert decoder.feed(b"\x00\x00\x03\x00ok") == ([[b"ok"]], None)


def test_maxmsgsize_leaves_the_stream() -> None:
    decoder = StreamDecoder(maxmsgsize=10)
    messages, error = decoder.feed(b"\x00\x00" + b"".join(encode_message([b"x" * 11])))
    assert messages == [] and error is not None and "maxmsgsize" in error


def test_reset_drops_the_partial_message() -> None:
    tsdus = packed([[b"a" * 3000], [b"b"]])
    decoder = StreamDecoder()
    decoder.feed(tsdus[0])
    decoder.reset()  # the second packet was lost
    messages, _ = decoder.feed(tsdus[2])
    assert messages == [[b"b"]]
