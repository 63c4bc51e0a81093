"""wss:// between aiomsg sockets, with a certificate the test makes (openssl)."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path

import pytest

import aiomsg

TIMEOUT = 10.0


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A self-signed certificate for ``localhost``/127.0.0.1 and its key, PEM."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed: no certificate to test with")
    directory: Path = tmp_path_factory.mktemp("wss")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", str(directory / "key.pem"), "-out", str(directory / "cert.pem")],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    return (directory / "cert.pem").read_text(), (directory / "key.pem").read_text()


@pytest.mark.parametrize("mechanism", ["NULL", "CURVE"])
async def test_wss_push_pull_and_req_rep(
    ctx: aiomsg.Context, certificate: tuple[str, str], mechanism: str
) -> None:
    cert, key = certificate
    server_options: dict[str, object] = {"wss_cert_pem": cert, "wss_key_pem": key}
    client_options: dict[str, object] = {"wss_trust_pem": cert, "wss_trust_system": False}
    if mechanism == "CURVE":
        if not aiomsg.has_curve():
            pytest.skip("CURVE needs PyNaCl")
        public, secret = aiomsg.curve_keypair()
        server_options |= {"curve_server": True, "curve_secretkey": secret}
        client_public, client_secret = aiomsg.curve_keypair()
        client_options |= {
            "curve_serverkey": public,
            "curve_publickey": client_public,
            "curve_secretkey": client_secret,
        }
    rep = ctx.socket(aiomsg.REP, linger=0, **server_options)
    req = ctx.socket(aiomsg.REQ, linger=0, **client_options)
    endpoint = await rep.bind("wss://127.0.0.1:*/zmq")
    assert endpoint.startswith("wss://127.0.0.1:")
    await req.connect(endpoint)
    async with asyncio.timeout(TIMEOUT):
        for i in range(3):
            await req.send_multipart([b"ping %d" % i, b"x" * 70000])
            assert await rep.recv_multipart() == [b"ping %d" % i, b"x" * 70000]
            await rep.send(b"pong %d" % i)
            assert await req.recv() == b"pong %d" % i


async def test_wss_client_refuses_an_untrusted_server(
    ctx: aiomsg.Context, certificate: tuple[str, str]
) -> None:
    cert, key = certificate
    pull = ctx.socket(aiomsg.PULL, linger=0, wss_cert_pem=cert, wss_key_pem=key)
    push = ctx.socket(aiomsg.PUSH, linger=0, wss_trust_system=False)
    endpoint = await pull.bind("wss://127.0.0.1:*/zmq")
    monitor = push.monitor()
    await push.connect(endpoint)
    async with asyncio.timeout(TIMEOUT):
        event = await monitor.wait_for(aiomsg.Event.CONNECT_RETRIED)
    assert "CERTIFICATE_VERIFY_FAILED" in event.reason


async def test_wss_bind_without_certificate_is_refused(ctx: aiomsg.Context) -> None:
    pull = ctx.socket(aiomsg.PULL, linger=0)
    with pytest.raises(aiomsg.EndpointError, match="wss_cert_pem"):
        await pull.bind("wss://127.0.0.1:*/zmq")
