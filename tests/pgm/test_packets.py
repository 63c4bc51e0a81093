"""The PGM packet codec against libzmq's own packets (captured, docs/wire/pgm.md#pgm-packets)."""

from __future__ import annotations

import pytest

from aiomsg._pgm.packets import (
    MAX_NAK_SQNS,
    Data,
    MalformedPacket,
    Nak,
    Spm,
    Spmr,
    Tsi,
    checksum,
    encode_data,
    encode_nak,
    encode_spm,
    encode_spmr,
    parse,
)

LIBZMQ_GSI = bytes.fromhex("b7c6d1bc038a")
LOCAL = bytes([127, 0, 0, 1])
GROUP = bytes([239, 192, 1, 1])

# Captured from libzmq 4.3.4 + OpenPGM 5.3.128 (docs/wire/pgm.md).
FIRST_SPM = bytes.fromhex(
    "660b15b300007831b7c6d1bc038a0000" "00000000" "00000000" "ffffffff" "00010000" "7f000001"
)
FIN_SPM = bytes.fromhex(
    "943215b30001bbd9b7c6d1bc038a0000" "00000009" "0000000b" "0000000b" "00010000" "7f000001"
    "00040008" "8e040000"
)
HELLO_ODATA = bytes.fromhex("660b15b30400a958b7c6d1bc038a0009" "00000000" "00000000" "00000600") + b"hello"
RDATA = bytes.fromhex("532315b30500c53cb7c6d1bc038a000b" "00000003" "00000000" "00000800") + b"msg-003"
SINGLE_NAK = bytes.fromhex(
    "15b3532308009253b7c6d1bc038a0000" "00000003" "00010000" "7f000001" "00010000" "efc00101"
)
LIST_NAK = bytes.fromhex(
    "15b344e40803369c6e660f6df6d80000" "0000001a" "00010000" "7f000001" "00010000" "efc00101"
    "0004000c" "82080000" "00000025"
)
NCF = bytes.fromhex(
    "532315b30a009053b7c6d1bc038a0000" "00000003" "00010000" "7f000001" "00010000" "efc00101"
)
SPMR = bytes.fromhex("15b3660b0c00eb33b7c6d1bc038a0000")


@pytest.mark.parametrize(
    "packet", [FIRST_SPM, FIN_SPM, HELLO_ODATA, RDATA, SINGLE_NAK, LIST_NAK, NCF, SPMR]
)
def test_checksum_reproduces_libzmqs(packet: bytes) -> None:
    assert checksum(packet) == int.from_bytes(packet[6:8], "big")


def test_a_computed_zero_is_sent_as_ffff() -> None:
    # A packet whose words sum to ffff: its complement would be 0, "no checksum".
    packet = bytearray(16)
    packet[0:2] = b"\xff\xff"
    assert checksum(bytes(packet)) == 0xFFFF


def test_parse_spm() -> None:
    assert parse(FIRST_SPM) == Spm(Tsi(LIBZMQ_GSI, 26123), 5555, 0, 0, 0xFFFFFFFF, LOCAL)
    fin = parse(FIN_SPM)
    assert isinstance(fin, Spm) and fin.fin and (fin.spm_sqn, fin.trail, fin.lead) == (9, 11, 11)


def test_parse_data() -> None:
    assert parse(HELLO_ODATA) == Data(Tsi(LIBZMQ_GSI, 26123), 5555, 0, 0, b"\x00\x00\x06\x00hello")
    repair = parse(RDATA)
    assert isinstance(repair, Data) and repair.repair and repair.sqn == 3


def test_parse_naks_swap_the_ports_back() -> None:
    nak = parse(SINGLE_NAK)
    assert nak == Nak(Tsi(LIBZMQ_GSI, 0x5323), 5555, (3,), LOCAL, GROUP)
    listed = parse(LIST_NAK)
    assert isinstance(listed, Nak) and listed.sqns == (26, 37) and not listed.confirm
    ncf = parse(NCF)
    assert isinstance(ncf, Nak) and ncf.confirm and ncf.tsi == Tsi(LIBZMQ_GSI, 0x5323)
    assert parse(SPMR) == Spmr(Tsi(LIBZMQ_GSI, 26123), 5555)


