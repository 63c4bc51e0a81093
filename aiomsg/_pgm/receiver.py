"""A PGM receiver's state machine: what a SUB or XSUB does with what it hears, sans-I/O.

One :class:`Receiver` serves one endpoint and any number of sources, each
known by its TSI (docs/wire/pgm.md#pgm-receiver). For each source it keeps a
receive window (data not yet delivered, and the sqns missing), runs the NAK
state machine of RFC 3208 with OpenPGM's timings
(docs/wire/pgm.md#nak-state-machine), and decodes the stream in sqn order
(docs/wire/pgm.md#pgm-delivery).

The transport calls :meth:`Receiver.on_packet` for each packet and
:meth:`Receiver.poll` when :meth:`Receiver.deadline` comes, then takes the
results from three queues: :attr:`~Receiver.messages` to deliver,
:attr:`~Receiver.outgoing` to send (NAKs unicast to the source, SPMRs
multicast and unicast), and :attr:`~Receiver.losses` to report.
"""

from __future__ import annotations

import enum
import heapq
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from aiomsg._pgm.framing import StreamDecoder
from aiomsg._pgm.packets import MAX_NAK_SQNS, Data, Nak, Packet, Spm, Tsi, encode_nak, encode_spmr

__all__ = ["Loss", "Receiver", "ReceiverCounters"]

# OpenPGM's receiver timings as libzmq sets them (docs/wire/pgm.md#pgm-zmq-options).
NAK_BO_IVL = 0.050
NAK_RPT_IVL = 0.200
NAK_RDATA_IVL = 0.200
NAK_DATA_RETRIES = 50
NAK_NCF_RETRIES = 50
SPMR_EXPIRY = 0.025
PEER_EXPIRY = 300.0
#: Sources tracked at once: a flood of forged TSIs cannot grow memory for ever.
MAX_SOURCES = 256
#: Missing packets one jump of the sequence may open for repair: 5.8 MB at
#: the default maxtpdu, a 50 ms outage at 1 Gbit/s. A larger gap (a forged or
#: absurd sqn) is given up beyond this at once: otherwise one packet could
#: make us track and NAK a whole window, 833 333 sqns at 1 Gbit/s, and send
#: NAKs by the thousand to an address of the sender's choosing.
MAX_GAP = 4096
#: Sqns one source may be NAKed for in one pass of the timers (16 NAK
#: packets); the rest wait one more back-off. Bounds the NAKs a burst of loss
#: (or a forger) can make us send.
MAX_NAKS_PER_PASS = 16 * MAX_NAK_SQNS
#: The timer heap's marks for the peer timers (sqns are 0 and up).
_SPMR_TIMER = -1
_EXPIRY_TIMER = -2

_MASK = 0xFFFFFFFF
_HALF = 0x80000000
#: Where a packet goes: None for the group (multicast), or an IPv4 address.
Destination = str | None


def _after(a: int, b: int) -> int:
    """How far sqn *a* is after *b*, in serial arithmetic (RFC 1982): negative if before."""
    distance = (a - b) & _MASK
    return distance - (1 << 32) if distance >= _HALF else distance


class _State(enum.Enum):
    BACK_OFF = "back-off"
    WAIT_NCF = "wait-ncf"
    WAIT_DATA = "wait-data"


@dataclass(slots=True)
class _Missing:
    """A sqn not received yet: where it is in the NAK state machine."""

    state: _State
    expires: float
    ncf_retries: int = 0
    data_retries: int = 0


@dataclass(frozen=True, slots=True)
class Loss:
    """Data a source sent that will never be delivered.

    *packets* sqns were given up; the message they belonged to (and any
    partial message) is dropped, and the stream resumes at the next message
    boundary (docs/wire/pgm.md#pgm-delivery).
    """

    tsi: Tsi
    packets: int
    reason: str


_LOST = None  # a slot given up


@dataclass(slots=True)
class _Peer:
    """One source, as this receiver knows it."""

    tsi: Tsi
    group: bytes
    address: str  # the IP source of its packets: where a unicast SPMR goes
    decoder: StreamDecoder
    last_heard: float
    next_sqn: int = 0  # the next sqn to deliver
    lead: int = 0  # the highest sqn known to exist
    nla: bytes | None = None  # from its SPM: where NAKs go
    spm_sqn: int = -1
    slots: dict[int, bytes | None] = field(default_factory=dict)  # received or lost (None)
    missing: dict[int, _Missing] = field(default_factory=dict)
    spmr_at: float | None = None  # when to ask for an SPM, if none came


