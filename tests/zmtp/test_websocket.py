"""RFC 6455 framing and the ZWS 2.0 codecs, without an event loop.

Wire facts: docs/wire/draft.md#zws-upgrade, #zws-framing, #zws-violations.
"""

from __future__ import annotations

import pytest

from aiomsg._zmtp.codec import HandshakeComplete, PeerFailed
from aiomsg._zmtp.websocket import (
    OP_BINARY,
    OP_CLOSE,
    CloseCode,
    FrameParser,
    WebSocketError,
    accept_key,
    encode_frame,
    mask,
)
from aiomsg._zmtp.zws import ZwsMessageCodec, ZwsStreamCodec, choose_subprotocol, speaks_bare
from aiomsg.constants import SocketType


def test_accept_key_rfc6455_example() -> None:
    # RFC 6455 §1.3's worked example.
    assert accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_masking_is_its_own_inverse() -> None:
    key, data = b"\x01\x02\x03\x04", bytes(range(200))
    assert mask(key, mask(key, data)) == data
    assert mask(key, b"\x00\x00\x00\x00\x00") == b"\x01\x02\x03\x04\x01"


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536, 70000])
@pytest.mark.parametrize("masked", [False, True])
def test_frames_round_trip_split_anywhere(size: int, masked: bool) -> None:
    body = bytes(i % 251 for i in range(size))
    wire = b"".join(encode_frame(OP_BINARY, b"\x00", body, masked=masked))
    whole = FrameParser(masked=masked).feed(wire)
    assert whole == [(OP_BINARY, b"\x00" + body)]
    for cut in {1, 2, 3, 5, 9, 11, len(wire) // 2, len(wire) - 1}:
        parser = FrameParser(masked=masked)
        assert parser.feed(wire[:cut]) + parser.feed(wire[cut:]) == whole


def test_server_frame_layout_matches_libzmq() -> None:
    # docs/wire/draft.md#zws-framing: a 200-byte body is 82 7e 00 c9 00 ...
    assert b"".join(encode_frame(OP_BINARY, b"\x00", b"x" * 200, masked=False))[:5] == (
        b"\x82\x7e\x00\xc9\x00"
    )
    assert b"".join(encode_frame(OP_BINARY, b"\x01", b"p1", masked=False)) == b"\x82\x03\x01p1"


@pytest.mark.parametrize(
    ("wire", "masked", "code", "words"),
    [
        (b"\x81\x80abcd", True, CloseCode.UNSUPPORTED_DATA, "text frame"),
        (b"\x02\x80abcd", True, CloseCode.PROTOCOL_ERROR, "fragmented"),
        (b"\x80\x80abcd", True, CloseCode.PROTOCOL_ERROR, "fragmented"),
        (b"\x82\x01\x00", True, CloseCode.PROTOCOL_ERROR, "unmasked frame from a client"),
        (b"\x82\x81abcd\x00", False, CloseCode.PROTOCOL_ERROR, "masked frame from a server"),
        (b"\xc2\x01\x00", False, CloseCode.PROTOCOL_ERROR, "RSV"),
        (b"\x89\x7e\x00\x80", False, CloseCode.PROTOCOL_ERROR, "control frame"),
    ],
)
def test_violations_refused(wire: bytes, masked: bool, code: CloseCode, words: str) -> None:
    with pytest.raises(WebSocketError, match=words) as caught:
        FrameParser(masked=masked).feed(wire)
    assert caught.value.code == code


def test_oversize_refused_before_buffering() -> None:
    parser = FrameParser(masked=False, max_payload=100)
    with pytest.raises(WebSocketError) as caught:
        parser.feed(b"\x82\x7f" + (1 << 40).to_bytes(8, "big"))
    assert caught.value.code == CloseCode.MESSAGE_TOO_BIG


def test_subprotocol_choice_is_case_sensitive() -> None:
    assert choose_subprotocol(["chat", "ZWS2.0/NULL", "ZWS2.0"], b"NULL") == "ZWS2.0/NULL"
    assert choose_subprotocol(["zws2.0/null"], b"NULL") is None
    assert choose_subprotocol(["ZWS2.0/NULL"], b"CURVE") is None


def test_subprotocol_choice_follows_the_clients_order() -> None:
    # libzmq's rule (docs/wire/draft.md#zws-subprotocols): the first entry spoken wins.
    offered = ["ZWS2.0", "ZWS2.0/NULL"]
    assert choose_subprotocol(offered, b"NULL", bare=True) == "ZWS2.0"
    assert choose_subprotocol(offered, b"NULL") == "ZWS2.0/NULL"
    assert choose_subprotocol(["ZWS2.0"], b"NULL") is None
    assert choose_subprotocol(["ZWS2.0/NULL", "ZWS2.0"], b"NULL", bare=True) == "ZWS2.0/NULL"


def test_bare_zws_only_for_classic_types_under_null() -> None:
    assert speaks_bare(SocketType.ROUTER, b"NULL") and speaks_bare(SocketType.XSUB, b"NULL")
    assert not speaks_bare(SocketType.PUB, b"CURVE")
    assert not speaks_bare(SocketType.PUB, b"PLAIN")
    assert not speaks_bare(SocketType.DISH, b"NULL")
    assert not speaks_bare(SocketType.STREAM, b"NULL")


# A jszmq client's request (docs/wire/draft.md#zws-jszmq): bare ZWS2.0, deflate offered.
JSZMQ_REQUEST = (
    b"GET /zmq HTTP/1.1\r\nHost: 127.0.0.1:5555\r\nConnection: Upgrade\r\n"
    b"Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
    b"Sec-WebSocket-Protocol: ZWS2.0\r\n\r\n"
)


def _client_frame(payload: bytes) -> bytes:
    return b"".join(encode_frame(OP_BINARY, payload[:1], payload[1:], masked=True))


def test_bare_zws_server_routing_ids_then_traffic() -> None:
    server = ZwsStreamCodec(SocketType.ROUTER)
    assert server.receive_data(JSZMQ_REQUEST) == []
    answer = b"".join(server.take_output())
    head, _, rest = answer.partition(b"\r\n\r\n")
    assert b"Sec-WebSocket-Protocol: ZWS2.0\r\n" in head + b"\r\n"
    assert b"Extensions" not in head  # no deflate negotiated
    assert server.subprotocol == "ZWS2.0"
    # Our routing id (empty) and no READY: bare ZWS2.0 has no commands.
    assert FrameParser(masked=False).feed(rest) == [(OP_BINARY, b"\x00")]
    # The peer's routing id, then a message, in one read.
    events = server.receive_data(_client_frame(b"\x00js-1") + _client_frame(b"\x00hello"))
    done, message = events
    assert isinstance(done, HandshakeComplete)
    assert done.identity == b"js-1" and done.socket_type == b""
    assert message == [b"hello"]
    server.send_message([b"js-1", b"back"])
    out = FrameParser(masked=False).feed(b"".join(server.take_output()))
    assert out == [(OP_BINARY, b"\x01js-1"), (OP_BINARY, b"\x00back")]


def test_bare_zws_first_message_must_be_a_routing_id() -> None:
    codec = ZwsMessageCodec(SocketType.PULL, accepted=True, bare=True)
    assert codec.subprotocol == "ZWS2.0" and codec.take_output() == [b"\x00"]
    events = codec.receive_data(b"\x02\x05READY")
    assert isinstance(events[-1], PeerFailed) and "routing id" in events[-1].reason
    assert codec.receive_data(b"\x00late") == []


def test_bare_zws_refused_where_not_spoken() -> None:
    server = ZwsStreamCodec(SocketType.DISH)
    events = server.receive_data(JSZMQ_REQUEST)
    assert isinstance(events[-1], PeerFailed) and "offered ZWS2.0" in events[-1].reason
    assert b"".join(server.take_output()).startswith(b"HTTP/1.1 400 Bad Request\r\n")


def _pair() -> tuple[ZwsStreamCodec, ZwsStreamCodec]:
    client = ZwsStreamCodec(SocketType.PUSH, client=("127.0.0.1:1", "/zmq"))
    server = ZwsStreamCodec(SocketType.PULL)
    return client, server


def _pump(src: ZwsStreamCodec, dst: ZwsStreamCodec) -> list[object]:
    return list(dst.receive_data(b"".join(src.take_output())))


def test_stream_codecs_upgrade_handshake_and_traffic() -> None:
    client, server = _pair()
    request = b"".join(client.take_output())
    assert request.startswith(b"GET /zmq HTTP/1.1\r\n")
    assert b"Sec-WebSocket-Protocol: ZWS2.0/NULL\r\n" in request
    assert server.receive_data(request) == []
    answer = b"".join(server.take_output())
    assert answer.startswith(b"HTTP/1.1 101 Switching Protocols\r\n")
    # The server's READY follows its 101 at once (docs/wire/draft.md#zws-handshake).
    assert b"\x82\x1b\x02\x05READY\x0bSocket-Type\x00\x00\x00\x04PULL" in answer
    events = client.receive_data(answer)
    assert isinstance(events[0], HandshakeComplete)
    assert isinstance(_pump(client, server)[0], HandshakeComplete)
    client.send_message([b"a", b"b" * 300])
    assert _pump(client, server) == [[b"a", b"b" * 300]]


def test_ping_answered_and_close_echoed() -> None:
    client, server = _pair()
    _pump(client, server)  # the upgrade request
    _pump(server, client)  # 101 and READY
    _pump(client, server)  # READY
    server.send_ping()
    assert client.receive_data(b"".join(server.take_output())) == []
    pong = FrameParser(masked=True).feed(b"".join(client.take_output()))
    assert pong == [(0xA, b"")]
    client.send_close()
    events = _pump(client, server)
    assert isinstance(events[-1], PeerFailed) and events[-1].clean
    assert FrameParser(masked=False).feed(b"".join(server.take_output()))[0][0] == OP_CLOSE


@pytest.mark.parametrize(
    ("request_text", "words"),
    [
        ("GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: x\r\n\r\n", "no ZeroMQ subprotocol"),
        ("GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: x\r\nSec-WebSocket-Protocol: chat\r\n\r\n", "offered chat"),
        ("GET / HTTP/1.1\r\nHost: x\r\n\r\n", "not a WebSocket upgrade"),
        ("POST / HTTP/1.1\r\n\r\n", "not a WebSocket upgrade"),
    ],
)  # fmt: skip
def test_server_refuses_with_400_naming_why(request_text: str, words: str) -> None:
    server = ZwsStreamCodec(SocketType.PULL)
    events = server.receive_data(request_text.encode())
    assert isinstance(events[-1], PeerFailed) and words in events[-1].reason
    answer = b"".join(server.take_output())
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert words.encode() in answer
