"""ZeroMQ mounted in a web app (aiomsg.web): one port serves HTTP and ZeroMQ over WebSocket.

An aiohttp app and a Starlette app (served by uvicorn) each answer an HTTP
route and a ZeroMQ route on the same loopback port; aiomsg sockets connect
with ``ws://127.0.0.1:PORT/route`` (``wss://`` over the app's TLS), under
NULL, PLAIN and CURVE. A WebSocket without a ZWS subprotocol is refused.
"""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest

import aiomsg
import aiomsg.web

from ._servers import SERVERS, aiohttp_server, asgi_missing
from ._support import TIMEOUT

if missing := asgi_missing():
    pytest.skip(missing, allow_module_level=True)


@pytest.fixture(params=sorted(SERVERS))
def serve(request: pytest.FixtureRequest) -> Callable[[aiomsg.Socket, str], object]:
    return SERVERS[request.param]


async def _get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


async def test_req_rep_and_http_on_one_port(serve) -> None:
    async with aiomsg.Context() as ctx:
        rep = ctx.socket(aiomsg.REP, linger=0)
        async with serve(rep, "/zmq") as port:
            req = ctx.socket(aiomsg.REQ, linger=0)
            await req.connect(f"ws://127.0.0.1:{port}/zmq")
            async with asyncio.timeout(TIMEOUT):
                for n in range(3):
                    await req.send_multipart([b"request", b"%d" % n])
                    assert await rep.recv_multipart() == [b"request", b"%d" % n]
                    await rep.send_multipart([b"reply", b"x" * 70000])
                    assert await req.recv_multipart() == [b"reply", b"x" * 70000]
                assert await _get(f"http://127.0.0.1:{port}/hello") == (200, "hello")
            assert rep.last_endpoint.startswith(b"web://")


async def test_pub_sub_both_ways(serve) -> None:
    async with aiomsg.Context() as ctx:
        pub = ctx.socket(aiomsg.PUB, linger=0)
        async with serve(pub, "/feed") as port:
            sub = ctx.socket(aiomsg.SUB, linger=0)
            sub.subscribe(b"weather")
            await sub.connect(f"ws://127.0.0.1:{port}/feed")
            async with asyncio.timeout(TIMEOUT):
                await pub.wait_subscribed(b"weather")
                await pub.send(b"news: filtered out")
                await pub.send(b"weather: sunny")
                assert await sub.recv() == b"weather: sunny"


async def test_mounted_sub_hears_a_connecting_pub(serve) -> None:
    async with aiomsg.Context() as ctx:
        sub = ctx.socket(aiomsg.SUB, linger=0)
        sub.subscribe(b"")
        async with serve(sub, "/in") as port:
            pub = ctx.socket(aiomsg.PUB, linger=0)
            await pub.connect(f"ws://127.0.0.1:{port}/in")
            async with asyncio.timeout(TIMEOUT):
                await pub.wait_subscribed(b"")
                await pub.send_multipart([b"up", b"stream"])
                assert await sub.recv_multipart() == [b"up", b"stream"]


async def test_websocket_without_zws_subprotocol_is_refused(serve) -> None:
    async with aiomsg.Context() as ctx:
        rep = ctx.socket(aiomsg.REP, linger=0)
        async with serve(rep, "/zmq") as port, aiohttp.ClientSession() as session:
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await session.ws_connect(
                    f"http://127.0.0.1:{port}/zmq", protocols=("chat",)
                )
            assert refused.value.status in (400, 403)
            # A subprotocol for another mechanism is refused too.
            with pytest.raises(aiohttp.WSServerHandshakeError):
                await session.ws_connect(
                    f"http://127.0.0.1:{port}/zmq", protocols=("ZWS2.0/CURVE",)
                )


async def test_aiohttp_refusal_names_the_reason() -> None:
    async with aiomsg.Context() as ctx:
        rep = ctx.socket(aiomsg.REP, linger=0)
        async with aiohttp_server(rep, "/zmq") as port:
            status, text = await _get(f"http://127.0.0.1:{port}/zmq")
            assert status == 400 and "WebSocket" in text
            async with aiohttp.ClientSession() as session:
                with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                    await session.ws_connect(f"http://127.0.0.1:{port}/zmq", protocols=("chat",))
                assert refused.value.status == 400
                assert "ZWS2.0/NULL" in refused.value.message or refused.value.status == 400


