"""CURVE: authenticated encryption between long-term key pairs (RFC 25, CurveZMQ RFC 26).

Client: HELLO -> WELCOME -> INITIATE(vouch, metadata) -> READY, then MESSAGEs.
Server: HELLO -> WELCOME(cookie) -> INITIATE -> ask the authenticator ->
READY (or ERROR), then MESSAGEs.

Wire details follow libzmq 4.3.5 (docs/wire/zmtp.md#curve): HELLO is exactly 200
bytes with 72 zero padding bytes; the short nonce of each direction counts
on from the handshake (client HELLO 1, INITIATE 2, first MESSAGE 3; server
READY 1, first MESSAGE 2) and must strictly increase on receipt; a MESSAGE
travels in a frame with outer flags ``00`` (``02`` when long), the real
MORE (``01``) and COMMAND (``02``) bits being inside the box.

Every primitive is libsodium's (``crypto_box``, ``crypto_secretbox``),
reached through PyNaCl, which is imported when a CURVE mechanism is made.
"""

from __future__ import annotations

import os
import struct
from typing import Any

from aiomsg._zmtp.frames import (
    COMMAND,
    LONG,
    LONG_HEADER,
    LONG_SIZE,
    MORE,
    ONE_DIGIT_MAX,
    SHORT_HEADERS,
    encode_command,
)
from aiomsg._zmtp.mechanism import Mechanism, ZapRequest
from aiomsg._zmtp.properties import decode_properties, encode_properties
from aiomsg._zmtp.sodium import KEY_SIZE, nacl_bindings, sodium_lib
from aiomsg.errors import ProtocolError

__all__ = ["CurveClient", "CurveServer"]

_NONCE = struct.Struct(">Q")
_HELLO_NONCE = b"CurveZMQHELLO---"
_INITIATE_NONCE = b"CurveZMQINITIATE"
_READY_NONCE = b"CurveZMQREADY---"
_MESSAGE_FROM_CLIENT = b"CurveZMQMESSAGEC"
_MESSAGE_FROM_SERVER = b"CurveZMQMESSAGES"
_WELCOME_NONCE = b"WELCOME-"
_COOKIE_NONCE = b"COOKIE--"
_VOUCH_NONCE = b"VOUCH---"
_VERSION = b"\x01\x00"
_HELLO_PADDING = 72
_HELLO_DATA = 2 + _HELLO_PADDING + 32 + 8 + 80  # after "\x05HELLO": 194, so 200 in all
_WELCOME_DATA = 16 + 144  # after "\x07WELCOME": 160, so 168 in all
_INITIATE_MIN_DATA = 96 + 8 + 144  # after "\x08INITIATE"
_READY_MIN_DATA = 8 + 16  # after "\x05READY"
_MESSAGE_NAME = b"\x07MESSAGE"
_MESSAGE_MIN = 8 + 8 + 17  # name, nonce, box of the flags byte
# The inner flags byte: MORE and COMMAND (libzmq's extension to RFC 26),
# by the ZMTP flags (MORE 0x01, COMMAND 0x04) it stands for, and back.
_INNER_MORE, _INNER_COMMAND = 0x01, 0x02
_INNER_OF = tuple(
    (_INNER_MORE if flags & MORE else 0) | (_INNER_COMMAND if flags & COMMAND else 0)
    for flags in range(8)
)
_FLAGS_OF = (0, MORE, COMMAND, MORE | COMMAND)  # by inner & 3
# A MESSAGE frame body starts with its name and short nonce.
_MESSAGE_START = struct.Struct(">8sQ")
_unpack_size = LONG_SIZE.unpack_from

