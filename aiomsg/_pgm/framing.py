"""libzmq's message stream inside PGM data packets (docs/wire/pgm.md#pgm-framing).

Each TSDU is a 2-byte big-endian *offset* then a slice of one continuous
stream of ZMTP/1.0 ("v1") frames: messages and frames run across packet
boundaries freely, with no OPT_FRAGMENT (docs/wire/pgm.md#pgm-no-fragments).
The offset is where the first message starting in the packet begins,
counted after those 2 bytes, or ``ffff`` when none starts there
(docs/wire/pgm.md#pgm-offset). A v1 frame is ``size flags body`` with
``size = len(body) + 1``, or ``ff``, a 64-bit size, ``flags body`` when the
size does not fit below 255 (docs/wire/pgm.md#v1-frames).

:class:`Packer` turns messages into TSDUs on the source's side;
:class:`StreamDecoder` turns one source's TSDUs back into messages on the
receiver's, joining the stream at a message boundary and leaving it on loss
or on a decoding error (docs/wire/pgm.md#pgm-join).
"""

from __future__ import annotations

import struct
from collections import deque
from collections.abc import Sequence

__all__ = ["NO_OFFSET", "Packer", "StreamDecoder", "encode_message"]

#: The offset of a packet in which no message starts.
NO_OFFSET = 0xFFFF
_MORE = 0x01
_LONG = 0xFF
_LONG_SIZE = struct.Struct(">Q")


def encode_message(frames: Sequence[bytes]) -> list[bytes]:
    """*frames* as v1 frames: header and body pieces, to be joined or sliced."""
    last = len(frames) - 1
    pieces: list[bytes] = []
    for index, body in enumerate(frames):
        flags = _MORE if index < last else 0
        size = len(body) + 1
        if size < _LONG:
            pieces.append(bytes((size, flags)))
        else:
            pieces.append(bytes((_LONG,)) + _LONG_SIZE.pack(size) + bytes((flags,)))
        pieces.append(body)
    return pieces


class Packer:
    """Fills TSDUs of at most *apdu_size* bytes (offset included) from messages,
    several messages to a packet when they are queued together, as libzmq
    does (docs/wire/pgm.md#pgm-packing).

    A packet is cut when it is full, or by :meth:`next_tsdu` with
    ``flush=True`` when the caller has nothing more to add now.
    """

    __slots__ = ("_chunks", "_queued", "_size", "_starts")

    def __init__(self, apdu_size: int) -> None:
        if apdu_size < 3:
            raise ValueError(f"an APDU of {apdu_size} bytes cannot carry the stream")
        self._size = apdu_size - 2  # stream bytes per packet
        # The stream not yet packed: (chunk, starts a message) pieces, and
        # the byte count.
        self._chunks: deque[memoryview] = deque()
        self._starts: deque[bool] = deque()
        self._queued = 0

    @property
    def queued(self) -> int:
        """Stream bytes not yet packed into a TSDU."""
        return self._queued

    def add(self, frames: Sequence[bytes]) -> None:
        """Queue one message."""
        first = True
        for piece in encode_message(frames):
            if piece:
                self._chunks.append(memoryview(piece))
                self._starts.append(first)
                self._queued += len(piece)
                first = False

    def next_tsdu(self, *, flush: bool) -> bytes | None:
        """The next TSDU: a full one, or with *flush* whatever is queued;
        None when there is nothing (or, without *flush*, not a packet's worth)."""
        if not self._queued or (not flush and self._queued < self._size):
            return None
        room = self._size
        offset = NO_OFFSET
        parts: list[bytes | memoryview] = []
        used = 0
        chunks, starts = self._chunks, self._starts
        while chunks and used < room:
            chunk = chunks[0]
            if starts[0] and offset == NO_OFFSET:
                offset = used
            take = min(len(chunk), room - used)
            parts.append(chunk[:take])
            used += take
            if take == len(chunk):
                chunks.popleft()
                starts.popleft()
            else:
                chunks[0] = chunk[take:]
                starts[0] = False
        self._queued -= used
        return struct.pack(">H", offset) + b"".join(parts)


class StreamDecoder:
    """One source's stream of v1 frames, decoded into messages.

    Not *joined* at first: packets are skipped until one in which a message
    starts (docs/wire/pgm.md#pgm-join). :meth:`reset` (a packet was lost) and
    a decoding error leave the stream; it is joined again at the next
    message boundary, so a partly received message is never delivered.
    """

    __slots__ = ("_body", "_flags", "_frames", "_head", "_limit", "_need", "joined")

    def __init__(self, maxmsgsize: int = -1) -> None:
        #: Largest frame accepted (``maxmsgsize``); -1: no limit.
        self._limit = maxmsgsize
        self.joined = False
        self._frames: list[bytes] = []
        self._head = bytearray()  # a frame header read so far
        self._body: list[bytes] = []  # the pieces of the body being read
        self._need = 0  # body bytes still to read; 0: reading a header
        self._flags = 0

    def reset(self) -> None:
        """Leave the stream: the message in progress is dropped."""
        self.joined = False
        self._frames = []
        self._head.clear()
        self._body = []
        self._need = 0

    def feed(self, tsdu: bytes) -> tuple[list[list[bytes]], str | None]:
        """The messages completed by *tsdu* (the next packet of the stream, in
        sqn order), and why the stream was left, if it was.

        The reason is None for a clean packet; otherwise the packet was
        malformed (shorter than its offset, an offset past its end, a frame
        size of 0, a frame over ``maxmsgsize``) and the rest of it dropped.
        """
        if len(tsdu) < 2:
            self.reset()
            return [], f"a TSDU of {len(tsdu)} bytes has no offset"
        offset = (tsdu[0] << 8) | tsdu[1]
        start = 2
        if not self.joined:
            if offset == NO_OFFSET:
                return [], None
            if offset > len(tsdu) - 2:
                return [], f"offset {offset} is past the packet's {len(tsdu) - 2} stream bytes"
            start += offset
            self.joined = True
        return self._decode(memoryview(tsdu)[start:])

    def _decode(self, data: memoryview) -> tuple[list[list[bytes]], str | None]:
        messages: list[list[bytes]] = []
        position, end = 0, len(data)
        head = self._head
        while position < end:
            if self._need:
                take = min(self._need, end - position)
                self._body.append(bytes(data[position : position + take]))
                position += take
                self._need -= take
                if not self._need:
                    self._frame_done(messages)
                continue
            # A header: one size byte (or ff and 8 bytes), then the flags.
            head.append(data[position])
            position += 1
            if head[0] == _LONG:
                if len(head) < 10:
                    continue
                size = _LONG_SIZE.unpack_from(head, 1)[0]
            elif len(head) < 2:
                continue
            else:
                size = head[0]
            if size == 0:
                self.reset()
                return messages, "a v1 frame of size 0"
            if 0 <= self._limit < size - 1:
                self.reset()
                return messages, f"a frame of {size - 1} bytes is over maxmsgsize"
            self._flags = head[-1]
            head.clear()
            self._need = size - 1
            if not self._need:
                self._frame_done(messages)
        return messages, None

    def _frame_done(self, messages: list[list[bytes]]) -> None:
        body = self._body
        self._frames.append(body[0] if len(body) == 1 else b"".join(body))
        self._body = []
        if not self._flags & _MORE:
            messages.append(self._frames)
            self._frames = []
