"""PGM packets: parse and build the six types libzmq uses (docs/wire/pgm.md#pgm-packets).

Every packet starts with a 16-byte header (docs/wire/pgm.md#pgm-header)::

    sport u16, dport u16, type u8, options u8, checksum u16, GSI 6 bytes, TSDU length u16

Downstream packets (SPM, ODATA, RDATA, NCF) carry the source's TSI port as
*sport* and the data-destination port as *dport*; upstream ones (NAK, SPMR)
swap them and carry the GSI of the source they address. :func:`parse`
undoes that swap, so every parsed packet has a :class:`Tsi` naming the
session and a ``data_port``.

:func:`parse` raises :class:`MalformedPacket` for anything it cannot vouch
for: short, a bad checksum, a length that disagrees, an option it must not
accept (OPT_FRAGMENT, which libzmq never sends). Options it does not know are
skipped by their length, as RFC 3208 §9 asks.
"""

from __future__ import annotations

import struct
import sys
from dataclasses import dataclass
from typing import NamedTuple

__all__ = [
    "NAK",
    "NCF",
    "ODATA",
    "RDATA",
    "SPM",
    "SPMR",
    "Data",
    "MalformedPacket",
    "Nak",
    "Packet",
    "Spm",
    "Spmr",
    "Tsi",
    "checksum",
    "encode_data",
    "encode_nak",
    "encode_spm",
    "encode_spmr",
    "parse",
]

# Packet types (the high nibble, the version, is 0).
SPM = 0x00
ODATA = 0x04
RDATA = 0x05
NAK = 0x08
NCF = 0x0A
SPMR = 0x0C

# Header option bits.
_OPT_PRESENT = 0x01
_OPT_NETWORK = 0x02  # set on NAKs and NCFs with a list, as OpenPGM does
# Option types (RFC 3208 §9.1); 0x80 marks the last option.
_OPT_LENGTH = 0x00
_OPT_FRAGMENT = 0x01
_OPT_NAK_LIST = 0x02
_OPT_FIN = 0x0E
_OPT_END = 0x80

_AFI_IP = 1
#: Sequence numbers in one NAK: one in its body, up to 62 in OPT_NAK_LIST
#: (docs/wire/pgm.md#pgm-packet-options).
MAX_NAK_SQNS = 63

_HEADER = struct.Struct(">HHBBH6sH")
_SPM = struct.Struct(">IIIHH4s")
_DATA = struct.Struct(">II")
_NAK = struct.Struct(">IHH4sHH4s")
HEADER_SIZE = _HEADER.size  # 16
DATA_HEADER_SIZE = HEADER_SIZE + _DATA.size  # 24: what an ODATA adds to its TSDU
_LITTLE_ENDIAN = sys.byteorder == "little"


class Tsi(NamedTuple):
    """A transport session identifier: the source's GSI and its port (RFC 3208 §3.1)."""

    gsi: bytes
    sport: int

    def __str__(self) -> str:
        return f"{self.gsi.hex()}.{self.sport}"


class MalformedPacket(ValueError):
    """A packet that is dropped (and counted): the message says why."""


@dataclass(frozen=True, slots=True)
class Spm:
    """A source path message (docs/wire/pgm.md#spm)."""

    tsi: Tsi
    data_port: int
    spm_sqn: int
    trail: int
    lead: int
    nla: bytes  # the source's IPv4 address, 4 bytes: where NAKs go
    fin: bool = False


@dataclass(frozen=True, slots=True)
class Data:
    """ODATA, or RDATA when *repair* (docs/wire/pgm.md#odata)."""

    tsi: Tsi
    data_port: int
    sqn: int
    trail: int
    tsdu: bytes
    repair: bool = False


@dataclass(frozen=True, slots=True)
class Nak:
    """A NAK (upstream), or an NCF (downstream) when *confirm* (docs/wire/pgm.md#nak)."""

    tsi: Tsi
    data_port: int
    sqns: tuple[int, ...]
    source_nla: bytes
    group_nla: bytes
    confirm: bool = False


@dataclass(frozen=True, slots=True)
class Spmr:
    """An SPM request (upstream; docs/wire/pgm.md#spmr)."""

    tsi: Tsi
    data_port: int


Packet = Spm | Data | Nak | Spmr


def checksum(packet: bytes | bytearray | memoryview) -> int:
    """The PGM checksum of *packet*, its own field counted as zero (docs/wire/pgm.md#pgm-checksum).

    The ones'-complement sum of big-endian 16-bit words, with no
    pseudo-header; a result of 0 is sent as ``ffff``, because 0 means "no
    checksum".
    """
    data = bytes(packet[:6]) + bytes(2) + bytes(packet[8:])
    if len(data) % 2:
        data += b"\0"
    # Native words summed by C: ones'-complement addition commutes with
    # swapping bytes (RFC 1071 §2B), so on a little-endian host the folded
    # sum only needs its two bytes swapped back.
    total = sum(memoryview(data).cast("H"))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    if _LITTLE_ENDIAN:
        total = ((total & 0xFF) << 8) | (total >> 8)
    return 0xFFFF if total == 0xFFFF else ~total & 0xFFFF


