"""udp:// : RADIO and DISH over UDP datagrams, in libzmq's format.

One message is one datagram: a length byte, the group, then the body to the
end of the datagram. There is no greeting, handshake or JOIN on the wire: a
RADIO sends every message to its target and the DISH filters by the groups
it joined (docs/wire/draft.md#udp-datagram). libzmq's ``udp_engine.cpp`` is
the only definition; no RFC describes it.

Roles are fixed, as in libzmq (docs/wire/draft.md#udp-endpoints): a DISH
binds, unicast (``udp://127.0.0.1:5555``, ``udp://*:5555``) or multicast
(``udp://239.1.2.3:5555``, ``udp://lo;239.1.2.3:5555`` to join on one
interface, named or by its IPv4 address); a RADIO connects to a unicast or
multicast target (``udp://lo;239.1.2.3:5555`` sends out through ``lo``).

A bound DISH has one pipe for all the RADIOs that send to it. A datagram
that is empty, truncated (its length byte runs past its end) or over 8192
bytes is reported as a protocol error and handed to the DISH as a malformed
message, which it drops and counts; the DISH keeps serving.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import socket as _socket
import struct
from dataclasses import dataclass

from aiomsg.constants import SocketType
from aiomsg.errors import AddressInUse, EndpointError, InvalidMessage, NotSupported
from aiomsg.transports._peer import format_peer
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

__all__ = ["MAX_DATAGRAM", "MAX_UDP_GROUP", "UdpAddress", "UdpTransport", "parse_udp_address"]

#: libzmq's datagram buffer: a longer message is not sent whole
#: (docs/wire/draft.md#udp-datagram).
MAX_DATAGRAM = 8192
#: libzmq 4.3.5 reads the length byte as a signed char: a group of 128
#: bytes or more must never be sent to it (docs/wire/draft.md#udp-datagram).
MAX_UDP_GROUP = 127


@dataclass(frozen=True, slots=True)
class UdpAddress:
    """A parsed ``udp://[source;]host:port``.

    ``host`` is None for every interface (``*``, bind only); ``port`` 0 asks
    for an ephemeral one (bind only). ``interface`` is the source part, for
    multicast: an interface name or an IPv4 address.
    """

    host: str | None
    port: int
    interface: str | None
    multicast: bool
    family: int


def parse_udp_address(endpoint: Endpoint, *, binding: bool) -> UdpAddress:
    """Parse a udp endpoint following libzmq's grammar (``udp_address_t::resolve``).

    Raises:
        EndpointError: malformed; ``*`` or port 0 on connect; a source part
            without a multicast target; a hostname when binding.
        NotSupported: an IPv6 multicast group.
    """
    text = endpoint.text
    source, separator, target = endpoint.address.rpartition(";")
    interface = source if separator else None
    if separator and not source:
        raise EndpointError(text, "empty source before ';'")
    host, separator, port_text = target.rpartition(":")
    if not separator or not host:
        raise EndpointError(text, "expected [source;]host:port")
    if host.startswith("["):
        if not host.endswith("]") or len(host) < 3:
            raise EndpointError(text, "unbalanced brackets around an IPv6 address")
        host = host[1:-1]
    if port_text == "*":
        port = 0
    elif port_text.isdigit() and int(port_text) <= 65535:
        port = int(port_text)
    else:
        raise EndpointError(text, f"invalid port {port_text!r}")
    if host == "*":
        if not binding:
            raise EndpointError(text, "'*' is for binding; connect needs a host")
        return UdpAddress(None, port, None, False, _socket.AF_INET)
    if not binding and port == 0:
        raise EndpointError(text, "connect needs a concrete port")
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        if binding:
            raise EndpointError(text, "bind takes an IP address or '*', not a hostname") from None
        if interface is not None:
            raise EndpointError(text, "a source interface needs a multicast group") from None
        return UdpAddress(host, port, None, False, _socket.AF_UNSPEC)
    family = _socket.AF_INET6 if ip.version == 6 else _socket.AF_INET
    if ip.is_multicast and family == _socket.AF_INET6:
        raise NotSupported(f"{text!r}: IPv6 multicast is not implemented")
    if interface is not None and not ip.is_multicast:
        raise EndpointError(text, "a source interface needs a multicast group")
    if interface == "*":
        interface = None
    return UdpAddress(host, port, interface, ip.is_multicast, family)


def _interface_request(interface: str | None, text: str) -> bytes:
    """The interface half of an ``ip_mreqn`` (address, index) for *interface*."""
    if interface is None:
        return struct.pack("4si", bytes(4), 0)
    try:
        return struct.pack("4si", ipaddress.IPv4Address(interface).packed, 0)
    except ValueError:
        pass
    try:
        index = _socket.if_nametoindex(interface)
    except OSError:
        raise EndpointError(text, f"no interface named {interface!r}") from None
    return struct.pack("4si", bytes(4), index)


class DishEndpoint(asyncio.DatagramProtocol):
    """A bound DISH's socket: every datagram becomes a ``[group, body]`` message.

    It is also the link of the DISH's one pipe for this endpoint, a link that
    never sends (a DISH sends nothing, and joins nothing on the wire).
    """

    def __init__(self, engine: Engine, endpoint: str) -> None:
        self._engine = engine
        self.endpoint = endpoint
        self.pipe: PipeEnd | None = None
        self._transport: asyncio.DatagramTransport | None = None

    # -- asyncio.DatagramProtocol ------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        pipe = self.pipe
        if pipe is None:
            return
        size = len(data)
        if size > MAX_DATAGRAM:
            reason = f"datagram of {size} bytes is over {MAX_DATAGRAM}"
        elif size == 0:
            reason = "empty datagram"
        elif 1 + data[0] > size:
            reason = f"datagram of {size} bytes is shorter than its group ({data[0]} bytes)"
        else:
            # The length byte is read unsigned, as libzmq after 4.3.5 does.
            end = 1 + data[0]
            # The kernel drops when a socket's buffer is full; a full pipe
            # drops likewise (UDP has no back-pressure).
            pipe.offer([data[1:end], data[end:]])
            return
        self._engine.emit(Event.PROTOCOL_ERROR, self.endpoint, format_peer(addr), reason)
        # A malformed message: the DISH drops it and counts it.
        pipe.deliver([data])

    def error_received(self, exc: Exception) -> None:
        """Nothing to do: a DISH never sends, and a receive error loses one datagram."""

    # -- Link (its pipe's) -------------------------------------------------------

    @property
    def writable(self) -> bool:
        return False

    def try_send(self, message: Message) -> bool:
        return False

    def send_subscription(self, topic: bytes, subscribe: bool) -> None:
        """Nothing goes on the wire: the DISH filters (docs/wire/draft.md#udp-datagram)."""

    def pause_reading(self) -> None:
        """Nothing to do: UDP cannot push back; a full pipe drops instead."""

    def resume_reading(self) -> None:
        pass

    def close(self, reason: str) -> None:
        if self._transport is not None:
            self._transport.close()

    def abort(self, reason: str) -> None:
        self.close(reason)  # datagrams: nothing is buffered to drop

    @property
    def pending_output(self) -> int:
        return 0


class UdpBinding(Binding):
    """A DISH bound to a udp endpoint: one socket, one pipe."""

    def __init__(self, engine: Engine, dish: DishEndpoint) -> None:
        self.endpoint = dish.endpoint
        self._engine = engine
        self._dish = dish

    def stop_accepting(self) -> None:
        """Nothing to do: there is no connection to accept."""

    def close(self) -> None:
        dish = self._dish
        dish.close("unbound")
        if dish.pipe is not None:
            pipe, dish.pipe = dish.pipe, None
            self._engine.peer_lost(pipe, keep=False)


class RadioLink:
    """A RADIO's link to one udp target: each message leaves as one datagram.

    The socket is connected, so sending is one non-blocking ``send``; a
    datagram the kernel will not take now is lost, as UDP loses it anyway.
    """

    __slots__ = ("_sock", "dropped")

    def __init__(self, sock: _socket.socket) -> None:
        self._sock = sock
        #: Messages never sent: over the limits, or refused by the kernel.
        self.dropped = 0

    @property
    def writable(self) -> bool:
        return self._sock.fileno() >= 0

    def try_send(self, message: Message) -> bool:
        group, body = message
        if len(group) > MAX_UDP_GROUP or 1 + len(group) + len(body) > MAX_DATAGRAM:
            # UdpConnector.check refused it before; this is only the backstop.
            self.dropped += 1
            return True
        datagram = b"".join((bytes((len(group),)), group, body))
        for _ in range(2):  # a refusal reported for an earlier datagram is consumed once
            try:
                self._sock.send(datagram)
                return True
            except ConnectionRefusedError:
                continue
            except OSError:
                break
        self.dropped += 1
        return True

    def send_subscription(self, topic: bytes, subscribe: bool) -> None:
        """A RADIO subscribes to nothing."""

    def pause_reading(self) -> None:
        """Nothing to read: a udp RADIO only sends."""

    def resume_reading(self) -> None:
        pass

    def close(self, reason: str) -> None:
        self._sock.close()

    def abort(self, reason: str) -> None:
        self.close(reason)  # datagrams: nothing is buffered to drop

    @property
    def pending_output(self) -> int:
        return 0


class UdpConnector(Connector):
    """A RADIO's udp target, linked as soon as its address is known."""

    def __init__(self, engine: Engine, endpoint: str, address: UdpAddress, pipe: PipeEnd) -> None:
        self.pipe = pipe
        self._engine = engine
        self._endpoint = endpoint
        self._address = address
        self._link: RadioLink | None = None
        self._task: asyncio.Task[None] | None = None
        if address.family == _socket.AF_UNSPEC:
            self._task = asyncio.get_running_loop().create_task(self._resolve())
        else:
            self._open(address.family, (address.host, address.port))

    def check(self, message: Message) -> None:
        group, body = message
        if len(group) > MAX_UDP_GROUP:
            raise InvalidMessage(
                f"a udp group is at most {MAX_UDP_GROUP} bytes, not {len(group)}"
            )
        size = 1 + len(group) + len(body)
        if size > MAX_DATAGRAM:
            raise InvalidMessage(f"a udp message is at most {MAX_DATAGRAM} bytes, not {size}")

    async def _resolve(self) -> None:
        """Find a hostname's address (a RADIO may connect by name, as in libzmq)."""
        address = self._address
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(address.host, address.port, type=_socket.SOCK_DGRAM)
        except OSError as error:
            self._engine.emit(Event.CONNECT_RETRIED, self._endpoint, reason=str(error))
            self._engine.connector_failed(self)
            return
        family, _, _, _, target = infos[0]
        self._open(family, target)

    def _open(self, family: int, target: tuple[object, ...]) -> None:
        address = self._address
        sock = _socket.socket(family, _socket.SOCK_DGRAM)
        try:
            sock.setblocking(False)
            if address.multicast:
                # multicast_hops (TTL 1 by default, as libzmq) and multicast_loop.
                engine = self._engine
                hops, loop = engine.multicast_hops, engine.multicast_loop
                sock.setsockopt(_socket.IPPROTO_IP, _socket.IP_MULTICAST_TTL, hops)
                sock.setsockopt(_socket.IPPROTO_IP, _socket.IP_MULTICAST_LOOP, loop)
                request = _interface_request(address.interface, self._endpoint)
                sock.setsockopt(_socket.IPPROTO_IP, _socket.IP_MULTICAST_IF, bytes(4) + request)
            sock.connect(target)
        except BaseException:
            sock.close()
            raise
        self._link = link = RadioLink(sock)
        peer = format_peer(target)
        self._engine.emit(Event.CONNECTED, self._endpoint, peer)
        properties = {b"Socket-Type": SocketType.DISH.wire_name, ALL_GROUPS: b""}
        self._engine.peer_ready(self.pipe, link, self._endpoint, peer, properties)

    def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
        link, self._link = self._link, None
        if link is not None:
            link.close("disconnected")
            self._engine.peer_lost(self.pipe, keep=True)


class UdpTransport(Transport):
    """udp:// for RADIO (connect) and DISH (bind); see the module docstring."""

    async def bind(self, engine: Engine, endpoint: Endpoint) -> Binding:
        if engine.socket_type is not SocketType.DISH:
            raise NotSupported(f"{endpoint.text!r}: over udp only a DISH binds")
        address = parse_udp_address(endpoint, binding=True)
        sock = _socket.socket(address.family, _socket.SOCK_DGRAM)
        try:
            # As libzmq: a second DISH may bind the same port (and, for
            # multicast, both receive) (docs/wire/draft.md#udp-endpoints).
            sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_REUSEADDR, 1)
            if address.multicast:
                sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_REUSEPORT, 1)
                sock.bind(("", address.port))
                assert address.host is not None
                group = ipaddress.IPv4Address(address.host).packed
                request = group + _interface_request(address.interface, endpoint.text)
                sock.setsockopt(_socket.IPPROTO_IP, _socket.IP_ADD_MEMBERSHIP, request)
            else:
                any_host = "::" if address.family == _socket.AF_INET6 else "0.0.0.0"
                sock.bind((address.host or any_host, address.port))
            sock.setblocking(False)
        except OSError as error:
            sock.close()
            if error.errno == errno.EADDRINUSE:
                raise AddressInUse(endpoint.text) from error
            raise EndpointError(endpoint.text, f"cannot bind: {error.strerror or error}") from error
        except BaseException:
            sock.close()
            raise
        port = sock.getsockname()[1]
        host = address.host or "*"
        shown = f"[{host}]" if ":" in host else host
        source = f"{address.interface};" if address.interface else ""
        dish = DishEndpoint(engine, f"udp://{source}{shown}:{port}")
        loop = asyncio.get_running_loop()
        try:
            await loop.create_datagram_endpoint(lambda: dish, sock=sock)
        except BaseException:
            sock.close()
            raise
        properties = {b"Socket-Type": SocketType.RADIO.wire_name}
        dish.pipe = engine.peer_ready(None, dish, dish.endpoint, "", properties)
        return UdpBinding(engine, dish)

    def connect(self, engine: Engine, endpoint: Endpoint, pipe: PipeEnd) -> Connector:
        if engine.socket_type is not SocketType.RADIO:
            raise NotSupported(f"{endpoint.text!r}: over udp only a RADIO connects")
        address = parse_udp_address(endpoint, binding=False)
        return UdpConnector(engine, endpoint.text, address, pipe)

