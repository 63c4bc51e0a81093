"""WebSocket (RFC 6455), sans-I/O: the opening handshake and the framing.

Only what ZeroMQ over WebSocket needs (docs/wire/draft.md#zws): HTTP/1.1
upgrade requests and answers, and whole binary messages in single frames.
Everything ZWS does not use is refused, not half-supported: text frames,
fragmented messages, frames masked the wrong way, RSV bits without an
extension, and payloads above the configured limit each fail the
connection with :class:`WebSocketError`, which carries the close code to
send (RFC 6455 §7.4.1).

Nothing here does I/O; :func:`new_key` and the masking keys come from
``os.urandom`` as RFC 6455 §5.3 and §4.1 ask for unpredictable values.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import os
import struct

from aiomsg.errors import ProtocolError

__all__ = [
    "OP_BINARY",
    "OP_CLOSE",
    "OP_PING",
    "OP_PONG",
    "CloseCode",
    "FrameParser",
    "Head",
    "WebSocketError",
    "accept_key",
    "build_refusal",
    "build_request",
    "build_response",
    "encode_close",
    "encode_frame",
    "mask",
    "new_key",
    "parse_close",
    "parse_request",
    "parse_response",
    "split_head",
]

# RFC 6455 §5.2 opcodes.
OP_CONTINUATION, OP_TEXT, OP_BINARY = 0x0, 0x1, 0x2
OP_CLOSE, OP_PING, OP_PONG = 0x8, 0x9, 0xA
_FIN = 0x80
_MASKED = 0x80
_RSV = 0x70
# RFC 6455 §1.3: the GUID the accept key is derived with.
_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
# An upgrade head larger than this is refused (libzmq reads at most 8192
# bytes of it: docs/wire/draft.md#zws-upgrade).
MAX_HEAD = 8192
_U16 = struct.Struct(">H")
_U64 = struct.Struct(">Q")
# Headers of unmasked binary frames with a payload under 126 bytes, prebuilt.
_SHORT_BINARY = tuple(bytes((_FIN | OP_BINARY, n)) for n in range(126))


class CloseCode(enum.IntEnum):
    """Close status codes (RFC 6455 §7.4.1)."""

    NORMAL = 1000
    GOING_AWAY = 1001
    PROTOCOL_ERROR = 1002
    UNSUPPORTED_DATA = 1003
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009


class WebSocketError(ProtocolError):
    """The peer broke RFC 6455 or ZWS; ``code`` is the close code to answer with."""

    def __init__(self, reason: str, code: CloseCode = CloseCode.PROTOCOL_ERROR) -> None:
        super().__init__(reason)
        self.code = code


# -- the opening handshake (RFC 6455 §4) -------------------------------------


class Head:
    """An HTTP/1.1 request or response head: its first line and its headers.

    Header names are lower-cased; a header sent twice keeps both values,
    joined with ``", "`` (RFC 9110 §5.3).
    """

    __slots__ = ("headers", "start_line")

    def __init__(self, start_line: str, headers: dict[str, str]) -> None:
        self.start_line = start_line
        self.headers = headers

    def tokens(self, name: str) -> list[str]:
        """The comma-separated list in header *name*, each entry stripped."""
        return [t.strip() for t in self.headers.get(name, "").split(",") if t.strip()]


def split_head(data: bytes) -> tuple[Head, bytes] | None:
    """Parse an HTTP head at the start of *data*: ``(head, rest)``, or None
    while ``\\r\\n\\r\\n`` has not arrived.

    Raises:
        WebSocketError: the head is malformed or longer than 8192 bytes.
    """
    end = data.find(b"\r\n\r\n")
    if end < 0:
        if len(data) > MAX_HEAD:
            raise WebSocketError(f"HTTP head longer than {MAX_HEAD} bytes")
        return None
    if end > MAX_HEAD:
        raise WebSocketError(f"HTTP head longer than {MAX_HEAD} bytes")
    try:
        text = data[:end].decode("latin-1")
    except UnicodeDecodeError as error:  # pragma: no cover - latin-1 decodes anything
        raise WebSocketError(str(error)) from None
    start_line, *lines = text.split("\r\n")
    headers: dict[str, str] = {}
    for line in lines:
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip():
            raise WebSocketError(f"malformed HTTP header line {line[:60]!r}")
        key, value = name.lower(), value.strip()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return Head(start_line, headers), data[end + 4 :]


def new_key() -> str:
    """A fresh ``Sec-WebSocket-Key``: 16 random bytes in base64 (RFC 6455 §4.1)."""
    return base64.b64encode(os.urandom(16)).decode("ascii")


def accept_key(key: str) -> str:
    """The ``Sec-WebSocket-Accept`` answering *key* (RFC 6455 §4.2.2)."""
    digest = hashlib.sha1(key.encode("ascii") + _GUID).digest()
    return base64.b64encode(digest).decode("ascii")


def build_request(host: str, target: str, protocols: list[str], key: str) -> bytes:
    """A client's upgrade request (RFC 6455 §4.1)."""
    return (
        f"GET {target} HTTP/1.1\r\n"
        f"Host: {host}\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\n"
        f"Sec-WebSocket-Protocol: {','.join(protocols)}\r\n"
        "Sec-WebSocket-Version: 13\r\n"
        "\r\n"
    ).encode("latin-1")


