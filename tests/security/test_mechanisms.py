"""The mechanisms sans-I/O: two ZmtpCodec codecs talking through bytes in memory.

Checks the byte-level rules of docs/wire/zmtp.md#plain, #curve and #zap: HELLO size and padding,
the nonce counter that continues from the handshake, outer MESSAGE flags
00/02 with MORE and COMMAND inside, commands (SUBSCRIBE, PING) inside
MESSAGE, ZAP pauses and each status code, and the refusals.
"""

from __future__ import annotations

import struct
import sys
import types
from collections.abc import Callable, Iterator

import pytest
from nacl.bindings import crypto_box_open_afternm

from aiomsg._security.keys import key_bytes
from aiomsg._zmtp.codec import (
    AuthenticationRequested,
    HandshakeComplete,
    PeerFailed,
    Subscription,
    ZmtpCodec,
)
from aiomsg._zmtp.curve import CurveClient, CurveServer
from aiomsg._zmtp.mechanism import Mechanism, ZapReply, ZapRequest
from aiomsg._zmtp.null import NullMechanism
from aiomsg._zmtp.plain import PlainClient, PlainServer
from aiomsg._zmtp.sodium import sodium_lib
from aiomsg.constants import SocketType

from .conftest import Keys

Auth = Callable[[ZapRequest], ZapReply]
ACCEPT: Auth = lambda request: ZapReply("200", "OK", b"user-1", {b"X-Role": b"admin"})  # noqa: E731


class Side:
    """One codec plus everything it produced, fed by :func:`run`."""

    def __init__(self, conn: ZmtpCodec, auth: Auth | None = None) -> None:
        self.conn = conn
        self.auth = auth
        self.events: list[object] = []
        self.requests: list[ZapRequest] = []
        self.sent: list[bytes] = []  # every output chunk, in order

    def feed(self, data: bytes) -> None:
        pending = list(self.conn.receive_data(data))
        while pending:
            event = pending.pop(0)
            self.events.append(event)
            if isinstance(event, AuthenticationRequested):
                assert self.auth is not None, "unexpected authentication request"
                self.requests.append(event.request)
                pending[:0] = self.conn.authentication_result(self.auth(event.request))

    def take(self) -> bytes:
        chunk = b"".join(self.conn.take_output())
        if chunk:
            self.sent.append(chunk)
        return chunk

    @property
    def messages(self) -> list[list[bytes]]:
        return [e for e in self.events if isinstance(e, list)]

    @property
    def failure(self) -> PeerFailed | None:
        return next((e for e in self.events if isinstance(e, PeerFailed)), None)

    @property
    def done(self) -> HandshakeComplete | None:
        return next((e for e in self.events if isinstance(e, HandshakeComplete)), None)


def run(a: Side, b: Side, rounds: int = 20) -> None:
    """Exchange output until both sides are quiet."""
    for _ in range(rounds):
        out_a, out_b = a.take(), b.take()
        if not out_a and not out_b:
            return
        if out_a:
            b.feed(out_a)
        if out_b:
            a.feed(out_b)
    raise AssertionError("the exchange did not settle")


def pair(
    client: Mechanism,
    server: Mechanism,
    auth: Auth | None = ACCEPT,
    types: tuple[SocketType, SocketType] = (SocketType.DEALER, SocketType.ROUTER),
    **server_limits: int,
) -> tuple[Side, Side]:
    """A client and a server past the handshake; *server_limits* (maxmsgsize,
    max_message_size) go to the server's codec."""
    c = Side(ZmtpCodec(types[0], mechanism=client))
    s = Side(ZmtpCodec(types[1], mechanism=server, **server_limits), auth)
    run(c, s)
    return c, s


def curve_pair(keys: Keys, auth: Auth | None = ACCEPT, **kw: object) -> tuple[Side, Side]:
    client = CurveClient(
        key_bytes(keys.server.public), key_bytes(keys.client.public), key_bytes(keys.client.secret)
    )
    server = CurveServer(key_bytes(keys.server.secret))
    return pair(client, server, auth, **kw)  # type: ignore[arg-type]


