"""ZMTP 3.x framing: flag bits, frame headers and command bodies (RFC 23/37 §Framing)."""

from __future__ import annotations

import struct

__all__ = [
    "COMMAND",
    "LAST_HEADERS",
    "LAST_HEADERS_LIMIT",
    "LONG",
    "LONG_HEADER",
    "LONG_SIZE",
    "MORE",
    "ONE_DIGIT_MAX",
    "SHORT_HEADERS",
    "encode_command",
    "encode_message",
    "split_command",
]

MORE = 0x01
LONG = 0x02
COMMAND = 0x04

#: The largest int that CPython 3.11 compares without a generic call (one
#: 30-bit digit; a comparison with a larger one, such as sys.maxsize, costs
#: ~100 instructions more). The hot paths bound the sizes and counts they
#: compare by it, leaving anything larger to a slower path that checks it.
ONE_DIGIT_MAX = (1 << 30) - 1

#: The 8-byte big-endian size that follows a flags byte with LONG set.
LONG_SIZE = struct.Struct(">Q")
LONG_HEADER = struct.Struct(">BQ")
# Headers of short frames, prebuilt: index (flags << 8) | size.
SHORT_HEADERS = tuple(bytes((i >> 8, i & 0xFF)) for i in range(0x600))
#: Headers of a message's last (or only) frame (flags 0, LONG above 255
#: bytes), prebuilt for frames under LAST_HEADERS_LIMIT bytes: index size.
#: ~200 KB once per process, for ~1,100 instructions fewer per 1 KiB
#: message sent than packing its header (callgrind send1k: 7,672 to
#: 6,560); above 4 KiB the payload's copies outweigh the header.
LAST_HEADERS_LIMIT = 4096
LAST_HEADERS = SHORT_HEADERS[:256] + tuple(
    LONG_HEADER.pack(LONG, size) for size in range(256, LAST_HEADERS_LIMIT)
)


def frame_header(flags: int, size: int) -> bytes:
    """The flags and size bytes of a frame; LONG is set only above 255 bytes, as libzmq does."""
    if size < 256:
        return SHORT_HEADERS[(flags << 8) | size]
    return LONG_HEADER.pack(flags | LONG, size)


def encode_message(frames: list[bytes], out: list[bytes]) -> None:
    """Append the wire form of a (multipart) message to *out*, header then body per frame."""
    last = len(frames) - 1
    for index, body in enumerate(frames):
        size = len(body)
        flags = MORE if index < last else 0
        if size < 256:
            out.append(SHORT_HEADERS[(flags << 8) | size])
        else:
            out.append(LONG_HEADER.pack(flags | LONG, size))
        out.append(body)


def encode_command(name: bytes, data: bytes = b"") -> bytes:
    """A whole command frame: flags, size, then ``len(name) name data``."""
    body = bytes((len(name),)) + name + data
    return frame_header(COMMAND, len(body)) + body


def split_command(body: bytes) -> tuple[bytes, bytes]:
    """Split a command body into its name and data.

    Raises:
        ValueError: the name length byte runs past the end of the body.
    """
    if not body:
        raise ValueError("empty command frame")
    name_end = 1 + body[0]
    if name_end > len(body):
        raise ValueError("command name runs past the end of the frame")
    return body[1:name_end], body[name_end:]