# The layout of the per-connection buffer a MESSAGE is sealed in:
#
#   0   libsodium's nonce: the direction's 16-byte prefix, then the 8-byte
#       short nonce (at 16)
#   24  the frame header, ending at 33: 9 bytes when long (from 24), 2 when
#       short (from 31)
#   33  "\x07MESSAGE", then the short nonce again (41)
#   49  the box: its 16-byte MAC, then the sealed inner flags byte (65) and
#       the body (66)
#
# so that one pack_into writes everything but the body (both nonces, the
# header, the name, the flags byte), the box sits at fixed offsets (its
# pointers are made once per buffer), and the frame is one slice of it.
_OUT_NONCE_AT, _OUT_BOX, _OUT_PLAIN, _OUT_BODY = 16, 49, 65, 66
# From 16 to 66: short nonce, 7 unused bytes, flags 00 (both written as
# pad, i.e. zero), size, name, short nonce, MAC space (pad), inner flags.
_OUT_SHORT = struct.Struct(">Q8xB8sQ16xB")
# The same with a long header: flags 02, then the 8-byte size.
_OUT_LONG = struct.Struct(">QBQ8sQ16xB")
_SHORT_START, _LONG_START = 31, 24
# A box and the MESSAGE around it fit a short frame up to this body size.
_SHORT_BODY_MAX = 255 - 33
# _OUT_SHORT for a short nonce that fits 32 bits (its high 4 bytes zero,
# written as pad): struct packs a big-endian "I" with a shift loop, a "Q"
# through _PyLong_AsByteArray (~100 instructions more each, two per
# message, callgrind curve16). Taken up to _NONCE_32, kept below 2**30:
# CPython 3.11 compares ints of one 30-bit digit without a generic call
# (~100 instructions). Past it (a connection after 2**30 messages),
# encode() packs _OUT_SHORT and copies the body.
_OUT_SHORT_32 = struct.Struct(">4xI8xB8s4xI16xB")
_NONCE_32 = ONE_DIGIT_MAX
# _OUT_SHORT_32 with the body as a last field, by body size: one pack_into
# writes the body too (~650 instructions per message fewer than copying it
# into the cffi buffer apart, callgrind curve16). Made with the process's
# first CURVE sealing buffer (~80 KB, ~1 ms), not at import.
_SHORT_PACKERS: list[struct.Struct] = []


def _replayed(value: int, last: int) -> ProtocolError:
    """The error for a MESSAGE whose nonce *value* is not above *last*."""
    return ProtocolError(
        f"CURVE MESSAGE nonce {value} is not above {last}: replayed or reordered"
    )


def _check_key(key: bytes, what: str) -> bytes:
    if len(key) != KEY_SIZE:
        raise ValueError(f"the CURVE {what} is {KEY_SIZE} raw bytes, not {len(key)}")
    return key


