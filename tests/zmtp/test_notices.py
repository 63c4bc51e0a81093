"""``StreamCodec.notices``: the count of events other than messages.

PeerProtocol hands a read's events to the pipe in one call when the count
did not move during the read, so every codec must raise it whenever a call
returns anything but messages, and leave it alone when it returns only
messages (or nothing).
"""

from __future__ import annotations

from aiomsg._zmtp.codec import HandshakeComplete, PeerFailed, Subscription, ZmtpCodec
from aiomsg._zmtp.zws import ZwsMessageCodec, ZwsStreamCodec
from aiomsg.constants import SocketType

from ._wire import LIBZMQ_GREETING, READY_FROM_DEALER, SUBSCRIBE_A, frame, message, ping
from .test_websocket import JSZMQ_REQUEST

Codec = ZmtpCodec | ZwsStreamCodec | ZwsMessageCodec


def received(codec: Codec, data: bytes) -> list[object]:
    """*codec*'s events for *data*, checking that the count moved exactly
    when some event was not a message."""
    before = codec.notices
    events: list[object] = list(codec.receive_data(data))
    others = [event for event in events if type(event) is not list]
    assert (codec.notices > before) == bool(others), (events, before, codec.notices)
    return events


def test_zmtp_counts_handshake_subscriptions_and_faults() -> None:
    codec = ZmtpCodec(SocketType.ROUTER)
    [done] = received(codec, LIBZMQ_GREETING + READY_FROM_DEALER)
    assert isinstance(done, HandshakeComplete)
    assert received(codec, message(b"a") + frame(b"L" * 1000) + message(b"b", b"c")) == [
        [b"a"],
        [b"L" * 1000],
        [b"b", b"c"],
    ]
    assert received(codec, ping(0)) == []  # a PING is answered, not reported
    assert received(codec, message(b"d") + SUBSCRIBE_A + message(b"e")) == [
        [b"d"],
        Subscription(b"A", subscribe=True),
        [b"e"],
    ]
    big = frame(b"B" * 100_000)
    assert received(codec, big[:50_000]) == []  # stored, not complete
    assert received(codec, big[50_000:]) == [[b"B" * 100_000]]
    [failed] = received(codec, b"\x04\x02\x05E")  # a command whose name runs past it
    assert isinstance(failed, PeerFailed)


def test_zws_stream_counts_its_own_events_and_the_inner_codecs() -> None:
    client = ZwsStreamCodec(SocketType.PUSH, client=("127.0.0.1:1", "/zmq"))
    server = ZwsStreamCodec(SocketType.PULL)
    assert received(server, b"".join(client.take_output())) == []
    [done] = received(client, b"".join(server.take_output()))
    assert isinstance(done, HandshakeComplete)
    [done] = received(server, b"".join(client.take_output()))
    assert isinstance(done, HandshakeComplete)
    client.send_message([b"a", b"b" * 300])
    client.send_message([b"c"])
    assert received(server, b"".join(client.take_output())) == [[b"a", b"b" * 300], [b"c"]]
    client.send_close()
    [closed] = received(server, b"".join(client.take_output()))
    assert isinstance(closed, PeerFailed) and closed.clean


def test_zws_stream_counts_a_refused_upgrade() -> None:
    server = ZwsStreamCodec(SocketType.DISH)
    [failed] = received(server, JSZMQ_REQUEST)
    assert isinstance(failed, PeerFailed)


def test_zws_message_counts_its_own_faults() -> None:
    bare = ZwsMessageCodec(SocketType.PULL, accepted=True, bare=True)
    [failed] = received(bare, b"\x02\x05READY")
    assert isinstance(failed, PeerFailed) and "routing id" in failed.reason
    limited = ZwsMessageCodec(SocketType.PULL, accepted=True, bare=True, maxmsgsize=10)
    [failed] = received(limited, b"\x00" + b"x" * 100)
    assert isinstance(failed, PeerFailed) and "exceeds" in failed.reason
    plain = ZwsMessageCodec(SocketType.PULL, accepted=True, bare=True)
    [done, msg] = received(plain, b"\x00peer") + received(plain, b"\x00hi")
    assert isinstance(done, HandshakeComplete) and msg == [b"hi"]