def frames(data: bytes) -> list[tuple[int, bytes]]:
    """Split raw ZMTP bytes (after any greeting) into (flags, body)."""
    out, offset = [], 0
    while offset < len(data):
        flags = data[offset]
        if flags & 2:
            (size,) = struct.unpack_from(">Q", data, offset + 1)
            start = offset + 9
        else:
            size, start = data[offset + 1], offset + 2
        out.append((flags, data[start : start + size]))
        offset = start + size
    return out


# ---------------------------------------------------------------- NULL + ZAP


def test_null_without_domain_never_asks() -> None:
    c, s = pair(NullMechanism(), NullMechanism(), auth=None)
    assert c.done and s.done and not s.requests


def test_null_with_domain_asks_before_ready() -> None:
    seen: list[bytes] = []

    def auth(request: ZapRequest) -> ZapReply:
        # The server has sent nothing but its greeting yet: READY waits for us.
        seen.append(b"".join(s.sent))
        return ZapReply("200", "OK", b"anon")

    c = Side(ZmtpCodec(SocketType.DEALER, mechanism=NullMechanism()))
    s = Side(ZmtpCodec(SocketType.ROUTER, mechanism=NullMechanism(authenticate=True)), auth)
    run(c, s)
    assert s.requests == [ZapRequest(b"NULL")]
    assert len(seen[0]) == 64  # the greeting only
    assert s.done is not None and s.done.user_id == b"anon"
    assert c.done is not None


def test_null_both_with_domain_do_not_deadlock() -> None:
    auth: Auth = lambda r: ZapReply("200")  # noqa: E731
    c = Side(ZmtpCodec(SocketType.DEALER, mechanism=NullMechanism(authenticate=True)), auth)
    s = Side(ZmtpCodec(SocketType.ROUTER, mechanism=NullMechanism(authenticate=True)), auth)
    run(c, s)
    assert c.done and s.done


@pytest.mark.parametrize(("code", "error"), [("400", b"400"), ("500", b"500"), ("300", None)])
def test_null_zap_refusal(code: str, error: bytes | None) -> None:
    c = Side(ZmtpCodec(SocketType.DEALER, mechanism=NullMechanism()))
    s = Side(
        ZmtpCodec(SocketType.ROUTER, mechanism=NullMechanism(authenticate=True)),
        lambda r: ZapReply(code, "no"),
    )
    run(c, s)
    assert s.failure is not None and f"ZAP denied NULL peer: {code} no" in s.failure.reason
    assert not s.done
    sent = b"".join(s.sent)[64:]
    if error is None:
        assert sent == b""  # 300: close without a word
        assert c.failure is None
    else:
        assert frames(sent) == [(0x04, b"\x05ERROR\x03" + error)]
        assert c.failure is not None and c.failure.refused


# ---------------------------------------------------------------- PLAIN


def test_plain_handshake_and_wire() -> None:
    c, s = pair(PlainClient(b"admin", b"secret"), PlainServer())
    assert s.requests == [ZapRequest(b"PLAIN", (b"admin", b"secret"))]
    assert c.done and s.done
    assert s.done.user_id == b"user-1" and s.done.auth_metadata == {b"X-Role": b"admin"}
    assert s.done.properties[b"Socket-Type"] == b"DEALER"
    assert c.done.properties[b"Socket-Type"] == b"ROUTER"
    hello = frames(b"".join(c.sent)[64:])[0]
    assert hello == (0x04, b"\x05HELLO\x05admin\x06secret")
    assert (0x04, b"\x07WELCOME") in frames(b"".join(s.sent)[64:])
    # PLAIN traffic is clear text frames.
    c.conn.send_message([b"a", b"b"])
    s.feed(c.take())
    assert s.messages == [[b"a", b"b"]]
    assert c.sent[-1] == b"\x01\x01a\x00\x01b"