class _Curve(Mechanism):
    """What both ends share: the per-connection box, the two nonce counters,
    and MESSAGE encryption once the handshake is done."""

    name = b"CURVE"
    encrypts = True
    _send_prefix: bytes
    _recv_prefix: bytes

    def __init__(self) -> None:
        super().__init__()
        self._nacl: Any = nacl_bindings()
        import nacl.exceptions

        self._crypto_errors: tuple[type[Exception], ...] = (
            nacl.exceptions.CryptoError,
            ValueError,
            TypeError,
        )
        bindings = self._nacl
        self._unseal: Any = getattr(
            bindings, "crypto_box_open_easy_afternm", bindings.crypto_box_open_afternm
        )
        # The transient-keys shared secret (crypto_box_beforenm), once known.
        self._key = b""
        self._sent = 0  # the last short nonce we used
        self._received = 0  # the last short nonce the peer used
        # The per-message calls go to libsodium directly, into buffers kept
        # per connection (see encode() and decode()); or, when PyNaCl's
        # private module is not what we expect, through its public bindings
        # (see sodium_lib()).
        sodium = sodium_lib()
        self._ffi: Any = None
        self._seal: Any = None
        self._unbox: Any = None
        if sodium is None:
            self.encode = self._encode_bindings  # type: ignore[method-assign]
            self.decode = self._decode_bindings  # type: ignore[method-assign]
            # Every frame through _decode_bindings: the default opens none.
            self.open_run = super().open_run  # type: ignore[method-assign]
            self.encode_run = super().encode_run  # type: ignore[method-assign]
        else:
            self._ffi, lib = sodium
            # Held, not looked up on lib per message.
            self._seal = lib.crypto_box_easy_afternm
            self._unbox = lib.crypto_box_open_easy_afternm
        # The shared key as a cffi array, made with the first buffer: an
        # argument of its C type is converted with fewer checks than bytes
        # (~60 instructions per call, callgrind).
        self._key_array: Any = None
        # The buffer a MESSAGE is sealed in (layout above), made on the first
        # message (an idle connection holds none) and grown on demand; the
        # room it has for a body, and pointers to its box.
        self._out_buffer: Any = None
        self._out_view: Any = None
        self._out_room = -1
        self._out_box: Any = None
        self._out_plain: Any = None
        # The received side: the nonce (prefix, then the short nonce at 16),
        # the buffer a box is opened into, and the chunk of input last seen
        # with a pointer to it (decode() is called for each frame in it).
        self._recv_nonce: Any = None
        self._recv_nonce_view: Any = None
        self._in_buffer: Any = None
        self._in_view: Any = None
        self._in_room = -1
        self._in_data: bytes | None = None
        self._in_pointer: Any = None

    def _next_nonce(self) -> bytes:
        self._sent += 1
        return _NONCE.pack(self._sent)

    def _check_nonce(self, short: bytes, what: str) -> None:
        (value,) = _NONCE.unpack(short)
        if value <= self._received:
            raise ProtocolError(
                f"CURVE {what} nonce {value} is not above {self._received}: replayed or reordered"
            )
        self._received = value

    def _message_nonce(self, data: bytes, start: int) -> int:
        """The short nonce of the MESSAGE command at *start*, checked to be
        above the last one the peer used; the caller records it once the box
        authenticates (a forged frame must not advance it). decode() has
        this inlined; the bindings' path calls it.

        Raises:
            ProtocolError: not a MESSAGE, or a replayed or reordered nonce.
        """
        name, value = _MESSAGE_START.unpack_from(data, start)
        if name != _MESSAGE_NAME:
            raise ProtocolError("CURVE traffic frame is not a valid MESSAGE")
        if value <= self._received:
            raise _replayed(value, self._received)
        result: int = value
        return result

    def _open(self, box: bytes, nonce: bytes, public: bytes, secret: bytes, fault: str) -> bytes:
        try:
            plain: bytes = self._nacl.crypto_box_open(box, nonce, public, secret)
        except self._crypto_errors:
            raise ProtocolError(fault) from None
        return plain

    def _share(self, public: bytes, secret: bytes, what: str) -> bytes:
        """The box key of a transient pair (``crypto_box_beforenm``).

        Raises:
            ProtocolError: the peer's transient key *public* is unusable:
                libsodium refuses low-order points, whose shared secret
                anyone could compute.
        """
        try:
            key: bytes = self._nacl.crypto_box_beforenm(public, secret)
        except self._crypto_errors:
            raise ProtocolError(
                f"malformed CURVE {what}: its transient key is a low-order point"
            ) from None
        return key

    def _open_shared(self, box: bytes, nonce: bytes, fault: str) -> bytes:
        try:
            plain: bytes = self._unseal(box, nonce, self._key)
        except self._crypto_errors:
            raise ProtocolError(fault) from None
        return plain

    def encode(self, flags: int, body: bytes) -> bytes:
        # The frame: header, "\x07MESSAGE", short nonce, then the box (MAC,
        # inner flags, body). Outer flags 00 (02 when long): libzmq drops a
        # MESSAGE whose outer frame says COMMAND. All but the body is written
        # by one pack_into, the plain text is sealed in place (libsodium's
        # "easy" calls allow the overlap), and the frame copied out once.
        self._sent = sent = self._sent + 1
        size = len(body)
        if size > self._out_room:
            self._grow_out(size)
        view = self._out_view
        end = _OUT_BODY + size
        inner = _INNER_OF[flags]
        if size <= _SHORT_BODY_MAX:
            if sent <= _NONCE_32:
                _SHORT_PACKERS[size].pack_into(
                    view, _OUT_NONCE_AT, sent, 33 + size, _MESSAGE_NAME, sent, inner, body
                )
            else:
                _OUT_SHORT.pack_into(
                    view, _OUT_NONCE_AT, sent, 33 + size, _MESSAGE_NAME, sent, inner
                )
                view[_OUT_BODY:end] = body
            start = _SHORT_START
        else:
            _OUT_LONG.pack_into(
                view, _OUT_NONCE_AT, sent, LONG, 33 + size, _MESSAGE_NAME, sent, inner
            )
            view[_OUT_BODY:end] = body
            start = _LONG_START
        if self._seal(
            self._out_box, self._out_plain, size + 1, self._out_buffer, self._key_array
        ):
            raise ProtocolError("libsodium failed to seal a CURVE MESSAGE")  # not seen in practice
        out: bytes = view[start:end]
        return out

    def encode_run(self, bodies: list[bytes], out: list[bytes]) -> None:
        # encode(0, body) as a loop (Mechanism.encode_run): the link queues
        # one-frame messages' bodies and the codec has them sealed here when
        # it writes, so a message costs no Python call of its own, and the
        # connection's state is read once per run, not per message
        # (docs/internals.md#curve-per-message).
        sent = self._sent
        if sent + len(bodies) > _NONCE_32:
            # The short frames' packers take a nonce up to _NONCE_32 only.
            encode = self.encode
            out += [encode(0, body) for body in bodies]
            return
        if self._out_room < _SHORT_BODY_MAX:
            self._grow_out(_SHORT_BODY_MAX)
        view, buffer, room = self._out_view, self._out_buffer, self._out_room
        box, plain, key = self._out_box, self._out_plain, self._key_array
        seal = self._seal
        packers = _SHORT_PACKERS
        append = out.append
        try:
            for body in bodies:
                sent += 1
                size = len(body)
                if size <= _SHORT_BODY_MAX:
                    packers[size].pack_into(
                        view, _OUT_NONCE_AT, sent, 33 + size, _MESSAGE_NAME, sent, 0, body
                    )
                    start = _SHORT_START
                else:
                    if size > room:
                        self._grow_out(size)
                        view, buffer, room = self._out_view, self._out_buffer, self._out_room
                        box, plain = self._out_box, self._out_plain
                    _OUT_LONG.pack_into(
                        view, _OUT_NONCE_AT, sent, LONG, 33 + size, _MESSAGE_NAME, sent, 0
                    )
                    view[_OUT_BODY : _OUT_BODY + size] = body
                    start = _LONG_START
                if seal(box, plain, size + 1, buffer, key):
                    raise ProtocolError("libsodium failed to seal a CURVE MESSAGE")
                append(view[start : _OUT_BODY + size])
        finally:
            self._sent = sent

    def _grow_out(self, size: int) -> None:
        """A sealing buffer with room for a *size*-byte body (none smaller
        than 256 bytes in all): the direction's nonce prefix written once."""
        room = max(size, 256 - _OUT_BODY)
        if not _SHORT_PACKERS:
            _SHORT_PACKERS.extend(
                struct.Struct(f"{_OUT_SHORT_32.format}{body}s")
                for body in range(_SHORT_BODY_MAX + 1)
            )
        if self._key_array is None:
            self._key_array = self._ffi.new("unsigned char[32]", self._key)
        buffer = self._ffi.new("unsigned char[]", _OUT_BODY + room)
        view = self._ffi.buffer(buffer)
        view[:_OUT_NONCE_AT] = self._send_prefix
        self._out_buffer, self._out_view, self._out_room = buffer, view, room
        self._out_box, self._out_plain = buffer + _OUT_BOX, buffer + _OUT_PLAIN

    def decode(self, data: bytes, start: int, stop: int) -> tuple[int, bytes]:
        sealed = stop - start - 16
        if sealed < 17:
            raise ProtocolError("CURVE traffic frame is not a valid MESSAGE")
        # _message_nonce, inlined: one Python call fewer per message. The
        # nonce goes through an int (unpacked, compared, packed back): ~800
        # instructions fewer than as bytes, a slice compared and copied into
        # the buffer (callgrind curve16, docs/internals.md#curve-per-message).
        name, value = _MESSAGE_START.unpack_from(data, start)
        if name != _MESSAGE_NAME:
            raise ProtocolError("CURVE traffic frame is not a valid MESSAGE")
        if value <= self._received:
            raise _replayed(value, self._received)
        if sealed > self._in_room:
            self._grow_in(sealed)
        _NONCE.pack_into(self._recv_nonce_view, 16, value)
        if data is not self._in_data:
            # One pointer per chunk of input, not per frame: the box is
            # opened straight from the chunk, no slice of it is made.
            self._in_pointer = self._ffi.from_buffer(data)
            self._in_data = data
        buffer = self._in_buffer
        if self._unbox(
            buffer, self._in_pointer + (start + 16), sealed, self._recv_nonce, self._key_array
        ):
            raise ProtocolError(
                "CURVE MESSAGE failed to authenticate: tampered, forged or wrong key"
            )
        self._received = value
        # The payload is copied out once, without the inner flags byte.
        payload: bytes = self._in_view[1 : sealed - 16]
        return _FLAGS_OF[buffer[0] & 3], payload

    def open_run(
        self,
        data: bytes,
        offset: int,
        events: list[Any],
        single_bytes: bool,
        limit: int,
        parts: list[bytes] | None,
    ) -> int:
        # decode() as a loop over a run of MESSAGE frames (Mechanism.open_run):
        # one Python call per run, not one call and one (flags, payload) tuple
        # per frame, and the connection's state read once per run, not per
        # frame (docs/internals.md#curve-per-message). The outer framing is
        # the one encode() writes (flags 00, or 02 when long); the caller
        # owns the limits: a frame whose payload would pass *limit* is left
        # to it unopened, as is any other frame, to go through decode().
        if self._in_room < 0:
            self._grow_in(0)
        if data is not self._in_data:
            self._in_pointer = self._ffi.from_buffer(data)
            self._in_data = data
        pointer = self._in_pointer
        unbox = self._unbox
        nonce = self._recv_nonce
        nonce_view = self._recv_nonce_view
        key = self._key_array
        buffer = self._in_buffer
        view = self._in_view
        room = self._in_room
        unpack = _MESSAGE_START.unpack_from
        pack = _NONCE.pack_into
        end = len(data)
        last = end - 2  # the last offset at which a frame can start
        # The largest frame body within limit (one digit: see ONE_DIGIT_MAX;
        # a larger frame is left to the codec's path, which checks its limits).
        top = min(limit + _MESSAGE_MIN, ONE_DIGIT_MAX)
        received = self._received
        message: list[bytes] | None = None  # a multipart message's frames so far
        try:
            while True:
                outer = data[offset]
                if not outer:
                    size = data[offset + 1]
                    start = offset + 2
                    stop = start + size
                    if stop > end or size > top:
                        break
                    sealed = size - 16  # within the buffer's least room
                elif outer == LONG:
                    if end - offset < 9:
                        break
                    (size,) = _unpack_size(data, offset + 1)
                    start = offset + 9
                    stop = start + size
                    if stop > end or size > top:
                        break
                    sealed = size - 16
                    if sealed > room:
                        self._grow_in(sealed)
                        buffer, view, room = self._in_buffer, self._in_view, self._in_room
                else:
                    break
                if sealed < 17:
                    raise ProtocolError("CURVE traffic frame is not a valid MESSAGE")
                name, value = unpack(data, start)
                if name != _MESSAGE_NAME:
                    raise ProtocolError("CURVE traffic frame is not a valid MESSAGE")
                if value <= received:
                    raise _replayed(value, received)
                pack(nonce_view, 16, value)
                if unbox(buffer, pointer + (start + 16), sealed, nonce, key):
                    raise ProtocolError(
                        "CURVE MESSAGE failed to authenticate: tampered, forged or wrong key"
                    )
                # Recorded only once the box authenticates (written back to
                # the connection on the way out, whatever the way).
                received = value
                inner = buffer[0] & 3
                payload: bytes = view[1 : sealed - 16]
                offset = stop
                if not inner:
                    if message is None:
                        events.append(payload if single_bytes else [payload])
                    else:
                        message.append(payload)
                        events.append(message)
                        message = None
                elif inner == _INNER_MORE and parts is not None:
                    if message is None:
                        message = [payload]
                    else:
                        message.append(payload)
                else:
                    self.held = (_FLAGS_OF[inner], payload)
                    break
                if offset > last:
                    break
        finally:
            self._received = received
            if message is not None:
                parts += message  # type: ignore[operator]  # only ever made when parts is a list
        return offset

    def _grow_in(self, sealed: int) -> None:
        """An opening buffer for a *sealed*-byte box, no smaller than 256
        bytes (and, on the first message, the nonce buffer)."""
        ffi = self._ffi
        if self._key_array is None:
            self._key_array = ffi.new("unsigned char[32]", self._key)
        if self._recv_nonce is None:
            self._recv_nonce = ffi.new("unsigned char[24]", self._recv_prefix)
            self._recv_nonce_view = ffi.buffer(self._recv_nonce)
        room = max(sealed, 256)
        self._in_buffer = ffi.new("unsigned char[]", room)
        self._in_view = ffi.buffer(self._in_buffer)
        self._in_room = room

    # Through nacl.bindings: when sodium_lib() cannot reach libsodium's own
    # functions. The same frames, a few copies more.

    def _encode_bindings(self, flags: int, body: bytes) -> bytes:
        self._sent += 1
        short = _NONCE.pack(self._sent)
        box = self._nacl.crypto_box_afternm(
            bytes((_INNER_OF[flags],)) + body, self._send_prefix + short, self._key
        )
        size = 16 + len(box)
        header = SHORT_HEADERS[size] if size < 256 else LONG_HEADER.pack(LONG, size)
        return b"".join((header, _MESSAGE_NAME, short, box))

    def _decode_bindings(self, data: bytes, start: int, stop: int) -> tuple[int, bytes]:
        if stop - start < _MESSAGE_MIN:
            raise ProtocolError("CURVE traffic frame is not a valid MESSAGE")
        value = self._message_nonce(data, start)
        plain = self._open_shared(
            data[start + 16 : stop],
            self._recv_prefix + data[start + 8 : start + 16],
            "CURVE MESSAGE failed to authenticate: tampered, forged or wrong key",
        )
        self._received = value
        return _FLAGS_OF[plain[0] & 3], plain[1:]


