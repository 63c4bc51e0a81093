"""STREAM against libzmq's STREAM (pyzmq), both directions: raw TCP both ways,
with libzmq's connect and disconnect notices."""

from __future__ import annotations

import asyncio

import zmq

from ._helpers import TIMEOUT, roles
from .conftest import Net


async def recv_data(sock: object, routing_id: bytes, size: int) -> bytes:
    """Chunks for *routing_id* until *size* bytes (TCP may split them)."""
    data = b""
    while len(data) < size:
        rid, chunk = await sock.recv_multipart()  # type: ignore[attr-defined]
        assert rid == routing_id and chunk, (rid, chunk)
        data += chunk
    return data


@roles("STREAM", "STREAM")
async def test_stream_to_stream(net: Net, libs: tuple[str, str]) -> None:
    if net.transport != "tcp":
        return  # libzmq's STREAM is a tcp socket
    server = net.socket(libs[0], "STREAM")
    client = net.socket(libs[1], "STREAM")
    endpoint = await net.bind(server)
    await net.connect(client, endpoint)
    async with asyncio.timeout(TIMEOUT):
        client_id, notice = await client.recv_multipart()  # connected
        assert notice == b""
        server_id, notice = await server.recv_multipart()  # accepted
        assert notice == b""
        await client.send_multipart([client_id, b"GET / HTTP/1.0\r\n\r\n"])
        assert await recv_data(server, server_id, 18) == b"GET / HTTP/1.0\r\n\r\n"
        await server.send_multipart([server_id, b"HTTP/1.0 200 OK\r\n\r\n"])
        assert await recv_data(client, client_id, 19) == b"HTTP/1.0 200 OK\r\n\r\n"
        await server.send_multipart([server_id, b""])  # the server closes the peer
        # A pending recv keeps a libzmq socket processing its commands (the
        # close among them: docs/wire/zmtp.md#lazy-socket).
        server_next = asyncio.ensure_future(server.recv_multipart())
        assert await client.recv_multipart() == [client_id, b""]  # the client hears it
        # The server is not told of a peer it closed itself; the client
        # reconnects (a raw connect is retried), which it is told of.
        new_id, notice = await server_next
        assert new_id != server_id and notice == b""


async def test_libzmq_stream_ids_look_like_ours(net: Net) -> None:
    """libzmq's STREAM ids are 5 bytes, 0x00 then a counter, as aiomsg's."""
    if net.transport != "tcp":
        return
    zserver = net.socket("zmq", "STREAM")
    aserver = net.socket("aiomsg", "STREAM")
    ids = []
    for server in (zserver, aserver):
        endpoint = await net.bind(server)
        reader, writer = await asyncio.open_connection(*endpoint[6:].rsplit(":", 1))
        async with asyncio.timeout(TIMEOUT):
            routing_id, notice = await server.recv_multipart()
            assert notice == b""
            writer.write(b"raw")
            assert await recv_data(server, routing_id, 3) == b"raw"
        ids.append(routing_id)
        writer.close()
        del reader
    assert [len(i) for i in ids] == [5, 5] and all(i[0] == 0 for i in ids)
    assert isinstance(zserver, zmq.Socket)
