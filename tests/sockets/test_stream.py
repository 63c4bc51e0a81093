"""STREAM: raw TCP peers (plain asyncio streams here; pyzmq in tests/interop)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from helpers import tcp_host_port

import aiomsg

TIMEOUT = 5.0


async def open_raw(endpoint: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection(*tcp_host_port(endpoint))


@pytest.fixture
async def stream(ctx: aiomsg.Context) -> AsyncIterator[tuple[aiomsg.Socket, str]]:
    sock = ctx.socket(aiomsg.STREAM)
    yield sock, await sock.bind("tcp://127.0.0.1:*")


async def test_connect_data_and_disconnect_notices(stream: tuple[aiomsg.Socket, str]) -> None:
    sock, endpoint = stream
    reader, writer = await open_raw(endpoint)
    async with asyncio.timeout(TIMEOUT):
        routing_id, notice = await sock.recv_multipart()
        assert notice == b"" and len(routing_id) == 5 and routing_id[0] == 0
        writer.write(b"ping")
        assert await sock.recv_multipart() == [routing_id, b"ping"]
        await sock.send_multipart([routing_id, b"pong"])
        assert await reader.readexactly(4) == b"pong"
        writer.close()
        assert await sock.recv_multipart() == [routing_id, b""]  # the peer went


async def test_an_empty_frame_closes_the_peer(stream: tuple[aiomsg.Socket, str]) -> None:
    sock, endpoint = stream
    reader, writer = await open_raw(endpoint)
    async with asyncio.timeout(TIMEOUT):
        routing_id, _ = await sock.recv_multipart()
        await sock.send_multipart([routing_id, b"bye"])
        await sock.send_multipart([routing_id, b""])
        with pytest.raises(aiomsg.HostUnreachable):  # gone at once
            await sock.send_multipart([routing_id, b"gone"])
        assert await reader.read() == b"bye"  # written, then EOF
        writer.close()
        # No disconnect notice for a peer we closed (as libzmq): the next
        # message is the next peer's connect notice.
        _, other = await open_raw(endpoint)
        other_id, notice = await sock.recv_multipart()
        assert other_id != routing_id and notice == b""
        other.close()


async def test_each_peer_has_its_own_id(stream: tuple[aiomsg.Socket, str]) -> None:
    sock, endpoint = stream
    peers = [await open_raw(endpoint) for _ in range(3)]
    async with asyncio.timeout(TIMEOUT):
        ids = [(await sock.recv_multipart())[0] for _ in peers]
        assert len(set(ids)) == 3
        for number, (_, writer) in enumerate(peers):
            writer.write(b"%d" % number)
        got = dict([tuple(await sock.recv_multipart()) for _ in peers])  # type: ignore[misc]
        assert sorted(got.values()) == [b"0", b"1", b"2"]
        for routing_id, data in got.items():
            await sock.send_multipart([routing_id, b"echo " + data])
        for number, (reader, _) in enumerate(peers):
            assert await reader.readexactly(6) == b"echo %d" % number
    for _, writer in peers:
        writer.close()


async def test_stream_notify_off(ctx: aiomsg.Context) -> None:
    sock = ctx.socket(aiomsg.STREAM, stream_notify=False)
    endpoint = await sock.bind("tcp://127.0.0.1:*")
    _, writer = await open_raw(endpoint)
    writer.write(b"first")
    async with asyncio.timeout(TIMEOUT):
        routing_id, data = await sock.recv_multipart()  # no notice before the data
        assert data == b"first" and routing_id
    writer.close()


async def test_connecting_stream_talks_to_a_tcp_server(ctx: aiomsg.Context) -> None:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"hello " + await reader.readexactly(5))
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    async with server:
        port = server.sockets[0].getsockname()[1]
        sock = ctx.socket(aiomsg.STREAM, reconnect_ivl=-1)
        await sock.connect(f"tcp://127.0.0.1:{port}")
        async with asyncio.timeout(TIMEOUT):
            routing_id, notice = await sock.recv_multipart()
            assert notice == b""
            await sock.send_multipart([routing_id, b"world"])
            received = b""
            while received != b"hello world":  # TCP may split it; bounded by the timeout
                rid, data = await sock.recv_multipart()
                assert rid == routing_id and data
                received += data
            assert await sock.recv_multipart() == [routing_id, b""]  # the server closed


async def test_malformed_sends_are_refused(stream: tuple[aiomsg.Socket, str]) -> None:
    sock, _ = stream
    with pytest.raises(aiomsg.InvalidMessage):
        await sock.send(b"no routing id")
    with pytest.raises(aiomsg.HostUnreachable):
        await sock.send_multipart([b"\x00nope", b"data"])
    await sock.send_multipart([b"\x00nope", b""])  # closing an unknown peer is no error


async def test_stream_refuses_zmtp_peers_by_ignoring_the_protocol(
    stream: tuple[aiomsg.Socket, str], ctx: aiomsg.Context
) -> None:
    """A ZMTP socket connecting to a STREAM is just bytes to it: its greeting."""
    sock, endpoint = stream
    dealer = ctx.socket(aiomsg.DEALER, linger=0)
    await dealer.connect(endpoint)
    async with asyncio.timeout(TIMEOUT):
        connected = await sock.recv_multipart()
        assert connected[1] == b""
        _, greeting = await sock.recv_multipart()
        assert greeting.startswith(b"\xff")  # the ZMTP signature, raw