def test_plain_wrong_password_gets_error_and_no_welcome() -> None:
    c, s = pair(PlainClient(b"admin", b"bad"), PlainServer(), auth=lambda r: ZapReply("400", "x"))
    assert s.failure is not None and "ZAP denied PLAIN peer: 400" in s.failure.reason
    assert frames(b"".join(s.sent)[64:]) == [(0x04, b"\x05ERROR\x03400")]
    assert c.failure is not None and c.failure.refused and "400" in c.failure.reason
    assert not c.done and not s.done


def test_plain_client_understands_libzmq_malformed_error() -> None:
    c = Side(ZmtpCodec(SocketType.DEALER, mechanism=PlainClient(b"u", b"p")))
    c.feed(_greeting(b"PLAIN") + b"\x04\x09^RROR\x03400")
    assert c.failure is not None and c.failure.refused and "400" in c.failure.reason


def test_plain_client_treats_garbage_as_fatal() -> None:
    c = Side(ZmtpCodec(SocketType.DEALER, mechanism=PlainClient(b"u", b"p")))
    c.feed(_greeting(b"PLAIN") + b"\x04\x03\x09AB")
    assert c.failure is not None and "malformed" in c.failure.reason


@pytest.mark.parametrize(
    "hello",
    [b"\x05HELLO", b"\x05HELLO\x05ab", b"\x05HELLO\x01u\x05p", b"\x05HELLO\x01u\x01pX"],
    ids=["empty", "short-user", "short-password", "trailing"],
)
def test_plain_server_rejects_malformed_hello(hello: bytes) -> None:
    s = Side(ZmtpCodec(SocketType.ROUTER, mechanism=PlainServer()), ACCEPT)
    s.feed(_greeting(b"PLAIN") + bytes([4, len(hello)]) + hello)
    assert s.failure is not None and "malformed PLAIN HELLO" in s.failure.reason
    assert not s.requests


# ---------------------------------------------------------------- CURVE


def _greeting(mechanism: bytes) -> bytes:
    return b"\xff" + bytes(8) + b"\x7f\x03\x01" + mechanism.ljust(20, b"\x00") + bytes(32)


def test_curve_handshake_wire_layout(keys: Keys) -> None:
    c, s = curve_pair(keys)
    assert c.done and s.done
    assert s.requests == [ZapRequest(b"CURVE", (key_bytes(keys.client.public),))]
    assert s.done.user_id == b"user-1"
    assert s.done.properties[b"Socket-Type"] == b"DEALER"
    assert c.done.properties[b"Socket-Type"] == b"ROUTER"
    client_frames = frames(b"".join(c.sent)[64:])
    server_frames = frames(b"".join(s.sent)[64:])
    hello, initiate = client_frames
    welcome, ready = server_frames
    assert hello[0] == 0x04 and len(hello[1]) == 200
    assert hello[1][:8] == b"\x05HELLO\x01\x00" and hello[1][8:80] == bytes(72)
    assert hello[1][112:120] == struct.pack(">Q", 1)
    assert initiate[0] == 0x06 and initiate[1][:9] == b"\x08INITIATE"
    assert initiate[1][105:113] == struct.pack(">Q", 2)
    assert welcome == (0x04, welcome[1]) and len(welcome[1]) == 168
    assert ready[1][:6] == b"\x05READY" and ready[1][6:14] == struct.pack(">Q", 1)
    assert c.sent[0][32] == 0 and s.sent[0][32] == 1  # as-server, written as the RFC asks


