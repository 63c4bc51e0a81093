"""Refusals: each bad peer is turned away with a logged reason, no application
message passes in either direction, and the server keeps serving its good peers.

The server is a ROUTER with ``router_mandatory``: a message addressed to the
bad peer's identity raises HostUnreachable, so nothing can reach it. Raw
attacks (tampered byte, replayed nonce, malformed HELLO, a silent peer)
drive a ZmtpCodec codec by hand over a plain asyncio connection.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

import aiomsg
from aiomsg._security.keys import key_bytes
from aiomsg._zmtp.codec import HandshakeComplete, PeerFailed, ZmtpCodec
from aiomsg._zmtp.curve import CurveClient
from aiomsg._zmtp.mechanism import Mechanism
from aiomsg._zmtp.null import NullMechanism
from aiomsg.constants import SocketType

from ._env import TIMEOUT, nothing_arrives, recv, send, wait_event
from .conftest import Keys

Event = aiomsg.Event


@pytest.fixture
async def ctx() -> AsyncIterator[aiomsg.Context]:
    context = aiomsg.Context()
    try:
        yield context
    finally:
        context.destroy(linger=0)


class Server:
    def __init__(self, ctx: aiomsg.Context, **opts: Any) -> None:
        self.sock = ctx.socket(aiomsg.ROUTER, router_mandatory=True, linger=0, **opts)
        self.mon = self.sock.monitor()
        self.endpoint = ""

    async def start(self) -> Server:
        self.endpoint = await self.sock.bind("tcp://127.0.0.1:*")
        return self

    async def refused(self, *expected: str) -> str:
        """The next HANDSHAKE_FAILED or PROTOCOL_ERROR reason; it contains each *expected*."""
        event = await wait_event(self.mon, Event.HANDSHAKE_FAILED, Event.PROTOCOL_ERROR)
        for text in expected:
            assert text in event.reason, event.reason
        return event.reason

    async def serves(self, good: Any, tag: bytes) -> None:
        """The good peer still gets through both ways; nothing else arrives."""
        await send(good, [tag])
        routing_id, body = await recv(self.sock)
        assert body == tag and routing_id == good.identity
        await send(self.sock, [routing_id, tag + b"-reply"])
        assert await recv(good) == [tag + b"-reply"]

    async def no_leak(self, bad_identity: bytes = b"bad") -> None:
        await nothing_arrives(self.sock)
        with pytest.raises(aiomsg.HostUnreachable):
            await self.sock.send_multipart([bad_identity, b"leak"])


async def client(ctx: aiomsg.Context, endpoint: str, name: bytes, **opts: Any) -> Any:
    sock = ctx.socket(aiomsg.DEALER, identity=name, linger=0, **opts)
    mon = sock.monitor()
    await sock.connect(endpoint)
    await wait_event(mon, Event.HANDSHAKE_SUCCEEDED)
    return sock


def curve_server_opts(keys: Keys) -> dict[str, Any]:
    return {"curve_server": True, "curve_secretkey": keys.server.secret}


def curve_client_opts(keys: Keys, pair: Any = None, server: Any = None) -> dict[str, Any]:
    pair = pair or keys.client
    return {
        "curve_serverkey": (server or keys.server).public,
        "curve_publickey": pair.public,
        "curve_secretkey": pair.secret,
    }


def allow_client_key(ctx: aiomsg.Context, keys: Keys) -> aiomsg.Authenticator:
    auth = aiomsg.Authenticator(ctx)
    auth.start()
    auth.configure_curve(location=[keys.client.public])
    auth.configure_plain(passwords={"admin": "secret"})
    return auth


async def bad_aiomsg_client(ctx: aiomsg.Context, endpoint: str, **opts: Any) -> Any:
    """A refused aiomsg client: it queues a message that must never arrive."""
    sock = ctx.socket(aiomsg.DEALER, identity=b"bad", linger=0, **opts)
    await sock.connect(endpoint)
    sock.send_multipart_nowait([b"must not pass"])
    return sock


# ---------------------------------------------------------------- aiomsg peers


@pytest.mark.parametrize(
    ("bad_opts", "expected"),
    [
        (
            lambda k: curve_client_opts(k, server=k.other),
            ["CURVE HELLO failed to authenticate: wrong server key?"],
        ),
        (
            lambda k: curve_client_opts(k, pair=k.other),
            ["ZAP denied CURVE peer: 400", "not allowed"],
        ),
        (lambda k: {}, ["security mechanism mismatch: peer uses 'NULL'"]),
        (
            lambda k: {"plain_username": "admin", "plain_password": "secret"},
            ["security mechanism mismatch: peer uses 'PLAIN'"],
        ),
    ],
    ids=["wrong-server-key", "key-not-allowed", "null-client", "plain-client"],
)
async def test_curve_server_refuses(
    ctx: aiomsg.Context,
    keys: Keys,
    caplog: pytest.LogCaptureFixture,
    bad_opts: Callable[[Keys], dict[str, Any]],
    expected: list[str],
) -> None:
    caplog.set_level(logging.WARNING, logger="aiomsg")
    allow_client_key(ctx, keys)
    server = await Server(ctx, **curve_server_opts(keys)).start()
    good = await client(ctx, server.endpoint, b"good", **curve_client_opts(keys))
    bad = await bad_aiomsg_client(ctx, server.endpoint, **bad_opts(keys))
    reason = await server.refused(*expected)
    assert any(reason in record.getMessage() for record in caplog.records)
    await server.serves(good, b"one")
    await server.no_leak()
    await nothing_arrives(bad, 0.05)
    await server.serves(good, b"two")


async def test_plain_wrong_password(
    ctx: aiomsg.Context, keys: Keys, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="aiomsg")
    allow_client_key(ctx, keys)
    server = await Server(ctx, plain_server=True).start()
    good = await client(
        ctx, server.endpoint, b"good", plain_username="admin", plain_password="secret"
    )
    bad = await bad_aiomsg_client(
        ctx, server.endpoint, plain_username="admin", plain_password="wrong"
    )
    bad_mon = bad.monitor()
    await server.refused("ZAP denied PLAIN peer: 400 wrong password for user 'admin'")
    # The client got ERROR 400: it logs it and does not come back.
    failed = await wait_event(bad_mon, Event.HANDSHAKE_FAILED)
    assert "400" in failed.reason
    assert "not reconnecting" in (await wait_event(bad_mon, Event.PEER_REFUSED)).reason
    await server.serves(good, b"one")
    await server.no_leak()
    await nothing_arrives(bad, 0.05)
    assert any("wrong password" in r.getMessage() for r in caplog.records)


async def test_plain_server_without_authenticator_refuses_everyone(ctx: aiomsg.Context) -> None:
    server = await Server(ctx, plain_server=True).start()
    await bad_aiomsg_client(ctx, server.endpoint, plain_username="admin", plain_password="secret")
    await server.refused("400 no authenticator is running")
    await server.no_leak()


async def test_curve_server_without_authenticator_accepts_any_key(
    ctx: aiomsg.Context, keys: Keys
) -> None:
    server = await Server(ctx, **curve_server_opts(keys)).start()
    good = await client(ctx, server.endpoint, b"good", **curve_client_opts(keys, pair=keys.other))
    await server.serves(good, b"stonehouse")


async def test_denied_address(ctx: aiomsg.Context, keys: Keys) -> None:
    """NULL with a zap_domain asks the authenticator, which denies 127.0.0.2."""
    auth = aiomsg.Authenticator(ctx)
    auth.start()
    auth.deny("127.0.0.2")
    server = await Server(ctx, zap_domain="global").start()
    good = await client(ctx, server.endpoint, b"good")
    bad = await RawPeer.open(server.endpoint, NullMechanism(), local_addr=("127.0.0.2", 0))
    await server.refused("ZAP denied NULL peer: 400 address 127.0.0.2 denied")
    outcome = await bad.handshake()
    assert isinstance(outcome, PeerFailed) and outcome.refused and "400" in outcome.reason
    await server.serves(good, b"one")
    await server.no_leak(b"")
    bad.close()


async def test_allow_list(ctx: aiomsg.Context, keys: Keys) -> None:
    auth = aiomsg.Authenticator(ctx)
    auth.start()
    auth.allow("127.0.0.1")
    auth.configure_curve(location=aiomsg.CURVE_ALLOW_ANY)
    server = await Server(ctx, **curve_server_opts(keys)).start()
    good = await client(ctx, server.endpoint, b"good", **curve_client_opts(keys, pair=keys.other))
    bad = await RawPeer.open(
        server.endpoint,
        CurveClient(
            key_bytes(keys.server.public),
            key_bytes(keys.client.public),
            key_bytes(keys.client.secret),
        ),
        local_addr=("127.0.0.2", 0),
    )
    outcome = await bad.handshake()
    assert isinstance(outcome, PeerFailed) and outcome.refused
    await server.refused("address 127.0.0.2 not allowed")
    await server.serves(good, b"one")
    await server.no_leak(b"")
    bad.close()


# ---------------------------------------------------------------- raw attacks


class RawPeer:
    """A hand-driven codec over an asyncio connection (the attacker's side)."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, conn: ZmtpCodec
    ) -> None:
        self.reader, self.writer, self.conn = reader, writer, conn

    @classmethod
    async def open(
        cls, endpoint: str, mechanism: Mechanism, local_addr: tuple[str, int] | None = None
    ) -> RawPeer:
        host, _, port = endpoint[len("tcp://") :].rpartition(":")
        reader, writer = await asyncio.open_connection(host, int(port), local_addr=local_addr)
        conn = ZmtpCodec(SocketType.DEALER, identity=b"bad", mechanism=mechanism)
        writer.write(b"".join(conn.take_output()))
        return cls(reader, writer, conn)

    async def handshake(self) -> HandshakeComplete | PeerFailed:
        async with asyncio.timeout(TIMEOUT):
            while True:
                data = await self.reader.read(65536)
                if not data:
                    return PeerFailed("closed")
                for event in self.conn.receive_data(data):
                    if isinstance(event, (HandshakeComplete, PeerFailed)):
                        self.writer.write(b"".join(self.conn.take_output()))
                        return event
                self.writer.write(b"".join(self.conn.take_output()))

    def encode(self, *parts: bytes) -> bytes:
        self.conn.send_message(list(parts))
        return b"".join(self.conn.take_output())

    async def closed_by_peer(self) -> bytes:
        """Everything the server still sends until it closes the connection."""
        data = bytearray()
        async with asyncio.timeout(TIMEOUT):
            while chunk := await self.reader.read(65536):
                data += chunk
        return bytes(data)

    def close(self) -> None:
        self.writer.close()


