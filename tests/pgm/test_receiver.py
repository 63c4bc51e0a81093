"""The PGM receiver state machine, without sockets or a clock
(docs/wire/pgm.md#pgm-receiver): a real Source feeds it through a lossy "wire"."""

from __future__ import annotations

from collections.abc import Callable

from aiomsg._pgm.framing import Packer
from aiomsg._pgm.packets import Data, Nak, Spm, Spmr, Tsi, encode_data, encode_spm, parse
from aiomsg._pgm.receiver import MAX_SOURCES, NAK_BO_IVL, Receiver
from aiomsg._pgm.source import Source

LOCAL = bytes([127, 0, 0, 1])
GROUP = bytes([239, 192, 1, 1])
TSI = Tsi(bytes.fromhex("0102030405a6"), 4321)


class Wire:
    """A source and a receiver, with loss chosen per (type, sqn, repair)."""

    def __init__(self, receiver: Receiver, *, txw_sqns: int = 1000, tsi: Tsi = TSI) -> None:
        self.receiver = receiver
        self.source = Source(tsi, 5555, LOCAL, GROUP, txw_sqns=txw_sqns, rate=1e9, now=0.0)
        self.drop: Callable[[object], bool] = lambda packet: False
        self.now = 0.0
        self.naks: list[Nak] = []

    def down(self, packets: list[bytes]) -> None:
        for raw in packets:
            packet = parse(raw)
            if not self.drop(packet):
                self.receiver.on_packet(packet, "127.0.0.1", GROUP, self.now)

    def start(self) -> None:
        self.down(self.source.start(self.now))

    def send(self, messages: list[list[bytes]]) -> None:
        packer = Packer(1428)
        for message in messages:
            packer.add(message)
        while (tsdu := packer.next_tsdu(flush=True)) is not None:
            self.down([self.source.send(tsdu, self.now)])

    def run(self, seconds: float, step: float = 0.005) -> None:
        end = self.now + seconds
        while self.now < end:
            self.now += step
            self.receiver.poll(self.now)
            outgoing, self.receiver.outgoing = self.receiver.outgoing, []
            for raw, _ in outgoing:
                packet = parse(raw)
                if isinstance(packet, Nak):
                    self.naks.append(packet)
                self.down(self.source.on_upstream(packet, self.now))
            self.down(self.source.poll(self.now))


def receiver(rxw_sqns: int = 1000) -> Receiver:
    return Receiver(5555, rxw_sqns=rxw_sqns, rng=lambda: 0.5)


MESSAGES = [[b"m%03d" % i, bytes([i]) * (i * 37 % 4000)] for i in range(60)]


def test_in_order_without_loss() -> None:
    wire = Wire(receiver())
    wire.start()
    wire.send(MESSAGES)
    assert wire.receiver.messages == MESSAGES
    assert wire.receiver.counters.naks == 0


def test_lost_packets_are_naked_and_repaired() -> None:
    wire = Wire(receiver())
    wire.start()
    wire.drop = lambda p: isinstance(p, Data) and not p.repair and p.sqn in (2, 3, 9)
    wire.send(MESSAGES)
    wire.run(0.3)
    assert wire.receiver.messages == MESSAGES
    assert wire.receiver.counters.repaired == 3
    assert wire.receiver.counters.lost == 0
    # The NAK waited out the back-off (rng 0.5: half of NAK_BO_IVL), and went
    # to the source's NLA naming our group.
    assert wire.naks and all(n.source_nla == LOCAL and n.group_nla == GROUP for n in wire.naks)


def test_tail_loss_is_found_by_the_heartbeat_spm() -> None:
    wire = Wire(receiver())
    wire.start()
    last = 2  # 4010 stream bytes: the third ODATA is the burst's last
    wire.drop = lambda p: isinstance(p, Data) and not p.repair and p.sqn == last
    wire.send([[b"x" * 1000] for _ in range(4)])
    assert len(wire.receiver.messages) == 2  # the rest waits for the last packet
    wire.run(0.5)
    assert wire.receiver.messages == [[b"x" * 1000]] * 4