def test_encoders_write_libzmqs_bytes() -> None:
    libzmq = Tsi(LIBZMQ_GSI, 26123)
    assert encode_spm(libzmq, 5555, 0, 0, 0xFFFFFFFF, LOCAL) == FIRST_SPM
    assert encode_spm(Tsi(LIBZMQ_GSI, 0x9432), 5555, 9, 11, 11, LOCAL, fin=True) == FIN_SPM
    assert encode_data(libzmq, 5555, 0, 0, b"\x00\x00\x06\x00hello") == HELLO_ODATA
    other = Tsi(LIBZMQ_GSI, 0x5323)
    assert encode_data(other, 5555, 3, 0, RDATA[24:], repair=True) == RDATA
    assert encode_nak(other, 5555, [3], LOCAL, GROUP) == SINGLE_NAK
    assert encode_nak(Tsi(bytes.fromhex("6e660f6df6d8"), 0x44E4), 5555, [26, 37], LOCAL, GROUP) == LIST_NAK
    assert encode_nak(other, 5555, [3], LOCAL, GROUP, confirm=True) == NCF
    assert encode_spmr(libzmq, 5555) == SPMR


def test_a_nak_carries_at_most_63_sqns() -> None:
    tsi = Tsi(LIBZMQ_GSI, 1)
    full = parse(encode_nak(tsi, 5555, list(range(MAX_NAK_SQNS)), LOCAL, GROUP))
    assert isinstance(full, Nak) and full.sqns == tuple(range(MAX_NAK_SQNS))
    with pytest.raises(ValueError):
        encode_nak(tsi, 5555, list(range(MAX_NAK_SQNS + 1)), LOCAL, GROUP)


def _rechecked(packet: bytearray) -> bytes:
    packet[6:8] = b"\0\0"
    packet[6:8] = checksum(bytes(packet)).to_bytes(2, "big")
    return bytes(packet)


@pytest.mark.parametrize(
    ("packet", "reason"),
    [
        (b"", "shorter than a PGM header"),
        (HELLO_ODATA[:15], "shorter than a PGM header"),
        (FIRST_SPM[:30], "bad checksum"),
        (HELLO_ODATA[:-1], "bad checksum"),
        (HELLO_ODATA[:6] + b"\x12\x34" + HELLO_ODATA[8:], "bad checksum"),
        (HELLO_ODATA[:6] + b"\0\0" + HELLO_ODATA[8:], "without a checksum"),
        (_rechecked(bytearray(HELLO_ODATA[:-1])), "TSDU length"),
        (_rechecked(bytearray(FIRST_SPM[:30])), "truncated SPM"),
        (_rechecked(bytearray(SINGLE_NAK[:25])), "truncated NAK"),
        (_rechecked(bytearray(HELLO_ODATA[:4] + b"\x01" + HELLO_ODATA[5:])), "not used by libzmq"),
        # OPT_LENGTH claiming more than the packet holds.
        (_rechecked(bytearray(FIN_SPM[:-6] + b"\x00\xff" + FIN_SPM[-4:])), "do not fit"),
        # OPT_FRAGMENT on data: fatal to libzmq, refused here.
        (
            _rechecked(
                bytearray(
                    HELLO_ODATA[:5] + b"\x01" + HELLO_ODATA[6:24]
                    + bytes.fromhex("00040014" "81100000" "00000000" "00000000" "00000009")
                    + HELLO_ODATA[24:]
                )
            ),
            "OPT_FRAGMENT",
        ),
        # An IPv6 NLA in an SPM.
        (_rechecked(bytearray(FIRST_SPM[:28] + b"\x00\x02" + FIRST_SPM[30:])), "address family"),
    ],
)  # fmt: skip
def test_malformed_packets_are_refused_with_a_reason(packet: bytes, reason: str) -> None:
    with pytest.raises(MalformedPacket, match=reason):
        parse(packet)


def test_unknown_options_are_skipped_by_length() -> None:
    # An SPM with an unknown option (type 0x21) before OPT_FIN.
    options = bytes.fromhex("0004000c" "21040000" "8e040000")
    packet = bytearray(FIRST_SPM[:5] + b"\x01" + FIRST_SPM[6:] + options)
    spm = parse(_rechecked(packet))
    assert isinstance(spm, Spm) and spm.fin