class ReceiverCounters:
    """What a receiver saw, for tests, benchmarks and ``repr``."""

    __slots__ = ("delivered", "duplicates", "lost", "naks", "ncfs", "repaired", "spmrs")

    def __init__(self) -> None:
        self.delivered = 0  # messages
        self.repaired = 0  # missing packets filled by RDATA
        self.lost = 0  # packets given up
        self.duplicates = 0
        self.naks = 0  # NAK packets sent
        self.ncfs = 0  # NCFs heard
        self.spmrs = 0


class Receiver:
    """Every source heard on one endpoint.

    Args:
        data_port: the endpoint's port (packets for other ports are ignored).
        rxw_sqns: packets one source may have outstanding (received but not
            delivered, or missing) before the oldest is given up: the
            receive window, from *our* rate and recovery interval, as libzmq
            sizes it (docs/wire/pgm.md#pgm-zmq-options).
        maxmsgsize: largest frame accepted (-1: no limit).
        rng: where the NAK back-off delays come from (seed it in tests).
    """

    def __init__(
        self,
        data_port: int,
        *,
        rxw_sqns: int,
        maxmsgsize: int = -1,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.data_port = data_port
        self.rxw_sqns = rxw_sqns
        self._maxmsgsize = maxmsgsize
        self._rng = rng
        self._peers: dict[Tsi, _Peer] = {}
        #: Decoded messages, in order per source, for the socket.
        self.messages: list[list[bytes]] = []
        #: Packets to send: ``(bytes, destination)``, None meaning the group.
        self.outgoing: list[tuple[bytes, Destination]] = []
        #: Data given up, to report.
        self.losses: list[Loss] = []
        #: Why packets were dropped as malformed, to report.
        self.errors: list[tuple[str, str]] = []
        self.counters = ReceiverCounters()
        # Every deadline, in a heap: (when, tie-breaker, TSI, sqn or a peer
        # timer mark). Entries are checked against the state when they come
        # due, so a changed or settled one is simply skipped: poll() touches
        # only what expired, however many sqns are missing.
        self._timers: list[tuple[float, int, Tsi, int]] = []
        self._tie = itertools.count()
        #: While True (the socket's queue is full) nothing is delivered: the
        #: window fills, as a kernel buffer would (docs/wire/pgm.md#pgm-delivery).
        self.holding = False

    @property
    def sources(self) -> list[Tsi]:
        """The TSIs of the sources known now."""
        return list(self._peers)

    # -- packets in ---------------------------------------------------------------

    def on_packet(self, packet: Packet, address: str, group: bytes, now: float) -> None:
        """Take one packet heard from *address* on *group* (4 bytes)."""
        if isinstance(packet, Nak):
            if packet.confirm and packet.data_port == self.data_port:
                peer = self._peers.get(packet.tsi)
                if peer is not None:
                    self._on_ncf(peer, packet, now)
            return  # NAKs from other receivers: nothing for us
        if not isinstance(packet, (Spm, Data)) or packet.data_port != self.data_port:
            return
        peer = self._peers.get(packet.tsi)
        if peer is None:
            if len(self._peers) >= MAX_SOURCES:
                self.errors.append((str(packet.tsi), f"more than {MAX_SOURCES} sources"))
                return
            peer = self._new_peer(packet, address, group, now)
        peer.last_heard = now
        if isinstance(packet, Spm):
            self._on_spm(peer, packet, now)
        else:
            self._on_data(peer, packet, now)
        self._deliver(peer)

    def _at(self, when: float, tsi: Tsi, what: int) -> None:
        heapq.heappush(self._timers, (when, next(self._tie), tsi, what))

    def _expire_at(self, peer: _Peer, missing: _Missing, when: float, sqn: int) -> None:
        missing.expires = when
        self._at(when, peer.tsi, sqn)

    def _new_peer(self, packet: Spm | Data, address: str, group: bytes, now: float) -> _Peer:
        # The first packet defines the window: a late joiner never asks for
        # what came before it (docs/wire/pgm.md#pgm-window-start).
        peer = _Peer(packet.tsi, group, address, StreamDecoder(self._maxmsgsize), now)
        if isinstance(packet, Spm):
            peer.next_sqn = (packet.lead + 1) & _MASK
            peer.lead = packet.lead
        else:
            peer.next_sqn = packet.sqn
            peer.lead = (packet.sqn - 1) & _MASK
            peer.spmr_at = now + SPMR_EXPIRY
            self._at(peer.spmr_at, peer.tsi, _SPMR_TIMER)
        self._at(now + PEER_EXPIRY, peer.tsi, _EXPIRY_TIMER)
        self._peers[packet.tsi] = peer
        return peer

    def _on_spm(self, peer: _Peer, spm: Spm, now: float) -> None:
        if peer.spm_sqn >= 0 and _after(spm.spm_sqn, peer.spm_sqn) < 0:
            return  # an old SPM, overtaken
        peer.spm_sqn = spm.spm_sqn
        peer.nla = spm.nla
        peer.spmr_at = None
        self._advance_trail(peer, spm.trail)
        if _after(spm.lead, peer.lead) > 0:
            # Tail loss: the source sent more than we heard.
            self._extend(peer, spm.lead, now)

    def _on_data(self, peer: _Peer, data: Data, now: float) -> None:
        self._advance_trail(peer, data.trail)
        sqn = data.sqn
        if _after(sqn, peer.next_sqn) < 0:
            self.counters.duplicates += 1
            return
        if _after(sqn, peer.lead) > 0:
            self._extend(peer, (sqn - 1) & _MASK, now)
            peer.lead = sqn
            self._trim(peer)
            if _after(sqn, peer.next_sqn) < 0:  # the window could not hold it
                return
        if sqn in peer.slots:
            self.counters.duplicates += 1
            return
        if peer.missing.pop(sqn, None) is not None and data.repair:
            self.counters.repaired += 1
        peer.slots[sqn] = data.tsdu

    def _on_ncf(self, peer: _Peer, ncf: Nak, now: float) -> None:
        """An NCF, ours or another receiver's: stop NAKing, wait for the repair
        (NAK suppression, docs/wire/pgm.md#nak-state-machine)."""
        self.counters.ncfs += 1
        for sqn in ncf.sqns:
            missing = peer.missing.get(sqn)
            if missing is not None:
                missing.state = _State.WAIT_DATA
                self._expire_at(peer, missing, now + NAK_RDATA_IVL, sqn)

    # -- the window ---------------------------------------------------------------

    def _extend(self, peer: _Peer, lead: int, now: float) -> None:
        """Sqns up to *lead* exist: each one not heard waits in BACK_OFF. Only
        the last ``min(rxw_sqns, MAX_GAP)`` get a place; older ones are given
        up at once, so an absurd jump costs a loss, not memory or NAKs."""
        gap = _after(lead, peer.lead)
        first = (peer.lead + 1) & _MASK
        room = min(self.rxw_sqns, MAX_GAP)
        if gap > room:
            first = (first + gap - room) & _MASK
        for offset in range(min(gap, room)):
            sqn = (first + offset) & _MASK
            missing = _Missing(_State.BACK_OFF, 0.0)
            peer.missing[sqn] = missing
            self._expire_at(peer, missing, now + self._backoff(), sqn)
        peer.lead = lead
        if gap > room:
            self._drop_below(peer, first, "a sequence jump beyond what can be repaired")
        self._trim(peer)

    def _trim(self, peer: _Peer) -> None:
        """Give up the oldest sqns while more than ``rxw_sqns`` are outstanding,
        received ones included: the window is full (docs/wire/pgm.md#pgm-delivery)."""
        excess = _after(peer.lead, peer.next_sqn) + 1 - self.rxw_sqns
        if excess > 0:
            self._drop_below(peer, (peer.next_sqn + excess) & _MASK, "receive window full")

    def _advance_trail(self, peer: _Peer, trail: int) -> None:
        """The source can no longer repair sqns before *trail*: those missing are lost."""
        span = _after(trail, peer.next_sqn)
        if span <= 0:
            return
        if _after(trail, (peer.lead + 1) & _MASK) > 0:
            peer.lead = (trail - 1) & _MASK
        if span > self.rxw_sqns + 1:
            self._drop_below(peer, trail, "the source's window moved past it")
            return
        # Within the window: the missing ones are lost, what arrived stays.
        lost = 0
        sqn = peer.next_sqn
        while sqn != trail:
            if sqn not in peer.slots:
                peer.missing.pop(sqn, None)
                peer.slots[sqn] = _LOST
                lost += 1
            sqn = (sqn + 1) & _MASK
        if lost:
            self._note_loss(peer, lost, "the source's window moved past it")

    def _drop_below(self, peer: _Peer, end: int, reason: str) -> None:
        """Skip to *end*: everything before it not delivered yet is lost. Walks
        only what is held, so an absurd jump costs no more than a small one."""
        span = _after(end, peer.next_sqn)
        counted = 0  # already reported
        for sqn in [s for s in peer.slots if _after(s, end) < 0]:
            counted += peer.slots.pop(sqn) is _LOST
        for sqn in [s for s in peer.missing if _after(s, end) < 0]:
            del peer.missing[sqn]
        peer.decoder.reset()
        peer.next_sqn = end
        self._note_loss(peer, span - counted, reason)

    def _note_loss(self, peer: _Peer, packets: int, reason: str) -> None:
        self.counters.lost += packets
        self.losses.append(Loss(peer.tsi, packets, reason))

    def _deliver(self, peer: _Peer) -> None:
        """Decode what is contiguous from the next sqn on."""
        if self.holding:
            return
        slots, decoder = peer.slots, peer.decoder
        sqn = peer.next_sqn
        while sqn in slots:
            tsdu = slots.pop(sqn)
            sqn = (sqn + 1) & _MASK
            if tsdu is None:
                # The message in progress can never complete: drop it and
                # join again at the next boundary (libzmq's
                # PGM_IO_STATUS_RESET, docs/wire/pgm.md#pgm-delivery).
                decoder.reset()
                continue
            messages, error = decoder.feed(tsdu)
            if messages:
                self.messages += messages
                self.counters.delivered += len(messages)
            if error is not None:
                self.errors.append((str(peer.tsi), error))
        peer.next_sqn = sqn

    def release(self) -> None:
        """Deliver again after :attr:`holding` (the socket's queue has room)."""
        self.holding = False
        for peer in list(self._peers.values()):
            self._deliver(peer)

    # -- time ---------------------------------------------------------------------

    def _backoff(self) -> float:
        # uniform(1 µs, NAK_BO_IVL), as OpenPGM draws it.
        return 1e-6 + self._rng() * (NAK_BO_IVL - 1e-6)

    def deadline(self) -> float | None:
        """When :meth:`poll` has work next (perhaps nothing, if what was due
        has been settled since); None when nothing waits."""
        return self._timers[0][0] if self._timers else None

    def poll(self, now: float) -> None:
        """Run the timers due by *now*: NAKs, retries, SPMRs, expiry."""
        timers = self._timers
        expired: dict[Tsi, list[int]] = {}
        while timers and timers[0][0] <= now:
            when, _, tsi, what = heapq.heappop(timers)
            peer = self._peers.get(tsi)
            if peer is None:
                continue
            if what == _EXPIRY_TIMER:
                if now - peer.last_heard >= PEER_EXPIRY:
                    del self._peers[tsi]
                else:
                    self._at(peer.last_heard + PEER_EXPIRY, tsi, _EXPIRY_TIMER)
            elif what == _SPMR_TIMER:
                if peer.spmr_at == when:
                    peer.spmr_at = None
                    spmr = encode_spmr(tsi, self.data_port)
                    # Multicast, so other receivers hold theirs back, and
                    # unicast to where the data came from (docs/wire/pgm.md#spmr).
                    self.outgoing += [(spmr, None), (spmr, peer.address)]
                    self.counters.spmrs += 1
            else:
                missing = peer.missing.get(what)
                if missing is not None and missing.expires == when:
                    expired.setdefault(tsi, []).append(what)
        for tsi, sqns in expired.items():
            peer = self._peers[tsi]
            self._run_naks(peer, sqns, now)
            self._deliver(peer)

    def _run_naks(self, peer: _Peer, expired: list[int], now: float) -> None:
        to_nak: list[int] = []
        given_up: list[int] = []
        for sqn in expired:
            missing = peer.missing[sqn]
            if missing.state is _State.BACK_OFF:
                if peer.nla is None:
                    given_up.append(sqn)  # no SPM yet: nowhere to send a NAK
                elif len(to_nak) >= MAX_NAKS_PER_PASS:
                    self._expire_at(peer, missing, now + NAK_BO_IVL, sqn)
                else:
                    to_nak.append(sqn)
                    missing.state = _State.WAIT_NCF
                    self._expire_at(peer, missing, now + NAK_RPT_IVL, sqn)
                continue
            if missing.state is _State.WAIT_NCF:
                missing.ncf_retries += 1
                out_of_retries = missing.ncf_retries >= NAK_NCF_RETRIES
            else:
                missing.data_retries += 1
                out_of_retries = missing.data_retries >= NAK_DATA_RETRIES
            if out_of_retries:
                given_up.append(sqn)
            else:
                missing.state = _State.BACK_OFF
                self._expire_at(peer, missing, now + self._backoff(), sqn)
        for sqn in given_up:
            del peer.missing[sqn]
            peer.slots[sqn] = _LOST
        if given_up:
            reason = "no SPM to send NAKs to" if peer.nla is None else "repair retries ran out"
            self._note_loss(peer, len(given_up), reason)
        if to_nak and peer.nla is not None:
            to_nak.sort(key=lambda sqn: _after(sqn, peer.next_sqn))
            for start in range(0, len(to_nak), MAX_NAK_SQNS):
                chunk = to_nak[start : start + MAX_NAK_SQNS]
                nak = encode_nak(peer.tsi, self.data_port, chunk, peer.nla, peer.group)
                self.outgoing.append((nak, _address(peer.nla)))
                self.counters.naks += 1


def _address(nla: bytes) -> str:
    return ".".join(str(byte) for byte in nla)
