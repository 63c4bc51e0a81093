"""epgm:// and pgm:// : reliable multicast (PGM, RFC 3208) for PUB/XPUB and SUB/XSUB.

A PUB or XPUB is a PGM *source*: it packs messages into ODATA in libzmq's
framing, paces them at ``rate``, keeps a window of them for ``recovery_ivl``
and repairs what receivers NAK. A SUB or XSUB is a PGM *receiver*: it keeps
a window per source, NAKs what is missing and delivers whole messages in
order; what cannot be repaired is dropped at a message boundary and
reported as ``DATA_LOST``. Filtering is local: nothing goes upstream but
NAKs and SPMRs (docs/wire/pgm.md#pgm-subscriptions).

The protocol lives in :mod:`aiomsg._pgm` (sans-I/O); this module owns the
sockets and the clock. ``epgm://`` carries PGM in UDP datagrams through
asyncio datagram transports; ``pgm://`` uses raw IP (protocol 113) sockets,
which asyncio's datagram transports refuse, read through the loop's
``add_reader`` instead. Either way there are no threads.

Endpoints are ``[interface;]receive-groups[;send-group]:port`` as libzmq
parses them (docs/wire/pgm.md#pgm-endpoints), but stricter: the port must be
1 to 65535 with nothing after it, every group must be IPv4 multicast, and an
interface name is looked up on this host only, never through DNS. ``bind``
and ``connect`` do the same thing, one PGM session each, as in libzmq.

Socket layout (docs/wire/pgm.md#pgm-socket-layout): a source receives NAKs
on (interface address, port) and sends from the same socket; a receiver
binds one socket to (group, port) per receive group, with ``SO_REUSEADDR``
and ``SO_REUSEPORT`` so that libzmq peers on the same host share the port,
and sends NAKs and SPMRs from a second socket on the interface.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ipaddress
import os
import random
import socket as _socket
import struct
from collections.abc import Callable
from dataclasses import dataclass

try:
    import fcntl  # the interface-address ioctl: Unix only
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

from aiomsg._pgm.framing import Packer
from aiomsg._pgm.packets import NAK, SPMR, MalformedPacket, Tsi, parse
from aiomsg._pgm.receiver import Receiver
from aiomsg._pgm.source import Source, window_sqns
from aiomsg.constants import Errno, SocketType
from aiomsg.errors import AddressInUse, EndpointError, InvalidOption, NotSupported
from aiomsg.transports.interface import (
    ALL_GROUPS,
    Binding,
    Connector,
    Endpoint,
    Engine,
    Event,
    Message,
    PipeEnd,
    Transport,
)

__all__ = ["DEFAULT_GROUP", "PgmAddress", "PgmTransport", "parse_pgm_address"]

#: The group of an endpoint that names none (OpenPGM's default).
DEFAULT_GROUP = "239.192.0.1"
#: IP protocol number of PGM.
IPPROTO_PGM = 113
#: libzmq's PGM sockets mark their packets DSCP EF (docs/wire/pgm.md#pgm-ports).
_TOS = 0xB8
#: IPv4 header, and UDP header: counted in ``multicast_maxtpdu``.
_IP_HEADER = 20
_UDP_HEADER = 8
#: What OpenPGM keeps below the TPDU for its own headers and fragment
#: option: libzmq's APDU is MAXTPDU - IP - UDP - 44 (docs/wire/pgm.md#pgm-zmq-options).
_PGM_RESERVE = 44
#: Stream bytes a source holds beyond the packet being filled before the
#: socket's queue (and its high-water mark) takes over.
_SOURCE_BUFFER = 64 * 1024
_SIOCGIFADDR = 0x8915
_DOWNSTREAM = frozenset({0x00, 0x04, 0x05, 0x0A})  # SPM, ODATA, RDATA, NCF
_UPSTREAM = frozenset({NAK, SPMR})


@dataclass(frozen=True, slots=True)
class PgmAddress:
    """A parsed pgm or epgm endpoint, before the interface is looked up.

    ``interface`` is an IPv4 address, an interface name, or None for the
    interface the kernel routes the send group through.
    """

    interface: str | None
    receive_groups: tuple[str, ...]
    send_group: str
    port: int


def _multicast_group(text: str, endpoint: str) -> str:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise EndpointError(endpoint, f"{text!r} is not a multicast group address") from None
    if address.version == 6:
        raise NotSupported(f"{endpoint!r}: IPv6 multicast over PGM is not implemented")
    if not address.is_multicast:
        raise EndpointError(endpoint, f"{text} is not a multicast group (224.0.0.0/4)")
    return text


def parse_pgm_address(endpoint: Endpoint) -> PgmAddress:
    """Parse ``[interface;]groups[;send-group]:port`` (the part after ``epgm://``).

    One part before the port is a group if it is a multicast address and an
    interface otherwise (then the group is :data:`DEFAULT_GROUP`), as with
    libzmq. Several receive groups are separated by commas; the first is
    also the send group unless a third part names one.

    Raises:
        EndpointError: no port, a port outside 1..65535 or with anything
            after it, an empty or non-multicast group, an empty interface
            with a ``;``, or more than three parts.
        NotSupported: an IPv6 group.
    """
    text = endpoint.text
    network, separator, port_text = endpoint.address.rpartition(":")
    if not separator or not network:
        raise EndpointError(text, "expected [interface;]group:port")
    if not port_text.isdigit() or not 0 < int(port_text) <= 0xFFFF:
        raise EndpointError(text, f"invalid port {port_text!r}: 1 to 65535, and nothing after it")
    port = int(port_text)
    parts = network.split(";")
    if len(parts) > 3:
        raise EndpointError(text, "at most interface;receive-groups;send-group")
    interface: str | None
    if len(parts) == 1:
        try:
            is_group = ipaddress.ip_address(parts[0]).is_multicast
        except ValueError:
            is_group = False
        interface, groups_text = (None, parts[0]) if is_group else (parts[0], DEFAULT_GROUP)
    else:
        interface, groups_text = parts[0] or None, parts[1]
    receive = tuple(_multicast_group(group, text) for group in groups_text.split(","))
    send = _multicast_group(parts[2], text) if len(parts) == 3 else receive[0]
    if interface is not None and (not interface or interface.isspace()):
        raise EndpointError(text, "empty interface")
    return PgmAddress(interface, receive, send, port)


def _interface_address(interface: str | None, send_group: str, port: int, text: str) -> str:
    """The IPv4 address of *interface* on this host, without DNS.

    Raises:
        EndpointError: not an address of this host, no such interface, an
            interface with no IPv4 address, or (None) no route for the group.
    """
    if interface is None:
        # The address the kernel would send to the group from: a route
        # lookup, no packet leaves.
        with _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM) as probe:
            try:
                probe.connect((send_group, port))
            except OSError as error:
                raise EndpointError(
                    text, f"no route for {send_group}: name an interface ({error.strerror})"
                ) from None
            address: str = probe.getsockname()[0]
            return address
    try:
        ipaddress.IPv4Address(interface)
    except ValueError:
        pass
    else:
        with _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM) as probe:
            try:
                probe.bind((interface, 0))
            except OSError:
                raise EndpointError(text, f"{interface} is not an address of this host") from None
        return interface
    if "/" in interface or ":" in interface:
        raise EndpointError(text, f"{interface!r} is not an IPv4 address or an interface name")
    try:
        _socket.if_nametoindex(interface)
    except OSError:
        raise EndpointError(
            text, f"no interface named {interface!r} (names are looked up locally, not in DNS)"
        ) from None
    if fcntl is None:  # pragma: no cover - Windows
        raise EndpointError(text, "name the interface by its IPv4 address on this system")
    request = struct.pack("256s", interface.encode()[:15])
    with _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM) as probe:
        try:
            answer = fcntl.ioctl(probe.fileno(), _SIOCGIFADDR, request)
        except OSError:
            raise EndpointError(text, f"interface {interface!r} has no IPv4 address") from None
    return _socket.inet_ntoa(answer[20:24])


# -- the sockets ---------------------------------------------------------------------

#: Called with (PGM bytes, IP source, IP destination or None when unknown).
Receive = Callable[[bytes, str, str | None], None]


class _UdpChannel(asyncio.DatagramProtocol):
    """One UDP socket of a session, through an asyncio datagram transport."""

    def __init__(self, receive: Receive | None, destination: str | None) -> None:
        self._receive = receive
        self._destination = destination  # the group a receive socket is bound to
        self._transport: asyncio.DatagramTransport | None = None
        self._port = 0

    @classmethod
    async def open(
        cls, sock: _socket.socket, port: int, receive: Receive | None, destination: str | None
    ) -> _UdpChannel:
        channel = cls(receive, destination)
        channel._port = port
        await asyncio.get_running_loop().create_datagram_endpoint(lambda: channel, sock=sock)
        return channel

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        if self._receive is not None:
            self._receive(data, str(addr[0]), self._destination)

    def error_received(self, exc: Exception) -> None:
        """Nothing to do: an ICMP error for a NAK or SPMR loses that one packet,
        and PGM's retries cover it."""

    def send(self, packet: bytes, host: str) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.sendto(packet, (host, self._port))

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


class _RawChannel:
    """A raw PGM socket (IP protocol 113), read with the loop's ``add_reader``.

    It sees every PGM packet on the host, the IPv4 header first
    (docs/wire/pgm.md#pgm-raw); the receive callback filters.
    """

    def __init__(self, sock: _socket.socket, receive: Receive | None) -> None:
        self._sock = sock
        self._receive = receive
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(sock.fileno(), self._readable)

    def _readable(self) -> None:
        for _ in range(64):  # a bounded batch, then let the loop breathe
            try:
                data = self._sock.recv(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            if len(data) < _IP_HEADER or data[0] >> 4 != 4:
                continue
            header = (data[0] & 0x0F) * 4
            total = min(len(data), int.from_bytes(data[2:4], "big"))
            if self._receive is not None and header <= total:
                source = _socket.inet_ntoa(data[12:16])
                destination = _socket.inet_ntoa(data[16:20])
                self._receive(data[header:total], source, destination)

    def send(self, packet: bytes, host: str) -> None:
        with contextlib.suppress(OSError):  # a full buffer loses the packet; PGM repairs it
            self._sock.sendto(packet, (host, 0))

    def close(self) -> None:
        if self._sock.fileno() >= 0:
            self._loop.remove_reader(self._sock.fileno())
            self._sock.close()


_Channel = _UdpChannel | _RawChannel


def _new_socket(raw: bool, text: str) -> _socket.socket:
    """A non-blocking UDP socket, or a raw PGM one.

    Raises:
        EndpointError: raw sockets need privilege (``CAP_NET_RAW``), and the
            process has none.
    """
    if not raw:
        sock = _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM)
    else:
        try:
            sock = _socket.socket(_socket.AF_INET, _socket.SOCK_RAW, IPPROTO_PGM)
        except PermissionError:
            # libzmq accepts the endpoint and then aborts the process
            # (docs/wire/pgm.md#pgm-raw); say so here instead.
            raise EndpointError(
                text,
                "pgm:// needs raw-socket privilege (CAP_NET_RAW, e.g. root); "
                "epgm:// carries the same protocol over UDP without it",
                errno=errno.EPERM,
            ) from None
    sock.setblocking(False)
    return sock


def _sending(sock: _socket.socket, engine: Engine, interface: str) -> None:
    """Multicast from *interface* with the socket's hops, loop and send buffer."""
    sock.setsockopt(
        _socket.IPPROTO_IP, _socket.IP_MULTICAST_IF, _socket.inet_aton(interface)
    )
    sock.setsockopt(_socket.IPPROTO_IP, _socket.IP_MULTICAST_TTL, engine.multicast_hops)
    sock.setsockopt(_socket.IPPROTO_IP, _socket.IP_MULTICAST_LOOP, int(engine.multicast_loop))
    sock.setsockopt(_socket.IPPROTO_IP, _socket.IP_TOS, _TOS)
    if engine.sndbuf >= 0:
        sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_SNDBUF, engine.sndbuf)


