"""Wire fixtures and a tiny independent ZMTP encoder for the codec tests.

The byte strings in CAPTURES are libzmq 4.3.5 wire captures (docs/wire/zmtp.md#captures). The builders below are written from the RFC, not from aiomsg's
own encoder, so expected bytes never come from the code under test.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence

from aiomsg._zmtp.codec import HandshakeComplete, ZmtpCodec
from aiomsg.constants import SocketType

NULL_MECHANISM = b"NULL" + bytes(16)

# -- libzmq 4.3.5 captures (docs/wire/zmtp.md#captures, #ready) -------------------
LIBZMQ_GREETING = (
    bytes.fromhex("ff 00 00 00 00 00 00 00 01 7f 03 01") + NULL_MECHANISM + b"\x00" + bytes(31)
)
DEALER_ABCDE_GREETING = (
    bytes.fromhex("ff 00 00 00 00 00 00 00 06 7f 03 01") + NULL_MECHANISM + b"\x00" + bytes(31)
)
READY_FROM_ROUTER = (
    b"\x04\x29\x05READY\x0bSocket-Type\x00\x00\x00\x06ROUTER\x08Identity\x00\x00\x00\x00"
)
READY_FROM_DEALER = (
    b"\x04\x29\x05READY\x0bSocket-Type\x00\x00\x00\x06DEALER\x08Identity\x00\x00\x00\x00"
)
READY_FROM_PUB = b"\x04\x19\x05READY\x0bSocket-Type\x00\x00\x00\x03PUB"
SUBSCRIBE_A = b"\x04\x0b\x09SUBSCRIBEA"
CANCEL_A = b"\x04\x08\x06CANCELA"
SUBSCRIBE_A_30 = b"\x00\x02\x01A"
PING_TTL_2_5S = b"\x04\x07\x04PING\x00\x19"
PONG_CTX = b"\x04\x08\x04PONGctx"
NULL_ERROR_400 = b"\x04\x0a\x05ERROR\x03400"
PLAIN_ERROR_BUGGY = b"\x04\x09\x5eRROR\x03400"


# -- builders -----------------------------------------------------------------
def frame(
    body: bytes,
    *,
    more: bool = False,
    command: bool = False,
    long: bool | None = None,
    reserved: int = 0,
) -> bytes:
    """One frame; LONG form when the body exceeds 255 bytes unless *long* says otherwise."""
    if long is None:
        long = len(body) > 255
    flags = (1 if more else 0) | (2 if long else 0) | (4 if command else 0) | reserved
    size = len(body).to_bytes(8, "big") if long else bytes((len(body),))
    return bytes((flags,)) + size + body


def message(*frames: bytes) -> bytes:
    """A whole multipart message, MORE on every frame but the last."""
    return b"".join(frame(body, more=i < len(frames) - 1) for i, body in enumerate(frames))


def command(name: bytes, data: bytes = b"", **kwargs: bool) -> bytes:
    return frame(bytes((len(name),)) + name + data, command=True, **kwargs)


def ping(ttl: int = 0, context: bytes = b"") -> bytes:
    return command(b"PING", ttl.to_bytes(2, "big") + context)


def prop(name: bytes, value: bytes) -> bytes:
    return bytes((len(name),)) + name + len(value).to_bytes(4, "big") + value


def ready(*properties: tuple[bytes, bytes]) -> bytes:
    return command(b"READY", b"".join(prop(n, v) for n, v in properties))


def ready_for(socket_type: bytes, identity: bytes | None = None) -> bytes:
    """What libzmq sends: Socket-Type, then Identity for REQ/DEALER/ROUTER."""
    properties = [(b"Socket-Type", socket_type)]
    if identity is not None:
        properties.append((b"Identity", identity))
    return ready(*properties)


def greeting(
    *,
    padding: bytes = bytes(7) + b"\x01",
    signature_end: int = 0x7F,
    major: int = 3,
    minor: int = 1,
    mechanism: bytes = NULL_MECHANISM,
    as_server: int = 0,
    filler: bytes = bytes(31),
) -> bytes:
    data = (
        b"\xff"
        + padding
        + bytes((signature_end, major, minor))
        + mechanism
        + bytes((as_server,))
        + filler
    )
    assert len(data) == 64
    return data


# -- driving a connection -------------------------------------------------------
def handshaken(
    local: SocketType = SocketType.DEALER,
    peer_ready: bytes = READY_FROM_DEALER,
    peer_greeting: bytes = LIBZMQ_GREETING,
    **kwargs: object,
) -> ZmtpCodec:
    """A connection that completed its handshake, with its output drained."""
    conn = ZmtpCodec(local, **kwargs)  # type: ignore[arg-type]
    events = conn.receive_data(peer_greeting + peer_ready)
    assert len(events) == 1 and isinstance(events[0], HandshakeComplete), events
    conn.take_output()
    return conn


def feed(conn: ZmtpCodec, chunks: Iterable[bytes]) -> list[object]:
    events: list[object] = []
    for chunk in chunks:
        events += conn.receive_data(chunk)
    return events


def split_at(data: bytes, points: Sequence[int]) -> list[bytes]:
    """*data* cut at the sorted offsets *points*."""
    bounds = [0, *sorted(points), len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


def output(conn: ZmtpCodec) -> bytes:
    return b"".join(conn.take_output())
