"""One ZMTP 3.x connection as a sans-I/O state machine.

Feed received bytes to :meth:`ZmtpCodec.receive_data`; it returns the
events they complete, in order: a message is a ``list[bytes]`` (with
``single_bytes``, a message of one frame is that frame's ``bytes``: see
``aiomsg.transports.interface.Delivered``), anything else is one of the
event classes below. Queue outgoing traffic with
:meth:`send_message` / :meth:`send_subscription` and collect the bytes to
write with :meth:`take_output`.

The peer's faults never raise from ``receive_data``: the connection stops
parsing and the last event returned is :class:`PeerFailed`, after every
message that was complete before the fault.

The states (:class:`CodecState`) and what moves between them::

    GREETING ──64 bytes, valid──> HANDSHAKE ──mechanism complete──> TRAFFIC
                                   │    ^                              │
              mechanism asks the   v    │ authentication_result()     │
              authenticator   AUTHENTICATING                           │
                                                                       │
    any state ──peer fault / refusal / incompatible──> FAILED <────────┘

When the mechanism completes, the peer is checked (its socket type, and the
``admit`` callback: a PAIR that has a peer already...) *before* our last
handshake command is queued, so a peer turned away gets only an ERROR that
says why, never our READY. An accepting NULL side sends its READY after the
peer's for the same reason (RFC 37 has the client speak first).

Our greeting is queued at construction and goes out at once, before the
peer's arrives (docs/wire/zmtp.md#greeting-order). Bytes are buffered as
chunks until ``_needed`` are present, so a frame that arrives in many pieces
is joined once; a greeting that trickles in is still checked byte by byte,
so a non-ZMTP peer is refused as soon as a bad byte is visible.
"""

from __future__ import annotations

import enum
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import islice
from typing import Protocol

from aiomsg._fillable import fillable_bytes
from aiomsg._zmtp.frames import (
    COMMAND,
    LAST_HEADERS,
    LAST_HEADERS_LIMIT,
    LONG,
    LONG_HEADER,
    LONG_SIZE,
    MORE,
    ONE_DIGIT_MAX,
    SHORT_HEADERS,
    encode_command,
    encode_message,
    split_command,
)
from aiomsg._zmtp.greeting import (
    GREETING_SIZE,
    Greeting,
    build_greeting,
    check_greeting_prefix,
    parse_greeting,
)
from aiomsg._zmtp.mechanism import HandshakeRefused, Mechanism, ZapReply, ZapRequest
from aiomsg._zmtp.null import NullMechanism
from aiomsg.constants import SocketType, compatible_peers
from aiomsg.errors import IncompatiblePeer, ProtocolError

__all__ = [
    "Admission",
    "AuthenticationRequested",
    "CodecEvent",
    "CodecState",
    "HandshakeComplete",
    "PeerFailed",
    "PeerRejected",
    "StreamCodec",
    "Subscription",
    "ZmtpCodec",
    "send_each",
]

#: Decides whether to take a peer whose handshake properties are given:
#: None to take it, or the reason to turn it away.
Admission = Callable[[dict[bytes, bytes]], "str | None"]

# A data frame of at least this many bytes cut by a read gets its storage
# at once, filled as the rest arrives (ZmtpCodec._store_frame); a smaller
# one is joined from its pieces. Not above a read's worth (the transports'
# direct reads start past 256 KiB still to come).
_STORE_MIN = 32 * 1024
# A handshake command larger than this is refused: it bounds what an
# unauthenticated peer can make us buffer.
MAX_HANDSHAKE_FRAME = 1 << 20
# Socket types that announce their routing id in READY, as libzmq does.
_SENDS_IDENTITY = frozenset({SocketType.REQ, SocketType.DEALER, SocketType.ROUTER})
_PING, _PONG, _SUBSCRIBE, _CANCEL = b"PING", b"PONG", b"SUBSCRIBE", b"CANCEL"
_JOIN, _LEAVE = b"JOIN", b"LEAVE"
# RFC 48 and libzmq's RADIO: a group is at most 255 bytes, with no NUL
# (docs/wire/draft.md#radio-side).
_MAX_GROUP = 255


@dataclass(frozen=True, slots=True)
class HandshakeComplete:
    """The peer is authenticated and compatible; messages may flow.

    ``user_id`` and ``auth_metadata`` come from the authenticator (server side).
    """

    socket_type: bytes
    identity: bytes
    properties: dict[bytes, bytes]
    greeting: Greeting
    user_id: bytes = b""
    auth_metadata: dict[bytes, bytes] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AuthenticationRequested:
    """The handshake waits for :meth:`ZmtpCodec.authentication_result`."""

    request: ZapRequest


@dataclass(frozen=True, slots=True)
class Subscription:
    """A SUBSCRIBE (``subscribe=True``) or CANCEL command from the peer, or
    a DISH's JOIN or LEAVE of a group (RFC 37 §Radio-Dish)."""

    topic: bytes
    subscribe: bool


@dataclass(frozen=True, slots=True)
class PeerFailed:
    """The peer broke the protocol or refused us; close the connection.

    ``refused`` is true when the peer sent ERROR: it does not want us back.
    ``rejected`` is true when we turned the peer away (``admit`` said why).
    ``fatal`` is true when retrying cannot help: refused, rejected, or an
    incompatible socket type or security mechanism. ``auth_status`` is the
    ZAP status code when authentication failed: our authenticator's refusal,
    or the 3-digit code a peer's ERROR carries (libzmq's
    ``HANDSHAKE_FAILED_AUTH`` value, ``stream_engine_base.cpp``); 0 otherwise.
    ``clean`` is true when the peer ended the connection in an orderly way
    (a WebSocket close): the caller closes without reporting a fault.
    """

    reason: str
    refused: bool = False
    fatal: bool = False
    rejected: bool = False
    auth_status: int = 0
    clean: bool = False