def test_an_ncf_holds_the_nak_back() -> None:
    """NAK suppression: after an NCF the receiver waits for the repair instead of NAKing."""
    rcv = receiver()
    rcv.on_packet(parse(encode_spm(TSI, 5555, 0, 0, 0xFFFFFFFF, LOCAL)), "127.0.0.1", GROUP, 0.0)
    rcv.on_packet(parse(encode_data(TSI, 5555, 1, 0, b"\x00\x00\x02\x00a")), "h", GROUP, 0.0)
    ncf = parse(bytes(_ncf(0)))
    rcv.on_packet(ncf, "127.0.0.1", GROUP, 0.001)
    rcv.poll(NAK_BO_IVL * 2)
    assert rcv.outgoing == []  # no NAK: another receiver's was confirmed
    rcv.poll(0.3)  # the repair never came: back off, then NAK after all
    rcv.poll(0.4)
    assert [parse(raw) for raw, _ in rcv.outgoing if isinstance(parse(raw), Nak)]


def _ncf(sqn: int) -> bytes:
    from aiomsg._pgm.packets import encode_nak

    return encode_nak(TSI, 5555, [sqn], LOCAL, GROUP, confirm=True)


def test_a_late_joiner_asks_for_nothing_before_it_joined() -> None:
    wire = Wire(receiver())
    early = Receiver(5555, rxw_sqns=1000)
    wire.receiver = early
    wire.start()
    wire.send(MESSAGES[:10])
    late = receiver()
    wire.receiver = late
    wire.send([[b"a" * 3000], [b"b"]])
    wire.run(0.3)
    assert late.counters.naks == 0
    assert late.messages == [[b"a" * 3000], [b"b"]]


def test_joining_mid_message_starts_at_the_next_boundary() -> None:
    wire = Wire(receiver())
    wire.start()
    wire.drop = lambda p: isinstance(p, Data) and p.sqn == 0
    # The receiver hears the SPMs but treat the first ODATA as if it joined after.
    late = receiver()
    wire.receiver = late
    wire.send([[b"a" * 3000], [b"b"]])
    wire.run(0.3)
    assert late.messages[-1] == [b"b"]
    assert [b"a" * 3000] not in late.messages or late.counters.repaired


def test_a_trail_passing_a_gap_loses_it_and_resyncs() -> None:
    """1-packet window, every repair lost: the message with the hole is dropped
    whole, the next ones arrive (docs/wire/pgm.md#loss-results)."""
    wire = Wire(receiver(), txw_sqns=1)
    wire.start()
    messages = [[bytes([i]) * 3000] for i in range(5)]  # 3 packets each
    wire.drop = lambda p: isinstance(p, Data) and (p.repair or p.sqn == 4)
    for message in messages:  # one message per packet run: m1 is packets 3, 4, 5
        wire.send([message])
    wire.run(0.5)
    assert wire.receiver.messages == [messages[0], *messages[2:]]
    assert wire.receiver.counters.lost == 1
    assert [loss.packets for loss in wire.receiver.losses] == [1]


def test_without_an_spm_a_gap_is_lost_and_an_spmr_asks_for_one() -> None:
    rcv = receiver()
    for sqn in (0, 2):
        rcv.on_packet(parse(encode_data(TSI, 5555, sqn, 0, b"\x00\x00\x02\x00a")), "10.0.0.9", GROUP, 0.0)
    rcv.poll(0.03)
    spmrs = [(parse(raw), where) for raw, where in rcv.outgoing]
    assert [where for p, where in spmrs if isinstance(p, Spmr)] == [None, "10.0.0.9"]
    rcv.poll(0.06)
    assert rcv.counters.lost == 1 and rcv.messages == [[b"a"], [b"a"]]


def test_retries_run_out() -> None:
    rcv = receiver()
    rcv.on_packet(parse(encode_spm(TSI, 5555, 0, 0, 0xFFFFFFFF, LOCAL)), "h", GROUP, 0.0)
    rcv.on_packet(parse(encode_data(TSI, 5555, 1, 0, b"\x00\x00\x02\x00a")), "h", GROUP, 0.0)
    now = 0.0
    while not rcv.losses and now < 60:
        now += 0.01
        rcv.poll(now)
    assert rcv.losses and "retries" in rcv.losses[0].reason
    assert 50 * 0.2 <= now < 50 * 0.3  # 50 NAKs without an NCF, 200 ms apart plus back-off
    assert rcv.messages == [[b"a"]]


def test_the_receive_window_bounds_what_is_held() -> None:
    wire = Wire(receiver(rxw_sqns=8))
    wire.start()
    wire.drop = lambda p: isinstance(p, Data) and p.sqn == 3  # repairs too
    wire.send([[bytes([i]) * 1000] for i in range(30)])
    held = wire.receiver
    assert held.counters.lost >= 1
    assert all(len(peer.slots) + len(peer.missing) <= 8 for peer in held._peers.values())