def _join(sock: _socket.socket, groups: tuple[str, ...], interface: str) -> None:
    for group in groups:
        request = _socket.inet_aton(group) + _socket.inet_aton(interface)
        sock.setsockopt(_socket.IPPROTO_IP, _socket.IP_ADD_MEMBERSHIP, request)


def _shared(sock: _socket.socket) -> None:
    # Both, so the port is shared with our own sockets (SO_REUSEADDR) and
    # with libzmq's, which set only SO_REUSEPORT (docs/wire/pgm.md#pgm-socket-layout).
    sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_REUSEADDR, 1)
    sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_REUSEPORT, 1)


def _bind(sock: _socket.socket, address: tuple[str, int], text: str) -> None:
    try:
        sock.bind(address)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise AddressInUse(text) from error
        raise EndpointError(text, f"cannot bind {address}: {error.strerror or error}") from error


# -- sessions ------------------------------------------------------------------------


class _Session:
    """What a source and a receiver share: the link half of the interface, the
    timer, and reporting. A subclass is the :class:`~aiomsg.transports.Link`
    of its pipe."""

    def __init__(self, engine: Engine, endpoint: str, group: str) -> None:
        self._engine = engine
        self.endpoint = endpoint
        self.group = group
        self.pipe: PipeEnd | None = None
        self._loop = asyncio.get_running_loop()
        self._timer: asyncio.Handle | None = None
        self._timer_at = 0.0
        self._channels: list[_Channel] = []
        self.closed = False

    def _arm(self, when: float | None) -> None:
        """Wake :meth:`_tick` at *when* (or sooner, if already due sooner)."""
        if when is None or self.closed:
            return
        if self._timer is not None:
            if self._timer_at <= when:
                return
            self._timer.cancel()
        # The deadline is kept here: uvloop hands back a plain Handle, with
        # no when(), for a time already past.
        self._timer_at = when
        self._timer = self._loop.call_at(when, self._tick)

    def _tick(self) -> None:
        self._timer = None
        if not self.closed:
            self._on_time(self._loop.time())

    def _on_time(self, now: float) -> None:
        raise NotImplementedError

    def _malformed(self, reason: str, peer: str) -> None:
        # Dropped and counted (protocol_errors); the session keeps serving.
        self._engine.emit(Event.PROTOCOL_ERROR, self.endpoint, peer, reason)

    # -- Link ---------------------------------------------------------------------

    def send_subscription(self, topic: bytes, subscribe: bool) -> None:
        """Nothing goes upstream: receivers filter (docs/wire/pgm.md#pgm-subscriptions)."""

    def pause_reading(self) -> None:
        """Nothing to pause by default (a source reads only NAKs)."""

    def resume_reading(self) -> None:
        pass

    def abort(self, reason: str) -> None:
        self.close(reason)

    def close(self, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        if self._timer is not None:
            self._timer.cancel()
        for channel in self._channels:
            channel.close()


class SourceSession(_Session):
    """A PUB or XPUB's PGM session: the link that carries its messages to the group."""

    def __init__(
        self, engine: Engine, endpoint: str, group: str, interface: str, port: int, raw: bool
    ) -> None:
        super().__init__(engine, endpoint, group)
        overhead = _IP_HEADER + (0 if raw else _UDP_HEADER)
        maxtpdu = engine.multicast_maxtpdu
        self._apdu = maxtpdu - overhead - _PGM_RESERVE
        tsi = Tsi(os.urandom(6), _tsi_port(port))
        self.source = Source(
            tsi,
            port,
            _socket.inet_aton(interface),
            _socket.inet_aton(group),
            txw_sqns=window_sqns(engine.rate, engine.recovery_ivl, maxtpdu),
            rate=engine.rate * 1000 / 8,
            now=self._loop.time(),
            tpdu_overhead=overhead,
        )
        self._packer = Packer(self._apdu)
        self._interface = interface
        self._pumping = False
        self._pump_at: float | None = None
        self._channel: _Channel | None = None

    def start(self, channel: _Channel) -> None:
        self._channel = channel
        self._channels.append(channel)
        self._send_all(self.source.start(self._loop.time()))
        self._pump()  # what was sent before the sockets were ready

    def receive(self, data: bytes, host: str, destination: str | None) -> None:
        """A packet for us: only NAKs and SPMRs matter to a source."""
        if self.closed or (len(data) > 4 and data[4] in _DOWNSTREAM):
            return  # raw PGM hears the group's traffic, our own included
        if destination is not None and destination not in (self._interface, self.group):
            return  # raw PGM: another session's packet
        try:
            packet = parse(data)
        except MalformedPacket as error:
            self._malformed(str(error), host)
            return
        now = self._loop.time()
        refused = self.source.counters.refused_naks
        self._send_all(self.source.on_upstream(packet, now))
        if self.source.counters.refused_naks != refused:
            self._malformed("a NAK for another address or group", host)
        self._arm(self.source.deadline())

    def _send_all(self, packets: list[bytes]) -> None:
        channel = self._channel
        if channel is None:
            return
        for packet in packets:
            channel.send(packet, self.group)
            if self.pipe is not None:
                self.pipe.out_bytes += len(packet)

    def _on_time(self, now: float) -> None:
        if self._pump_at is not None and now >= self._pump_at:
            self._pump()
        self._send_all(self.source.poll(now))
        self._rearm()

    def _rearm(self) -> None:
        deadline = self.source.deadline()
        if self._pump_at is not None:
            deadline = min(deadline, self._pump_at)
        self._arm(deadline)

    def _pump(self) -> None:
        """Send queued stream as ODATA while the rate allows."""
        self._pumping = False
        self._pump_at = None
        if self.closed or self._channel is None:
            return
        was_full = not self.writable
        packer, source = self._packer, self.source
        now = self._loop.time()
        while packer.queued:
            size = min(packer.queued, self._apdu - 2) + 2
            ready = source.ready_at(size, now)
            if ready > now:
                self._pump_at = ready
                break
            tsdu = packer.next_tsdu(flush=True)
            assert tsdu is not None
            self._send_all([source.send(tsdu, now)])
        if was_full and self.writable and self.pipe is not None:
            self.pipe.flush_backlog()
        self._rearm()

    # -- Link ---------------------------------------------------------------------

    @property
    def writable(self) -> bool:
        return not self.closed and self._packer.queued < _SOURCE_BUFFER

    def try_send(self, message: Message) -> bool:
        if not self.writable:
            return False
        self._packer.add(message)
        if not self._pumping and self._pump_at is None:
            # On the next loop pass: messages sent together share packets.
            self._pumping = True
            self._loop.call_soon(self._pump)
        return True

    @property
    def pending_output(self) -> int:
        return 0 if self.closed else self._packer.queued

    def close(self, reason: str) -> None:
        if not self.closed and self._channel is not None:
            # FIN SPMs: receivers learn the session ended (docs/wire/pgm.md#spm-schedule).
            self._send_all(self.source.finish())
        super().close(reason)


class ReceiverSession(_Session):
    """A SUB or XSUB's PGM session: every source heard on the endpoint, into one pipe."""

    def __init__(
        self,
        engine: Engine,
        endpoint: str,
        address: PgmAddress,
        interface: str,
        raw: bool,
    ) -> None:
        super().__init__(engine, endpoint, address.send_group)
        overhead = _IP_HEADER + (0 if raw else _UDP_HEADER)
        self._largest = engine.multicast_maxtpdu - overhead
        self._groups = {group: _socket.inet_aton(group) for group in address.receive_groups}
        self.receiver = Receiver(
            address.port,
            rxw_sqns=window_sqns(engine.rate, engine.recovery_ivl, engine.multicast_maxtpdu),
            maxmsgsize=engine.maxmsgsize,
            rng=random.random,
        )
        self._sender: _Channel | None = None

    def start(self, sender: _Channel, receivers: list[_Channel]) -> None:
        self._sender = sender
        self._channels += [sender, *receivers]

    def receive(self, data: bytes, host: str, destination: str | None) -> None:
        """A packet heard on a group: downstream ones are the receiver's."""
        if self.closed or (len(data) > 4 and data[4] in _UPSTREAM):
            return  # other receivers' multicast SPMRs (and, raw, their NAKs)
        group = self._groups.get(destination or "")
        if group is None:
            return  # raw PGM: not one of our groups
        if self.pipe is not None:
            self.pipe.in_bytes += len(data)
        if len(data) > self._largest:
            # As libzmq: larger than our multicast_maxtpdu is not taken
            # (docs/wire/pgm.md#pgm-pitfalls).
            self._malformed(f"a packet of {len(data)} bytes is over multicast_maxtpdu", host)
            return
        try:
            packet = parse(data)
        except MalformedPacket as error:
            self._malformed(str(error), host)
            return
        self.receiver.on_packet(packet, host, group, self._loop.time())
        self._flush()

    def _on_time(self, now: float) -> None:
        self.receiver.poll(now)
        self._flush()

    def _flush(self) -> None:
        """Hand over what the receiver produced: messages, packets, reports."""
        receiver = self.receiver
        if receiver.messages and self.pipe is not None:
            messages, receiver.messages = receiver.messages, []
            deliver = self.pipe.deliver
            for message in messages:
                deliver(message)
        if receiver.outgoing:
            outgoing, receiver.outgoing = receiver.outgoing, []
            sender = self._sender
            if sender is not None:
                for packet, host in outgoing:
                    sender.send(packet, host or self.group)
        if receiver.losses:
            losses, receiver.losses = receiver.losses, []
            for loss in losses:
                self._engine.emit(
                    Event.DATA_LOST,
                    self.endpoint,
                    str(loss.tsi),
                    f"{loss.packets} packets lost: {loss.reason}",
                    value=loss.packets,
                )
        if receiver.errors:
            errors, receiver.errors = receiver.errors, []
            for peer, reason in errors:
                self._malformed(reason, peer)
        self._arm(receiver.deadline())

    # -- Link ---------------------------------------------------------------------

    @property
    def writable(self) -> bool:
        return False

    def try_send(self, message: Message) -> bool:
        """An XSUB's data upstream goes nowhere, as with libzmq."""
        return True

    def pause_reading(self) -> None:
        # Hold deliveries: the windows fill, and overflow is loss, as a
        # kernel buffer would overflow (docs/wire/pgm.md#pgm-delivery).
        self.receiver.holding = True

    def resume_reading(self) -> None:
        if self.receiver.holding and not self.closed:
            self.receiver.release()
            self._flush()

    @property
    def pending_output(self) -> int:
        return 0


def _tsi_port(data_port: int) -> int:
    """A random source port, never the data port (docs/wire/pgm.md#pgm-tsi)."""
    while True:
        port = random.randint(1, 0xFFFF)
        if port != data_port:
            return port


# -- bind and connect ------------------------------------------------------------------


_SOURCES = frozenset({SocketType.PUB, SocketType.XPUB})
_RECEIVERS = frozenset({SocketType.SUB, SocketType.XSUB})


class _Plan:
    """One session's sockets, made and bound at once so that every error is
    raised by ``bind``/``connect``; the asyncio side is set up by :meth:`open`."""

    def __init__(self, engine: Engine, endpoint: Endpoint) -> None:
        text = endpoint.text
        kind = engine.socket_type
        if kind not in _SOURCES and kind not in _RECEIVERS:
            raise NotSupported(
                f"{text!r}: only PUB, XPUB, SUB and XSUB sockets use {endpoint.scheme}://",
                errno=Errno.ENOCOMPATPROTO,
            )
        raw = endpoint.scheme == "pgm"
        if engine.rate * 1000 // 8 < engine.multicast_maxtpdu:
            # libzmq aborts here (docs/wire/pgm.md#pgm-zmq-options).
            raise InvalidOption(
                f"rate {engine.rate} kbit/s is under one multicast_maxtpdu "
                f"({engine.multicast_maxtpdu} bytes) per second"
            )
        address = parse_pgm_address(endpoint)
        interface = _interface_address(address.interface, address.send_group, address.port, text)
        self.engine, self.text, self.raw = engine, text, raw
        self.address, self.interface = address, interface
        self.source = kind in _SOURCES
        self.sockets: list[_socket.socket] = []
        try:
            self._make()
        except BaseException:
            for sock in self.sockets:
                sock.close()
            raise

    def _make(self) -> None:
        engine, address, interface, text = self.engine, self.address, self.interface, self.text
        if self.raw:
            sock = _new_socket(True, text)
            self.sockets.append(sock)
            _sending(sock, engine, interface)
            if not self.source:
                _join(sock, address.receive_groups, interface)
                if engine.rcvbuf >= 0:
                    sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_RCVBUF, engine.rcvbuf)
            return
        if self.source:
            sock = _new_socket(False, text)
            self.sockets.append(sock)
            _shared(sock)
            _sending(sock, engine, interface)
            _bind(sock, (interface, address.port), text)
            return
        sender = _new_socket(False, text)
        self.sockets.append(sender)
        _sending(sender, engine, interface)
        _bind(sender, (interface, 0), text)
        for group in address.receive_groups:
            sock = _new_socket(False, text)
            self.sockets.append(sock)
            _shared(sock)
            if engine.rcvbuf >= 0:
                sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_RCVBUF, engine.rcvbuf)
            # Bound to the group: only its multicast arrives, never a NAK
            # for a source sharing the port (docs/wire/pgm.md#pgm-socket-layout).
            _bind(sock, (group, address.port), text)
            _join(sock, (group,), interface)

    @property
    def resolved(self) -> str:
        """The endpoint with the interface as an address: what ``bind`` reports."""
        address = self.address
        groups = ",".join(address.receive_groups)
        send = f";{address.send_group}" if address.send_group != address.receive_groups[0] else ""
        scheme = "pgm" if self.raw else "epgm"
        return f"{scheme}://{self.interface};{groups}{send}:{address.port}"

    def link(self, endpoint: str, pipe: PipeEnd | None) -> SourceSession | ReceiverSession | None:
        """The session, linked to *pipe* (None: a new one) at once, so that
        messages sent right after ``connect`` wait for the sockets as libzmq's
        do; None if the socket refused it (its sockets are then closed)."""
        engine, address = self.engine, self.address
        session: SourceSession | ReceiverSession
        if self.source:
            session = SourceSession(
                engine, endpoint, address.send_group, self.interface, address.port, self.raw
            )
            # The group filters on its side: every topic goes to it.
            properties = {b"Socket-Type": b"SUB", ALL_GROUPS: b""}
        else:
            session = ReceiverSession(engine, endpoint, address, self.interface, self.raw)
            properties = {b"Socket-Type": b"PUB"}
        linked = engine.peer_ready(pipe, session, endpoint, address.send_group, properties)
        if linked is None:
            self.discard()
            return None
        session.pipe = linked
        return session

    def discard(self) -> None:
        for sock in self.sockets:
            sock.close()

    async def open(self, session: SourceSession | ReceiverSession) -> None:
        """Put the sockets on the event loop and start *session*.

        Cancelling (or any error) closes the sockets.
        """
        address = self.address
        try:
            if isinstance(session, SourceSession):
                if self.raw:
                    channel: _Channel = _RawChannel(self.sockets[0], session.receive)
                else:
                    channel = await _UdpChannel.open(
                        self.sockets[0], address.port, session.receive, None
                    )
                session.start(channel)
            elif self.raw:
                session.start(_RawChannel(self.sockets[0], session.receive), [])
            else:
                sender = await _UdpChannel.open(self.sockets[0], address.port, None, None)
                receivers: list[_Channel] = []
                for sock, group in zip(self.sockets[1:], address.receive_groups, strict=True):
                    receivers.append(
                        await _UdpChannel.open(sock, address.port, session.receive, group)
                    )
                session.start(sender, receivers)
        except BaseException:
            self.discard()
            raise


