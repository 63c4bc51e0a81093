"""PLAIN and CURVE against libzmq (pyzmq), both directions, with each side's own
authenticator: pyzmq's ``zmq.auth.asyncio.AsyncioAuthenticator`` guards the
pyzmq servers, :class:`aiomsg.Authenticator` the aiomsg ones.

For REQ/REP, PUB/SUB (the subscriptions travel encrypted under CURVE) and
DEALER/ROUTER: a multipart message each way and a 1 MiB message.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import aiomsg

from ._env import (
    PASSWORDS,
    Env,
    nothing_arrives,
    open_env,
    pubsub_sync,
    recv,
    send,
    try_send,
    wait_event,
)
from .conftest import Keys

zmq = pytest.importorskip("zmq")
pytestmark = pytest.mark.interop

PATTERNS = {
    "reqrep": ("REP", "REQ"),
    "pubsub": ("PUB", "SUB"),
    "router-dealer": ("ROUTER", "DEALER"),
}
MIB = bytes(range(256)) * 4096


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[Env]:
    async for item in open_env(tmp_path):
        yield item


def client_keys(env: Env) -> tuple[bytes, bytes]:
    """A client key pair written as certificates by aiomsg (the public one in certs/)."""
    certs = env.tmp / "certs"
    certs.mkdir(exist_ok=True)
    (env.tmp / "private").mkdir(exist_ok=True)
    public_file, secret_file = aiomsg.create_certificates(env.tmp / "private", "client")
    Path(public_file).rename(certs / "client.key")
    public, secret = aiomsg.load_certificate(secret_file)
    assert secret is not None
    return public, secret


def options(mech: str, role: str, keys: Keys, client: tuple[bytes, bytes]) -> dict[str, Any]:
    if mech == "PLAIN":
        if role == "server":
            return {"plain_server": True}
        return {"plain_username": b"admin", "plain_password": b"secret"}
    if role == "server":
        return {"curve_server": True, "curve_secretkey": keys.server.secret}
    return {
        "curve_serverkey": keys.server.public,
        "curve_publickey": client[0],
        "curve_secretkey": client[1],
    }


def start_authenticator(env: Env, lib: str) -> None:
    (env.tmp / "certs").mkdir(exist_ok=True)
    if lib == "aiomsg":
        auth = aiomsg.Authenticator(env.actx)
        auth.start()
    else:
        auth = env.zmq_authenticator()
    auth.allow("127.0.0.1")
    auth.configure_plain(domain="*", passwords=PASSWORDS)
    auth.configure_curve(domain="*", location=str(env.tmp / "certs"))


async def connected(
    env: Env, mech: str, server_lib: str, pattern: str, keys: Keys
) -> tuple[Any, Any]:
    client_lib = "zmq" if server_lib == "aiomsg" else "aiomsg"
    server_kind, client_kind = PATTERNS[pattern]
    client = client_keys(env)
    start_authenticator(env, server_lib)
    server = env.socket(server_lib, server_kind, **options(mech, "server", keys, client))
    sock = env.socket(client_lib, client_kind, **options(mech, "client", keys, client))
    ours = server if server_lib == "aiomsg" else sock
    mon = ours.monitor()
    endpoint = await env.bind(server)
    await env.connect(sock, endpoint)
    await wait_event(mon, aiomsg.Event.HANDSHAKE_SUCCEEDED)
    return server, sock


@pytest.mark.parametrize("pattern", list(PATTERNS))
@pytest.mark.parametrize("server_lib", ["aiomsg", "zmq"], ids=["aiomsg-server", "zmq-server"])
@pytest.mark.parametrize("mech", ["PLAIN", "CURVE"])
async def test_interop(env: Env, keys: Keys, mech: str, server_lib: str, pattern: str) -> None:
    server, client = await connected(env, mech, server_lib, pattern, keys)
    if pattern == "reqrep":
        await send(client, [b"hello", b"world"])
        assert await recv(server) == [b"hello", b"world"]
        await send(server, [b"big", MIB])
        assert await recv(client) == [b"big", MIB]
        await send(client, [MIB])
        assert await recv(server) == [MIB]
        await send(server, [b"ok"])
        assert await recv(client) == [b"ok"]
    elif pattern == "pubsub":
        client.subscribe(b"news")
        await pubsub_sync(server, client, b"news")
        await send(server, [b"sport", b"ignored"])
        await send(server, [b"news.1", b"two", b"parts"])
        await send(server, [b"news.big", MIB])
        assert await recv(client) == [b"news.1", b"two", b"parts"]
        assert await recv(client) == [b"news.big", MIB]
    else:
        await send(client, [b"hi", b"there"])
        routing_id, *rest = await recv(server)
        assert rest == [b"hi", b"there"]
        await send(server, [routing_id, b"back", MIB])
        assert await recv(client) == [b"back", MIB]
        await send(client, [MIB, b"x"])
        assert (await recv(server))[1:] == [MIB, b"x"]


@pytest.mark.parametrize("mech", ["PLAIN", "CURVE"])
async def test_aiomsg_server_sees_user_id_of_zmq_client(env: Env, keys: Keys, mech: str) -> None:
    server, client = await connected(env, mech, "aiomsg", "reqrep", keys)
    await send(client, [b"who am i"])
    async with asyncio.timeout(5):
        message, props = await server.recv_with_properties()
    assert message == [b"who am i"]
    client_public = aiomsg.load_certificate(env.tmp / "certs" / "client.key")[0]
    expected = "admin" if mech == "PLAIN" else client_public.decode()
    assert props["User-Id"] == expected
    assert props["Peer-Address"] == "127.0.0.1"
    assert props["Socket-Type"] == "REQ"


async def test_certificates_written_by_pyzmq_guard_aiomsg(env: Env, keys: Keys) -> None:
    """pyzmq writes the certificates; aiomsg loads the client's and allows its key."""
    import zmq.auth

    certs = env.tmp / "zcerts"
    certs.mkdir()
    private = env.tmp / "zprivate"
    private.mkdir()
    _, secret_file = zmq.auth.create_certificates(str(private), "client")
    public_file, _ = zmq.auth.create_certificates(str(certs), "other")
    public, secret = aiomsg.load_certificate(secret_file)
    assert public == zmq.auth.load_certificate(secret_file)[0]
    assert aiomsg.load_certificate(public_file)[1] is None
    (certs / "client.key").write_bytes((private / "client.key").read_bytes())
    auth = aiomsg.Authenticator(env.actx)
    auth.start()
    auth.configure_curve(location=certs)
    server = env.socket("aiomsg", "PULL", curve_server=True, curve_secretkey=keys.server.secret)
    mon = server.monitor()
    endpoint = await env.bind(server)
    client = env.socket("zmq", "PUSH", curve_serverkey=keys.server.public)
    client.curve_publickey, client.curve_secretkey = public, secret
    await env.connect(client, endpoint)
    await send(client, [b"via pyzmq certs"])
    assert await recv(server) == [b"via pyzmq certs"]
    # A key whose certificate is not in the directory is refused.
    stranger = env.socket("zmq", "PUSH", curve_serverkey=keys.server.public)
    stranger.curve_publickey, stranger.curve_secretkey = keys.other.public, keys.other.secret
    await env.connect(stranger, endpoint)
    failed = await wait_event(mon, aiomsg.Event.HANDSHAKE_FAILED)
    assert "not allowed" in failed.reason
    try_send(stranger, b"must not pass")
    await nothing_arrives(server)


