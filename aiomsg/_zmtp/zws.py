"""ZeroMQ over WebSocket (ZWS 2.0, RFC 45; docs/wire/draft.md#zws), sans-I/O.

Two layers, so that a WebSocket framed by someone else can use the first:

- :class:`ZwsCodec` is ZMTP inside WebSocket messages. Each message's
  payload is one ZMTP frame behind a flags byte (``00`` last, ``01`` more,
  ``02`` command); the handshake is ZMTP's, without the greeting, since the
  subprotocol (``ZWS2.0/NULL``, ``/PLAIN``, ``/CURVE``) names the mechanism.
  A server also accepts bare ``ZWS2.0`` (jszmq's only offer) from a
  classic socket type under NULL: no handshake commands, each side's
  first message its routing id (docs/wire/draft.md#zws-handshake).
  A WebSocket accepted by aiohttp or Starlette is adapted to this.
- :class:`ZwsStreamCodec` runs a :class:`ZwsCodec` over a byte stream: the
  HTTP upgrade and the RFC 6455 framing (:mod:`aiomsg._zmtp.websocket`),
  behind the same interface as :class:`~aiomsg._zmtp.codec.ZmtpCodec`, so
  one connection protocol serves tcp, ipc and ws.

The ZMTP rules are not repeated here: frames are translated to ZMTP's and
back, and an inner :class:`~aiomsg._zmtp.codec.ZmtpCodec` (started with
:meth:`~aiomsg._zmtp.codec.ZmtpCodec.begin`) runs the mechanism, the
metadata and type checks, the size limits and the commands.
"""

from __future__ import annotations

from aiomsg._zmtp.codec import Admission, CodecEvent, PeerFailed, ZmtpCodec, send_each
from aiomsg._zmtp.frames import COMMAND, LONG_SIZE, MORE, frame_header
from aiomsg._zmtp.mechanism import Mechanism, ZapReply
from aiomsg._zmtp.properties import encode_properties
from aiomsg._zmtp.websocket import (
    OP_BINARY,
    OP_CLOSE,
    OP_PING,
    CloseCode,
    FrameParser,
    WebSocketError,
    build_refusal,
    build_request,
    build_response,
    encode_close,
    encode_frame,
    new_key,
    parse_close,
    parse_request,
    parse_response,
    split_head,
)
from aiomsg.constants import SocketType
from aiomsg.errors import IncompatiblePeer

__all__ = [
    "BARE_SUBPROTOCOL",
    "ZwsCodec",
    "ZwsMessageCodec",
    "ZwsStreamCodec",
    "choose_subprotocol",
    "speaks_bare",
    "subprotocol",
]

# ZWS flags (docs/wire/draft.md#zws-framing).
_ZWS_MORE, _ZWS_COMMAND = 0x01, 0x02
_FLAG_BYTES = (b"\x00", b"\x01", b"\x02")
# A CURVE MESSAGE travels with flags 00 on ZWS, not as a command
# (docs/wire/draft.md#zws-framing); the handshake commands keep 02.
_CURVE_MESSAGE = b"\x07MESSAGE"
# Room for a CURVE box around a frame at the size limit (as the ZMTP codec allows).
_BOX_ROOM = 64


def subprotocol(mechanism: bytes) -> str:
    """The ZWS subprotocol name for a security mechanism: ``ZWS2.0/NULL``..."""
    return "ZWS2.0/" + mechanism.decode("ascii")


#: ZWS 2.0 without a mechanism: what jszmq offers (docs/wire/draft.md#zws-jszmq).
BARE_SUBPROTOCOL = "ZWS2.0"
# The frame that tells the inner codec the peer's READY arrived, for bare ZWS.
_READY = b"\x05READY"


def speaks_bare(socket_type: SocketType, mechanism: bytes) -> bool:
    """Whether a server accepts bare ``ZWS2.0``: only under NULL (it has no
    mechanism), and only for the classic types, since it carries no
    commands for a DISH's JOIN and no type check for the draft types'
    pairing rules (docs/wire/draft.md#zws-handshake)."""
    return mechanism == b"NULL" and socket_type < SocketType.STREAM