class CurveClient(_Curve):
    """The connecting side: it knows the server's public key and has its own pair.

    Args:
        server_key: the server's long-term public key (32 raw bytes).
        public_key: our long-term public key (32 raw bytes).
        secret_key: our long-term secret key (32 raw bytes).
    """

    _send_prefix = _MESSAGE_FROM_CLIENT
    _recv_prefix = _MESSAGE_FROM_SERVER

    def __init__(self, server_key: bytes, public_key: bytes, secret_key: bytes) -> None:
        super().__init__()
        self._server = _check_key(server_key, "server key")
        self._public = _check_key(public_key, "public key")
        self._secret = _check_key(secret_key, "secret key")
        self._transient_public, self._transient_secret = self._nacl.crypto_box_keypair()
        self._state = "welcome"

    @property
    def hint_on_close(self) -> str:
        """Why the server may have closed the connection now (for the log)."""
        if self._state == "welcome":
            return " after our CURVE HELLO: wrong curve_serverkey?"
        return ""

    def start(self) -> list[bytes]:
        short = self._next_nonce()
        signature = self._nacl.crypto_box(
            bytes(64), _HELLO_NONCE + short, self._server, self._transient_secret
        )
        data = b"".join((_VERSION, bytes(_HELLO_PADDING), self._transient_public, short, signature))
        return [encode_command(b"HELLO", data)]

    def handle_command(self, name: bytes, data: bytes) -> list[bytes]:
        if self._state == "welcome" and name == b"WELCOME":
            return [self._welcome(data)]
        if self._state == "ready" and name == b"READY":
            self._ready(data)
            return []
        raise ProtocolError(f"unexpected command {name!r} in the CURVE handshake (client)")

    def _welcome(self, data: bytes) -> bytes:
        if len(data) != _WELCOME_DATA:
            raise ProtocolError(f"malformed CURVE WELCOME: {8 + len(data)} bytes, not 168")
        plain = self._open(
            data[16:],
            _WELCOME_NONCE + data[:16],
            self._server,
            self._transient_secret,
            "CURVE WELCOME failed to authenticate: wrong server key?",
        )
        server_transient, cookie = plain[:32], plain[32:]
        nacl = self._nacl
        self._key = self._share(server_transient, self._transient_secret, "WELCOME")
        vouch_nonce = os.urandom(16)
        vouch = nacl.crypto_box(
            self._transient_public + self._server,
            _VOUCH_NONCE + vouch_nonce,
            server_transient,
            self._secret,
        )
        short = self._next_nonce()
        box = nacl.crypto_box_afternm(
            b"".join((self._public, vouch_nonce, vouch, encode_properties(self.metadata))),
            _INITIATE_NONCE + short,
            self._key,
        )
        self._state = "ready"
        return encode_command(b"INITIATE", b"".join((cookie, short, box)))

    def _ready(self, data: bytes) -> None:
        if len(data) < _READY_MIN_DATA:
            raise ProtocolError("malformed CURVE READY: too short")
        short = data[:8]
        self._check_nonce(short, "READY")
        plain = self._open_shared(
            data[8:], _READY_NONCE + short, "CURVE READY failed to authenticate"
        )
        self.peer_properties = decode_properties(plain)
        self._state = "done"
        self.complete = True