class PgmBinding(Binding):
    """A bound pgm/epgm endpoint: one session, one pipe."""

    def __init__(self, engine: Engine, endpoint: str, session: _Session | None) -> None:
        self.endpoint = endpoint
        self._engine = engine
        self._session = session

    def stop_accepting(self) -> None:
        """Nothing to do: multicast has no connections to accept."""

    def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            session.close("unbound")
            if session.pipe is not None:
                self._engine.peer_lost(session.pipe, keep=False)


class PgmConnector(Connector):
    """A connected pgm/epgm endpoint: the session starts in the background."""

    def __init__(self, engine: Engine, endpoint: str, plan: _Plan, pipe: PipeEnd) -> None:
        self.pipe = pipe
        self._engine = engine
        self._session = plan.link(endpoint, pipe)
        self._task: asyncio.Task[None] | None = None
        if self._session is not None:
            self._task = asyncio.get_running_loop().create_task(plan.open(self._session))

    def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
        session, self._session = self._session, None
        if session is not None:
            session.close("disconnected")
            self._engine.peer_lost(self.pipe, keep=True)


class PgmTransport(Transport):
    """epgm:// (*raw* False) and pgm:// (*raw* True); see the module docstring."""

    def __init__(self, *, raw: bool) -> None:
        self.raw = raw

    async def bind(self, engine: Engine, endpoint: Endpoint) -> Binding:
        """Start a PGM session, as ``connect`` does (libzmq makes them the same).

        Raises:
            NotSupported: a socket type other than PUB, XPUB, SUB, XSUB; an IPv6 group.
            EndpointError: a malformed endpoint, an unknown interface, no
                privilege for ``pgm://``.
            InvalidOption: ``rate`` under one packet a second.

        Cancelling closes the session's sockets.
        """
        plan = _Plan(engine, endpoint)
        resolved = plan.resolved
        session = plan.link(resolved, None)
        if session is not None:
            try:
                await plan.open(session)
            except BaseException:
                session.close("bind cancelled")
                if session.pipe is not None:
                    engine.peer_lost(session.pipe, keep=False)
                raise
        return PgmBinding(engine, resolved, session)

    def connect(self, engine: Engine, endpoint: Endpoint, pipe: PipeEnd) -> Connector:
        """Start a PGM session for *pipe*; its sockets are bound before this returns.

        Raises:
            as :meth:`bind`.
        """
        plan = _Plan(engine, endpoint)
        return PgmConnector(engine, endpoint.text, plan, pipe)
