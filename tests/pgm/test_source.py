"""The PGM source state machine, without sockets or a clock (docs/wire/pgm.md#pgm-source)."""

from __future__ import annotations

import pytest

from aiomsg._pgm.packets import Data, Nak, Spm, Tsi, encode_nak, encode_spmr, parse
from aiomsg._pgm.source import HEARTBEAT_INTERVALS, REPAIR_HOLDOFF, Source, window_sqns

TSI = Tsi(bytes.fromhex("0102030405a6"), 4321)
LOCAL = bytes([127, 0, 0, 1])
GROUP = bytes([239, 192, 1, 1])


def source(txw_sqns: int = 100, rate: float = 1e9) -> Source:
    return Source(TSI, 5555, LOCAL, GROUP, txw_sqns=txw_sqns, rate=rate, now=0.0)


def nak(*sqns: int, nla: bytes = LOCAL, group: bytes = GROUP, tsi: Tsi = TSI) -> Nak:
    packet = parse(encode_nak(tsi, 5555, list(sqns), nla, group))
    assert isinstance(packet, Nak)
    return packet


def test_window_sizes_as_libzmq_computes_them() -> None:
    assert window_sqns(100, 10000, 1500) == 80  # the defaults
    assert window_sqns(100, 100, 1500) == 1  # never 0
    assert window_sqns(100_000, 10000, 1500) == 83333


def test_a_session_starts_with_three_spms_over_an_empty_window() -> None:
    spms = [parse(packet) for packet in source().start(0.0)]
    assert [(s.spm_sqn, s.trail, s.lead) for s in spms if isinstance(s, Spm)] == [
        (0, 0, 0xFFFFFFFF),
        (1, 0, 0xFFFFFFFF),
        (2, 0, 0xFFFFFFFF),
    ]
    assert all(isinstance(s, Spm) and s.nla == LOCAL and not s.fin for s in spms)


def test_odata_sqns_start_at_zero_and_the_trail_follows_the_window() -> None:
    src = source(txw_sqns=2)
    sent = [parse(src.send(b"\x00\x00\x02\x00%d" % i, 0.0)) for i in range(4)]
    assert [(d.sqn, d.trail) for d in sent if isinstance(d, Data)] == [(0, 0), (1, 0), (2, 1), (3, 2)]
    assert (src.trail, src.lead) == (2, 3)


def test_a_nak_gets_an_ncf_at_once_and_rdata_from_poll() -> None:
    src = source()
    tsdus = [b"\x00\x00\x02\x00%d" % i for i in range(5)]
    for tsdu in tsdus:
        src.send(tsdu, 0.0)
    replies = [parse(p) for p in src.on_upstream(nak(1, 3), 0.01)]
    assert len(replies) == 1 and isinstance(replies[0], Nak) and replies[0].confirm
    assert replies[0].sqns == (1, 3)  # the same list form
    repairs = [parse(p) for p in src.poll(0.01)]
    data = [r for r in repairs if isinstance(r, Data)]
    assert [(d.sqn, d.repair, d.tsdu) for d in data] == [(1, True, tsdus[1]), (3, True, tsdus[3])]


def test_sqns_out_of_the_window_get_an_ncf_but_no_repair() -> None:
    """As libzmq: the receivers' retries end when the trail passes the sqn."""
    src = source(txw_sqns=2)
    for _ in range(4):
        src.send(b"\x00\x00\x02\x00x", 0.0)
    assert len(src.on_upstream(nak(0), 0.0)) == 1
    assert not [p for p in src.poll(0.0) if isinstance(parse(p), Data)]


@pytest.mark.parametrize(
    "wrong",
    [
        {"nla": bytes([10, 0, 0, 1])},
        {"group": bytes([239, 192, 9, 9])},
        {"tsi": Tsi(TSI.gsi, 999)},
        {"tsi": Tsi(bytes(6), TSI.sport)},
    ],
)
def test_naks_for_another_session_address_or_group_are_ignored(wrong: dict[str, object]) -> None:
    src = source()
    src.send(b"\x00\x00\x02\x00x", 0.0)
    assert src.on_upstream(nak(0, **wrong), 0.0) == []  # type: ignore[arg-type]
    assert not [p for p in src.poll(0.0) if isinstance(parse(p), Data)]


def test_a_flood_of_naks_for_one_packet_costs_one_repair_per_holdoff() -> None:
    src = source()
    src.send(b"\x00\x00\x02\x00x", 0.0)
    repairs = 0
    for step in range(1000):
        now = step * REPAIR_HOLDOFF / 100
        src.on_upstream(nak(0), now)
        repairs += sum(1 for p in src.poll(now) if isinstance(parse(p), Data))
    assert repairs == 10
    assert src.counters.naks == 1000


def test_an_spmr_gets_an_spm_at_once() -> None:
    src = source()
    src.start(0.0)
    replies = [parse(p) for p in src.on_upstream(parse(encode_spmr(TSI, 5555)), 0.5)]
    assert len(replies) == 1 and isinstance(replies[0], Spm) and replies[0].spm_sqn == 3


def test_heartbeats_follow_data_on_libzmqs_schedule() -> None:
    """+100, +200, +300, +400, +500 ms, +1.8 s... after the last ODATA (docs/wire/pgm.md#spm-schedule)."""
    src = source()
    src.start(0.0)
    src.send(b"\x00\x00\x02\x00x", 10.0)
    beats = []
    for _ in range(7):
        when = src.deadline()
        packets = [parse(p) for p in src.poll(when)]
        assert len(packets) == 1 and isinstance(packets[0], Spm) and packets[0].lead == 0
        beats.append(round(when - 10.0, 3))
    assert beats == [0.1, 0.2, 0.3, 0.4, 0.5, 1.8, 8.8]
    assert HEARTBEAT_INTERVALS[:5] == (0.1,) * 4 + (1.3,)


def test_finish_sends_three_fin_spms_and_ends_repairs() -> None:
    src = source()
    src.send(b"\x00\x00\x02\x00x", 0.0)
    fins = [parse(p) for p in src.finish()]
    assert len(fins) == 3 and all(isinstance(f, Spm) and f.fin for f in fins)
    src.on_upstream(nak(0), 0.0)
    assert not [p for p in src.poll(0.0) if isinstance(parse(p), Data)]


def test_the_rate_paces_odata() -> None:
    src = source(rate=15_000)  # bytes/s: about ten 1.5 kB packets a second
    tsdu = bytes(1428)
    now = 0.0
    for _ in range(20):
        now = max(now, src.ready_at(len(tsdu), now))
        src.send(tsdu, now)
    assert 1.5 < now < 2.5