async def curve_raw_peer(server: Server, keys: Keys) -> RawPeer:
    peer = await RawPeer.open(
        server.endpoint,
        CurveClient(
            key_bytes(keys.server.public),
            key_bytes(keys.client.public),
            key_bytes(keys.client.secret),
        ),
    )
    assert isinstance(await peer.handshake(), HandshakeComplete)
    await wait_event(server.mon, Event.HANDSHAKE_SUCCEEDED)
    return peer


Attack = Callable[[RawPeer], Awaitable[list[bytes]]]


async def tamper(peer: RawPeer) -> list[bytes]:
    data = bytearray(peer.encode(b"tampered"))
    data[-5] ^= 0x40
    peer.writer.write(bytes(data))
    return []


async def replay(peer: RawPeer) -> list[bytes]:
    first = peer.encode(b"first")
    peer.writer.write(first + first)
    return [b"first"]


async def decrease(peer: RawPeer) -> list[bytes]:
    first, second = peer.encode(b"first"), peer.encode(b"second")
    peer.writer.write(second + first)
    return [b"second"]


async def outer_command(peer: RawPeer) -> list[bytes]:
    """A MESSAGE in a frame with outer COMMAND: aiomsg uses only the inner flags."""
    data = bytearray(peer.encode(b"inner-flags-rule"))
    data[0] |= 0x04
    peer.writer.write(bytes(data) + _garbage_message(peer))
    return [b"inner-flags-rule"]