class CurveServer(_Curve):
    """The accepting side: it proves it holds the secret key its clients know
    the public half of, and learns each client's long-term public key.

    Args:
        secret_key: our long-term secret key (32 raw bytes).
        public_key: its public half (derived when omitted).

    After INITIATE, :attr:`client_key` is the client's long-term public key.
    """

    as_server = True
    _send_prefix = _MESSAGE_FROM_SERVER
    _recv_prefix = _MESSAGE_FROM_CLIENT

    def __init__(self, secret_key: bytes, public_key: bytes | None = None) -> None:
        super().__init__()
        self._secret = _check_key(secret_key, "secret key")
        derived: bytes = self._nacl.crypto_scalarmult_base(self._secret)
        if public_key is not None and public_key != derived:
            raise ValueError("the CURVE public key does not match the secret key")
        self._public = derived
        self.client_key = b""
        self._client_transient = b""
        self._transient_secret = b""
        self._cookie_key = b""
        self._state = "hello"

    def start(self) -> list[bytes]:
        return []

    def handle_command(self, name: bytes, data: bytes) -> list[bytes]:
        if self._state == "hello" and name == b"HELLO":
            return [self._hello(data)]
        if self._state == "initiate" and name == b"INITIATE":
            self._initiate(data)
            return []
        raise ProtocolError(f"unexpected command {name!r} in the CURVE handshake (server)")

    def _hello(self, data: bytes) -> bytes:
        if len(data) != _HELLO_DATA:
            raise ProtocolError(f"malformed CURVE HELLO: {6 + len(data)} bytes, not 200")
        if data[:2] != _VERSION:
            raise ProtocolError(f"malformed CURVE HELLO: version {data[0]}.{data[1]}, not 1.0")
        if any(data[2 : 2 + _HELLO_PADDING]):
            raise ProtocolError("malformed CURVE HELLO: the padding is not all zero")
        offset = 2 + _HELLO_PADDING
        client_transient = data[offset : offset + 32]
        short = data[offset + 32 : offset + 40]
        self._check_nonce(short, "HELLO")
        signature = self._open(
            data[offset + 40 :],
            _HELLO_NONCE + short,
            client_transient,
            self._secret,
            "CURVE HELLO failed to authenticate: wrong server key?",
        )
        if any(signature):
            raise ProtocolError("malformed CURVE HELLO: the signature box is not zeros")
        nacl = self._nacl
        transient_public, transient_secret = nacl.crypto_box_keypair()
        # A fresh cookie key per connection: the cookie need not be stateless
        # here, but INITIATE must still return it intact (as libzmq checks).
        self._cookie_key = os.urandom(32)
        cookie_nonce = os.urandom(16)
        cookie = cookie_nonce + nacl.crypto_secretbox(
            client_transient + transient_secret, _COOKIE_NONCE + cookie_nonce, self._cookie_key
        )
        welcome_nonce = os.urandom(16)
        box = nacl.crypto_box(
            transient_public + cookie,
            _WELCOME_NONCE + welcome_nonce,
            client_transient,
            self._secret,
        )
        self._client_transient = client_transient
        self._transient_secret = transient_secret
        self._key = self._share(client_transient, transient_secret, "HELLO")
        self._state = "initiate"
        return encode_command(b"WELCOME", welcome_nonce + box)

    def _initiate(self, data: bytes) -> None:
        if len(data) < _INITIATE_MIN_DATA:
            raise ProtocolError("malformed CURVE INITIATE: too short")
        cookie = data[:96]
        try:
            content = self._nacl.crypto_secretbox_open(
                cookie[16:], _COOKIE_NONCE + cookie[:16], self._cookie_key
            )
        except self._crypto_errors:
            raise ProtocolError("CURVE INITIATE carries a forged cookie") from None
        if content != self._client_transient + self._transient_secret:
            raise ProtocolError("CURVE INITIATE carries another connection's cookie")
        short = data[96:104]
        self._check_nonce(short, "INITIATE")
        plain = self._open_shared(
            data[104:], _INITIATE_NONCE + short, "CURVE INITIATE failed to authenticate"
        )
        if len(plain) < 128:
            raise ProtocolError("malformed CURVE INITIATE: the box is too short")
        client_key, vouch_nonce, vouch = plain[:32], plain[32:48], plain[48:128]
        vouched = self._open(
            vouch,
            _VOUCH_NONCE + vouch_nonce,
            client_key,
            self._transient_secret,
            "CURVE INITIATE vouch failed to authenticate: the client does not hold its key",
        )
        if vouched != self._client_transient + self._public:
            raise ProtocolError("CURVE INITIATE vouch names other keys")
        self.peer_properties = decode_properties(plain[128:])
        self.client_key = client_key
        # The cookie has served its purpose; forget the secrets it guarded.
        self._cookie_key = self._transient_secret = b""
        self._state = "zap"
        self.zap_request = ZapRequest(b"CURVE", (client_key,))

    def authenticated(self) -> list[bytes]:
        short = self._next_nonce()
        box = self._nacl.crypto_box_afternm(
            encode_properties(self.metadata), _READY_NONCE + short, self._key
        )
        self._state = "done"
        self.complete = True
        return [encode_command(b"READY", short + box)]