def _finish(packet: bytearray) -> bytes:
    """Write the checksum into *packet* and freeze it."""
    struct.pack_into(">H", packet, 6, checksum(packet))
    return bytes(packet)


def _header(
    ptype: int, sport: int, dport: int, gsi: bytes, options: int = 0, tsdu_length: int = 0
) -> bytearray:
    return bytearray(_HEADER.pack(sport, dport, ptype, options, 0, gsi, tsdu_length))


def _options(*items: bytes) -> bytes:
    """OPT_LENGTH, then *items* (each a whole option), the last one marked."""
    last = bytearray(items[-1])
    last[0] |= _OPT_END
    body = b"".join((*items[:-1], bytes(last)))
    return struct.pack(">BBH", _OPT_LENGTH, 4, 4 + len(body)) + body


def encode_spm(
    tsi: Tsi, data_port: int, spm_sqn: int, trail: int, lead: int, nla: bytes, *, fin: bool = False
) -> bytes:
    """An SPM; with *fin*, carrying OPT_FIN (sent at close)."""
    body = _SPM.pack(spm_sqn, trail, lead, _AFI_IP, 0, nla)
    if fin:
        options = _options(struct.pack(">BBH", _OPT_FIN, 4, 0))
        packet = _header(SPM, tsi.sport, data_port, tsi.gsi, _OPT_PRESENT) + body + options
    else:
        packet = _header(SPM, tsi.sport, data_port, tsi.gsi) + body
    return _finish(packet)


def encode_data(
    tsi: Tsi, data_port: int, sqn: int, trail: int, tsdu: bytes, *, repair: bool = False
) -> bytes:
    """An ODATA (or RDATA with *repair*): never with options, so never OPT_FRAGMENT
    (docs/wire/pgm.md#pgm-no-fragments)."""
    ptype = RDATA if repair else ODATA
    packet = _header(ptype, tsi.sport, data_port, tsi.gsi, 0, len(tsdu))
    packet += _DATA.pack(sqn, trail)
    packet += tsdu
    return _finish(packet)


def encode_nak(
    tsi: Tsi,
    data_port: int,
    sqns: tuple[int, ...] | list[int],
    source_nla: bytes,
    group_nla: bytes,
    *,
    confirm: bool = False,
) -> bytes:
    """A NAK (upstream) or, with *confirm*, an NCF (downstream) for 1 to 63 sqns,
    in the single form or the list form as libzmq writes them (docs/wire/pgm.md#nak).

    Raises:
        ValueError: no sqn, or more than :data:`MAX_NAK_SQNS`.
    """
    if not 0 < len(sqns) <= MAX_NAK_SQNS:
        raise ValueError(f"a NAK carries 1 to {MAX_NAK_SQNS} sqns, not {len(sqns)}")
    if confirm:
        ptype, sport, dport = NCF, tsi.sport, data_port
    else:
        ptype, sport, dport = NAK, data_port, tsi.sport
    body = _NAK.pack(sqns[0], _AFI_IP, 0, source_nla, _AFI_IP, 0, group_nla)
    if len(sqns) == 1:
        return _finish(_header(ptype, sport, dport, tsi.gsi) + body)
    extra = sqns[1:]
    nak_list = struct.pack(f">BBBB{len(extra)}I", _OPT_NAK_LIST, 4 + 4 * len(extra), 0, 0, *extra)
    flags = _OPT_PRESENT | _OPT_NETWORK
    return _finish(_header(ptype, sport, dport, tsi.gsi, flags) + body + _options(nak_list))


def encode_spmr(tsi: Tsi, data_port: int) -> bytes:
    """An SPMR addressed to the source *tsi* (upstream: the ports are swapped)."""
    return _finish(_header(SPMR, data_port, tsi.sport, tsi.gsi))