def choose_subprotocol(offered: list[str], mechanism: bytes, *, bare: bool = False) -> str | None:
    """The subprotocol a server with *mechanism* accepts from the client's
    list, or None: the first entry it speaks, in the client's order, as
    libzmq chooses. Names are case-sensitive, as libzmq's are
    (docs/wire/draft.md#zws-subprotocols). Bare ``ZWS2.0`` is chosen only
    with *bare* (see :func:`speaks_bare`)."""
    wanted = subprotocol(mechanism)
    for name in offered:
        if name == wanted or (bare and name == BARE_SUBPROTOCOL):
            return name
    return None


class ZwsCodec:
    """ZMTP inside WebSocket messages: payloads in, ``(flags, body)`` frames out.

    Args are those of :class:`~aiomsg._zmtp.codec.ZmtpCodec`. Call
    :meth:`begin` once the WebSocket is open.
    """

    __slots__ = (
        "_awaiting_routing_id",
        "_bare",
        "_failed",
        "_identity",
        "_inner",
        "_notices",
        "_out",
    )

    def __init__(
        self,
        socket_type: SocketType,
        *,
        identity: bytes = b"",
        mechanism: Mechanism | None = None,
        maxmsgsize: int = -1,
        max_message_size: int = -1,
        accepted: bool = False,
        admit: Admission | None = None,
    ) -> None:
        self._inner = ZmtpCodec(
            socket_type,
            identity=identity,
            mechanism=mechanism,
            maxmsgsize=maxmsgsize,
            max_message_size=max_message_size,
            accepted=accepted,
            admit=admit,
            greeting=False,
        )
        self._out: list[tuple[int, bytes]] = []
        self._failed = False
        self._identity = identity
        self._bare = False
        self._awaiting_routing_id = False
        self._notices = 0

    @property
    def notices(self) -> int:
        """Events other than messages returned so far (the inner codec's
        and our own: ``StreamCodec.notices``)."""
        return self._notices + self._inner.notices

    @property
    def bare(self) -> bool:
        """Whether bare ``ZWS2.0`` is spoken (:meth:`speak_bare`)."""
        return self._bare

    @property
    def bare_allowed(self) -> bool:
        """Whether this side may speak bare ``ZWS2.0`` (:func:`speaks_bare`)."""
        return speaks_bare(self._inner.socket_type, self._inner.mechanism.name)

    def speak_bare(self) -> None:
        """Speak bare ``ZWS2.0`` (call before :meth:`begin`): our routing id
        goes first and the peer's first message is its routing id, with no
        READY and so no type check; the NULL handshake the inner codec runs
        is kept inside (docs/wire/draft.md#zws-handshake)."""
        assert self.bare_allowed, "bare ZWS2.0 needs NULL and a classic socket type"
        self._bare = True
        self._awaiting_routing_id = True

    @property
    def mechanism(self) -> Mechanism:
        """The security mechanism."""
        return self._inner.mechanism

    @property
    def output_held(self) -> bool:
        """Set while our output cannot be written (PONGs then coalesce)."""
        return self._inner.output_held

    @output_held.setter
    def output_held(self, held: bool) -> None:
        self._inner.output_held = held

    @property
    def ready(self) -> bool:
        """The handshake is complete and the connection has not failed."""
        return self._inner.ready

    @property
    def has_output(self) -> bool:
        """Whether :meth:`take_frames` would return anything."""
        return bool(self._out) or self._inner.has_output

    def frame_limit(self) -> int:
        """The largest payload worth buffering (-1: no limit): the size
        limits, plus the flags byte and room for a CURVE box."""
        limits = [n for n in (self._inner.maxmsgsize, self._inner.max_message_size) if n >= 0]
        return min(limits) + 1 + _BOX_ROOM if limits else -1

    def begin(self) -> list[CodecEvent]:
        """The WebSocket is open: queue our first handshake command (each side
        sends it at once, docs/wire/draft.md#zws-handshake); for bare
        ``ZWS2.0``, our routing id instead."""
        if self._bare:
            self._out.append((0, self._identity))
        events = self._inner.begin()
        self._drain()
        return events

    def take_frames(self) -> list[tuple[int, bytes]]:
        """Remove and return the ``(zws_flags, body)`` frames queued for sending;
        each is one binary WebSocket message, the flags byte then the body."""
        self._drain()
        out, self._out = self._out, []
        return out

    def send_message(self, frames: list[bytes]) -> int:
        """Queue a message (after the handshake); return its payload size."""
        if self._inner.mechanism.encrypts:
            size = self._inner.send_message(frames)
            self._drain()
            return size
        self._drain()  # what the inner codec holds goes first
        last = len(frames) - 1
        self._out += [(_ZWS_MORE if i < last else 0, body) for i, body in enumerate(frames)]
        return sum(map(len, frames))

    def send_subscription(self, topic: bytes, subscribe: bool) -> None:
        """Queue a subscribe or cancel (data frames ``01 topic``/``00 topic``
        on ZWS), or a DISH's JOIN or LEAVE command."""
        self._inner.send_subscription(topic, subscribe)
        self._drain()

    def receive(self, payloads: list[bytes]) -> list[CodecEvent]:
        """Consume binary messages' payloads; return the events they complete.

        A peer's fault never raises: the last event is then
        :class:`~aiomsg._zmtp.codec.PeerFailed` and later input is ignored.
        """
        if self._failed or not payloads:
            return []
        chunks: list[bytes | memoryview] = []
        if self._awaiting_routing_id:
            routing_id = payloads[0]
            if routing_id[:1] != b"\x00":
                # A command, a MORE frame or no flags byte: not ZMTP 2.0's routing id.
                self._failed = True
                self._notices += 1
                return [PeerFailed("bare ZWS2.0: the first message must be a one-frame routing id")]
            self._awaiting_routing_id = False
            payloads = payloads[1:]
            # The peer's routing id stands in for its READY, so that the
            # inner codec completes the NULL handshake: no Socket-Type, so
            # no type check, and the Identity a ROUTER keeps.
            identity = {b"Identity": routing_id[1:]} if len(routing_id) > 1 else {}
            ready = _READY + encode_properties(identity)
            chunks += (frame_header(COMMAND, len(ready)), ready)
        for payload in payloads:
            if not payload:
                # No flags byte: libzmq stalls on this (docs/wire/draft.md#zws-violations).
                self._failed = True
                events = self._inner.receive_data(b"".join(chunks)) if chunks else []
                self._drain()
                self._notices += 1
                return [*events, PeerFailed("empty WebSocket message: no ZWS flags byte")]
            flags = payload[0]
            zmtp_flags = (COMMAND if flags & _ZWS_COMMAND else 0) | (flags & _ZWS_MORE)
            chunks.append(frame_header(zmtp_flags, len(payload) - 1))
            chunks.append(memoryview(payload)[1:])
        events = self._inner.receive_data(b"".join(chunks))
        self._drain()
        if events and isinstance(events[-1], PeerFailed):
            self._failed = True
        return events

    def authentication_result(self, reply: ZapReply) -> list[CodecEvent]:
        """Resume a handshake that waited for the authenticator."""
        events = self._inner.authentication_result(reply)
        self._drain()
        return events

    def _drain(self) -> None:
        """Translate the inner codec's ZMTP frames into ZWS frames."""
        if not self._inner.has_output:
            return
        data = b"".join(self._inner.take_output())
        offset, end, out = 0, len(data), self._out
        while offset < end:
            flags = data[offset]
            if flags & 0x02:  # ZMTP LONG
                (size,) = LONG_SIZE.unpack_from(data, offset + 1)
                start = offset + 9
            else:
                size, start = data[offset + 1], offset + 2
            body = data[start : start + size]
            if flags & COMMAND and self._bare:
                pass  # bare ZWS2.0 has no commands: our READY (or an ERROR) is not sent
            elif flags & COMMAND and not body.startswith(_CURVE_MESSAGE):
                out.append((_ZWS_COMMAND, body))
            else:
                out.append((flags & MORE, body))
            offset = start + size


