"""StreamCodec.send_messages: a batch encodes to the bytes its messages would,
and stops once the payload passes the caller's budget."""

from __future__ import annotations

from aiomsg._zmtp.codec import HandshakeComplete, ZmtpCodec
from aiomsg._zmtp.zws import ZwsStreamCodec
from aiomsg.constants import SocketType

from ._wire import handshaken

#: One-frame short and long bodies, empty frames, and multipart messages.
BATCH = [
    [b"a"],
    [b""],
    [b"x" * 255],
    [b"y" * 256],
    [b"k", b"", b"z" * 300],
    [b"tail", b"end"],
    [b"w" * 70_000],
]


def _one_by_one(codec: ZmtpCodec | ZwsStreamCodec) -> bytes:
    for message in BATCH:
        codec.send_message(message)
    return b"".join(codec.take_output())


def test_zmtp_batch_encodes_as_its_messages_would() -> None:
    batched = handshaken()
    payload = sum(len(frame) for message in BATCH for frame in message)
    assert batched.send_messages(BATCH, 0, 1 << 30) == (len(BATCH), payload)
    assert b"".join(batched.take_output()) == _one_by_one(handshaken())


def test_zmtp_batch_starts_at_start_and_stops_past_the_budget() -> None:
    codec = handshaken()
    messages = [[b"%03d" % n + b"." * 97] for n in range(10)]  # 100 bytes each
    # The message that takes the total past the budget is queued, then it stops.
    assert codec.send_messages(messages, 2, 250) == (5, 300)
    assert codec.send_messages(messages, 5, 0) == (6, 100)
    assert codec.send_messages(messages, 6, 1000) == (10, 400)
    assert codec.send_messages(messages, 10, 1000) == (10, 0)
    expected = handshaken()
    for message in messages[2:]:
        expected.send_message(message)
    assert b"".join(codec.take_output()) == b"".join(expected.take_output())


def _zws_pair() -> tuple[ZwsStreamCodec, ZwsStreamCodec]:
    client = ZwsStreamCodec(SocketType.PUSH, client=("127.0.0.1:1", "/zmq"))
    server = ZwsStreamCodec(SocketType.PULL)
    server.receive_data(b"".join(client.take_output()))
    assert isinstance(client.receive_data(b"".join(server.take_output()))[0], HandshakeComplete)
    assert isinstance(server.receive_data(b"".join(client.take_output()))[0], HandshakeComplete)
    return client, server


def test_zws_batch_is_its_messages_one_by_one() -> None:
    client, server = _zws_pair()
    assert client.send_messages(BATCH, 1, 100) == (3, 255)  # past 100 bytes at [x * 255]
    assert client.send_messages(BATCH, 3, 1 << 30)[0] == len(BATCH)
    assert server.receive_data(b"".join(client.take_output())) == BATCH[1:]