# ---------------------------------------------------------------- refusals across libraries


async def test_zmq_plain_client_wrong_password_refused_by_aiomsg(env: Env, keys: Keys) -> None:
    start_authenticator(env, "aiomsg")
    server = env.socket("aiomsg", "REP", plain_server=True)
    mon = server.monitor()
    endpoint = await env.bind(server)
    bad = env.socket("zmq", "REQ", plain_username=b"admin", plain_password=b"wrong")
    await env.connect(bad, endpoint)
    failed = await wait_event(mon, aiomsg.Event.HANDSHAKE_FAILED)
    assert "400 wrong password for user 'admin'" in failed.reason
    good = env.socket("zmq", "REQ", plain_username=b"admin", plain_password=b"secret")
    await env.connect(good, endpoint)
    try_send(bad, b"from bad")
    await send(good, [b"from good"])
    assert await recv(server) == [b"from good"]
    await send(server, [b"reply"])
    assert await recv(good) == [b"reply"]
    await nothing_arrives(server)


async def test_aiomsg_plain_client_wrong_password_refused_by_zmq(env: Env, keys: Keys) -> None:
    """libzmq's PLAIN server answers with its malformed ^RROR: aiomsg takes it as a
    refusal and stops reconnecting."""
    start_authenticator(env, "zmq")
    server = env.socket("zmq", "REP", plain_server=True)
    endpoint = await env.bind(server)
    bad = env.socket("aiomsg", "REQ", plain_username=b"admin", plain_password=b"wrong")
    mon = bad.monitor()
    await env.connect(bad, endpoint)
    failed = await wait_event(mon, aiomsg.Event.HANDSHAKE_FAILED)
    assert "refused" in failed.reason and "400" in failed.reason
    refused = await wait_event(mon, aiomsg.Event.PEER_REFUSED)
    assert "not reconnecting" in refused.reason
    # The endpoint is abandoned: nothing can be queued for it any more.
    with pytest.raises(aiomsg.Again):
        await bad.send(b"never", flags=aiomsg.NOBLOCK)
    await nothing_arrives(server)


async def test_aiomsg_curve_client_wrong_server_key_against_zmq(env: Env, keys: Keys) -> None:
    server = env.socket("zmq", "PULL", curve_server=True, curve_secretkey=keys.server.secret)
    endpoint = await env.bind(server)
    bad = env.socket(
        "aiomsg",
        "PUSH",
        curve_serverkey=keys.other.public,
        curve_secretkey=keys.client.secret,
        reconnect_ivl=-1,
    )
    mon = bad.monitor()
    await env.connect(bad, endpoint)
    failed = await wait_event(mon, aiomsg.Event.HANDSHAKE_FAILED)
    assert "wrong curve_serverkey?" in failed.reason
    await send(bad, [b"never"])
    await nothing_arrives(server)


async def test_zmq_curve_client_key_not_allowed_by_aiomsg(env: Env, keys: Keys) -> None:
    auth = aiomsg.Authenticator(env.actx)
    auth.start()
    auth.configure_curve(location=[keys.client.public])
    server = env.socket("aiomsg", "PULL", curve_server=True, curve_secretkey=keys.server.secret)
    mon = server.monitor()
    endpoint = await env.bind(server)
    bad = env.socket("zmq", "PUSH", curve_serverkey=keys.server.public)
    bad.curve_publickey, bad.curve_secretkey = keys.other.public, keys.other.secret
    await env.connect(bad, endpoint)
    failed = await wait_event(mon, aiomsg.Event.HANDSHAKE_FAILED)
    assert "400" in failed.reason and "not allowed" in failed.reason
    good = env.socket("zmq", "PUSH", curve_serverkey=keys.server.public)
    good.curve_publickey, good.curve_secretkey = keys.client.public, keys.client.secret
    await env.connect(good, endpoint)
    try_send(bad, b"bad")
    await send(good, [b"good"])
    assert await recv(server) == [b"good"]
    await nothing_arrives(server)
