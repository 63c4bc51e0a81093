"""Against libzmq: wait_subscribed() woken by pyzmq subscribers, wait_peers()
by pyzmq peers; reconnect_stop and the handshake-failure events as libzmq
reports them to its own client."""

from __future__ import annotations

import asyncio

import zmq
import zmq.asyncio
from zmq.utils.monitor import recv_monitor_message

import aiomsg

from ._helpers import TIMEOUT
from .conftest import Net


async def test_wait_subscribed_with_pyzmq_subscribers(net: Net) -> None:
    pub = net.socket("aiomsg", "XPUB")
    endpoint = await net.bind(pub)
    subs = [net.socket("zmq", "SUB") for _ in range(2)]
    for sub in subs:
        sub.subscribe(b"weather.")
        await net.connect(sub, endpoint)
    async with asyncio.timeout(TIMEOUT):
        await pub.wait_subscribed(b"weather.rome", count=2)
        await pub.send(b"weather.rome 25C")  # the first message reaches both
        for sub in subs:
            assert await sub.recv() == b"weather.rome 25C"


async def test_wait_peers_with_pyzmq_peers(net: Net) -> None:
    pull = net.socket("aiomsg", "PULL")
    endpoint = await net.bind(pull)
    for _ in range(3):
        await net.connect(net.socket("zmq", "PUSH"), endpoint)
    async with asyncio.timeout(TIMEOUT):
        await pull.wait_peers(3)
    assert pull.peer_count == 3


async def test_reconnect_stop_after_a_refused_handshake(net: Net) -> None:
    """A libzmq PLAIN server with no ZAP handler fails every handshake
    (docs/wire/zmtp.md#plain); with RECONNECT_STOP_HANDSHAKE_FAILED the
    client stops, libzmq's and ours alike: no CONNECT_RETRIED after it."""
    if net.transport != "tcp":
        return
    server = net.socket("zmq", "REP")
    server.plain_server = True
    endpoint = await net.bind(server)
    flag = aiomsg.RECONNECT_STOP_HANDSHAKE_FAILED
    ours = net.socket(
        "aiomsg", "REQ", plain_username="u", plain_password="p", reconnect_stop=flag,
        reconnect_ivl=10,
    )
    mon = ours.monitor()
    await ours.connect(endpoint)
    theirs = net.socket("zmq", "REQ", reconnect_stop=flag, reconnect_ivl=10)
    theirs.plain_username, theirs.plain_password = b"u", b"p"
    their_mon = theirs.get_monitor_socket()
    theirs.connect(endpoint)
    async with asyncio.timeout(TIMEOUT):
        ours_seen = []
        while not ours_seen or ours_seen[-1] is not aiomsg.Event.CLOSED:
            item = await mon.__anext__()
            ours_seen.append(item.event)
        theirs_seen = []
        while "DISCONNECTED" not in theirs_seen:
            event = await recv_monitor_message(their_mon)
            theirs_seen.append(zmq.Event(event["event"]).name)
    assert aiomsg.Event.HANDSHAKE_FAILED in ours_seen
    assert aiomsg.Event.CONNECT_RETRIED not in ours_seen
    assert "HANDSHAKE_FAILED_NO_DETAIL" in theirs_seen or "HANDSHAKE_FAILED_AUTH" in theirs_seen
    their_mon.close(linger=0)
