"""Keys, Z85, certificates, options, the authenticator's rules, and the
core without PyNaCl. Plus end-to-end aiomsg-to-aiomsg checks of User-Id,
ZAP metadata and callbacks."""

from __future__ import annotations

import ast
import asyncio
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import aiomsg
from aiomsg._security.auth import default_reply
from aiomsg._security.keys import key_bytes

from ._env import recv, send, wait_event
from .conftest import Keys

PACKAGE = Path(aiomsg.__file__).resolve().parent

# ---------------------------------------------------------------- Z85 and keys


def test_z85_rfc32_vector() -> None:
    data = bytes([0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B])
    assert aiomsg.z85_encode(data) == b"HelloWorld"
    assert aiomsg.z85_decode("HelloWorld") == data
    assert aiomsg.z85_decode(b"HelloWorld") == data


def test_z85_round_trip_and_errors() -> None:
    data = os.urandom(64)
    assert aiomsg.z85_decode(aiomsg.z85_encode(data)) == data
    assert aiomsg.z85_encode(b"\xff" * 4) == b"%nSc0"
    with pytest.raises(ValueError, match="multiples of 4"):
        aiomsg.z85_encode(b"abc")
    with pytest.raises(ValueError, match="multiples of 5"):
        aiomsg.z85_decode("abcd")
    with pytest.raises(ValueError, match="not a Z85 character"):
        aiomsg.z85_decode("abc d")
    with pytest.raises(ValueError, match="overflows"):
        aiomsg.z85_decode("#####")


def test_z85_matches_pyzmq() -> None:
    z85 = pytest.importorskip("zmq.utils.z85")
    data = os.urandom(32)
    assert aiomsg.z85_encode(data) == z85.encode(data)


def test_curve_keypair_and_public() -> None:
    public, secret = aiomsg.curve_keypair()
    assert len(public) == len(secret) == 40
    assert aiomsg.curve_public(secret) == public
    assert aiomsg.curve_public(aiomsg.z85_decode(secret)) == public
    zmq = pytest.importorskip("zmq")
    assert zmq.curve_public(secret) == public
    zpublic, zsecret = zmq.curve_keypair()
    assert aiomsg.curve_public(zsecret) == zpublic


# ---------------------------------------------------------------- certificates


def test_certificates_round_trip(tmp_path: Path) -> None:
    public_file, secret_file = aiomsg.create_certificates(tmp_path, "srv", {"name": "server"})
    assert public_file.endswith("srv.key") and secret_file.endswith("srv.key_secret")
    public, secret = aiomsg.load_certificate(secret_file)
    assert secret is not None and aiomsg.curve_public(secret) == public
    assert aiomsg.load_certificate(public_file) == (public, None)
    assert os.stat(secret_file).st_mode & 0o077 == 0
    assert 'name = "server"' in Path(secret_file).read_text()
    assert aiomsg.load_certificates(tmp_path) == {public: True}


def test_certificates_compatible_with_pyzmq(tmp_path: Path) -> None:
    auth = pytest.importorskip("zmq.auth")
    ours = tmp_path / "ours"
    theirs = tmp_path / "theirs"
    ours.mkdir()
    theirs.mkdir()
    a_public, a_secret = aiomsg.create_certificates(ours, "a")
    z_public, z_secret = auth.create_certificates(str(theirs), "z")
    assert auth.load_certificate(a_secret) == aiomsg.load_certificate(a_secret)
    assert auth.load_certificate(a_public) == aiomsg.load_certificate(a_public)
    assert aiomsg.load_certificate(z_secret) == auth.load_certificate(z_secret)
    assert aiomsg.load_certificate(z_public) == auth.load_certificate(z_public)
    assert aiomsg.load_certificates(theirs) == auth.load_certificates(str(theirs))
    assert auth.load_certificates(str(ours)) == aiomsg.load_certificates(ours)


def test_load_certificate_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty.key"
    empty.write_text("metadata\ncurve\n")
    with pytest.raises(ValueError, match="no public key"):
        aiomsg.load_certificate(empty)
    with pytest.raises(OSError):
        aiomsg.load_certificate(tmp_path / "missing.key")
    with pytest.raises(OSError):
        aiomsg.load_certificates(tmp_path / "nowhere")


# ---------------------------------------------------------------- options


async def test_key_options_accept_z85_and_raw(keys: Keys) -> None:
    async with aiomsg.Context() as ctx:
        raw = aiomsg.z85_decode(keys.server.public)
        a = ctx.socket(aiomsg.REQ, curve_serverkey=keys.server.public)
        b = ctx.socket(aiomsg.REQ, curve_serverkey=keys.server.public.decode())
        c = ctx.socket(aiomsg.REQ, curve_serverkey=raw)
        d = ctx.socket(aiomsg.REQ, curve_serverkey=keys.server.public + b"\x00")
        assert a.curve_serverkey == b.curve_serverkey == c.curve_serverkey == raw
        assert d.curve_serverkey == raw
        a.curve_secretkey = keys.client.secret
        assert a.curve_secretkey == aiomsg.z85_decode(keys.client.secret)
        a.curve_server = 1
        assert a.curve_server is True
        a.zap_domain = "global"
        a.plain_username = "user"
        assert (a.zap_domain, a.plain_username, a.plain_password) == (b"global", b"user", b"")
        for bad in (b"short", "~" * 40, "#" * 40, 42):
            with pytest.raises((TypeError, ValueError)):
                a.curve_publickey = bad
        with pytest.raises(ValueError):
            a.plain_password = b"p" * 256
        a.curve_serverkey = b""
        assert a.curve_serverkey == b""