def test_curve_messages_nonces_and_inner_flags(keys: Keys) -> None:
    c, s = curve_pair(keys)
    c.conn.send_message([b"part1", b"part2"])
    c.conn.send_subscription(b"topic", True)  # a 3.1 SUBSCRIBE travels inside MESSAGE
    data = c.take()
    s.feed(data)
    assert s.messages == [[b"part1", b"part2"]]
    assert Subscription(b"topic", True) in s.events
    sent = frames(data)
    assert [flags for flags, _ in sent] == [0, 0, 0]  # outer flags never MORE nor COMMAND
    assert [body[8:16] for _, body in sent] == [struct.pack(">Q", n) for n in (3, 4, 5)]
    key = c.conn.mechanism._key  # type: ignore[attr-defined]
    inner = [
        crypto_box_open_afternm(body[16:], b"CurveZMQMESSAGEC" + body[8:16], key)
        for _, body in sent
    ]
    assert inner == [b"\x01part1", b"\x00part2", b"\x02\x09SUBSCRIBEtopic"]
    # Server to client: nonces from 2 (READY was 1); a PING is answered inside MESSAGE.
    s.conn.send_message([b"reply"])
    c.conn._send_command(b"PING", b"\x00\x00ctx")
    ping = c.take()
    back = s.take()
    c.feed(back)
    assert c.messages == [[b"reply"]]
    assert frames(back)[0][1][8:16] == struct.pack(">Q", 2)
    s.feed(ping)
    pong = s.take()
    ((flags, body),) = frames(pong)
    assert flags == 0 and body[8:16] == struct.pack(">Q", 3)
    assert crypto_box_open_afternm(body[16:], b"CurveZMQMESSAGES" + body[8:16], key) == (
        b"\x02\x04PONGctx"
    )


def test_curve_batch_seals_each_message_in_order(keys: Keys) -> None:
    """ZmtpCodec.send_messages through CURVE: a one-frame message sealed by
    the mechanism straight, a multipart one through send_message; it starts
    at start and stops once the payload passes the budget, the nonces count
    on frame by frame, and the peer opens every message, in order."""
    c, s = curve_pair(keys)
    batch = [
        [b"a"],
        [b""],
        [b"x" * 255],
        [b"y" * 256],  # takes the total past 300: the first call stops after it
        [b"k", b"", b"z" * 300],
        [b"tail", b"end"],
        [b"w" * 70_000],
    ]
    assert c.conn.send_messages(batch, 1, 300) == (4, 511)
    assert c.conn.send_messages(batch, 4, 1 << 30) == (7, 301 + 7 + 70_000)
    data = c.take()
    sent = frames(data)
    assert [body[8:16] for _, body in sent] == [struct.pack(">Q", n) for n in range(3, 12)]
    assert {flags for flags, _ in sent} == {0, 2}  # short and long, never MORE nor COMMAND
    s.feed(data)
    assert s.messages == batch[1:] and s.failure is None


def test_curve_large_message_uses_long_outer_frame(keys: Keys) -> None:
    c, s = curve_pair(keys)
    big = bytes(range(256)) * 4096  # 1 MiB
    c.conn.send_message([big])
    data = c.take()
    assert data[0] == 0x02  # long, neither MORE nor COMMAND
    s.feed(data[:1000])
    s.feed(data[1000:])
    assert s.messages == [[big]]


def test_curve_large_frames_are_never_read_directly(keys: Keys) -> None:
    # A MESSAGE box is opened whole, so the codec never offers its body for a
    # direct read (a NULL codec would, past its header: test_split_input.py).
    c, s = curve_pair(keys)
    c.conn.send_message([b"x" * 400_000])
    wire = c.take()
    s.feed(wire[:1000])
    assert s.conn.body_remaining == 0
    s.feed(wire[1000:])
    assert s.events[-1] == [b"x" * 400_000]


def test_curve_wrong_server_key(keys: Keys) -> None:
    client = CurveClient(
        key_bytes(keys.other.public), key_bytes(keys.client.public), key_bytes(keys.client.secret)
    )
    c, s = pair(client, CurveServer(key_bytes(keys.server.secret)))
    assert s.failure is not None and "wrong server key" in s.failure.reason
    assert not s.requests and not c.done


