"""Hostile WebSocket peers of a ws:// socket: each is refused with a reason
(a ``400`` or a close frame with an RFC 6455 §7.4.1 code), reported and
counted, and the good peer keeps flowing (docs/wire/draft.md#zws-violations)."""

from __future__ import annotations

import asyncio

import pytest

import aiomsg
from aiomsg._zmtp.websocket import (
    OP_BINARY,
    OP_CLOSE,
    CloseCode,
    FrameParser,
    build_request,
    encode_frame,
    mask,
    new_key,
    parse_close,
)

TIMEOUT = 10.0
READY_PUSH = b"\x05READY\x0bSocket-Type\x00\x00\x00\x04PUSH"


async def _open(endpoint: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    host, _, port = endpoint.removeprefix("ws://").partition("/")[0].rpartition(":")
    return await asyncio.open_connection(host, int(port))


async def _upgrade(endpoint: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A raw ZWS client past the upgrade, its READY sent (a PUSH)."""
    reader, writer = await _open(endpoint)
    writer.write(build_request("127.0.0.1", "/zmq", ["ZWS2.0/NULL"], new_key()))
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101 ")
    writer.writelines(encode_frame(OP_BINARY, b"\x02", READY_PUSH, masked=True))
    return reader, writer


async def _close_code(reader: asyncio.StreamReader) -> tuple[int, str]:
    """The close frame the server sent before closing TCP."""
    frames = FrameParser(masked=False).feed(await reader.read())
    closes = [payload for opcode, payload in frames if opcode == OP_CLOSE]
    assert closes, frames
    return parse_close(closes[0])


def _masked_frame(first: int, payload: bytes, *, masked: bool = True) -> bytes:
    key = b"\x11\x22\x33\x44"
    if not masked:
        return bytes((first, len(payload))) + payload
    return bytes((first, 0x80 | len(payload))) + key + mask(key, payload)


BAD_FRAMES = {
    "text": (_masked_frame(0x81, b"\x00hello"), CloseCode.UNSUPPORTED_DATA, "text frame"),
    "fragmented": (_masked_frame(0x02, b"\x00hel"), CloseCode.PROTOCOL_ERROR, "fragmented"),
    "unmasked": (_masked_frame(0x82, b"\x00hello", masked=False), CloseCode.PROTOCOL_ERROR,
                 "unmasked"),
    "empty": (_masked_frame(0x82, b""), CloseCode.PROTOCOL_ERROR, "no ZWS flags byte"),
    "oversize": (b"\x82\xfe\x10\x00\x11\x22\x33\x44" + bytes(4096), CloseCode.MESSAGE_TOO_BIG,
                 "exceeds"),
}  # fmt: skip


@pytest.fixture
async def served(ctx: aiomsg.Context) -> tuple[aiomsg.Socket, aiomsg.Socket, str]:
    """A PULL bound on ws with a good PUSH connected to it."""
    pull = ctx.socket(aiomsg.PULL, maxmsgsize=1000, linger=0)
    push = ctx.socket(aiomsg.PUSH, linger=0)
    endpoint = await pull.bind("ws://127.0.0.1:*/zmq")
    monitor = push.monitor()
    await push.connect(endpoint)
    async with asyncio.timeout(TIMEOUT):
        await monitor.wait_for(aiomsg.Event.HANDSHAKE_SUCCEEDED)
    monitor.close()
    return pull, push, endpoint


async def _still_flows(pull: aiomsg.Socket, push: aiomsg.Socket) -> None:
    await push.send(b"still here")
    assert await pull.recv() == b"still here"


@pytest.mark.parametrize("case", list(BAD_FRAMES))
async def test_bad_frame_closed_with_reason(
    served: tuple[aiomsg.Socket, aiomsg.Socket, str], case: str
) -> None:
    pull, push, endpoint = served
    wire, code, words = BAD_FRAMES[case]
    before = pull.stats()
    async with asyncio.timeout(TIMEOUT):
        reader, writer = await _upgrade(endpoint)
        writer.write(wire)
        got_code, reason = await _close_code(reader)
        writer.close()
        assert got_code == code and words in reason
        while (stats := pull.stats()).protocol_errors + stats.handshake_failures == (
            before.protocol_errors + before.handshake_failures
        ):
            await asyncio.sleep(0.01)  # polling a counter, bounded by the timeout
        await _still_flows(pull, push)


@pytest.mark.parametrize(
    ("protocols", "words"),
    [([], b"no ZeroMQ subprotocol"), (["chat"], b"offered chat"),
     (["ZWS2.0/PLAIN"], b"ZWS2.0/PLAIN")],
)  # fmt: skip
async def test_plain_websocket_client_refused_with_400(
    served: tuple[aiomsg.Socket, aiomsg.Socket, str], protocols: list[str], words: bytes
) -> None:
    pull, push, endpoint = served
    async with asyncio.timeout(TIMEOUT):
        reader, writer = await _open(endpoint)
        request = build_request("127.0.0.1", "/zmq", protocols, new_key())
        if not protocols:
            request = request.replace(b"Sec-WebSocket-Protocol: \r\n", b"")
        writer.write(request)
        answer = await reader.read()
        writer.close()
        assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")
        assert words in answer
        while pull.stats().handshake_failures == 0:
            await asyncio.sleep(0.01)  # polling a counter, bounded by the timeout
        await _still_flows(pull, push)
