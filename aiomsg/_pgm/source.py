"""A PGM source's state machine: what a PUB or XPUB puts on the wire, sans-I/O.

It keeps the transmit window (the last ``txw_sqns`` TSDUs, for repairs), the
SPM schedule, a token bucket at ``rate`` and the repairs asked for. The
transport calls it with the current time and sends what it returns, every
packet multicast to the group (docs/wire/pgm.md#pgm-source):

- :meth:`Source.start` at bind/connect: three SPMs;
- :meth:`Source.send` for each TSDU (from :class:`~aiomsg._pgm.framing.Packer`)
  once :meth:`Source.ready_at` says the rate allows it: the ODATA;
- :meth:`Source.on_upstream` for each NAK or SPMR: NCFs and SPMs at once,
  repairs queued;
- :meth:`Source.poll` when :meth:`Source.deadline` comes: heartbeat and
  ambient SPMs, and the queued RDATA;
- :meth:`Source.finish` at close: three SPMs with OPT_FIN.
"""

from __future__ import annotations

from collections import deque

from aiomsg._pgm.packets import (
    Nak,
    Packet,
    Spmr,
    Tsi,
    encode_data,
    encode_nak,
    encode_spm,
)

__all__ = ["HEARTBEAT_INTERVALS", "Source", "SourceCounters", "TokenBucket", "window_sqns"]

#: Heartbeat SPM intervals after each ODATA, in seconds (libzmq's
#: ``PGM_HEARTBEAT_SPM``; docs/wire/pgm.md#spm-schedule); then ambient SPMs.
HEARTBEAT_INTERVALS = (0.1, 0.1, 0.1, 0.1, 1.3, 7.0, 16.0, 25.0, 30.0)
#: An SPM at least this often, with or without data (``PGM_AMBIENT_SPM``).
AMBIENT_INTERVAL = 30.0
#: The same sqn is not repaired again sooner than this: a flood of NAKs for
#: one packet costs one RDATA per interval. Shorter than a receiver's wait
#: for the repair after an NCF (200 ms, docs/wire/pgm.md#nak-state-machine),
#: so a receiver that lost the first repair still gets the next.
REPAIR_HOLDOFF = 0.05
#: IPv4 and UDP headers: counted against the rate, as the wire carries them.
_IP_UDP = 28
_EMPTY_LEAD = 0xFFFFFFFF
_MASK = 0xFFFFFFFF