def test_curve_zap_refusal_sends_error_instead_of_ready(keys: Keys) -> None:
    c, s = curve_pair(keys, auth=lambda r: ZapReply("400", "key not allowed"))
    assert s.failure is not None and "400 key not allowed" in s.failure.reason
    assert frames(b"".join(s.sent)[64:])[-1] == (0x04, b"\x05ERROR\x03400")
    assert c.failure is not None and c.failure.refused and not c.done


def test_curve_tampered_message(keys: Keys) -> None:
    c, s = curve_pair(keys)
    c.conn.send_message([b"secret"])
    data = bytearray(c.take())
    data[-1] ^= 0x01
    s.feed(bytes(data))
    assert not s.messages
    assert s.failure is not None and "failed to authenticate" in s.failure.reason


@pytest.mark.parametrize("order", ["replay", "decrease"])
def test_curve_nonce_must_increase(keys: Keys, order: str) -> None:
    c, s = curve_pair(keys)
    c.conn.send_message([b"one"])
    first = c.take()
    c.conn.send_message([b"two"])
    second = c.take()
    if order == "replay":
        s.feed(first + first)
        assert s.messages == [[b"one"]]
    else:
        s.feed(second + first)
        assert s.messages == [[b"two"]]
    assert s.failure is not None and "nonce" in s.failure.reason


def test_curve_message_restarting_at_one_is_refused(keys: Keys) -> None:
    """A MESSAGE may not reuse the handshake's nonces (HELLO=1, INITIATE=2)."""
    c, s = curve_pair(keys)
    mech = c.conn.mechanism
    mech._sent = 1  # type: ignore[attr-defined]
    c.conn.send_message([b"x"])  # nonce 2 == INITIATE's
    s.feed(c.take())
    assert not s.messages and s.failure is not None and "not above 2" in s.failure.reason


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda h: h[:-1], "not 200"),
        (lambda h: h + b"\x00", "not 200"),
        (lambda h: h[:20] + b"\x01" + h[21:], "padding"),
        (lambda h: h[:6] + b"\x02\x00" + h[8:], "version"),
        (lambda h: h[:112] + struct.pack(">Q", 0) + h[120:], "nonce"),
        (lambda h: h[:-1] + bytes([h[-1] ^ 1]), "failed to authenticate"),
    ],
    ids=["short", "long", "padding", "version", "zero-nonce", "tampered"],
)
def test_curve_malformed_hello(keys: Keys, mutate: Callable[[bytes], bytes], reason: str) -> None:
    client = CurveClient(
        key_bytes(keys.server.public), key_bytes(keys.client.public), key_bytes(keys.client.secret)
    )
    hello = frames(client.start()[0])[0][1]
    bad = mutate(hello)
    header = bytes([4, len(bad)]) if len(bad) < 256 else b"\x06" + struct.pack(">Q", len(bad))
    s = Side(
        ZmtpCodec(SocketType.ROUTER, mechanism=CurveServer(key_bytes(keys.server.secret)))
    )
    s.feed(_greeting(b"CURVE") + header + bad)
    assert s.failure is not None and reason in s.failure.reason, s.failure
    assert s.take()[64:] == b""  # no WELCOME
    assert not s.requests


