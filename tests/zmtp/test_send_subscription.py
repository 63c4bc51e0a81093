"""send_subscription: commands to ZMTP 3.1+ peers, data frames to 3.0 peers
(docs/wire/zmtp.md#subscription-forms)."""

from __future__ import annotations

import pytest

from aiomsg._zmtp.codec import Subscription
from aiomsg.constants import SocketType

from ._wire import (
    CANCEL_A,
    READY_FROM_PUB,
    SUBSCRIBE_A,
    SUBSCRIBE_A_30,
    greeting,
    handshaken,
    output,
    ready_for,
)

V31, V30, V47 = greeting(minor=1), greeting(minor=0), greeting(major=4, minor=7)
LONG_TOPIC = b"t" * 300

CASES = {
    "3.1-subscribe-capture": (V31, b"A", True, SUBSCRIBE_A),
    "3.1-cancel-capture": (V31, b"A", False, CANCEL_A),
    "3.1-subscribe-all": (V31, b"", True, b"\x04\x0a\x09SUBSCRIBE"),
    "3.0-subscribe-capture": (V30, b"A", True, SUBSCRIBE_A_30),
    "3.0-cancel": (V30, b"A", False, b"\x00\x02\x00A"),
    "3.0-subscribe-all": (V30, b"", True, b"\x00\x01\x01"),
    "4.7-is-3.1": (V47, b"A", True, SUBSCRIBE_A),
    # 10 + 246 = 256-byte command body: LONG (libzmq 4.3.3/4.3.4 got this wrong)
    "3.1-246-bytes-long": (
        V31,
        b"s" * 246,
        True,
        b"\x06" + (256).to_bytes(8, "big") + b"\x09SUBSCRIBE" + b"s" * 246,
    ),
    "3.1-245-bytes-short": (V31, b"s" * 245, True, b"\x04\xff\x09SUBSCRIBE" + b"s" * 245),
    # 1 + 255 = 256-byte data frame: LONG (libzmq 4.3.5's v2 encoder gets this wrong)
    "3.0-255-bytes-long": (
        V30,
        b"s" * 255,
        True,
        b"\x02" + (256).to_bytes(8, "big") + b"\x01" + b"s" * 255,
    ),
    "3.1-cancel-long": (
        V31,
        LONG_TOPIC,
        False,
        b"\x06" + (307).to_bytes(8, "big") + b"\x06CANCEL" + LONG_TOPIC,
    ),
    "3.0-cancel-long": (
        V30,
        LONG_TOPIC,
        False,
        b"\x02" + (301).to_bytes(8, "big") + b"\x00" + LONG_TOPIC,
    ),
}


@pytest.mark.parametrize(
    ("peer_greeting", "topic", "subscribe", "wire"), CASES.values(), ids=CASES.keys()
)
def test_send_subscription(
    peer_greeting: bytes, topic: bytes, subscribe: bool, wire: bytes
) -> None:
    conn = handshaken(SocketType.SUB, peer_ready=READY_FROM_PUB, peer_greeting=peer_greeting)
    conn.send_subscription(topic, subscribe)
    assert output(conn) == wire


def test_subscription_round_trips_between_two_codecs() -> None:
    for peer_greeting, expected in [(V31, Subscription(b"A", True)), (V30, [b"\x01A"])]:
        sub = handshaken(SocketType.SUB, peer_ready=READY_FROM_PUB, peer_greeting=peer_greeting)
        sub.send_subscription(b"A", True)
        pub = handshaken(SocketType.PUB, peer_ready=ready_for(b"SUB"))
        assert pub.receive_data(output(sub)) == [expected]