async def test_web_scheme_only_binds() -> None:
    async with aiomsg.Context() as ctx:
        req = ctx.socket(aiomsg.REQ, linger=0)
        with pytest.raises(aiomsg.EndpointError):
            await req.connect("web://somewhere")


@pytest.mark.parametrize("mechanism", ["PLAIN", "CURVE"])
async def test_plain_and_curve_over_a_mounted_route(serve, mechanism: str) -> None:
    """The mechanism's subprotocol (ZWS2.0/PLAIN, /CURVE) is accepted and its
    handshake runs inside the web app's WebSocket; a wrong password is refused."""
    async with aiomsg.Context() as ctx:
        if mechanism == "PLAIN":
            auth = aiomsg.Authenticator(ctx)
            auth.start()
            auth.configure_plain(domain="*", passwords={"ann": "pw"})
            server: dict[str, object] = {"plain_server": True}
            client: dict[str, object] = {"plain_username": "ann", "plain_password": "pw"}
            intruder: dict[str, object] = {"plain_username": "ann", "plain_password": "no"}
        else:
            if not aiomsg.has_curve():
                pytest.skip("CURVE needs PyNaCl")
            public, secret = aiomsg.curve_keypair()
            server = {"curve_server": True, "curve_secretkey": secret}
            client_public, client_secret = aiomsg.curve_keypair()
            client = {"curve_serverkey": public, "curve_publickey": client_public,
                      "curve_secretkey": client_secret}  # fmt: skip
            wrong_public, _ = aiomsg.curve_keypair()
            intruder = {**client, "curve_serverkey": wrong_public}
        rep = ctx.socket(aiomsg.REP, linger=0, **server)
        monitor = rep.monitor()
        async with serve(rep, "/zmq") as port:
            bad = ctx.socket(aiomsg.REQ, linger=0, **intruder)
            await bad.connect(f"ws://127.0.0.1:{port}/zmq")
            async with asyncio.timeout(TIMEOUT):
                await monitor.wait_for(aiomsg.Event.HANDSHAKE_FAILED)
            bad.close()
            req = ctx.socket(aiomsg.REQ, linger=0, **client)
            await req.connect(f"ws://127.0.0.1:{port}/zmq")
            async with asyncio.timeout(TIMEOUT):
                await req.send_multipart([b"secret", b"x" * 70000])
                assert await rep.recv_multipart() == [b"secret", b"x" * 70000]
                await rep.send(b"reply")
                assert await req.recv() == b"reply"
        monitor.close()


async def test_messages_sent_before_the_peer_closes_are_all_delivered(serve) -> None:
    """A PUSH that sends and closes at once (linger: until written) loses nothing:
    what the web server read before the close reaches the mounted PULL."""
    async with aiomsg.Context() as ctx:
        pull = ctx.socket(aiomsg.PULL, linger=0, rcvhwm=100)
        async with serve(pull, "/zmq") as port:
            push = ctx.socket(aiomsg.PUSH, linger=-1)
            await push.connect(f"ws://127.0.0.1:{port}/zmq")
            async with asyncio.timeout(TIMEOUT):
                for n in range(3000):
                    await push.send(b"%d" % n)
                await push.aclose()
                assert [await pull.recv() for _ in range(3000)] == [b"%d" % n for n in range(3000)]


async def test_wss_to_a_mounted_route_over_the_apps_tls(serve, tmp_path: Path) -> None:
    """The app's own TLS (aiohttp's ssl_context, uvicorn's ssl_certfile) makes
    a mounted route a wss:// endpoint; aiomsg trusts the test's certificate."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed: no certificate to test with")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    if serve is aiohttp_server:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(cert, key)
        options: dict[str, object] = {"tls": tls}
    else:
        options = {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}
    async with aiomsg.Context() as ctx:
        rep = ctx.socket(aiomsg.REP, linger=0)
        async with serve(rep, "/zmq", **options) as port:
            req = ctx.socket(aiomsg.REQ, linger=0, wss_trust_pem=cert.read_text(),
                             wss_trust_system=False)  # fmt: skip
            await req.connect(f"wss://127.0.0.1:{port}/zmq")
            async with asyncio.timeout(TIMEOUT):
                await req.send_multipart([b"over", b"tls"])
                assert await rep.recv_multipart() == [b"over", b"tls"]
                await rep.send(b"yes")
                assert await req.recv() == b"yes"