def test_curve_initiate_with_foreign_cookie_is_refused(keys: Keys) -> None:
    # Two handshakes with the same server key: the second connection gets the
    # first one's INITIATE (cookie and box): refused before any ZAP request.
    server_key = key_bytes(keys.server.public)
    pub, sec = key_bytes(keys.client.public), key_bytes(keys.client.secret)
    c1 = Side(ZmtpCodec(SocketType.DEALER, mechanism=CurveClient(server_key, pub, sec)))
    s1 = Side(
        ZmtpCodec(SocketType.ROUTER, mechanism=CurveServer(key_bytes(keys.server.secret))),
        ACCEPT,
    )
    s2 = Side(
        ZmtpCodec(SocketType.ROUTER, mechanism=CurveServer(key_bytes(keys.server.secret))),
        ACCEPT,
    )
    run(c1, s1)
    initiate = frames(b"".join(c1.sent)[64:])[1][1]
    c2 = CurveClient(server_key, pub, sec)
    s2.feed(_greeting(b"CURVE") + c2.start()[0])
    s2.feed(b"\x06" + struct.pack(">Q", len(initiate)) + initiate)
    assert s2.failure is not None and "cookie" in s2.failure.reason
    assert not s2.requests


def test_curve_client_rejects_unparseable_welcome(keys: Keys) -> None:
    client = CurveClient(
        key_bytes(keys.server.public), key_bytes(keys.client.public), key_bytes(keys.client.secret)
    )
    c = Side(ZmtpCodec(SocketType.DEALER, mechanism=client))
    c.feed(_greeting(b"CURVE") + b"\x04\x0a\x07WELCOMEab")
    assert c.failure is not None and "malformed CURVE WELCOME" in c.failure.reason


def test_curve_server_derives_and_checks_public_key(keys: Keys) -> None:
    with pytest.raises(ValueError, match="does not match"):
        CurveServer(key_bytes(keys.server.secret), key_bytes(keys.client.public))
    assert CurveServer(key_bytes(keys.server.secret), key_bytes(keys.server.public))


def test_curve_client_refuses_a_low_order_transient_key_in_welcome(keys: Keys) -> None:
    """A WELCOME that authenticates but carries a low-order transient key is a
    malformed WELCOME (libsodium refuses the shared secret), not a crash."""
    nacl = pytest.importorskip("nacl.bindings")
    client = CurveClient(
        key_bytes(keys.server.public), key_bytes(keys.client.public), key_bytes(keys.client.secret)
    )
    c = Side(ZmtpCodec(SocketType.DEALER, mechanism=client))
    c.feed(_greeting(b"CURVE"))
    hello = frames(c.take()[64:])[0][1]
    client_transient = hello[1 + 5 + 74 : 1 + 5 + 106]
    nonce = bytes(range(16))
    box = nacl.crypto_box(
        bytes(32) + bytes(96),  # a low-order point as the server's transient key
        b"WELCOME-" + nonce,
        client_transient,
        key_bytes(keys.server.secret),
    )
    welcome = b"\x07WELCOME" + nonce + box
    c.feed(b"\x04" + bytes((len(welcome),)) + welcome)
    assert c.failure is not None
    assert "malformed CURVE WELCOME" in c.failure.reason
    assert "low-order" in c.failure.reason
    assert not c.done


# ------------------------------------------ CURVE limits, and PyNaCl's public API


def test_curve_frame_and_message_limits(keys: Keys) -> None:
    """maxmsgsize and max_message_size bound a CURVE payload (not its box) as
    they bound a NULL frame: within them both paths deliver, above fails."""

    def limited(**limits: int) -> tuple[Side, Side]:
        c, s = curve_pair(keys, **limits)
        assert c.done and s.done
        return c, s

    c, s = limited(maxmsgsize=100)
    c.conn.send_message([b"x" * 100])
    c.conn.send_message([b"a" * 60, b"b" * 60])  # each frame within maxmsgsize
    s.feed(c.take())
    assert s.messages == [[b"x" * 100], [b"a" * 60, b"b" * 60]] and s.failure is None
    c.conn.send_message([b"x" * 101])
    s.feed(c.take())
    assert s.failure is not None and "exceeds maxmsgsize 100" in s.failure.reason

    c, s = limited(max_message_size=100)
    c.conn.send_message([b"a" * 50, b"b" * 50])
    s.feed(c.take())
    assert s.messages == [[b"a" * 50, b"b" * 50]] and s.failure is None
    c.conn.send_message([b"a" * 50, b"b" * 51])
    s.feed(c.take())
    assert s.messages == [[b"a" * 50, b"b" * 50]]
    assert s.failure is not None and "101" in s.failure.reason


