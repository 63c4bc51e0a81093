"""Socket options: keyword arguments, attributes, defaults, validation, effect."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from helpers import free_tcp_endpoint, unique_endpoint, wait_event, wait_handshakes

import aiomsg

DEFAULTS = {
    "sndhwm": 1000,
    "rcvhwm": 1000,
    "linger": -1,
    "identity": b"",
    "reconnect_ivl": 100,
    "reconnect_ivl_max": 0,
    "maxmsgsize": -1,
    "handshake_ivl": 30000,
}

VALUES = {
    "sndhwm": 5,
    "rcvhwm": 6,
    "linger": 7,
    "identity": b"me",
    "reconnect_ivl": 11,
    "reconnect_ivl_max": 99,
    "maxmsgsize": 1234,
    "handshake_ivl": 500,
}


async def test_defaults(ctx: aiomsg.Context) -> None:
    sock = ctx.socket(aiomsg.DEALER)
    for name, value in DEFAULTS.items():
        assert getattr(sock, name) == value, name
    router = ctx.socket(aiomsg.ROUTER)
    assert router.router_mandatory is False


async def test_keyword_options_round_trip(ctx: aiomsg.Context) -> None:
    sock = ctx.socket(aiomsg.DEALER, **VALUES)
    for name, value in VALUES.items():
        assert getattr(sock, name) == value, name


async def test_attribute_options_round_trip(ctx: aiomsg.Context) -> None:
    sock = ctx.socket(aiomsg.DEALER)
    for name, value in VALUES.items():
        setattr(sock, name, value)
    for name, value in VALUES.items():
        assert getattr(sock, name) == value, name
    # And they can be changed again.
    sock.sndhwm = 0
    sock.linger = 0
    assert (sock.sndhwm, sock.linger) == (0, 0)


async def test_router_mandatory_round_trip(ctx: aiomsg.Context) -> None:
    router = ctx.socket(aiomsg.ROUTER, router_mandatory=True)
    assert router.router_mandatory is True
    router.router_mandatory = False
    assert router.router_mandatory is False


async def test_unknown_keyword_option_is_rejected_by_name(ctx: aiomsg.Context) -> None:
    with pytest.raises((TypeError, AttributeError, aiomsg.AiomsgError)) as info:
        ctx.socket(aiomsg.PUSH, bogus_option=1)
    assert "bogus_option" in str(info.value)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("sndhwm", "many"),
        ("linger", 1.5),
        ("identity", 42),
        ("identity", b"x" * 256),
        ("identity", b"\x00reserved"),
        ("rcvhwm", -5),
    ],
)
async def test_invalid_option_values_are_rejected(
    ctx: aiomsg.Context, name: str, value: object
) -> None:
    with pytest.raises((TypeError, ValueError)) as info:
        ctx.socket(aiomsg.DEALER, **{name: value})
    assert name in str(info.value)
    sock = ctx.socket(aiomsg.DEALER)
    with pytest.raises((TypeError, ValueError)):
        setattr(sock, name, value)
    assert getattr(sock, name) == DEFAULTS[name]


async def test_identity_accepts_str(ctx: aiomsg.Context) -> None:
    sock = ctx.socket(aiomsg.DEALER, identity="name")
    assert sock.identity == b"name"


async def test_reconnect_ivl_paces_retries(ctx: aiomsg.Context) -> None:
    """With a 20 ms interval, several retries happen well within a second."""
    push = ctx.socket(aiomsg.PUSH, reconnect_ivl=20)
    mon = push.monitor()
    await push.connect(free_tcp_endpoint())
    loop = asyncio.get_running_loop()
    times = []
    async with asyncio.timeout(5):
        for _ in range(5):
            await mon.wait_for(aiomsg.Event.CONNECT_RETRIED)
            times.append(loop.time())
    assert times[-1] - times[0] < 1.0


async def test_reconnect_ivl_max_backs_off(ctx: aiomsg.Context) -> None:
    """Retry gaps grow (up to the cap) when reconnect_ivl_max > reconnect_ivl."""
    push = ctx.socket(aiomsg.PUSH, reconnect_ivl=10, reconnect_ivl_max=400)
    mon = push.monitor()
    await push.connect(free_tcp_endpoint())
    times = []
    async with asyncio.timeout(10):
        for _ in range(6):
            ev = await mon.wait_for(aiomsg.Event.CONNECT_RETRIED)
            times.append(ev.time)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert gaps[-1] > 2 * gaps[0], gaps


async def test_maxmsgsize_allows_message_at_limit(ctx: aiomsg.Context) -> None:
    pull = ctx.socket(aiomsg.PULL, maxmsgsize=1000)
    push = ctx.socket(aiomsg.PUSH)
    ep = await pull.bind("tcp://127.0.0.1:*")
    await push.connect(ep)
    async with asyncio.timeout(5):
        await push.send_multipart([b"a" * 1000, b"b" * 1000])
        assert await pull.recv_multipart() == [b"a" * 1000, b"b" * 1000]


async def test_maxmsgsize_disconnects_sender_of_larger_frame(ctx: aiomsg.Context) -> None:
    pull = ctx.socket(aiomsg.PULL, maxmsgsize=1000)
    mon = pull.monitor()
    push = ctx.socket(aiomsg.PUSH)
    ep = await pull.bind("tcp://127.0.0.1:*")
    await push.connect(ep)
    async with asyncio.timeout(5):
        await push.send(b"x" * 1001)
    ev = await wait_event(mon, aiomsg.Event.PROTOCOL_ERROR)
    assert ev.reason
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(pull.recv(), 0.3)


async def test_sndhwm_zero_means_no_limit(ctx: aiomsg.Context) -> None:
    ep = free_tcp_endpoint()
    push = ctx.socket(aiomsg.PUSH, sndhwm=0, reconnect_ivl=10)
    await push.connect(ep)
    async with asyncio.timeout(10):
        # Far past the default HWM of 1000, with nobody there yet: never waits.
        for i in range(3000):
            await push.send(b"%d" % i, flags=aiomsg.NOBLOCK)
    pull = ctx.socket(aiomsg.PULL, rcvhwm=0)
    await pull.bind(ep)
    async with asyncio.timeout(10):
        got = [await pull.recv() for _ in range(3000)]
    assert got == [b"%d" % i for i in range(3000)]


async def test_sndhwm_limits_queue(ctx: aiomsg.Context) -> None:
    push = ctx.socket(aiomsg.PUSH, sndhwm=3, reconnect_ivl=10)
    await push.connect(free_tcp_endpoint())
    for i in range(3):
        await push.send(b"%d" % i, flags=aiomsg.NOBLOCK)
    with pytest.raises(aiomsg.Again):
        await push.send(b"over", flags=aiomsg.NOBLOCK)


async def test_immediate_skips_peers_that_are_not_connected(ctx: aiomsg.Context) -> None:
    """With immediate=True a DEALER never queues for an endpoint nobody listens on."""
    server = ctx.socket(aiomsg.ROUTER)
    live = await server.bind("tcp://127.0.0.1:*")
    dealer = ctx.socket(aiomsg.DEALER, immediate=True, linger=0)
    mon = dealer.monitor()
    await dealer.connect(unique_endpoint("tcp"))  # never answers
    await dealer.connect(live)
    await wait_handshakes(mon)
    async with asyncio.timeout(5):
        for i in range(4):
            await dealer.send(b"%d" % i)
        got = [(await server.recv_multipart())[1] for _ in range(4)]
    assert got == [b"0", b"1", b"2", b"3"]


async def test_immediate_send_waits_without_a_connected_peer(ctx: aiomsg.Context) -> None:
    push = ctx.socket(aiomsg.PUSH, immediate=True, linger=0)
    ep = unique_endpoint("tcp")
    await push.connect(ep)
    with pytest.raises(aiomsg.Again):
        await push.send(b"x", flags=aiomsg.NOBLOCK)
    pull = ctx.socket(aiomsg.PULL)
    await pull.bind(ep)
    async with asyncio.timeout(5):
        await push.send(b"x")  # waits for the connection, then goes
        assert await pull.recv() == b"x"