def _parse_options(packet: bytes, start: int) -> tuple[int, list[tuple[int, bytes]]]:
    """The options at *start*: ``(end offset, [(type without the end bit, body)])``.

    Raises:
        MalformedPacket: no OPT_LENGTH first, a length that runs past the
            packet, an option shorter than its own header, or no last option.
    """
    if len(packet) < start + 4:
        raise MalformedPacket("options announced but missing")
    kind, length, total = struct.unpack_from(">BBH", packet, start)
    if kind != _OPT_LENGTH or length != 4:
        raise MalformedPacket("the first option is not OPT_LENGTH")
    end = start + total
    if total < 4 or end > len(packet):
        raise MalformedPacket(f"options of {total} bytes do not fit the packet")
    found: list[tuple[int, bytes]] = []
    offset = start + 4
    while offset < end:
        if offset + 2 > end:
            raise MalformedPacket("an option header runs past the options")
        kind, length = packet[offset], packet[offset + 1]
        if length < 3 or offset + length > end:
            raise MalformedPacket(f"an option of length {length} does not fit")
        found.append((kind & ~_OPT_END, packet[offset + 2 : offset + length]))
        offset += length
        if kind & _OPT_END:
            return end, found
    raise MalformedPacket("no option is marked as the last")


def _nla(packet: bytes, offset: int, afi: int) -> bytes:
    if afi != _AFI_IP:
        raise MalformedPacket(f"NLA address family {afi} (only IPv4 is supported)")
    return packet[offset : offset + 4]


def parse(packet: bytes) -> Packet:
    """The packet in *packet* (the PGM bytes: after the UDP header, or after the IP
    header for raw PGM).

    Raises:
        MalformedPacket: why it is dropped. Types libzmq never sends (POLL,
            POLR, NNAK, ACK...) are reported the same way.
    """
    size = len(packet)
    if size < HEADER_SIZE:
        raise MalformedPacket(f"{size} bytes is shorter than a PGM header")
    sport, dport, ptype, flags, carried, gsi, tsdu_length = _HEADER.unpack_from(packet)
    if carried == 0:
        # ODATA/RDATA must carry one (OpenPGM drops them silently; so do we,
        # loudly); for the other types 0 means "not checked".
        if ptype in (ODATA, RDATA):
            raise MalformedPacket("data packet without a checksum")
    elif carried != checksum(packet):
        raise MalformedPacket(f"bad checksum {carried:04x}")
    options: list[tuple[int, bytes]] = []
    if ptype == SPM:
        if size < HEADER_SIZE + _SPM.size:
            raise MalformedPacket("truncated SPM")
        spm_sqn, trail, lead, afi, _, _ = _SPM.unpack_from(packet, HEADER_SIZE)
        nla = _nla(packet, HEADER_SIZE + 16, afi)
        if flags & _OPT_PRESENT:
            _, options = _parse_options(packet, HEADER_SIZE + _SPM.size)
        fin = any(kind == _OPT_FIN for kind, _ in options)
        return Spm(Tsi(gsi, sport), dport, spm_sqn, trail, lead, nla, fin)
    if ptype in (ODATA, RDATA):
        if size < DATA_HEADER_SIZE:
            raise MalformedPacket("truncated data packet")
        sqn, trail = _DATA.unpack_from(packet, HEADER_SIZE)
        start = DATA_HEADER_SIZE
        if flags & _OPT_PRESENT:
            start, options = _parse_options(packet, start)
            if any(kind == _OPT_FRAGMENT for kind, _ in options):
                # libzmq never fragments; reassembling APDUs is not what it
                # speaks (docs/wire/pgm.md#pgm-no-fragments).
                raise MalformedPacket("OPT_FRAGMENT is not supported")
        if size - start != tsdu_length:
            raise MalformedPacket(f"TSDU length {tsdu_length} but {size - start} bytes follow")
        return Data(Tsi(gsi, sport), dport, sqn, trail, packet[start:], ptype == RDATA)
    if ptype in (NAK, NCF):
        if size < HEADER_SIZE + _NAK.size:
            raise MalformedPacket("truncated NAK")
        first, afi, _, source, group_afi, _, group = _NAK.unpack_from(packet, HEADER_SIZE)
        _nla(packet, 0, afi)
        _nla(packet, 0, group_afi)
        sqns = [first]
        if flags & _OPT_PRESENT:
            _, options = _parse_options(packet, HEADER_SIZE + _NAK.size)
            for kind, body in options:
                if kind == _OPT_NAK_LIST:
                    listed = body[2:]  # after OPX and a reserved byte
                    if len(listed) % 4 or len(listed) > 4 * (MAX_NAK_SQNS - 1):
                        raise MalformedPacket("OPT_NAK_LIST of a bad length")
                    sqns += struct.unpack(f">{len(listed) // 4}I", listed)
        if ptype == NCF:
            return Nak(Tsi(gsi, sport), dport, tuple(sqns), source, group, True)
        return Nak(Tsi(gsi, dport), sport, tuple(sqns), source, group)
    if ptype == SPMR:
        return Spmr(Tsi(gsi, dport), sport)
    raise MalformedPacket(f"packet type {ptype:#04x} is not used by libzmq")
