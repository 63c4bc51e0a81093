"""The pyzmq porting surface: option numbers, errno values, familiar names.

Code ported from pyzmq should run with small edits, and every familiar name
aiomsg deliberately lacks must fail with an error that names the
replacement. Values are checked against pyzmq itself where it is installed.
"""

from __future__ import annotations

import asyncio
import errno

import pytest
from helpers import wait_handshakes

import aiomsg

try:
    import zmq
except ImportError:  # pragma: no cover - pyzmq is a test dependency
    zmq = None

needs_pyzmq = pytest.mark.skipif(zmq is None, reason="needs pyzmq (pip install pyzmq)")

OPTION_NAMES = [option.name for option in aiomsg.SocketOption]


# ---------------------------------------------------------------- constants


@needs_pyzmq
@pytest.mark.parametrize("name", OPTION_NAMES)
def test_option_numbers_are_libzmqs(name: str) -> None:
    assert getattr(aiomsg, name) == getattr(zmq, name)


@needs_pyzmq
@pytest.mark.parametrize(
    "name",
    ["POLLIN", "POLLOUT", "POLLERR", "NULL", "PLAIN", "CURVE", "NOBLOCK", "DONTWAIT", "SNDMORE"],
)
def test_flag_and_mechanism_values_are_libzmqs(name: str) -> None:
    assert getattr(aiomsg, name) == getattr(zmq, name)


@needs_pyzmq
@pytest.mark.parametrize("name", [error.name for error in aiomsg.Errno])
def test_errno_values_are_pyzmqs(name: str) -> None:
    assert getattr(aiomsg, name) == getattr(zmq, name)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (aiomsg.Again("x"), errno.EAGAIN),
        (aiomsg.InvalidState("x"), aiomsg.EFSM),
        (aiomsg.Closed("x"), errno.ENOTSOCK),
        (aiomsg.NotSupported("x"), errno.ENOTSUP),
        (aiomsg.InvalidOption("x"), errno.EINVAL),
        (aiomsg.EndpointError("e", "x"), errno.EINVAL),
        (aiomsg.AddressInUse("e"), errno.EADDRINUSE),
        (aiomsg.HostUnreachable("x"), errno.EHOSTUNREACH),
        (aiomsg.InvalidMessage("x"), errno.EINVAL),
    ],
)
def test_errors_carry_the_errno_pyzmq_users_test_for(error: aiomsg.AiomsgError, code: int) -> None:
    assert error.errno == code


async def test_errno_of_a_closed_context_is_eterm() -> None:
    ctx = aiomsg.Context()
    await ctx.term()
    with pytest.raises(aiomsg.Closed) as raised:
        ctx.socket(aiomsg.PUSH)
    assert raised.value.errno == aiomsg.ETERM


async def test_errno_of_an_unknown_transport_is_eprotonosupport(ctx: aiomsg.Context) -> None:
    with pytest.raises(aiomsg.EndpointError) as raised:
        await ctx.socket(aiomsg.PUSH).connect("carrier-pigeon://home")
    assert raised.value.errno == errno.EPROTONOSUPPORT


async def test_errno_of_a_nonblocking_recv_is_eagain(ctx: aiomsg.Context) -> None:
    with pytest.raises(aiomsg.AiomsgError) as raised:
        await ctx.socket(aiomsg.PULL).recv(aiomsg.NOBLOCK)
    assert raised.value.errno == aiomsg.EAGAIN


# ---------------------------------------------------------------- setsockopt, getsockopt


async def test_setsockopt_and_getsockopt_use_libzmq_numbers(ctx: aiomsg.Context) -> None:
    sock = ctx.socket(aiomsg.DEALER)
    sock.setsockopt(aiomsg.SNDHWM, 10)
    sock.set(aiomsg.RCVHWM, 20)
    sock.setsockopt(aiomsg.LINGER, 0)
    sock.setsockopt(aiomsg.IDENTITY, b"worker-1")
    assert (sock.sndhwm, sock.rcvhwm, sock.linger) == (10, 20, 0)
    assert sock.getsockopt(aiomsg.SNDHWM) == 10
    assert sock.get(aiomsg.RCVHWM) == 20
    assert sock.getsockopt(aiomsg.ROUTING_ID) == sock.getsockopt(aiomsg.IDENTITY) == b"worker-1"
    assert sock.getsockopt(aiomsg.TYPE) == aiomsg.DEALER
    sock.setsockopt(aiomsg.HWM, 5)
    assert (sock.sndhwm, sock.rcvhwm) == (5, 5)