class _NoDirectReads:
    """The direct-read members of the StreamCodec interface, for the ZWS
    codecs: a WebSocket frame's payload is parsed (and a client's unmasked)
    as it arrives, so it is never read straight into a frame."""

    __slots__ = ()

    @property
    def body_remaining(self) -> int:
        """Always 0."""
        return 0

    def body_buffer(self) -> memoryview:
        """Never called, since :attr:`body_remaining` is 0.

        Raises:
            RuntimeError: always.
        """
        raise RuntimeError("a ZWS stream has no frame to read into directly")

    def body_received(self) -> list[CodecEvent]:
        """Never called, since :attr:`body_remaining` is 0.

        Raises:
            RuntimeError: always.
        """
        raise RuntimeError("a ZWS stream has no frame to read into directly")

    def release_body(self) -> None:
        """Nothing to free."""


class ZwsMessageCodec(_NoDirectReads):
    """ZWS over a WebSocket framed by someone else (a web framework's), behind
    the :class:`~aiomsg._zmtp.codec.StreamCodec` interface.

    Each :meth:`receive_data` call is one binary message's payload, and each
    item :meth:`take_output` returns is one binary message to send. The
    upgrade, the close handshake and the pings are the framework's: so
    :meth:`send_close` and :meth:`send_ping` queue nothing, and
    :attr:`pings_allowed` is False. Args are :class:`ZwsCodec`'s, and
    *bare* for a WebSocket accepted with bare ``ZWS2.0``; our first
    handshake command (or routing id) is queued at once.
    """

    __slots__ = ("_events", "_failed", "_limit", "_notices", "_zws", "close_status", "peer_ttl")

    def __init__(
        self,
        socket_type: SocketType,
        *,
        identity: bytes = b"",
        mechanism: Mechanism | None = None,
        maxmsgsize: int = -1,
        max_message_size: int = -1,
        accepted: bool = False,
        admit: Admission | None = None,
        bare: bool = False,
    ) -> None:
        self._zws = ZwsCodec(
            socket_type,
            identity=identity,
            mechanism=mechanism,
            maxmsgsize=maxmsgsize,
            max_message_size=max_message_size,
            accepted=accepted,
            admit=admit,
        )
        if bare:
            self._zws.speak_bare()
        # What starting the handshake reported (a mechanism that cannot
        # start): returned with the first message received.
        self._events = self._zws.begin()
        #: ZWS has no PING command TTL.
        self.peer_ttl = 0
        #: The close code and reason the WebSocket should end with: 1000,
        #: or why the peer was dropped (RFC 6455 section 7.4.1 codes).
        self.close_status: tuple[int, str] = (CloseCode.NORMAL, "")
        self._limit = self._zws.frame_limit()
        self._failed = False
        self._notices = 0

    @property
    def notices(self) -> int:
        """Events other than messages returned so far (``StreamCodec.notices``)."""
        return self._notices + self._zws.notices

    @property
    def mechanism(self) -> Mechanism:
        """The security mechanism."""
        return self._zws.mechanism

    @property
    def subprotocol(self) -> str:
        """The subprotocol this codec speaks (``ZWS2.0/NULL``..., or ``ZWS2.0``)."""
        if self._zws.bare:
            return BARE_SUBPROTOCOL
        return subprotocol(self._zws.mechanism.name)

    @property
    def output_held(self) -> bool:
        """Set while our output cannot be written."""
        return self._zws.output_held

    @output_held.setter
    def output_held(self, held: bool) -> None:
        self._zws.output_held = held

    @property
    def pings_allowed(self) -> bool:
        """False: keepalive pings are the web framework's to send."""
        return False

    @property
    def has_output(self) -> bool:
        """Whether :meth:`take_output` would return anything."""
        return self._zws.has_output

    def frame_limit(self) -> int:
        """The largest message payload worth reading (-1: no limit)."""
        return self._zws.frame_limit()

    def take_output(self) -> list[bytes]:
        """Remove and return the binary messages' payloads queued for sending."""
        return [_FLAG_BYTES[flags] + body for flags, body in self._zws.take_frames()]

    def send_message(self, frames: list[bytes]) -> int:
        """Queue a message (after the handshake); return its payload size."""
        return self._zws.send_message(frames)

    def send_messages(
        self, messages: list[list[bytes]], start: int, budget: int
    ) -> tuple[int, int]:
        """Queue several messages (see ``StreamCodec.send_messages``)."""
        return send_each(self._zws.send_message, messages, start, budget)

    def send_subscription(self, topic: bytes, subscribe: bool) -> None:
        """Queue a subscribe or cancel, or a JOIN or LEAVE."""
        self._zws.send_subscription(topic, subscribe)

    def send_ping(self, ttl: int = 0) -> None:
        """Nothing: the framework's WebSocket pings (see :attr:`pings_allowed`)."""

    def send_close(self) -> None:
        """Nothing: closing the framework's WebSocket sends the close frame."""

    def authentication_result(self, reply: ZapReply) -> list[CodecEvent]:
        """Resume a handshake that waited for the authenticator."""
        return self._check(self._zws.authentication_result(reply))

    def receive_data(self, data: bytes) -> list[CodecEvent]:
        """Consume one binary message's payload; return the events it completes.

        A message over the size limits is refused before it is parsed (an
        ASGI server reads up to its own limit, not the socket's). A peer's
        fault never raises: the last event is then
        :class:`~aiomsg._zmtp.codec.PeerFailed`, :attr:`close_status` says
        why, and later input is ignored.
        """
        if self._failed:
            return []
        events, self._events = self._events, []
        # What begin() reported, counted when it was made, is returned now.
        self._notices += len(events)
        if 0 <= self._limit < len(data):
            reason = f"message of {len(data)} bytes exceeds the limit of {self._limit}"
            self._notices += 1
            self._failed = True
            self.close_status = (CloseCode.MESSAGE_TOO_BIG, reason)
            return [*events, PeerFailed(reason)]
        return self._check(events + self._zws.receive([data]))

    def _check(self, events: list[CodecEvent]) -> list[CodecEvent]:
        if events and isinstance(events[-1], PeerFailed) and not self._failed:
            self._failed = True
            self.close_status = (CloseCode.PROTOCOL_ERROR, events[-1].reason)
        return events