@pytest.fixture
def without_private_sodium(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """PyNaCl as a release without (or with a changed) ``nacl._sodium`` would
    be: CURVE mechanisms made meanwhile use the public ``nacl.bindings``."""
    import nacl.bindings  # noqa: F401  # imported for real first: it needs the module

    sodium_lib.cache_clear()
    monkeypatch.setitem(sys.modules, "nacl._sodium", None)  # import fails
    try:
        assert sodium_lib() is None
        yield
    finally:
        sodium_lib.cache_clear()


def _exchange_both_ways(c: Side, s: Side) -> None:
    big = bytes(range(256)) * 2  # a long outer frame
    c.conn.send_message([b"one"])
    c.conn.send_message([b"two", big, b""])
    c.conn.send_subscription(b"topic", True)
    s.feed(c.take())
    assert s.failure is None
    assert s.messages == [[b"one"], [b"two", big, b""]]
    assert Subscription(b"topic", True) in s.events
    s.conn.send_message([b"back", big])
    c.feed(s.take())
    assert c.failure is None and c.messages == [[b"back", big]]


@pytest.mark.usefixtures("without_private_sodium")
def test_curve_without_private_sodium_module(keys: Keys) -> None:
    c, s = curve_pair(keys)
    assert c.done and s.done
    assert c.conn.mechanism.encode == c.conn.mechanism._encode_bindings  # type: ignore[attr-defined]
    _exchange_both_ways(c, s)
    # The replay check and authentication hold on this path too.
    c.conn.send_message([b"again"])
    frame = c.take()
    s.feed(frame + frame)
    assert s.messages[-1] == [b"again"]
    assert s.failure is not None and "nonce" in s.failure.reason
    c2, s2 = curve_pair(keys)
    c2.conn.send_message([b"secret"])
    tampered = bytearray(c2.take())
    tampered[-1] ^= 1
    s2.feed(bytes(tampered))
    assert not s2.messages and s2.failure is not None
    assert "failed to authenticate" in s2.failure.reason


def test_curve_private_and_public_paths_talk(
    keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One side through libsodium's functions directly, the other through
    nacl.bindings: the same frames, so they understand each other."""
    client = CurveClient(
        key_bytes(keys.server.public), key_bytes(keys.client.public), key_bytes(keys.client.secret)
    )
    assert sodium_lib() is not None
    sodium_lib.cache_clear()
    monkeypatch.setitem(sys.modules, "nacl._sodium", None)
    try:
        server = CurveServer(key_bytes(keys.server.secret))
    finally:
        sodium_lib.cache_clear()
    assert server.decode == server._decode_bindings  # type: ignore[attr-defined]
    _exchange_both_ways(*pair(client, server))


@pytest.mark.parametrize("shape", ["no-function", "wrong-result"])
def test_sodium_lib_refuses_a_changed_private_module(
    shape: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nacl._sodium import ffi, lib

    def wrong(out: object, plain: object, size: int, nonce: object, key: object) -> int:
        return int(lib.crypto_box_easy_afternm(out, plain, size, bytes(24), key))

    functions = {"crypto_box_open_easy_afternm": lib.crypto_box_open_easy_afternm}
    if shape == "wrong-result":
        functions["crypto_box_easy_afternm"] = wrong
    sodium_lib.cache_clear()
    monkeypatch.setitem(
        sys.modules, "nacl._sodium", types.SimpleNamespace(ffi=ffi, lib=types.SimpleNamespace(**functions))
    )
    try:
        assert sodium_lib() is None
    finally:
        sodium_lib.cache_clear()
    monkeypatch.undo()
    assert sodium_lib() is not None  # the real module passes the same check