def _status(text: str) -> int:
    """*text* as a ZAP status code (3 digits), or 0."""
    return int(text) if len(text) == 3 and text.isdigit() else 0


class PeerRejected(ProtocolError):
    """We turned the peer away: ``admit`` gave this reason (sent to it in ERROR)."""


CodecEvent = (
    bytes | list[bytes] | HandshakeComplete | Subscription | PeerFailed | AuthenticationRequested
)


class StreamCodec(Protocol):
    """What a byte-stream connection needs of its codec: :class:`ZmtpCodec`
    for tcp and ipc, :class:`~aiomsg._zmtp.zws.ZwsStreamCodec` for ws."""

    #: Set while the caller cannot write what take_output() would return.
    output_held: bool
    #: The TTL (ms) the peer asked for in its last PING; 0: none.
    peer_ttl: int

    @property
    def notices(self) -> int:
        """How many events other than messages this codec has returned: a
        call that returns any leaves it higher, so a caller comparing it
        before and after knows a read's events are all messages without
        looking at each (one check per read, not one per message)."""

    @property
    def mechanism(self) -> Mechanism: ...

    @property
    def has_output(self) -> bool: ...

    @property
    def pings_allowed(self) -> bool: ...

    def take_output(self) -> list[bytes]: ...

    def receive_data(self, data: bytes) -> list[CodecEvent]: ...

    def authentication_result(self, reply: ZapReply) -> list[CodecEvent]: ...

    def send_message(self, frames: list[bytes]) -> int:
        """Queue a message; return its payload size (the frames' bytes),
        which the caller uses to decide when to write without waiting."""

    def send_messages(
        self, messages: list[list[bytes]], start: int, budget: int
    ) -> tuple[int, int]:
        """Queue ``messages[start:]`` in order, stopping after the message
        whose payload takes the total past *budget* bytes; return the index
        after the last message queued and the payload size queued (the
        batch form of :meth:`send_message`: one call and one size per batch).
        :func:`send_each` is the loop a codec without a faster form uses."""

    def send_subscription(self, topic: bytes, subscribe: bool) -> None: ...

    def send_ping(self, ttl: int = 0) -> None: ...

    def send_close(self) -> None:
        """Queue what ends the connection in an orderly way (a WebSocket
        close frame; nothing for ZMTP, where closing TCP says it)."""

    @property
    def body_remaining(self) -> int:
        """Bytes still to come of a data frame the caller may read straight
        into a buffer with :meth:`body_buffer` (0: none)."""

    def body_buffer(self) -> memoryview:
        """The part still to fill of that frame's storage (see ZmtpCodec)."""

    def body_received(self) -> list[CodecEvent]:
        """That storage is full: the events the frame completes."""

    def release_body(self) -> None:
        """Free that buffer (kept for the next large frame until then)."""


def send_each(
    send_message: Callable[[list[bytes]], int],
    messages: list[list[bytes]],
    start: int,
    budget: int,
) -> tuple[int, int]:
    """``StreamCodec.send_messages`` as a loop over *send_message*, for the
    codecs where a batch costs what its messages cost anyway (ZWS)."""
    end = len(messages)
    total = 0
    while start < end:
        total += send_message(messages[start])
        start += 1
        if total > budget:
            break
    return start, total


class CodecState(enum.IntEnum):
    """Where a connection is in its life; see the module docstring."""

    #: Waiting for the peer's 64-byte greeting (ours is already queued).
    GREETING = 0
    #: Exchanging the mechanism's handshake commands (READY, HELLO...).
    HANDSHAKE = 1
    #: The handshake waits for the authenticator; input is buffered, bounded.
    AUTHENTICATING = 2
    #: Handshake complete: messages and commands flow.
    TRAFFIC = 3
    #: The peer failed or was refused: input is ignored, the caller closes.
    FAILED = 4


# Compared by identity (`is`): CPython 3.11 specializes `==` only for
# exact ints, and an IntEnum's comparison is a generic rich compare
# (~100 instructions each, twice per read; callgrind reqrep).
_GREETING, _HANDSHAKE, _AUTHENTICATING, _TRAFFIC, _FAILED = CodecState