_UPGRADE, _OPEN, _CLOSED = range(3)


class ZwsStreamCodec(_NoDirectReads):
    """ZWS over a byte stream: the HTTP upgrade, then RFC 6455 frames.

    The interface is :class:`~aiomsg._zmtp.codec.StreamCodec`'s. A client
    (*client* is ``(host, target)``, the ``Host`` header and the request
    target) queues its upgrade request at once; a server waits for one.
    Our first handshake command follows the upgrade without waiting for
    the peer's (docs/wire/draft.md#zws-handshake).

    A server refuses a request it cannot upgrade (not a WebSocket upgrade,
    no subprotocol for its mechanism) with ``400 Bad Request`` naming why;
    a frame ZWS does not allow, or a message over the size limits, is
    answered with a close frame naming why (RFC 6455 §7.4.1 codes).
    """

    __slots__ = (
        "_client",
        "_head",
        "_key",
        "_notices",
        "_out",
        "_parser",
        "_state",
        "_zws",
        "peer_ttl",
        "subprotocol",
    )

    def __init__(
        self,
        socket_type: SocketType,
        *,
        identity: bytes = b"",
        mechanism: Mechanism | None = None,
        maxmsgsize: int = -1,
        max_message_size: int = -1,
        accepted: bool = False,
        admit: Admission | None = None,
        client: tuple[str, str] | None = None,
    ) -> None:
        self._zws = ZwsCodec(
            socket_type,
            identity=identity,
            mechanism=mechanism,
            maxmsgsize=maxmsgsize,
            max_message_size=max_message_size,
            accepted=accepted,
            admit=admit,
        )
        self._client = client is not None
        self._parser = FrameParser(masked=not self._client, max_payload=self._zws.frame_limit())
        self._state = _UPGRADE
        self._head = b""
        self._out: list[bytes] = []
        self._notices = 0
        #: ZWS has no PING command TTL: heartbeats are WebSocket pings.
        self.peer_ttl = 0
        #: The subprotocol agreed in the upgrade ("" until then).
        self.subprotocol = ""
        self._key = ""
        if client is not None:
            host, target = client
            self._key = new_key()
            wanted = subprotocol(self._zws.mechanism.name)
            self._out.append(build_request(host, target, [wanted], self._key))

    @property
    def mechanism(self) -> Mechanism:
        """The security mechanism."""
        return self._zws.mechanism

    @property
    def notices(self) -> int:
        """Events other than messages returned so far (``StreamCodec.notices``)."""
        return self._notices + self._zws.notices

    @property
    def output_held(self) -> bool:
        """Set while our output cannot be written (PONGs then coalesce)."""
        return self._zws.output_held

    @output_held.setter
    def output_held(self, held: bool) -> None:
        self._zws.output_held = held

    @property
    def pings_allowed(self) -> bool:
        """Always: heartbeats are WebSocket pings, which reach no socket
        (docs/wire/draft.md#zws-ping), so a DISH is safe from them."""
        return True

    @property
    def has_output(self) -> bool:
        """Whether :meth:`take_output` would return anything."""
        return bool(self._out) or self._zws.has_output

    def take_output(self) -> list[bytes]:
        """Remove and return the byte strings queued for writing, in order."""
        self._frame_messages()
        out, self._out = self._out, []
        return out

    def send_message(self, frames: list[bytes]) -> int:
        """Queue a message (after the handshake); return its payload size."""
        return self._zws.send_message(frames)

    def send_messages(
        self, messages: list[list[bytes]], start: int, budget: int
    ) -> tuple[int, int]:
        """Queue several messages (see ``StreamCodec.send_messages``)."""
        return send_each(self._zws.send_message, messages, start, budget)

    def send_subscription(self, topic: bytes, subscribe: bool) -> None:
        """Queue a subscribe or cancel, or a JOIN or LEAVE."""
        self._zws.send_subscription(topic, subscribe)

    def send_ping(self, ttl: int = 0) -> None:
        """Queue a WebSocket ping with an empty payload, as libzmq sends
        (docs/wire/draft.md#zws-ping); ZWS has no TTL, so *ttl* is unused."""
        if self._state == _OPEN:
            self._frame_messages()
            self._out += encode_frame(OP_PING, b"", b"", masked=self._client)

    def send_close(self) -> None:
        """Queue a close frame (1000), once; the caller then closes TCP, since
        libzmq echoes a close but keeps the connection (docs/wire/draft.md#zws-ping)."""
        if self._state == _OPEN:
            self._frame_messages()
            self._out += encode_close(CloseCode.NORMAL, "", masked=self._client)
            self._state = _CLOSED

    def authentication_result(self, reply: ZapReply) -> list[CodecEvent]:
        """Resume a handshake that waited for the authenticator."""
        return self._after(self._zws.authentication_result(reply))

    def receive_data(self, data: bytes) -> list[CodecEvent]:
        """Consume received bytes; return the events they complete.

        A peer's fault never raises: the last event is then
        :class:`~aiomsg._zmtp.codec.PeerFailed` (after a ``400`` or a close
        frame is queued) and later input is ignored.
        """
        if self._state == _CLOSED or not data:
            return []
        events: list[CodecEvent] = []
        try:
            if self._state == _UPGRADE:
                self._head += data
                parsed = split_head(self._head)
                if parsed is None:
                    return events
                head, data = parsed
                self._head = b""
                if self._client:
                    self._accepted(parse_response(head, self._key))
                else:
                    self._upgrade(parse_request(head), head.tokens("sec-websocket-protocol"))
                self._state = _OPEN
                events += self._zws.begin()
                if not data:
                    return events
            payloads: list[bytes] = []
            for opcode, payload in self._parser.feed(data):
                if opcode == OP_BINARY:
                    payloads.append(payload)
                elif opcode == OP_PING:
                    # RFC 6455 §5.5.3: the pong echoes the ping's payload.
                    self._frame_messages()
                    self._out += encode_frame(0xA, b"", payload, masked=self._client)
                elif opcode == OP_CLOSE:
                    events += self._zws.receive(payloads)
                    return self._peer_closed(payload, events)
                # A pong needs nothing: any frame counts as life (the caller's heartbeat).
            events += self._zws.receive(payloads)
        except WebSocketError as error:
            if self._state == _UPGRADE and not self._client:
                self._out.append(build_refusal(str(error)))
            else:
                self._frame_messages()
                self._out += encode_close(error.code, str(error), masked=self._client)
            self._state = _CLOSED
            self._notices += 1
            events.append(PeerFailed(str(error)))
            return events
        except IncompatiblePeer as error:
            self._state = _CLOSED
            self._notices += 1
            events.append(PeerFailed(str(error), fatal=True))
            return events
        return self._after(events)

    def _upgrade(self, key: str, offered: list[str]) -> None:
        zws = self._zws
        chosen = choose_subprotocol(offered, zws.mechanism.name, bare=zws.bare_allowed)
        if chosen is None:
            shown = ", ".join(offered) or "none"
            raise WebSocketError(
                f"no ZeroMQ subprotocol: this endpoint speaks "
                f"{subprotocol(self._zws.mechanism.name)}, the client offered {shown}"
            )
        self.subprotocol = chosen
        if chosen == BARE_SUBPROTOCOL:
            zws.speak_bare()
        self._out.append(build_response(key, chosen))

    def _accepted(self, chosen: str) -> None:
        wanted = subprotocol(self._zws.mechanism.name)
        if chosen != wanted:
            raise IncompatiblePeer(
                f"the server chose subprotocol {chosen or 'none'!r}; we offered {wanted}"
            )
        self.subprotocol = chosen

    def _peer_closed(self, payload: bytes, events: list[CodecEvent]) -> list[CodecEvent]:
        code, reason = parse_close(payload)
        self._frame_messages()
        # RFC 6455 §5.5.1: answer with a close frame, echoing the status code.
        echo = CloseCode.NORMAL if code == 1005 else code
        self._out += encode_frame(OP_CLOSE, echo.to_bytes(2, "big"), b"", masked=self._client)
        self._state = _CLOSED
        shown = f"{code} {reason}".strip()
        self._notices += 1
        events.append(PeerFailed(f"the peer closed the WebSocket ({shown})", clean=True))
        return events

    def _after(self, events: list[CodecEvent]) -> list[CodecEvent]:
        """A ZMTP fault inside ZWS closes the WebSocket naming it."""
        if events and isinstance(events[-1], PeerFailed) and self._state == _OPEN:
            self._frame_messages()
            reason = events[-1].reason
            self._out += encode_close(CloseCode.PROTOCOL_ERROR, reason, masked=self._client)
            self._state = _CLOSED
        return events

    def _frame_messages(self) -> None:
        """Move the ZWS frames waiting in the inner codec into the output, framed."""
        if not self._zws.has_output:
            return
        masked, out = self._client, self._out
        for flags, body in self._zws.take_frames():
            out += encode_frame(OP_BINARY, _FLAG_BYTES[flags], body, masked=masked)