def window_sqns(rate: int, recovery_ivl: int, maxtpdu: int) -> int:
    """Packets in a transmit or receive window: ``rate`` (kbit/s) for
    ``recovery_ivl`` (ms) in packets of ``maxtpdu`` bytes, at least 1
    (libzmq's ``compute_sqns``; docs/wire/pgm.md#pgm-zmq-options)."""
    return max(1, (rate // 8) * recovery_ivl // maxtpdu)


class TokenBucket:
    """ODATA pacing at *rate* bytes/s (docs/wire/pgm.md#pgm-zmq-options).

    The bucket holds 2 ms of rate (at least two packets): short bursts pass,
    but never the second-long burst OpenPGM allows at low rates, which
    overflows receivers' kernel buffers and costs repairs.
    """

    __slots__ = ("_capacity", "_level", "_rate", "_updated")

    def __init__(self, rate: float, packet: int, now: float) -> None:
        self._rate = rate
        self._capacity = max(rate * 0.002, 2.0 * packet)
        self._level = self._capacity
        self._updated = now

    def _fill(self, now: float) -> None:
        self._level = min(self._capacity, self._level + (now - self._updated) * self._rate)
        self._updated = now

    def ready_at(self, size: int, now: float) -> float:
        """When *size* bytes may go: *now* or later."""
        self._fill(now)
        missing = size - self._level
        return now if missing <= 0 else now + missing / self._rate

    def take(self, size: int, now: float) -> None:
        """Spend *size* bytes (the level may go below zero: the next waits longer)."""
        self._fill(now)
        self._level -= size


class SourceCounters:
    """What a source did, for tests, benchmarks and ``repr``."""

    __slots__ = ("naks", "ncfs", "odata", "rdata", "refused_naks", "spms")

    def __init__(self) -> None:
        self.odata = 0
        self.rdata = 0
        self.spms = 0
        self.naks = 0  # sqns asked for by valid NAKs
        self.ncfs = 0
        self.refused_naks = 0  # NAKs for another session, group or address


class Source:
    """One PGM session sending: a TSI, its window, its schedule.

    Args:
        tsi: our GSI and source port (random per session, docs/wire/pgm.md#pgm-tsi).
        data_port: the endpoint's port.
        nla: our interface address, 4 bytes, advertised in SPMs for NAKs.
        group: the group we send to, 4 bytes (NAKs must name it).
        txw_sqns: packets kept for repair (:func:`window_sqns`).
        rate: ODATA bytes per second.
        tpdu_overhead: bytes each packet adds on the wire beyond its PGM
            header (28 for UDP over IPv4, 20 for raw PGM).
    """

    def __init__(
        self,
        tsi: Tsi,
        data_port: int,
        nla: bytes,
        group: bytes,
        *,
        txw_sqns: int,
        rate: float,
        now: float,
        tpdu_overhead: int = _IP_UDP,
    ) -> None:
        self.tsi = tsi
        self.data_port = data_port
        self.nla = nla
        self.group = group
        self.counters = SourceCounters()
        self._txw_sqns = txw_sqns
        # The window: TSDUs from sqn `_trail` on, and when each was last repaired.
        self._window: deque[bytes] = deque()
        self._repaired: deque[float] = deque()
        self._trail = 0
        self._next_sqn = 0
        self._spm_sqn = 0
        self._overhead = tpdu_overhead
        self._bucket = TokenBucket(rate, 1500, now)
        self._repairs: dict[int, None] = {}  # sqns to repair, in order asked
        self._beat = 0  # index into HEARTBEAT_INTERVALS
        self._next_spm = now + AMBIENT_INTERVAL

    # -- the window ----------------------------------------------------------------

    @property
    def lead(self) -> int:
        """The last ODATA sqn sent; ``ffffffff`` before any (docs/wire/pgm.md#spm)."""
        return (self._next_sqn - 1) & _MASK

    @property
    def trail(self) -> int:
        """The oldest sqn still repairable; 0 for an empty window."""
        return self._trail

    def _in_window(self, sqn: int) -> bool:
        return 0 <= (sqn - self._trail) & _MASK < len(self._window)

    # -- packets out --------------------------------------------------------------

    def _spm(self, *, fin: bool = False) -> bytes:
        packet = encode_spm(
            self.tsi, self.data_port, self._spm_sqn, self._trail, self.lead, self.nla, fin=fin
        )
        self._spm_sqn = (self._spm_sqn + 1) & _MASK
        self.counters.spms += 1
        return packet

    def start(self, now: float) -> list[bytes]:
        """The three SPMs of a new session (docs/wire/pgm.md#spm-schedule)."""
        self._next_spm = now + AMBIENT_INTERVAL
        return [self._spm() for _ in range(3)]

    def finish(self) -> list[bytes]:
        """The three FIN SPMs sent at close; the session ends (no repairs after)."""
        packets = [self._spm(fin=True) for _ in range(3)]
        self._window.clear()
        self._repaired.clear()
        self._repairs.clear()
        return packets

    def ready_at(self, tsdu_size: int, now: float) -> float:
        """When an ODATA carrying *tsdu_size* bytes may go, by the rate."""
        return self._bucket.ready_at(tsdu_size + 24 + self._overhead, now)

    def send(self, tsdu: bytes, now: float) -> bytes:
        """The ODATA for *tsdu*, which joins the window. The caller waited
        for :meth:`ready_at`; the rate is charged here."""
        sqn = self._next_sqn
        # The trail written is the oldest sqn still held after this packet
        # joins: never one we can no longer repair (docs/wire/pgm.md#pgm-txw).
        if len(self._window) >= self._txw_sqns:
            self._window.popleft()
            self._repaired.popleft()
            self._trail = (self._trail + 1) & _MASK
        self._window.append(tsdu)
        self._repaired.append(-1.0)
        self._next_sqn = (sqn + 1) & _MASK
        packet = encode_data(self.tsi, self.data_port, sqn, self._trail, tsdu)
        self._bucket.take(len(packet) + self._overhead, now)
        self.counters.odata += 1
        # Heartbeats restart after each ODATA: they reveal tail loss.
        self._beat = 0
        self._next_spm = now + HEARTBEAT_INTERVALS[0]
        return packet

    # -- packets in ---------------------------------------------------------------

    def on_upstream(self, packet: Packet, now: float) -> list[bytes]:
        """Answer a NAK (an NCF at once, RDATA queued for :meth:`poll`) or an
        SPMR (an SPM at once). Other packets, and those addressed to another
        session, get nothing."""
        if packet.tsi != self.tsi or packet.data_port != self.data_port:
            return []
        if isinstance(packet, Spmr):
            return [self._spm()]
        if not isinstance(packet, Nak) or packet.confirm:
            return []
        # A NAK naming another address or group is ignored, as OpenPGM does
        # (docs/wire/pgm.md#nak-handling).
        if packet.source_nla != self.nla or packet.group_nla != self.group:
            self.counters.refused_naks += 1
            return []
        self.counters.naks += len(packet.sqns)
        self.counters.ncfs += 1
        for sqn in packet.sqns:
            if self._in_window(sqn):
                self._repairs[sqn] = None
        # Even for sqns that left the window, as libzmq does: the receivers'
        # retries then end when our trail passes them.
        ncf = encode_nak(self.tsi, self.data_port, packet.sqns, self.nla, self.group, confirm=True)
        return [ncf]

    # -- time ---------------------------------------------------------------------

    def deadline(self) -> float:
        """When :meth:`poll` has work: now if repairs wait, else the next SPM."""
        return float("-inf") if self._repairs else self._next_spm

    def poll(self, now: float) -> list[bytes]:
        """The RDATA asked for, then an SPM if one is due."""
        packets: list[bytes] = []
        if self._repairs:
            repairs, self._repairs = self._repairs, {}
            for sqn in repairs:
                if not self._in_window(sqn):
                    continue
                index = (sqn - self._trail) & _MASK
                if now - self._repaired[index] < REPAIR_HOLDOFF:
                    continue
                self._repaired[index] = now
                # RDATA is the stored TSDU with the current trail
                # (docs/wire/pgm.md#odata); not paced, as in libzmq.
                packets.append(
                    encode_data(
                        self.tsi, self.data_port, sqn, self._trail, self._window[index], repair=True
                    )
                )
                self.counters.rdata += 1
        if now >= self._next_spm:
            packets.append(self._spm())
            if self._beat < len(HEARTBEAT_INTERVALS):
                self._next_spm = now + HEARTBEAT_INTERVALS[self._beat]
                self._beat += 1
            else:
                self._next_spm = now + AMBIENT_INTERVAL
        return packets