def test_an_absurd_jump_costs_a_loss_not_memory() -> None:
    rcv = receiver(rxw_sqns=100)
    rcv.on_packet(parse(encode_spm(TSI, 5555, 0, 0, 0xFFFFFFFF, LOCAL)), "h", GROUP, 0.0)
    rcv.on_packet(parse(encode_data(TSI, 5555, 0, 0, b"\x00\x00\x02\x00a")), "h", GROUP, 0.0)
    rcv.on_packet(parse(encode_data(TSI, 5555, 0x7000_0000, 0, b"\x00\x00\x02\x00b")), "h", GROUP, 0.0)
    peer = rcv._peers[TSI]
    assert len(peer.slots) + len(peer.missing) <= 100
    assert rcv.counters.lost >= 0x7000_0000 - 100
    # Later data of the same session still flows.
    rcv.on_packet(parse(encode_data(TSI, 5555, 0x7000_0001, 0, b"\x00\x00\x02\x00c")), "h", GROUP, 0.0)
    assert rcv.messages[0] == [b"a"]


def test_sources_are_independent() -> None:
    rcv = receiver()
    one, two = Wire(rcv), Wire(rcv, tsi=Tsi(bytes(6), 77))
    one.start()
    two.start()
    two.drop = lambda p: isinstance(p, Data) and not p.repair and p.sqn == 0
    two.send([[b"two"]])
    one.send([[b"one"]])
    assert rcv.messages == [[b"one"]]
    two.run(0.2)
    assert rcv.messages == [[b"one"], [b"two"]]
    assert len(rcv.sources) == 2


def test_sources_are_bounded() -> None:
    rcv = receiver()
    for port in range(MAX_SOURCES + 10):
        rcv.on_packet(parse(encode_spm(Tsi(bytes(6), port + 1), 5555, 0, 0, 0xFFFFFFFF, LOCAL)), "h", GROUP, 0.0)
    assert len(rcv.sources) == MAX_SOURCES
    assert rcv.errors


def test_holding_stops_delivery_until_release() -> None:
    wire = Wire(receiver())
    wire.start()
    wire.receiver.holding = True
    wire.send(MESSAGES[:5])
    assert wire.receiver.messages == []
    wire.receiver.release()
    assert wire.receiver.messages == MESSAGES[:5]


def test_duplicates_are_dropped() -> None:
    rcv = receiver()
    packet = parse(encode_data(TSI, 5555, 0, 0, b"\x00\x00\x02\x00a"))
    for _ in range(3):
        rcv.on_packet(packet, "h", GROUP, 0.0)
    assert rcv.messages == [[b"a"]] and rcv.counters.duplicates == 2


def test_other_ports_and_upstream_packets_are_ignored() -> None:
    rcv = receiver()
    rcv.on_packet(parse(encode_data(TSI, 6666, 0, 0, b"\x00\x00\x02\x00a")), "h", GROUP, 0.0)
    assert rcv.sources == [] and rcv.messages == []
    assert isinstance(parse(encode_spm(TSI, 5555, 0, 0, 0, LOCAL)), Spm)


def test_random_packets_never_raise_past_the_codec() -> None:
    """Seeded fuzz: random packets with valid checksums either fail to parse
    (MalformedPacket) or are absorbed by the receiver; nothing else escapes,
    and the state stays bounded."""
    import random

    from aiomsg._pgm.packets import MalformedPacket, checksum

    rng = random.Random(9)
    rcv = Receiver(5555, rxw_sqns=500, rng=rng.random)
    for step in range(20_000):
        size = rng.choice([16, 20, 24, 26, 36, 40, 44, 60, 100])
        data = bytearray(rng.randbytes(size))
        data[2:4] = (5555).to_bytes(2, "big")
        data[4] = rng.choice([0, 1, 4, 5, 8, 10, 12])
        data[5] = rng.choice([0, 1, 3, 0x40])
        if size >= 24 and rng.random() < 0.5:
            data[14:16] = (size - 24).to_bytes(2, "big")
        data[6:8] = checksum(bytes(data)).to_bytes(2, "big")
        try:
            packet = parse(bytes(data))
        except MalformedPacket:
            continue
        rcv.on_packet(packet, "10.0.0.1", GROUP, step * 0.001)
        if step % 50 == 0:
            rcv.poll(step * 0.001)
    assert len(rcv.sources) <= MAX_SOURCES
    assert all(len(p.missing) + len(p.slots) <= 500 for p in rcv._peers.values())