def _garbage_message(peer: RawPeer) -> bytes:
    """A MESSAGE with a fresh nonce and a box that was never sealed."""
    body = b"\x07MESSAGE" + struct.pack(">Q", 1 << 40) + bytes(17)
    return bytes([0, len(body)]) + body


@pytest.mark.parametrize(
    ("attack", "expected"),
    [
        (tamper, "CURVE MESSAGE failed to authenticate"),
        (replay, "not above"),
        (decrease, "not above"),
        (outer_command, "CURVE MESSAGE failed to authenticate"),
    ],
    ids=["tampered-byte", "replayed-nonce", "decreasing-nonce", "outer-flags-then-forgery"],
)
async def test_curve_traffic_attacks(
    ctx: aiomsg.Context, keys: Keys, attack: Attack, expected: str
) -> None:
    server = await Server(ctx, **curve_server_opts(keys)).start()
    good = await client(ctx, server.endpoint, b"good", **curve_client_opts(keys))
    peer = await curve_raw_peer(server, keys)
    delivered = await attack(peer)
    await server.refused(expected)
    for body in delivered:  # what came before the fault is delivered once
        assert await recv(server.sock) == [b"bad", body]
    leftover = await peer.closed_by_peer()
    assert leftover == b""  # nothing sent to the attacker
    await server.serves(good, b"one")
    await server.no_leak()


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda h: h[:-1], "malformed CURVE HELLO: 199 bytes"),
        (lambda h: h[:30] + b"\x01" + h[31:], "padding is not all zero"),
        (lambda h: h[:6] + b"\x02\x00" + h[8:], "version 2.0"),
    ],
    ids=["bad-length", "bad-padding", "bad-version"],
)
async def test_malformed_hello(
    ctx: aiomsg.Context, keys: Keys, mutate: Callable[[bytes], bytes], expected: str
) -> None:
    server = await Server(ctx, **curve_server_opts(keys)).start()
    good = await client(ctx, server.endpoint, b"good", **curve_client_opts(keys))
    host, _, port = server.endpoint[len("tcp://") :].rpartition(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    mechanism = CurveClient(
        key_bytes(keys.server.public), key_bytes(keys.client.public), key_bytes(keys.client.secret)
    )
    conn = ZmtpCodec(SocketType.DEALER, mechanism=mechanism)
    greeting = b"".join(conn.take_output())
    hello = mechanism.start()[0][2:]
    bad = mutate(hello)
    writer.write(greeting + bytes([4, len(bad)]) + bad)
    await server.refused(expected)
    async with asyncio.timeout(TIMEOUT):
        rest = await reader.read()
    assert rest[:1] == b"\xff" and len(rest) == 64  # its greeting, then nothing: no WELCOME
    writer.close()
    await server.serves(good, b"one")
    await server.no_leak(b"")


async def test_handshake_that_never_completes(ctx: aiomsg.Context, keys: Keys) -> None:
    server = await Server(ctx, handshake_ivl=300, **curve_server_opts(keys)).start()
    good = await client(ctx, server.endpoint, b"good", **curve_client_opts(keys))
    host, _, port = server.endpoint[len("tcp://") :].rpartition(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    conn = ZmtpCodec(SocketType.DEALER, mechanism=NullMechanism())
    writer.write(b"".join(conn.take_output())[:64].replace(b"NULL", b"CURVE"))
    loop = asyncio.get_running_loop()
    started = loop.time()
    await server.refused("no handshake within 300 ms")
    assert loop.time() - started < 2
    async with asyncio.timeout(TIMEOUT):
        await reader.read()
    writer.close()
    await server.serves(good, b"one")


async def test_authenticator_that_never_answers_is_bounded(ctx: aiomsg.Context, keys: Keys) -> None:
    never = asyncio.Event()

    async def stuck(request: aiomsg.AuthRequest) -> bool:
        await never.wait()
        return True

    auth = aiomsg.Authenticator(ctx)
    auth.start()
    auth.configure_callback(stuck)
    server = await Server(ctx, handshake_ivl=300, **curve_server_opts(keys)).start()
    await bad_aiomsg_client(ctx, server.endpoint, **curve_client_opts(keys))
    await server.refused("no handshake within 300 ms")
    await server.no_leak()