async def test_string_options(ctx: aiomsg.Context) -> None:
    sock = ctx.socket(aiomsg.DEALER)
    sock.setsockopt_string(aiomsg.IDENTITY, "café")
    assert sock.identity == "café".encode()
    assert sock.getsockopt_string(aiomsg.IDENTITY) == "café"
    sock.set_string(aiomsg.ZAP_DOMAIN, "global")
    assert sock.get_string(aiomsg.ZAP_DOMAIN) == "global"
    with pytest.raises(TypeError):
        sock.getsockopt_string(aiomsg.SNDHWM)  # not a string option


async def test_subscribe_through_setsockopt(ctx: aiomsg.Context) -> None:
    pub, sub = ctx.socket(aiomsg.PUB), ctx.socket(aiomsg.SUB)
    endpoint = await pub.bind("inproc://porting-subscribe")
    sub.setsockopt(aiomsg.SUBSCRIBE, b"weather")
    sub.setsockopt_string(aiomsg.SUBSCRIBE, "news")
    sub.setsockopt_string(aiomsg.UNSUBSCRIBE, "news")
    await sub.connect(endpoint)
    async with asyncio.timeout(5):
        while True:  # the subscription reaches the publisher once connected
            await pub.send_multipart([b"news", b"dropped"])
            await pub.send_multipart([b"weather", b"sunny"])
            message = await sub.recv_multipart()
            assert message == [b"weather", b"sunny"]
            break
    with pytest.raises(aiomsg.InvalidOption, match="write-only"):
        sub.getsockopt(aiomsg.SUBSCRIBE)


async def test_read_only_and_unknown_options(ctx: aiomsg.Context) -> None:
    sock = ctx.socket(aiomsg.PULL)
    for option in (aiomsg.RCVMORE, aiomsg.TYPE, aiomsg.LAST_ENDPOINT, aiomsg.EVENTS):
        with pytest.raises(aiomsg.InvalidOption, match="read-only"):
            sock.setsockopt(option, 1)
    with pytest.raises(aiomsg.InvalidOption, match="12345"):
        sock.setsockopt(12345, 1)
    with pytest.raises(aiomsg.InvalidOption):
        sock.setsockopt(aiomsg.SNDHWM, "ten")


async def test_unsupported_libzmq_option_number_names_the_replacement(ctx: aiomsg.Context) -> None:
    sock = ctx.socket(aiomsg.PULL)
    with pytest.raises(aiomsg.NotSupported, match=r"IPV6.*IPv6"):
        sock.setsockopt(42, 1)  # zmq.IPV6, from code that still imports zmq
    sock.setsockopt(27, 1000)  # zmq.RCVTIMEO is an option of aiomsg's too
    assert sock.rcvtimeo == 1000


async def test_rcvmore_through_getsockopt(ctx: aiomsg.Context) -> None:
    push, pull = ctx.socket(aiomsg.PUSH), ctx.socket(aiomsg.PULL)
    await push.connect(await pull.bind("inproc://porting-rcvmore"))
    async with asyncio.timeout(5):
        await push.send_multipart([b"a", b"b"])
        assert await pull.recv() == b"a"
        assert pull.getsockopt(aiomsg.RCVMORE) == 1
        assert await pull.recv() == b"b"
        assert pull.getsockopt(aiomsg.RCVMORE) == 0


async def test_last_endpoint(ctx: aiomsg.Context) -> None:
    rep, req = ctx.socket(aiomsg.REP), ctx.socket(aiomsg.REQ)
    assert rep.last_endpoint == b""
    endpoint = await rep.bind("tcp://127.0.0.1:*")
    assert rep.last_endpoint == endpoint.encode()
    assert rep.getsockopt_string(aiomsg.LAST_ENDPOINT) == endpoint
    await req.connect(endpoint)
    assert req.getsockopt(aiomsg.LAST_ENDPOINT) == endpoint.encode()


async def test_mechanism(ctx: aiomsg.Context) -> None:
    assert ctx.socket(aiomsg.REP).mechanism == aiomsg.NULL
    server = ctx.socket(aiomsg.REP, plain_server=True)
    assert server.mechanism == aiomsg.PLAIN == server.getsockopt(aiomsg.MECHANISM)
    client = ctx.socket(aiomsg.REQ)
    client.plain_username = b"admin"
    assert client.mechanism == aiomsg.PLAIN
    if aiomsg.has_curve():
        _public, secret = aiomsg.curve_keypair()
        curve = ctx.socket(aiomsg.REP, curve_server=True, curve_secretkey=secret)
        assert curve.mechanism == aiomsg.CURVE


