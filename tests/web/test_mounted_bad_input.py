"""Hostile WebSocket peers of a socket mounted in a web app (aiomsg.web): each is
refused or dropped with a reason (an HTTP status or a WebSocket close code),
reported (monitor event, log) and counted, and the good peer keeps flowing.

Frames are the web server's to parse: uvicorn's wsproto refuses an
unmasked client frame (reported to the socket, which counts it), aiohttp
3.14 accepts it; both reassemble a fragmented message, which the socket
then gets whole.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import NamedTuple

import aiohttp
import pytest

import aiomsg
from aiomsg._zmtp.websocket import OP_BINARY, build_request, encode_frame, mask, new_key

from ._servers import SERVERS, TIMEOUT, asgi_missing

READY_PUSH = b"\x02\x05READY\x0bSocket-Type\x00\x00\x00\x04PUSH"


class Served(NamedTuple):
    pull: aiomsg.Socket
    push: aiomsg.Socket
    url: str
    server: str


@pytest.fixture(params=sorted(SERVERS))
async def served(request: pytest.FixtureRequest, ctx: aiomsg.Context) -> AsyncIterator[Served]:
    """A PULL mounted at /zmq (maxmsgsize 1000) with a good PUSH connected; the URL."""
    if request.param == "starlette" and (missing := asgi_missing()):
        pytest.skip(missing)
    pull = ctx.socket(aiomsg.PULL, maxmsgsize=1000, linger=0)
    async with SERVERS[request.param](pull, "/zmq") as port:
        push = ctx.socket(aiomsg.PUSH, linger=0)
        monitor = push.monitor()
        await push.connect(f"ws://127.0.0.1:{port}/zmq")
        async with asyncio.timeout(TIMEOUT):
            await monitor.wait_for(aiomsg.Event.HANDSHAKE_SUCCEEDED)
        monitor.close()
        yield Served(pull, push, f"http://127.0.0.1:{port}/zmq", request.param)


def _faults(sock: aiomsg.Socket) -> int:
    stats = sock.stats()
    return stats.protocol_errors + stats.handshake_failures


async def _still_flows(pull: aiomsg.Socket, push: aiomsg.Socket) -> None:
    await push.send(b"still here")
    assert await pull.recv() == b"still here"


async def _wait_counted(pull: aiomsg.Socket, before: int) -> None:
    while _faults(pull) == before:
        await asyncio.sleep(0.01)  # polling a counter, bounded by the caller's timeout


BAD_MESSAGES = {
    # What the peer sends after its READY, the close code, words of the reason.
    "text": ("hello", aiohttp.WSCloseCode.UNSUPPORTED_DATA, "text frame"),
    "oversize": (b"\x00" + bytes(5000), aiohttp.WSCloseCode.MESSAGE_TOO_BIG, "exceeds"),
    "empty": (b"", aiohttp.WSCloseCode.PROTOCOL_ERROR, "no ZWS flags byte"),
    "command before READY": (None, aiohttp.WSCloseCode.PROTOCOL_ERROR, "before the handshake"),
}


@pytest.mark.parametrize("case", list(BAD_MESSAGES))
async def test_bad_message_closed_with_reason(served: Served, case: str) -> None:
    pull, push, url, server = served
    payload, code, words = BAD_MESSAGES[case]
    before = _faults(pull)
    monitor = pull.monitor()
    async with asyncio.timeout(TIMEOUT), aiohttp.ClientSession() as session:
        async with session.ws_connect(url, protocols=("ZWS2.0/NULL",)) as ws:
            if payload is None:
                await ws.send_bytes(b"\x00data")  # a message where READY belongs
            else:
                await ws.send_bytes(READY_PUSH)
                if isinstance(payload, str):
                    await ws.send_str(payload)
                else:
                    await ws.send_bytes(payload)
            closing = await ws.receive()
            while closing.type in (aiohttp.WSMsgType.BINARY,):  # our READY first
                closing = await ws.receive()
            assert closing.type is aiohttp.WSMsgType.CLOSE, closing
            assert closing.data == code, closing
            if not (case == "oversize" and server == "aiohttp"):
                # (aiohttp refuses an oversize message itself, with the code alone.)
                assert words in closing.extra, closing
        await _wait_counted(pull, before)
        event = await monitor.wait_for(aiomsg.Event.PROTOCOL_ERROR, aiomsg.Event.HANDSHAKE_FAILED)
        assert words in event.reason, event
        await _still_flows(pull, push)
    monitor.close()


@pytest.mark.parametrize("protocols", [(), ("chat",), ("ZWS2.0/PLAIN",)])
async def test_plain_websocket_client_refused(served: Served, protocols: tuple[str, ...]) -> None:
    pull, push, url, _ = served
    before = _faults(pull)
    async with asyncio.timeout(TIMEOUT), aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(url, protocols=protocols)
        # aiohttp answers 400 naming why; uvicorn 400 too (it offers the
        # websocket.http.response extension), else 403.
        assert refused.value.status in (400, 403)
        await _wait_counted(pull, before)
        await _still_flows(pull, push)


async def _raw_zws_peer(url: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A raw WebSocket client past the upgrade, its READY sent (a PUSH)."""
    host_port = url.removeprefix("http://").partition("/")[0]
    host, _, port = host_port.rpartition(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(build_request(host_port, "/zmq", ["ZWS2.0/NULL"], new_key()))
    assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 101 ")
    writer.writelines(encode_frame(OP_BINARY, READY_PUSH[:1], READY_PUSH[1:], masked=True))
    return reader, writer


KEY = b"\x11\x22\x33\x44"


# aiohttp 3.14 accepts unmasked client frames: it never tells the socket.
@pytest.mark.parametrize("served", ["starlette"], indirect=True)
async def test_unmasked_client_frame_refused_by_uvicorn_and_reported(served: Served) -> None:
    """uvicorn's wsproto refuses a client frame without a mask (1002); the socket
    reports it. aiohttp 3.14 accepts such frames: nothing to refuse there
    (docs/embedding.md)."""
    pull, push, url, _ = served
    before = _faults(pull)
    async with asyncio.timeout(TIMEOUT):
        reader, writer = await _raw_zws_peer(url)
        writer.write(bytes((0x82, 6)) + b"\x00hello")  # FIN, binary, no mask bit
        await reader.read()  # the server closes
        writer.close()
        await _wait_counted(pull, before)
        await _still_flows(pull, push)


async def test_fragmented_message_delivered_whole(served: Served) -> None:
    """RFC 6455 lets a message span frames; libzmq does not send them, but the
    web server reassembles them, so the socket gets one whole message."""
    pull, _, url, _ = served
    async with asyncio.timeout(TIMEOUT):
        _, writer = await _raw_zws_peer(url)
        writer.write(bytes((0x02, 0x84)) + KEY + mask(KEY, b"\x00hel"))  # binary, not FIN
        writer.write(bytes((0x80, 0x82)) + KEY + mask(KEY, b"lo"))  # continuation, FIN
        assert await pull.recv() == b"hello"
        writer.close()