def parse_request(head: Head) -> str:
    """Check an upgrade request (RFC 6455 §4.2.1); return its ``Sec-WebSocket-Key``.

    Raises:
        WebSocketError: not a WebSocket upgrade this server can answer.
    """
    method, _, rest = head.start_line.partition(" ")
    target, _, version = rest.rpartition(" ")
    if method != "GET" or not target or version != "HTTP/1.1":
        raise WebSocketError(f"not a WebSocket upgrade: {head.start_line[:80]!r}")
    if head.headers.get("upgrade", "").lower() != "websocket":
        raise WebSocketError("not a WebSocket upgrade: no 'Upgrade: websocket'")
    if "upgrade" not in (t.lower() for t in head.tokens("connection")):
        raise WebSocketError("not a WebSocket upgrade: no 'Connection: Upgrade'")
    key = head.headers.get("sec-websocket-key", "")
    if not key:
        raise WebSocketError("no Sec-WebSocket-Key")
    # libzmq sends 13 and ignores the header; browsers and ws send 13 too.
    version_header = head.headers.get("sec-websocket-version", "13")
    if version_header != "13":
        raise WebSocketError(f"unsupported Sec-WebSocket-Version {version_header!r}")
    return key


def build_response(key: str, protocol: str) -> bytes:
    """The server's ``101`` answer, laid out as libzmq's client requires it
    (docs/wire/draft.md#zws-upgrade: ``Connection: Upgrade`` exactly)."""
    return (
        "HTTP/1.1 101 Switching Protocols\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        f"Sec-WebSocket-Accept: {accept_key(key)}\r\n"
        f"Sec-WebSocket-Protocol: {protocol}\r\n"
        "\r\n"
    ).encode("latin-1")


def build_refusal(reason: str) -> bytes:
    """A ``400 Bad Request`` naming *reason*, for a client we will not upgrade."""
    body = (reason + "\n").encode("utf-8", "replace")
    return (
        "HTTP/1.1 400 Bad Request\r\n"
        "Connection: close\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n"
        "\r\n"
    ).encode("latin-1") + body


def parse_response(head: Head, key: str) -> str:
    """Check a server's answer to our upgrade (RFC 6455 §4.1); return its subprotocol.

    Raises:
        WebSocketError: not a ``101`` with a matching ``Sec-WebSocket-Accept``.
    """
    parts = head.start_line.split(None, 2)
    if len(parts) < 2 or parts[0] != "HTTP/1.1" or parts[1] != "101":
        raise WebSocketError(f"the server refused the upgrade: {head.start_line[:80]!r}")
    if head.headers.get("upgrade", "").lower() != "websocket":
        raise WebSocketError("the server's answer has no 'Upgrade: websocket'")
    if head.headers.get("sec-websocket-accept") != accept_key(key):
        raise WebSocketError("the server's Sec-WebSocket-Accept does not match our key")
    return head.headers.get("sec-websocket-protocol", "")


# -- framing (RFC 6455 §5) ----------------------------------------------------


class _MaskKeys:
    """Masking keys, drawn from ``os.urandom`` 4 KiB at a time (one system
    call per 1024 frames instead of one per frame)."""

    __slots__ = ("_offset", "_pool")

    def __init__(self) -> None:
        self._pool = b""
        self._offset = 0

    def take(self) -> bytes:
        if self._offset >= len(self._pool):
            self._pool, self._offset = os.urandom(4096), 0
        offset = self._offset
        self._offset = offset + 4
        return self._pool[offset : offset + 4]


_mask_keys = _MaskKeys()