async def test_events_reports_readiness(ctx: aiomsg.Context) -> None:
    push, pull = ctx.socket(aiomsg.PUSH), ctx.socket(aiomsg.PULL)
    assert pull.events == 0
    assert push.getsockopt(aiomsg.EVENTS) == 0  # no peer: a send would wait
    mon = push.monitor()
    await push.connect(await pull.bind("tcp://127.0.0.1:*"))
    await wait_handshakes(mon)
    assert push.events == aiomsg.POLLOUT
    await push.send(b"x")
    async with asyncio.timeout(5):
        assert await pull.poll() == aiomsg.POLLIN
    assert pull.getsockopt(aiomsg.EVENTS) == aiomsg.POLLIN


# ---------------------------------------------------------------- pyzmq's signatures


async def test_subscribe_rejects_an_int(ctx: aiomsg.Context) -> None:
    sub = ctx.socket(aiomsg.SUB)
    # bytes(10001) would be 10,001 zero bytes: a subscription nothing matches.
    with pytest.raises(TypeError, match="str or bytes"):
        sub.subscribe(10001)  # type: ignore[arg-type]
    sub.subscribe(bytearray(b"100"))
    sub.subscribe(memoryview(b"100"))
    sub.subscribe("10001")


async def test_misspelled_option_raises_attribute_error(ctx: aiomsg.Context) -> None:
    sock = ctx.socket(aiomsg.PUSH)
    with pytest.raises(AttributeError, match="sndhmw"):
        sock.sndhmw = 10  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        sock.lingr = 0  # type: ignore[attr-defined]
    assert sock.sndhwm == 1000


async def test_recv_json_with_flags_first_names_the_keyword(ctx: aiomsg.Context) -> None:
    pull = ctx.socket(aiomsg.PULL)
    # pyzmq's recv_json(flags); aiomsg's first parameter is the type.
    with pytest.raises(TypeError, match="flags="):
        await pull.recv_json(aiomsg.NOBLOCK)
    with pytest.raises(TypeError, match="flags="):
        await pull.recv_msgpack(aiomsg.NOBLOCK)
    with pytest.raises(TypeError, match="flags="):
        await pull.recv_json_multipart(1)


async def test_send_string_of_bytes_names_send(ctx: aiomsg.Context) -> None:
    push = ctx.socket(aiomsg.PUSH)
    with pytest.raises(TypeError, match=r"send\(\)"):
        await push.send_string(b"hello")  # type: ignore[arg-type]


# ---------------------------------------------------------------- names aiomsg lacks


@pytest.mark.parametrize(
    ("name", "replacement"),
    [
        ("ZMQError", "AiomsgError"),
        ("device", "proxy"),
        ("ContextTerminated", "Closed"),
        ("Frame", "bytes"),
        ("EVENT_CONNECTED", "Event"),
        ("STREAMER", "proxy"),
    ],
)
def test_missing_module_names_name_the_replacement(name: str, replacement: str) -> None:
    with pytest.raises(AttributeError, match=replacement):
        getattr(aiomsg, name)
    assert not hasattr(aiomsg, name)


def test_unknown_module_names_fail_as_usual() -> None:
    with pytest.raises(AttributeError, match="no_such_thing"):
        aiomsg.no_such_thing  # type: ignore[attr-defined] # noqa: B018


@pytest.mark.parametrize(
    ("name", "replacement"),
    [
        ("bind_to_random_port", "bind"),
        ("get_monitor_socket", "monitor"),
        ("send_pyobj", "send_msgpack"),
        ("recv_pyobj", "recv_msgpack"),
        ("fileno", "Poller"),
    ],
)
async def test_missing_socket_names_name_the_replacement(
    ctx: aiomsg.Context, name: str, replacement: str
) -> None:
    sock = ctx.socket(aiomsg.REQ)
    with pytest.raises(AttributeError, match=replacement):
        getattr(sock, name)


def test_context_instance_names_the_replacement() -> None:
    with pytest.raises(aiomsg.NotSupported, match=r"Context\(\)"):
        aiomsg.Context.instance()


async def test_synchronous_with_names_async_with(ctx: aiomsg.Context) -> None:
    with pytest.raises(TypeError, match="async with"), aiomsg.Context():  # type: ignore[attr-defined]
        pass
    with pytest.raises(TypeError, match="async with"), ctx.socket(aiomsg.PUSH):  # type: ignore[attr-defined]
        pass


IMPLEMENTED = [kind for kind in aiomsg.SocketType if kind is not aiomsg.SocketType.DGRAM]


@pytest.mark.parametrize("kind", IMPLEMENTED, ids=[kind.name for kind in IMPLEMENTED])
async def test_no_socket_type_takes_a_misspelled_option(
    ctx: aiomsg.Context, kind: aiomsg.SocketType
) -> None:
    sock = ctx.socket(kind)
    with pytest.raises(AttributeError):
        sock.sndhmw = 10  # type: ignore[attr-defined]
    assert not hasattr(sock, "__dict__")