class ZmtpCodec:
    """The codec for one connection, in either role (it is symmetric for NULL).

    Args:
        socket_type: the local socket's type, sent as ``Socket-Type``.
        identity: the local routing id, sent as ``Identity`` by REQ/DEALER/ROUTER.
        mechanism: the security mechanism; NULL when omitted.
        maxmsgsize: a data frame larger than this many bytes fails the
            connection; ``-1`` means no limit (libzmq's ``ZMQ_MAXMSGSIZE``).
        max_message_size: likewise for a whole message, all its frames
            together (aiomsg's own bound; libzmq has none).
        accepted: the peer connected to us (NULL then sends READY second).
        admit: asked once the handshake is complete, before our last
            handshake command is queued; see :data:`Admission`.
        greeting: False for ZMTP inside ZWS, which has no greeting (the
            WebSocket subprotocol names the mechanism): nothing is queued
            until :meth:`begin` starts the handshake.
        single_bytes: a message of one frame is returned as that frame's
            ``bytes``, not a list of one: what a pipe queues as it is
            (``transports.interface.Delivered``; the tcp and ipc
            connections ask for it). A list is tracked by the garbage
            collector, which traverses every queued one in its young
            collections (docs/internals.md).
    """

    __slots__ = (
        "_admit",
        "_body",
        "_body_flags",
        "_body_frame",
        "_body_view",
        "_buffer",
        "_buffered",
        "_encrypts",
        "_fast_limit",
        "_frame_limit",
        "_needed",
        "_parts",
        "_parts_size",
        "_pong_queued",
        "_short_below",
        "_single_bytes",
        "_split_frame",
        "_state",
        "body_remaining",
        "greeting",
        "max_message_size",
        "maxmsgsize",
        "mechanism",
        "notices",
        "output",
        "output_held",
        "peer_ttl",
        "socket_type",
        "unsealed",
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
        greeting: bool = True,
        single_bytes: bool = False,
    ) -> None:
        self.socket_type = socket_type
        self._single_bytes = single_bytes
        self.maxmsgsize = maxmsgsize
        self.max_message_size = max_message_size
        limits = [limit for limit in (maxmsgsize, max_message_size) if limit >= 0]
        self._frame_limit = min(limits) if limits else sys.maxsize
        # The flags below which _receive_traffic takes a short frame's fast
        # path: 2 (a short data frame, MORE or not), unless a limit under
        # 255 bytes means short frames need the size checks (0: none does).
        # Decided here, not per read: the "no limit" maxsize is not a
        # one-digit int, and CPython 3.11 compares those generically.
        self._short_below = 2 if self._frame_limit >= 255 else 0
        # The limit the long-frame fast path compares with: the frame limit,
        # or without one the largest one-digit int, so that the comparison
        # specializes (a larger frame takes the general path, which checks
        # the real limit).
        self._fast_limit = min(self._frame_limit, ONE_DIGIT_MAX)
        self._admit = admit
        properties = {b"Socket-Type": socket_type.wire_name}
        if socket_type in _SENDS_IDENTITY:
            properties[b"Identity"] = identity
        self.mechanism = mechanism if mechanism is not None else NullMechanism()
        # Read on every message sent: a slot of our own, not two lookups.
        self._encrypts = self.mechanism.encrypts
        self.mechanism.metadata = properties
        self.mechanism.accepted = accepted
        self.greeting: Greeting | None = None
        #: The TTL (ms) of the peer's last PING: close if it is silent that long.
        self.peer_ttl = 0
        #: Events other than messages returned so far (StreamCodec.notices):
        #: each is appended by _notice.
        self.notices = 0
        self._state: CodecState = _GREETING
        # Received bytes not parsed yet, kept as chunks until _needed are here,
        # so a large frame arriving in many pieces is joined once, not re-copied.
        self._buffer: list[bytes | memoryview] = []
        self._buffered = 0
        # The header size of the data frame whose body the buffered chunks
        # are completing (0: none): see _join_frame.
        self._split_frame = 0
        #: Bytes still to come of the data frame being received (0: none),
        #: which the caller may read straight into it: see body_buffer().
        self.body_remaining = 0
        self._body = bytearray()
        self._body_view = _NO_VIEW
        self._body_frame: bytes | None = None
        self._body_flags = 0
        self._needed = 1
        self._parts: list[bytes] = []
        self._parts_size = 0
        self._pong_queued = False
        #: Set while the caller cannot write what take_output() would return
        #: (its transport asked it to pause): PONGs then coalesce.
        self.output_held = False
        #: The byte strings queued for writing, in order (take_output()
        #: drains it). A link may append a message encode_once() encoded,
        #: where shares_encoding says the bytes are valid here.
        self.output: list[bytes] = []
        #: One-frame messages' bodies for an encrypting mechanism to seal,
        #: in order, after everything in :attr:`output`: sealed together
        #: (the mechanism's encode_run) when the output is taken, or before
        #: anything else is queued. A link appends to it itself
        #: (``PeerProtocol._send_direct``): one list append per message,
        #: not a call to the mechanism's encode.
        self.unsealed: list[bytes] = []
        if greeting:
            self.output.append(
                build_greeting(self.mechanism.name, self.mechanism.as_server, len(identity))
            )

    def begin(self) -> list[CodecEvent]:
        """Start the handshake without a greeting (ZWS, docs/wire/draft.md#zws-handshake).

        Our first handshake command is queued at once, as libzmq does; the
        peer's counts as ZMTP 3.0 for subscriptions, which ZWS always
        carries as data frames (docs/wire/draft.md#zws-framing).
        """
        events: list[CodecEvent] = []
        if self._state is _GREETING:
            self.greeting = Greeting(3, 0, self.mechanism.name, not self.mechanism.as_server)
            try:
                self._start_handshake(events)
            except ProtocolError as error:  # a mechanism that cannot start (no key)
                self._fail(error, events)
        return events

    # -- output ------------------------------------------------------------

    def take_output(self) -> list[bytes]:
        """Remove and return the byte strings queued for writing, in order."""
        if self.unsealed:
            self._seal_unsealed()
        out, self.output = self.output, []
        self._pong_queued = False
        return out

    @property
    def has_output(self) -> bool:
        """Whether :meth:`take_output` would return anything."""
        return bool(self.output or self.unsealed)

    def _seal_unsealed(self) -> None:
        """Seal :attr:`unsealed` into the output: before anything else is
        queued after it, and when the output is taken."""
        bodies, self.unsealed = self.unsealed, []
        self.mechanism.encode_run(bodies, self.output)

    @property
    def ready(self) -> bool:
        """The handshake is complete and the connection has not failed."""
        return self._state is _TRAFFIC

    @property
    def shares_encoding(self) -> bool:
        """Whether a message's frames go out as plain ZMTP frames, the same
        bytes for every such connection (NULL, PLAIN): then a message encoded
        once (``aiomsg.transports.interface.encode_once``) may be appended to
        the output as it is, for any number of connections. False when the
        mechanism encrypts (CURVE: its own keys and nonces).

        The link appends those byte strings to :attr:`output` itself
        (``PeerProtocol._send_encoded``): a method call here would cost a
        fan-out ~420 instructions more per subscriber (callgrind, pub4)."""
        return not self._encrypts

    def send_message(self, frames: list[bytes]) -> int:
        """Queue a message (its frames with MORE on all but the last); return
        its payload size, known here anyway (the caller needs it per message,
        for when to write without waiting: one computation, not two).

        The caller must wait for :class:`HandshakeComplete` first.
        """
        if self._encrypts:
            if self.unsealed:
                self._seal_unsealed()
            encode = self.mechanism.encode
            if len(frames) == 1:
                body = frames[0]
                self.output.append(encode(0, body))
                return len(body)
            last = len(frames) - 1
            self.output += [encode(MORE if i < last else 0, f) for i, f in enumerate(frames)]
            return sum(map(len, frames))
        if len(frames) == 1:
            # The common case, inlined: one frame.
            body = frames[0]
            size = len(body)
            out = self.output
            # Two appends, not += of a tuple: no tuple made and freed per
            # message (~150 instructions, callgrind).
            if size < LAST_HEADERS_LIMIT:
                out.append(LAST_HEADERS[size])  # flags 0: index = size
            else:
                out.append(LONG_HEADER.pack(LONG, size))
            out.append(body)
            return size
        # frames.encode_message, inlined: a multipart message is every
        # message of REQ/REP and ROUTER/DEALER, and the call would be one
        # per message (tests/zmtp/test_framing.py drives encode_message).
        out = self.output
        last = len(frames) - 1
        total = 0
        for index, body in enumerate(frames):
            size = len(body)
            total += size
            if size < 256:
                out.append(SHORT_HEADERS[(MORE << 8 | size) if index < last else size])
            else:
                out.append(LONG_HEADER.pack((LONG | MORE) if index < last else LONG, size))
            out.append(body)
        return total

    def send_messages(
        self, messages: list[list[bytes]], start: int, budget: int
    ) -> tuple[int, int]:
        """Queue ``messages[start:]`` until the payload queued passes
        *budget* bytes (see ``StreamCodec.send_messages``): the loop of
        :meth:`send_message` in one call, with its one-frame case inlined.
        tests/zmtp/test_send_messages.py drives each branch."""
        if self._encrypts:
            return self._seal_messages(messages, start, budget)
        out = self.output
        append = out.append
        total = 0
        # A for loop over the list: fewer instructions per message than
        # indexing it (the usual batch starts at 0; islice skips otherwise).
        for frames in messages if start == 0 else islice(messages, start, None):
            start += 1
            if len(frames) == 1:
                body = frames[0]
                size = len(body)
                if size < LAST_HEADERS_LIMIT:
                    append(LAST_HEADERS[size])  # flags 0: index = size
                else:
                    append(LONG_HEADER.pack(LONG, size))
                append(body)
                total += size
            else:
                encode_message(frames, out)
                total += sum(map(len, frames))
            if total > budget:
                break
        return start, total

    def _seal_messages(
        self, messages: list[list[bytes]], start: int, budget: int
    ) -> tuple[int, int]:
        """:meth:`send_messages` through an encrypting mechanism: a
        one-frame message's body queued in :attr:`unsealed`, sealed with the
        rest at once, not through :meth:`send_message`.
        tests/security/test_mechanisms.py drives it (the CURVE batch)."""
        total = 0
        for frames in messages if start == 0 else islice(messages, start, None):
            start += 1
            if len(frames) == 1:
                body = frames[0]
                self.unsealed.append(body)
                total += len(body)
            else:
                total += self.send_message(frames)
            if total > budget:
                break
        return start, total

    def _send_command(self, name: bytes, data: bytes) -> None:
        if self.mechanism.encrypts and self._state is _TRAFFIC:
            if self.unsealed:
                self._seal_unsealed()
            self.output.append(self.mechanism.encode(COMMAND, bytes((len(name),)) + name + data))
        else:
            self.output.append(encode_command(name, data))

    def send_subscription(self, topic: bytes, subscribe: bool) -> None:
        """Queue a subscribe or cancel in the form the peer's version expects.

        ZMTP 3.1 peers get SUBSCRIBE/CANCEL commands; 3.0 peers get the data
        frames ``\\x01topic`` / ``\\x00topic`` (libzmq's rule,
        docs/wire/zmtp.md#subscription-forms). A DISH joins and leaves
        groups with JOIN/LEAVE commands, the group being the rest of the
        body (docs/wire/draft.md#join-leave).
        """
        assert self.greeting is not None, "subscription before the handshake"
        if self.socket_type is SocketType.DISH:
            self._send_command(_JOIN if subscribe else _LEAVE, topic)
        elif self.greeting.uses_subscribe_commands:
            self._send_command(_SUBSCRIBE if subscribe else _CANCEL, topic)
        else:
            self.send_message([(b"\x01" if subscribe else b"\x00") + topic])

    @property
    def pings_allowed(self) -> bool:
        """Whether heartbeat PINGs may go to this peer: never to a DISH, which
        libzmq disconnects for good on any command (docs/wire/draft.md#dish-heartbeats)."""
        return self.socket_type is not SocketType.RADIO

    def send_ping(self, ttl: int = 0) -> None:
        """Queue a PING (after the handshake). *ttl* ms, sent in deciseconds,
        asks the peer to close the connection if it hears nothing for that long."""
        self._send_command(_PING, min(max(ttl, 0) // 100, 0xFFFF).to_bytes(2, "big"))

    def send_close(self) -> None:
        """Nothing: a ZMTP connection ends when TCP closes."""

    def send_error(self, reason: str) -> None:
        """Queue an ERROR command (reason cut to 255 bytes); the caller then closes."""
        text = reason.encode("ascii", "replace")[:255]
        self._send_command(b"ERROR", bytes((len(text),)) + text)

    # -- input -------------------------------------------------------------

    def receive_data(self, data: bytes) -> list[CodecEvent]:
        """Consume received bytes; return the events they complete, in order."""
        events: list[CodecEvent] = []
        if self._state is _FAILED or not data:
            return events
        offset = 0  # where the bytes still to parse start in data
        try:
            if self.body_remaining:
                # A large data frame's storage is being filled (_store_frame).
                offset = self._fill_body(data, events)
                if offset == len(data):
                    return events
            elif self._buffer:
                self._buffer.append(data)
                self._buffered += len(data)
                if self._buffered < self._needed:
                    if self._state is _GREETING:
                        # A greeting trickling in is still checked byte by byte.
                        check_greeting_prefix(b"".join(self._buffer))
                    return events
                if self._split_frame:
                    # Only traffic splits frames: the state stays _TRAFFIC.
                    offset = self._join_frame(events)
                else:
                    data = b"".join(self._buffer)
                    self._buffer = []
            if self._state is _TRAFFIC:
                # _parse's last step, called directly: the state every read
                # after the handshake is in (one call per read fewer).
                if offset < len(data):
                    data = self._receive_traffic(data, events, offset)
                    if data:
                        self._buffer = [data]
                        self._buffered = len(data)
            elif data:
                self._parse(data, events)
        except ProtocolError as error:
            self._fail(error, events)
        return events

    def authentication_result(self, reply: ZapReply) -> list[CodecEvent]:
        """Resume a handshake paused by :class:`AuthenticationRequested`.

        Returns the events that follow: :class:`HandshakeComplete` and any
        messages buffered meanwhile, or :class:`PeerFailed` if refused.
        """
        events: list[CodecEvent] = []
        if self._state is not _AUTHENTICATING:
            return events
        mechanism = self.mechanism
        mechanism.zap_request = None
        self._state = _HANDSHAKE
        try:
            out = mechanism.zap_reply(reply)
            if mechanism.error is not None:
                self.output += out
                self._fail(ProtocolError(mechanism.error), events, _status(reply.status_code))
                return events
            data = b"".join(self._buffer)
            self._buffer = []
            self._take(out, events)
            if data:
                self._parse(data, events)
        except ProtocolError as error:
            self._fail(error, events)
        return events

    def _parse(self, data: bytes, events: list[CodecEvent]) -> None:
        if self._state is _GREETING:
            data = self._receive_greeting(data, events)
        if self._state is _HANDSHAKE:
            data = self._receive_handshake(data, events)
        if self._state is _TRAFFIC and data:
            data = self._receive_traffic(data, events)
        if data:
            self._buffer = [data]
            self._buffered = len(data)
            if self._state is _AUTHENTICATING:
                if len(data) > MAX_HANDSHAKE_FRAME:
                    raise ProtocolError("too much data while authentication is pending")
                self._needed = MAX_HANDSHAKE_FRAME + 1

    def _join_frame(self, events: list[CodecEvent]) -> int:
        """The data frame (under _STORE_MIN bytes) whose body the buffered
        chunks complete, joined straight from the chunks. Returns
        the offset in the last chunk (the read just received) where what
        follows the frame starts, to parse in place: copying the rest of the
        read first cost every 1 KiB message a third copy of its bytes, and
        a read-sized allocation per read (a stream of 1 KiB frames splits one
        at nearly every read's end: docs/internals.md)."""
        buffer, self._buffer = self._buffer, []
        header, self._split_frame = self._split_frame, 0
        flags = buffer[0][0]
        last = buffer[-1]
        keep = self._buffered - self._needed  # bytes past the frame
        buffer[0] = memoryview(buffer[0])[header:]
        if keep:
            buffer[-1] = memoryview(last)[: len(last) - keep]
        self._complete_frame(flags, b"".join(buffer), events)
        return len(last) - keep

    def _store_frame(self, flags: int, part: memoryview, size: int) -> None:
        """Give the data frame of *size* bytes whose start *part* is its
        storage now, with *part* copied in; later reads fill the rest
        (:meth:`_fill_body`, or the caller straight from the kernel:
        :meth:`body_buffer`).

        The storage is the frame's own ``bytes``
        (:func:`~aiomsg._fillable.fillable_bytes`), made once the header is
        known, so each byte is copied once: joined from chunks instead, a
        read-sized piece was kept and copied again. Where that cannot be
        made, it is a buffer kept for the next large frame (until
        :meth:`release_body`), copied once when complete.
        """
        fillable = fillable_bytes(size)
        if fillable is not None:
            self._body_frame, view = fillable
        else:
            if len(self._body) < size:
                # Kept for the next large frame (until release_body): a new one
                # costs a pass to zero it and a page fault per 4 KiB, which made
                # receiving a 16 MiB message 3x as costly (docs/internals.md).
                self._body = bytearray(size)
            view = memoryview(self._body)[:size]
        view[: len(part)] = part
        self._body_view = view
        self._body_flags = flags
        self.body_remaining = size - len(part)

    def _fill_body(self, data: bytes, events: list[CodecEvent]) -> int:
        """Copy the start of *data* into the frame being stored; return how
        many bytes of it were the frame's (the rest follows the frame)."""
        view = self._body_view
        remaining = self.body_remaining
        filled = len(view) - remaining
        if len(data) < remaining:
            view[filled : filled + len(data)] = data
            self.body_remaining = remaining - len(data)
            return len(data)
        view[filled:] = memoryview(data)[:remaining]
        self._take_body(events)
        return remaining

    def _take_body(self, events: list[CodecEvent]) -> None:
        """The stored frame is complete: add it to its message."""
        view, self._body_view = self._body_view, _NO_VIEW
        frame, self._body_frame = self._body_frame, None
        self.body_remaining = 0
        self._complete_frame(self._body_flags, view.tobytes() if frame is None else frame, events)

    def body_buffer(self) -> memoryview:
        """The part still to fill of the data frame being stored
        (:attr:`body_remaining` bytes).

        The caller may read the rest of the frame straight into it (a
        ``BufferedProtocol``), then call :meth:`body_received`, giving this
        codec nothing else meanwhile: then the kernel's copy is the
        payload's only one (see :meth:`_store_frame`).
        """
        view = self._body_view
        return view[len(view) - self.body_remaining :]

    def body_received(self) -> list[CodecEvent]:
        """The storage :meth:`body_buffer` returned is full: the events the
        frame completes, whose body is immutable ``bytes`` as every frame's is
        (the filled object itself, or a copy of the kept buffer)."""
        events: list[CodecEvent] = []
        try:
            self._take_body(events)
        except ProtocolError as error:
            self._fail(error, events)
        return events

    def release_body(self) -> None:
        """Free the buffer large frames were read into, unless one is being
        read now: a connection idle after a large message should not keep
        its size in memory."""
        if not self._body_view:
            self._body = bytearray()

    def _complete_frame(self, flags: int, frame: bytes, events: list[CodecEvent]) -> None:
        """Add a data frame that arrived in pieces to the message being
        assembled; the last frame completes it."""
        parts = self._parts
        parts.append(frame)
        total_limit = self.max_message_size
        if total_limit >= 0 and (flags & MORE or self._parts_size):
            self._parts_size += len(frame)
            if self._parts_size > total_limit:
                raise ProtocolError(_too_large(self._parts_size, total_limit))
        if not flags & MORE:
            events.append(parts[0] if self._single_bytes and len(parts) == 1 else parts)
            self._parts = []
            self._parts_size = 0
        self._needed = 2

    def _fail(self, error: ProtocolError, events: list[CodecEvent], auth_status: int = 0) -> None:
        self._state = _FAILED
        self._split_frame = self.body_remaining = 0
        self._buffer = []
        self._body_view, self._body_frame = _NO_VIEW, None
        refused = isinstance(error, HandshakeRefused)
        rejected = isinstance(error, PeerRejected)
        fatal = refused or rejected or isinstance(error, IncompatiblePeer)
        if isinstance(error, HandshakeRefused):
            auth_status = _status(error.reason)
        self._notice(
            events,
            PeerFailed(
                str(error), refused=refused, fatal=fatal, rejected=rejected, auth_status=auth_status
            ),
        )

    def _notice(self, events: list[CodecEvent], event: CodecEvent) -> None:
        """Append *event*, one that is not a message, and count it (notices)."""
        events.append(event)
        self.notices += 1

    def _receive_greeting(self, data: bytes, events: list[CodecEvent]) -> bytes:
        check_greeting_prefix(data)
        if len(data) < GREETING_SIZE:
            self._needed = GREETING_SIZE
            return data
        self.greeting = parse_greeting(data[:GREETING_SIZE], self.mechanism.name)
        self._start_handshake(events)
        return data[GREETING_SIZE:]

    def _start_handshake(self, events: list[CodecEvent]) -> None:
        self._state = _HANDSHAKE
        self.output += self.mechanism.start()
        self._needed = 2
        if self.mechanism.zap_request is not None:
            # NULL with a ZAP domain asks before it sends anything (security).
            self._notice(events, AuthenticationRequested(self.mechanism.zap_request))
            self._state = _AUTHENTICATING

    def _receive_handshake(self, data: bytes, events: list[CodecEvent]) -> bytes:
        offset, end = 0, len(data)
        mechanism = self.mechanism
        while True:
            header = _parse_header(data, offset, end)
            if header is None:
                self._needed = 9 if end - offset >= 1 and data[offset] & 2 else 2
                return data[offset:]
            flags, start, size = header
            if size > MAX_HANDSHAKE_FRAME:
                raise ProtocolError(f"handshake frame of {size} bytes is too large")
            stop = start + size
            if stop > end:
                self._needed = stop - offset
                return data[offset:]
            if not flags & COMMAND:
                raise ProtocolError("data frame received before the handshake completed")
            try:
                name, body = split_command(data[start:stop])
            except ValueError as error:
                if data[start : start + 5] != b"^RROR":
                    raise ProtocolError(f"malformed handshake command: {error}") from None
                # libzmq 4.3.5's PLAIN server misspells ERROR (docs/wire/zmtp.md#plain-error-bug).
                name, body = b"ERROR", data[start + 5 : stop]
            out = mechanism.process_command(name, body)
            offset = stop
            if self._take(out, events):
                break
            if mechanism.zap_request is not None:
                self._notice(events, AuthenticationRequested(mechanism.zap_request))
                self._state = _AUTHENTICATING
                return data[offset:]
        return data[offset:]

    def _take(self, out: list[bytes], events: list[CodecEvent]) -> bool:
        """Queue the mechanism's output *out*; if the handshake is now complete,
        check the peer first and report it. Returns whether it is complete.

        Raises:
            IncompatiblePeer, PeerRejected: the peer is turned away; only an
                ERROR saying why is queued, not *out*.
        """
        if not self.mechanism.complete:
            self.output += out
            return False
        event = self._handshake_complete()
        self.output += out
        self._notice(events, event)
        self._state = _TRAFFIC
        self._needed = 2
        return True

    def _handshake_complete(self) -> HandshakeComplete:
        assert self.greeting is not None
        properties = self.mechanism.peer_properties
        peer_type = properties.get(b"Socket-Type")
        # A missing Socket-Type is accepted, as libzmq does (docs/wire/zmtp.md#ready-parsing).
        if peer_type is not None and peer_type not in compatible_peers(self.socket_type):
            reason = f"socket type {peer_type.decode('ascii', 'replace')} cannot talk to " + (
                self.socket_type.name
            )
            self.send_error("Invalid socket type")
            raise IncompatiblePeer(reason)
        if self._admit is not None:
            refusal = self._admit(properties)
            if refusal is not None:
                # RFC 23 §ERROR: the reason, then close. A libzmq peer that
                # connected then stops retrying (docs/wire/zmtp.md#error).
                self.send_error(refusal)
                raise PeerRejected(refusal)
        return HandshakeComplete(
            socket_type=peer_type or b"",
            identity=properties.get(b"Identity", b""),
            properties=properties,
            greeting=self.greeting,
            user_id=self.mechanism.user_id,
            auth_metadata=self.mechanism.auth_metadata,
        )

    def _receive_traffic(self, data: bytes, events: list[CodecEvent], offset: int = 0) -> bytes:
        """The hot path: parse every complete frame in *data* from *offset*
        with an offset loop; return the bytes left over (an incomplete frame)."""
        if self._encrypts:
            return self._receive_encrypted(data, events, offset)
        end = len(data)
        parts = self._parts
        parts_size = self._parts_size  # bytes in parts, tracked only with a limit
        total_limit = self.max_message_size
        # The fast paths below skip the size checks a limit of 255 bytes or
        # more cannot fail on a short frame; under a smaller limit, short
        # frames take the general path (flags < 0 never holds).
        short = self._short_below
        single_bytes = self._single_bytes
        last = end - 2  # the last offset at which a frame can start
        # Not `while offset <= last`: a loop this long puts an EXTENDED_ARG
        # before the jump out, and CPython 3.11 then leaves the comparison
        # unspecialized, a generic rich compare on every pass (~150
        # instructions; callgrind reqrep). `if ...: break` jumps a short way.
        while True:
            if offset > last:
                break
            flags = data[offset]
            if flags < short:
                # The common frames, short data frames arrived in full, first:
                # ~30% fewer instructions per message than the general path
                # below, which they would take with the same outcome
                # (callgrind, docs/internals.md). A multipart message under
                # max_message_size takes the general path (it counts sizes).
                start = offset + 2
                stop = start + data[offset + 1]
                if stop <= end:
                    if not flags:
                        if not parts:
                            # A run of them in an inner loop that skips the
                            # checks above for each after the first (~280
                            # instructions per message, callgrind recv16h on
                            # uvloop).
                            while True:
                                events.append(
                                    data[start:stop] if single_bytes else [data[start:stop]]
                                )
                                offset = stop
                                if offset > last or data[offset]:
                                    break
                                start = offset + 2
                                stop = start + data[offset + 1]
                                if stop > end:
                                    break
                            continue
                        if total_limit < 0:
                            parts.append(data[start:stop])
                            events.append(parts)
                            parts = []
                            offset = stop
                            continue
                    elif total_limit < 0:
                        parts.append(data[start:stop])
                        offset = stop
                        continue
            elif flags == LONG and not parts:
                # Whole messages in one long frame each (256 bytes or more)
                # that arrived in full: as the general path below would, in
                # fewer steps (recv1k: ~900 instructions per message fewer,
                # callgrind), and a run of them in an inner loop that skips
                # the checks above for each after the first (~220
                # instructions per message, callgrind recv1kh on uvloop).
                # tests/zmtp/test_receive_paths.py drives each path.
                first = offset
                fast_limit = self._fast_limit
                while True:
                    start = offset + 9
                    if start > end:
                        break
                    (size,) = _unpack_size(data, offset + 1)
                    stop = start + size
                    if stop > end or size > fast_limit:
                        break
                    events.append(data[start:stop] if single_bytes else [data[start:stop]])
                    offset = stop
                    if offset > last or data[offset] != LONG:
                        break
                if offset != first:
                    continue
            if flags & 2:
                if end - offset < 9:
                    break
                (size,) = _unpack_size(data, offset + 1)
                start = offset + 9
            else:
                size = data[offset + 1]
                start = offset + 2
            stop = start + size
            # The general path reads the limits itself: a read that takes
            # only the fast paths (most) loads neither.
            maxmsgsize = self.maxmsgsize
            if flags & COMMAND:
                # Commands are bounded like data frames (as libzmq does), and
                # always, even without maxmsgsize: a SUBSCRIBE is held.
                if size > MAX_HANDSHAKE_FRAME or 0 <= maxmsgsize < size:
                    raise ProtocolError(f"command frame of {size} bytes is too large")
                if stop > end:
                    self._needed = stop - offset
                    self._parts, self._parts_size = parts, parts_size
                    return data[offset:]
                self._receive_command(data[start:stop], events)
            else:
                # One comparison covers both limits; -1 (none) never trips.
                if size > self._frame_limit:
                    if 0 <= maxmsgsize < size:
                        raise ProtocolError(
                            f"frame of {size} bytes exceeds maxmsgsize {maxmsgsize}"
                        )
                    raise ProtocolError(_too_large(size, total_limit))
                if stop > end:
                    self._parts, self._parts_size = parts, parts_size
                    if size >= _STORE_MIN:
                        # A large frame: its storage now, filled as it arrives.
                        self._store_frame(flags, memoryview(data)[start:], size)
                        return b""
                    # The body is still arriving: keep this chunk's part, for
                    # _join_frame to join once, whole. A view of it (no copy)
                    # when it is most of the chunk (a short read);
                    # else a copy, so as not to hold the whole read until the
                    # next one: two reads alive at once made glibc grow and
                    # trim its heap about once per read, with a page fault
                    # per 4 KiB (1 KiB messages, uvloop: docs/internals.md).
                    self._needed = stop - offset
                    self._split_frame = start - offset
                    self._buffer = [
                        data[offset:] if end - offset < offset else memoryview(data)[offset:]
                    ]
                    self._buffered = end - offset
                    return b""
                parts.append(data[start:stop])
                if total_limit >= 0 and (flags & 1 or parts_size):
                    # A multipart message under max_message_size: its total.
                    parts_size += size
                    if parts_size > total_limit:
                        raise ProtocolError(_too_large(parts_size, total_limit))
                if not flags & 1:
                    events.append(parts[0] if single_bytes and len(parts) == 1 else parts)
                    parts = []
                    parts_size = 0
            offset = stop
        self._parts, self._parts_size = parts, parts_size
        if offset == end:
            # All of it parsed, as most reads are: no slice of it to take.
            self._needed = 2
            return b""
        self._needed = 9 if data[offset] & 2 else 2
        return data[offset:]

    def _receive_encrypted(self, data: bytes, events: list[CodecEvent], offset: int) -> bytes:
        """Traffic through an encrypting mechanism: each frame is unwrapped first."""
        end = len(data)
        mechanism = self.mechanism
        decode = mechanism.decode
        open_run = mechanism.open_run
        single_bytes = self._single_bytes
        parts = self._parts
        parts_size = self._parts_size  # bytes in parts, tracked only with a limit
        maxmsgsize = self.maxmsgsize
        total_limit = self.max_message_size
        # One comparison per payload covers both limits; -1 (none) never trips.
        frame_limit = self._frame_limit
        # The box adds a few dozen bytes: allow them above maxmsgsize.
        limit = maxmsgsize + 64 if maxmsgsize >= 0 else -1
        # The mechanism's run takes multipart messages too (leaving in parts
        # one it ends within) unless their size is to be counted.
        counted = total_limit >= 0
        # The header is parsed inline (not _parse_header): one Python call
        # per frame fewer, ~3% of a 16-byte CURVE message (callgrind).
        # `while True` and a break, not `while end - offset >= 2`: see
        # _receive_traffic (a long loop's EXTENDED_ARG unspecializes it).
        while True:
            if end - offset < 2:
                break
            held = None
            if not parts and not data[offset] & ~LONG:
                # Messages whose frames are within both limits, opened by
                # the mechanism in one call per run of them, not a decode()
                # call and a tuple per frame: ~2,800 instructions fewer per
                # 16 B message, ~3,400 per 1 KiB (callgrind curve16, curve1k).
                # It leaves to the path below, unopened, any frame it cannot
                # take whole (cut by the read, over frame_limit, outer flags
                # other than a MESSAGE's), with parts holding the message it
                # ended within, and hands back opened a command (and, when
                # sizes are counted, a frame with MORE) that ends the run.
                # tests/security/test_curve_runs.py drives each way out.
                offset = open_run(
                    data, offset, events, single_bytes, frame_limit, None if counted else parts
                )
                held = mechanism.held
                if held is None and end - offset < 2:
                    break
            if held is None:
                if data[offset] & 2:
                    if end - offset < 9:
                        break
                    (size,) = LONG_SIZE.unpack_from(data, offset + 1)
                    start = offset + 9
                else:
                    size = data[offset + 1]
                    start = offset + 2
                if 0 <= limit < size:
                    raise ProtocolError(f"frame of {size} bytes exceeds maxmsgsize {maxmsgsize}")
                stop = start + size
                if stop > end:
                    self._needed = stop - offset
                    self._parts, self._parts_size = parts, parts_size
                    return data[offset:]
                # The mechanism reads the frame in place: no slice of data here.
                flags, payload = decode(data, start, stop)
                offset = stop
            else:
                mechanism.held = None
                flags, payload = held
            if flags & COMMAND:
                self._receive_command(payload, events)
                continue
            if not flags and not parts and len(payload) <= frame_limit:
                # The common case first, a whole message in one frame, within
                # both limits: as the general path below would, in fewer steps.
                events.append(payload if single_bytes else [payload])
                continue
            if 0 <= maxmsgsize < len(payload):
                raise ProtocolError(
                    f"frame of {len(payload)} bytes exceeds maxmsgsize {maxmsgsize}"
                )
            if 0 <= total_limit < parts_size + len(payload):
                raise ProtocolError(_too_large(parts_size + len(payload), total_limit))
            parts.append(payload)
            if not flags & MORE:
                events.append(parts[0] if single_bytes and len(parts) == 1 else parts)
                parts = []
                parts_size = 0
            elif total_limit >= 0:
                parts_size += len(payload)
        self._parts, self._parts_size = parts, parts_size
        self._needed = 9 if end - offset >= 1 and data[offset] & 2 else 2
        return data[offset:]

    def _receive_command(self, body: bytes, events: list[CodecEvent]) -> None:
        # Commands may arrive between the frames of a multipart message; they
        # neither end nor disturb the message being assembled.
        try:
            name, data = split_command(body)
        except ValueError as error:
            raise ProtocolError(f"malformed command: {error}") from None
        if name == _PING:
            if self.socket_type is SocketType.RADIO:
                # A PONG would cost a libzmq DISH its connection for good;
                # silence costs at most a timeout (docs/wire/draft.md#dish-heartbeats).
                return
            # PONG echoes at most 16 bytes of the PING's context (after the
            # TTL). While our output is held (the peer does not read), one
            # PONG waiting in it answers every PING that arrives before it
            # is taken: a peer that floods PINGs cannot make us hold more.
            if not (self._pong_queued and self.output_held):
                self._pong_queued = True
                self._send_command(_PONG, data[2:18])
            if len(data) >= 2:
                self.peer_ttl = int.from_bytes(data[:2], "big") * 100
        elif name in (_SUBSCRIBE, _CANCEL):
            self._notice(events, Subscription(data, subscribe=name == _SUBSCRIBE))
        elif name in (_JOIN, _LEAVE) and self.socket_type is SocketType.RADIO:
            # Only a RADIO has groups; other types ignore them, as libzmq does.
            if len(data) > _MAX_GROUP or b"\x00" in data:
                raise ProtocolError(f"{name.decode()} of a malformed group ({len(data)} bytes)")
            self._notice(events, Subscription(data, subscribe=name == _JOIN))
        # PONG and unknown commands are ignored, as libzmq does.


# A global, not LONG_SIZE.unpack_from per frame or a local bound per read
# (a read of one message, as every REQ/REP read, paid for that).
_unpack_size = LONG_SIZE.unpack_from
# No frame being stored (see ZmtpCodec._store_frame).
_NO_VIEW = memoryview(b"")


def _too_large(size: int, limit: int) -> str:
    return f"message of {size} bytes or more exceeds max_message_size {limit}"


def _parse_header(data: bytes, offset: int, end: int) -> tuple[int, int, int] | None:
    """``(flags, body_start, body_size)`` of the frame at *offset*, or None if incomplete."""
    if end - offset < 2:
        return None
    flags = data[offset]
    if flags & 2:
        if end - offset < 9:
            return None
        return flags, offset + 9, LONG_SIZE.unpack_from(data, offset + 1)[0]
    return flags, offset + 2, data[offset + 1]
