"""Typed messages: send_json/recv_json, send_msgpack/recv_msgpack and their
multipart (envelope) variants, with msgspec Structs, dataclasses and plain objects."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import msgspec
import pytest
from helpers import bind_endpoint, yield_loop

import aiomsg
from aiomsg import serialization

TIMEOUT = 5.0


class Weather(msgspec.Struct):
    city: str
    temperature: float
    humidity: int
    tags: list[str] = []


@dataclasses.dataclass
class Point:
    x: int
    y: int


@pytest.fixture(params=["json", "msgpack"])
def codec(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def encode(codec: str, obj: Any) -> bytes:
    return msgspec.json.encode(obj) if codec == "json" else msgspec.msgpack.encode(obj)


async def connected(
    ctx: aiomsg.Context, binder: aiomsg.SocketType, connecter: aiomsg.SocketType, transport: str
) -> tuple[aiomsg.Socket, aiomsg.Socket]:
    a = ctx.socket(binder, linger=0)
    b = ctx.socket(connecter, linger=0)
    await b.connect(await a.bind(bind_endpoint(transport)))
    return a, b


def methods(sock: aiomsg.Socket, codec: str) -> tuple[Any, Any]:
    return getattr(sock, f"send_{codec}"), getattr(sock, f"recv_{codec}")


@pytest.mark.parametrize("transport", ["inproc", "tcp"])
@pytest.mark.parametrize(
    ("obj", "type_"),
    [
        (Weather("Oslo", -3.5, 80, ["snow"]), Weather),
        (Point(1, -2), Point),
        ({"a": [1, 2, {"b": None}], "c": "é"}, None),
        ({"a": 1, "b": 2}, dict[str, int]),
        ([1, 2, 3], list[int]),
        (None, int | None),
    ],
    ids=["struct", "dataclass", "dict-untyped", "dict-typed", "list", "optional"],
)
async def test_round_trip(ctx, codec, transport, obj, type_):
    a, b = await connected(ctx, aiomsg.PAIR, aiomsg.PAIR, transport)
    send, _ = methods(a, codec)
    _, recv = methods(b, codec)
    async with asyncio.timeout(TIMEOUT):
        await send(obj)
        got = await recv(type_)
    assert got == obj
    if type_ is not None and isinstance(type_, type):
        assert type(got) is type_


async def test_wire_format_is_plain_msgspec(ctx, codec):
    """What goes on the wire is one frame of standard JSON / MessagePack."""
    a, b = await connected(ctx, aiomsg.PAIR, aiomsg.PAIR, "inproc")
    send, _ = methods(a, codec)
    async with asyncio.timeout(TIMEOUT):
        await send(Weather("Rome", 20.0, 40))
        frames = await b.recv_multipart()
    assert frames == [
        encode(codec, {"city": "Rome", "temperature": 20.0, "humidity": 40, "tags": []})
    ]


async def test_untyped_decodes_to_plain_objects(ctx, codec):
    a, b = await connected(ctx, aiomsg.PAIR, aiomsg.PAIR, "inproc")
    send, _ = methods(a, codec)
    _, recv = methods(b, codec)
    async with asyncio.timeout(TIMEOUT):
        await send(Weather("Lima", 18.0, 77))
        got = await recv()
    assert got == {"city": "Lima", "temperature": 18.0, "humidity": 77, "tags": []}


async def test_validation_failure_raises_decode_error_and_socket_stays_usable(ctx, codec):
    a, b = await connected(ctx, aiomsg.PAIR, aiomsg.PAIR, "tcp")
    send, _ = methods(a, codec)
    _, recv = methods(b, codec)
    bad = {"city": 3, "temperature": "hot", "humidity": 1}
    async with asyncio.timeout(TIMEOUT):
        await send(bad)
        await send(Weather("Nice", 25.0, 50))
        with pytest.raises(aiomsg.DecodeError) as info:
            await recv(Weather)
        assert info.value.frames == [encode(codec, bad)]
        assert isinstance(info.value.__cause__, msgspec.ValidationError)
        assert isinstance(info.value, ValueError)
        assert isinstance(info.value, aiomsg.AiomsgError)
        # The bad message was consumed whole: the next one arrives normally.
        assert await recv(Weather) == Weather("Nice", 25.0, 50)


async def test_malformed_payload_raises_decode_error(ctx, codec):
    a, b = await connected(ctx, aiomsg.PAIR, aiomsg.PAIR, "inproc")
    _, recv = methods(b, codec)
    garbage = b"\xc1{not valid" if codec == "msgpack" else b"{not json"
    async with asyncio.timeout(TIMEOUT):
        await a.send(garbage)
        await a.send(encode(codec, [1, 2]))
        with pytest.raises(aiomsg.DecodeError) as info:
            await recv()
        assert info.value.frames == [garbage]
        assert isinstance(info.value.__cause__, msgspec.DecodeError)
        assert await recv(list[int]) == [1, 2]


async def test_single_frame_call_rejects_multipart_message(ctx, codec):
    a, b = await connected(ctx, aiomsg.PAIR, aiomsg.PAIR, "inproc")
    _, recv = methods(b, codec)
    async with asyncio.timeout(TIMEOUT):
        await a.send_multipart([b"topic", encode(codec, 1)])
        await a.send(encode(codec, 2))
        with pytest.raises(aiomsg.DecodeError) as info:
            await recv(int)
        assert info.value.frames == [b"topic", encode(codec, 1)]
        assert info.value.__cause__ is None
        assert await recv(int) == 2


async def test_multipart_variants_over_router_dealer(ctx, codec):
    router, dealer = await connected(ctx, aiomsg.ROUTER, aiomsg.DEALER, "tcp")
    send, recv = methods(dealer, codec)
    rsend = getattr(router, f"send_{codec}_multipart")
    rrecv = getattr(router, f"recv_{codec}_multipart")
    async with asyncio.timeout(TIMEOUT):
        await send(Point(3, 4))
        envelope, point = await rrecv(Point)
        assert point == Point(3, 4)
        assert len(envelope) == 1 and envelope[0]  # the routing id ROUTER prepended
        await rsend(envelope, Weather("Bergen", 9.5, 90))
        assert await recv(Weather) == Weather("Bergen", 9.5, 90)

        # A REQ-style envelope: routing id, empty delimiter, then the payload.
        dsend = getattr(dealer, f"send_{codec}_multipart")
        drecv = getattr(dealer, f"recv_{codec}_multipart")
        await dsend([b""], {"n": 1})
        envelope, obj = await rrecv()
        assert envelope[1:] == [b""] and obj == {"n": 1}
        await rsend(envelope, {"n": 2})
        assert await drecv(dict[str, int]) == ([b""], {"n": 2})


async def test_multipart_validation_failure_keeps_envelope_in_frames(ctx, codec):
    router, dealer = await connected(ctx, aiomsg.ROUTER, aiomsg.DEALER, "inproc")
    send, _ = methods(dealer, codec)
    rrecv = getattr(router, f"recv_{codec}_multipart")
    async with asyncio.timeout(TIMEOUT):
        await send({"x": "one"})
        await send({"x": 1, "y": 2})
        with pytest.raises(aiomsg.DecodeError) as info:
            await rrecv(Point)
        assert len(info.value.frames) == 2
        assert info.value.frames[1] == encode(codec, {"x": "one"})
        envelope, point = await rrecv(Point)
        assert envelope == info.value.frames[:1]
        assert point == Point(1, 2)


async def test_sndmore_then_typed_frame(ctx, codec):
    """A topic frame sent with SNDMORE followed by a typed frame (PUB/SUB style)."""
    a, b = await connected(ctx, aiomsg.PAIR, aiomsg.PAIR, "inproc")
    send, _ = methods(a, codec)
    recv_multi = getattr(b, f"recv_{codec}_multipart")
    async with asyncio.timeout(TIMEOUT):
        await a.send(b"weather.oslo", aiomsg.SNDMORE)
        await send(Weather("Oslo", 1.0, 2))
        assert await recv_multi(Weather) == ([b"weather.oslo"], Weather("Oslo", 1.0, 2))


async def test_noblock_flags(ctx, codec):
    _a, b = await connected(ctx, aiomsg.PAIR, aiomsg.PAIR, "inproc")
    _, recv = methods(b, codec)
    with pytest.raises(aiomsg.Again):
        await recv(None, aiomsg.NOBLOCK)
    lone = ctx.socket(aiomsg.PAIR, linger=0)
    with pytest.raises(aiomsg.Again):
        await getattr(lone, f"send_{codec}")({"a": 1}, aiomsg.NOBLOCK)


async def test_cancelled_recv_loses_nothing(ctx, codec):
    a, b = await connected(ctx, aiomsg.PAIR, aiomsg.PAIR, "inproc")
    send, _ = methods(a, codec)
    _, recv = methods(b, codec)
    task = asyncio.create_task(recv(Point))
    await yield_loop(3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with asyncio.timeout(TIMEOUT):
        await send(Point(5, 6))
        assert await recv(Point) == Point(5, 6)


async def test_unencodable_object_sends_nothing(ctx, codec):
    a, b = await connected(ctx, aiomsg.PAIR, aiomsg.PAIR, "inproc")
    send, _ = methods(a, codec)
    _, recv = methods(b, codec)
    with pytest.raises((TypeError, msgspec.EncodeError)):
        await send(object())
    async with asyncio.timeout(TIMEOUT):
        await send("ok")
        assert await recv(str) == "ok"


async def test_closed_socket_raises_closed(ctx, codec):
    a, _b = await connected(ctx, aiomsg.PAIR, aiomsg.PAIR, "inproc")
    a.close(linger=0)
    send, recv = methods(a, codec)
    with pytest.raises(aiomsg.Closed):
        await send(1)
    with pytest.raises(aiomsg.Closed):
        await recv(int)


def test_decoders_are_cached_per_type():
    json, msgpack = serialization.JSON, serialization.MSGPACK
    d1 = json.decoder(Weather)
    assert json.decoder(Weather) is d1
    assert json.decoders[Weather] is d1  # the cache the receive path looks up
    assert json.decoder(list[int]) is json.decoder(list[int])
    assert msgpack.decoder(Point) is msgpack.decoder(Point)
    assert msgpack.decoder(None) is not msgpack.decoder(Point)
    assert msgpack.decoder(Point) is not json.decoder(Point)  # one cache per format


def test_unsupported_type_raises_type_error():
    with pytest.raises(TypeError):
        serialization.decode_json(b"1", object())


async def test_unsupported_type_raises_before_receiving(ctx):
    pull = ctx.socket(aiomsg.PULL)
    ep = await pull.bind("inproc://typed-bad-type")
    push = ctx.socket(aiomsg.PUSH)
    await push.connect(ep)
    await push.send_json({"kept": True})
    with pytest.raises(TypeError):
        await pull.recv_json(object())
    async with asyncio.timeout(5):
        assert await pull.recv_json() == {"kept": True}  # the message is still there