def mask(key: bytes, data: bytes) -> bytes:
    """XOR *data* with the 4-byte *key* repeated (RFC 6455 §5.3); it is its own inverse."""
    size = len(data)
    if not size:
        return data
    repeated = (key * (size // 4 + 1))[:size]
    value = int.from_bytes(data, "little") ^ int.from_bytes(repeated, "little")
    return value.to_bytes(size, "little")


def _header(first: int, size: int, mask_bit: int) -> bytes:
    if size < 126:
        return bytes((first, mask_bit | size))
    if size < 0x10000:
        return bytes((first, mask_bit | 126)) + _U16.pack(size)
    return bytes((first, mask_bit | 127)) + _U64.pack(size)


def encode_frame(opcode: int, prefix: bytes, body: bytes, *, masked: bool) -> list[bytes]:
    """One final frame whose payload is *prefix* then *body*, as byte strings to write.

    Unmasked (a server's), the body is not copied; masked (a client's), the
    payload is masked with a fresh key.
    """
    size = len(prefix) + len(body)
    if not masked:
        if opcode == OP_BINARY and size < 126:
            return [_SHORT_BINARY[size] + prefix, body]
        return [_header(_FIN | opcode, size, 0) + prefix, body]
    key = _mask_keys.take()
    return [_header(_FIN | opcode, size, _MASKED) + key, mask(key, prefix + body)]


def encode_close(code: CloseCode, reason: str, *, masked: bool) -> list[bytes]:
    """A close frame; the reason is cut to fit a control frame (RFC 6455 §5.5)."""
    text = reason.encode("utf-8", "replace")[:123]
    return encode_frame(OP_CLOSE, _U16.pack(code), text, masked=masked)


def parse_close(payload: bytes) -> tuple[int, str]:
    """The status code and reason of a close frame's payload (1005: none, §7.1.5)."""
    if len(payload) < 2:
        return 1005, ""
    return _U16.unpack_from(payload)[0], payload[2:].decode("utf-8", "replace")


class FrameParser:
    """Splits received bytes into ``(opcode, payload)`` frames, unmasked.

    Args:
        masked: whether the peer must mask (it is a client; RFC 6455 §5.1:
            a server fails a connection with an unmasked client frame, and a
            client one with a masked server frame).
        max_payload: a frame announcing a larger payload fails the
            connection at once, before it is buffered; -1: no limit.

    Raises (from :meth:`feed`):
        WebSocketError: a frame ZWS does not allow (see the module docstring).
    """

    __slots__ = ("_buffer", "_buffered", "_masked", "_needed", "max_payload")

    def __init__(self, *, masked: bool, max_payload: int = -1) -> None:
        self._masked = masked
        self.max_payload = max_payload
        self._buffer: list[bytes] = []
        self._buffered = 0
        self._needed = 2

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        """Consume *data*; return the frames it completes, in order."""
        if self._buffer:
            self._buffer.append(data)
            self._buffered += len(data)
            if self._buffered < self._needed:
                return []
            data = b"".join(self._buffer)
            self._buffer = []
        frames: list[tuple[int, bytes]] = []
        offset, end = 0, len(data)
        while end - offset >= 2:
            first, second = data[offset], data[offset + 1]
            opcode = first & 0x0F
            self._check(first, second, opcode)
            size = second & 0x7F
            start = offset + 2
            if size == 126:
                if end - start < 2:
                    self._needed = 4
                    break
                (size,) = _U16.unpack_from(data, start)
                start += 2
            elif size == 127:
                if end - start < 8:
                    self._needed = 10
                    break
                (size,) = _U64.unpack_from(data, start)
                if size >> 63:
                    raise WebSocketError("frame length with the most significant bit set")
                start += 8
            if opcode < OP_CLOSE and 0 <= self.max_payload < size:
                raise WebSocketError(
                    f"message of {size} bytes exceeds the limit of {self.max_payload}",
                    CloseCode.MESSAGE_TOO_BIG,
                )
            stop = start + size + (4 if self._masked else 0)
            if stop > end:
                self._needed = stop - offset
                break
            if self._masked:
                payload = mask(data[start : start + 4], data[start + 4 : stop])
            else:
                payload = data[start:stop]
            frames.append((opcode, payload))
            offset = stop
        else:
            self._needed = 2
        if offset < end:
            rest = data[offset:]
            self._buffer = [rest]
            self._buffered = len(rest)
        return frames

    def _check(self, first: int, second: int, opcode: int) -> None:
        if first & _RSV:
            raise WebSocketError("RSV bits set without a negotiated extension")
        if opcode == OP_TEXT:
            raise WebSocketError(
                "text frame: ZWS carries binary frames only", CloseCode.UNSUPPORTED_DATA
            )
        if opcode == OP_CONTINUATION or not first & _FIN:
            raise WebSocketError("fragmented message: ZWS sends each frame whole")
        if opcode not in (OP_BINARY, OP_CLOSE, OP_PING, OP_PONG):
            raise WebSocketError(f"unknown opcode {opcode:#x}")
        if opcode >= OP_CLOSE and second & 0x7F > 125:
            raise WebSocketError("control frame longer than 125 bytes")
        if bool(second & _MASKED) != self._masked:
            raise WebSocketError(
                "unmasked frame from a client" if self._masked else "masked frame from a server"
            )