def test_core_imports_without_pynacl() -> None:
    """With PyNaCl hidden, ``import aiomsg`` works and asking for CURVE says what to do."""
    code = textwrap.dedent(
        """
        import sys
        sys.modules["nacl"] = None
        import aiomsg
        assert not aiomsg.has_curve()
        print(aiomsg.z85_encode(b"1234"))
        ctx = aiomsg.Context()
        for call in (
            lambda: aiomsg.curve_keypair(),
            lambda: ctx.socket(aiomsg.REP, curve_server=True),
            lambda: ctx.socket(aiomsg.REQ, curve_serverkey="rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"),
        ):
            try:
                call()
            except aiomsg.NotSupported as error:
                print(error)
            else:
                raise AssertionError("no error")
        ctx.socket(aiomsg.REP, plain_server=True)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1:] == ["CURVE needs PyNaCl: pip install 'aiomsg[curve]'"] * 3


@pytest.mark.parametrize(
    "module",
    [
        "aiomsg._zmtp.plain",
        "aiomsg._zmtp.curve",
        "aiomsg._zmtp.z85",
        "aiomsg._security.keys",
        "aiomsg._zmtp.mechanism",
        "aiomsg._security.config",
    ],
)
def test_mechanisms_are_sans_io(module: str) -> None:
    code = textwrap.dedent(
        f"""
        import importlib, sys, types
        pkg = types.ModuleType("aiomsg")
        pkg.__path__ = [{str(PACKAGE)!r}]
        sys.modules["aiomsg"] = pkg
        importlib.import_module({module!r})
        import aiomsg._zmtp.curve  # with PyNaCl itself
        leaked = sorted(m for m in sys.modules if m == "asyncio" or m.startswith("asyncio."))
        assert not leaked, leaked
        print(sorted(m for m in sys.modules if m.startswith("aiomsg")))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr
    assert module in ast.literal_eval(result.stdout.strip())


# ---------------------------------------------------------------- the authenticator's rules


def request(mechanism: str, *credentials: bytes, domain: str = "", address: str = "127.0.0.1"):  # type: ignore[no-untyped-def]
    return aiomsg.AuthRequest(domain, address, b"", mechanism, credentials)


async def test_authenticator_rules(keys: Keys) -> None:
    ctx = aiomsg.Context()
    auth = aiomsg.Authenticator(ctx)
    key = aiomsg.z85_decode(keys.client.public)
    other = aiomsg.z85_decode(keys.other.public)

    async def decide(req: aiomsg.AuthRequest) -> tuple[str, bytes]:
        reply = await auth.authenticate(req)
        return reply.status_code, reply.user_id

    # Nothing configured: NULL passes, PLAIN and CURVE do not (pyzmq's rules).
    assert await decide(request("NULL")) == ("200", b"anonymous")
    assert (await decide(request("PLAIN", b"u", b"p")))[0] == "400"
    assert (await decide(request("CURVE", key)))[0] == "400"
    auth.configure_plain(passwords={"admin": "secret"})
    auth.configure_plain("special", {"root": "toor"})
    assert await decide(request("PLAIN", b"admin", b"secret")) == ("200", b"admin")
    assert (await decide(request("PLAIN", b"admin", b"nope")))[0] == "400"
    assert (await decide(request("PLAIN", b"who", b"secret")))[0] == "400"
    assert (await decide(request("PLAIN", b"admin", b"secret", domain="special")))[0] == "400"
    assert (await decide(request("PLAIN", b"root", b"toor", domain="special")))[0] == "200"
    auth.configure_curve(location=[keys.client.public])
    assert await decide(request("CURVE", key)) == ("200", keys.client.public)
    assert (await decide(request("CURVE", other)))[0] == "400"
    auth.configure_curve("open", aiomsg.CURVE_ALLOW_ANY)
    assert (await decide(request("CURVE", other, domain="open")))[0] == "200"
    # Address rules come first.
    auth.deny("10.0.0.1")
    with pytest.raises(ValueError):
        auth.allow("10.0.0.2")
    assert (await decide(request("NULL", address="10.0.0.1")))[0] == "400"
    assert (await decide(request("CURVE", key, address="10.0.0.1")))[0] == "400"

    # A callback decides first for its domain; None defers to the rules.
    async def callback(req: aiomsg.AuthRequest) -> bool | aiomsg.ZapReply | None:
        if req.username == "robot":
            return aiomsg.ZapReply("200", "OK", b"robot-7", {b"X-Role": b"bot"})
        if req.username == "flaky":
            return aiomsg.ZapReply("300", "try later")
        if req.username == "boom":
            raise RuntimeError("bug")
        if req.mechanism == "CURVE":
            return req.client_key == keys.other.public
        return None

    auth.configure_callback(callback)
    assert await decide(request("PLAIN", b"robot", b"")) == ("200", b"robot-7")
    assert (await decide(request("PLAIN", b"flaky", b"")))[0] == "300"
    assert (await decide(request("PLAIN", b"boom", b"")))[0] == "500"
    assert (await decide(request("PLAIN", b"admin", b"secret")))[0] == "200"
    assert await decide(request("CURVE", other)) == ("200", keys.other.public)
    assert (await decide(request("CURVE", key)))[0] == "400"


def test_defaults_without_authenticator() -> None:
    assert default_reply("PLAIN").status_code == "400"
    assert default_reply("CURVE").status_code == "200"
    assert default_reply("NULL").status_code == "200"


async def test_one_authenticator_per_context() -> None:
    ctx = aiomsg.Context()
    first, second = aiomsg.Authenticator(ctx), aiomsg.Authenticator(ctx)
    async with first:
        assert ctx.authenticator is first and first.running
        with pytest.raises(aiomsg.AiomsgError):
            second.start()
    assert ctx.authenticator is None
    second.start()
    second.stop()
    assert ctx.authenticator is None


# ---------------------------------------------------------------- end to end, aiomsg both sides


async def test_curve_user_id_and_zap_metadata_per_message(keys: Keys) -> None:
    async with aiomsg.Context() as ctx:

        async def callback(req: aiomsg.AuthRequest) -> aiomsg.ZapReply:
            assert req.domain == "global" and req.identity == b"SRV"
            assert req.address == "127.0.0.1" and req.client_key == keys.client.public
            return aiomsg.ZapReply("200", "OK", b"alice", {b"X-Role": b"admin"})

        auth = aiomsg.Authenticator(ctx)
        auth.configure_callback(callback, domain="global")
        auth.start()
        server = ctx.socket(
            aiomsg.PULL,
            curve_server=True,
            curve_secretkey=keys.server.secret,
            zap_domain="global",
            identity=b"SRV",
            linger=0,
        )
        endpoint = await server.bind("tcp://127.0.0.1:*")
        push = ctx.socket(
            aiomsg.PUSH,
            curve_serverkey=keys.server.public,
            curve_secretkey=keys.client.secret,
            linger=0,
        )
        await push.connect(endpoint)
        await send(push, [b"a", b"b"])
        async with asyncio.timeout(5):
            message, props = await server.recv_with_properties()
        assert message == [b"a", b"b"]
        assert props["User-Id"] == "alice" and props["X-Role"] == "admin"
        assert props["Peer-Address"] == "127.0.0.1" and props["Socket-Type"] == "PUSH"


async def test_curve_pubsub_and_ping_between_aiomsg(keys: Keys) -> None:
    async with aiomsg.Context() as ctx:
        pub = ctx.socket(aiomsg.XPUB, curve_server=True, curve_secretkey=keys.server.secret)
        mon = pub.monitor()
        endpoint = await pub.bind("tcp://127.0.0.1:*")
        sub = ctx.socket(
            aiomsg.SUB, curve_serverkey=keys.server.public, curve_secretkey=keys.client.secret
        )
        sub.subscribe(b"t")
        await sub.connect(endpoint)
        await wait_event(mon, aiomsg.Event.HANDSHAKE_SUCCEEDED)
        assert await recv(pub) == [b"\x01t"]  # the SUBSCRIBE arrived, decrypted
        await send(pub, [b"t1", b"x"])
        assert await recv(sub) == [b"t1", b"x"]
        pub.close(linger=0)
        sub.close(linger=0)


def test_secret_file_made_private_even_when_it_existed(tmp_path: Path) -> None:
    stale = tmp_path / "srv.key_secret"
    stale.write_text("old")
    stale.chmod(0o644)
    _, secret_file = aiomsg.create_certificates(tmp_path, "srv")
    assert Path(secret_file) == stale
    assert stale.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    "text",
    ["\xff" * 32, "é" * 40, "\u2603" + "0" * 39, "abc"],
    ids=["latin1-32", "accented-40", "snowman-40", "short"],
)
def test_key_text_that_is_not_z85_is_refused(text: str) -> None:
    """Text that is not 40 ASCII characters of Z85 never becomes some other key
    (an ``encode(errors="replace")`` once turned these into known keys)."""
    with pytest.raises(ValueError, match="40 characters of Z85"):
        key_bytes(text)
    with pytest.raises(aiomsg.InvalidOption):
        aiomsg.Context().socket(aiomsg.REQ, curve_secretkey=text)
    if aiomsg.has_curve():
        with pytest.raises(ValueError):
            aiomsg.curve_public(text)
