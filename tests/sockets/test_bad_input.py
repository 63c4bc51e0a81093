"""Bad input never wins: a misbehaving raw peer is cut off, reported, and harmless.

Each case opens a raw TCP connection to a bound aiomsg PULL (that also has a good
aiomsg PUSH peer) and misbehaves. Expected every time: aiomsg closes the raw
connection, emits HANDSHAKE_FAILED or PROTOCOL_ERROR with a reason, logs a
WARNING on the "aiomsg" logger, raises nothing to the application, delivers
nothing from the bad peer, and keeps the good peer's messages flowing.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from dataclasses import dataclass

import pytest
from helpers import (
    GREETING,
    assert_nothing_received,
    command,
    frame,
    greeting,
    loop_errors,
    message,
    prop,
    pubsub_sync,
    raw_connect,
    raw_handshake,
    read_frame,
    read_until_closed,
    ready,
    wait_event,
    wait_handshakes,
)

import aiomsg

FAILURES = (aiomsg.Event.HANDSHAKE_FAILED, aiomsg.Event.PROTOCOL_ERROR)
EVIL = message(b"evil")


@dataclass
class Case:
    data: bytes
    events: tuple[aiomsg.Event, ...] = FAILURES


def _ready_body(*props: bytes) -> bytes:
    return command(b"READY", b"".join(props))


CASES = {
    # (a) not ZMTP at all
    "http-request": Case(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" + EVIL),
    "zeros": Case(b"\x00" * 64 + EVIL),
    # (b) wrong greetings
    "major-2": Case(greeting(major=2) + ready(b"PUSH") + EVIL),
    "major-1-zmtp2": Case(b"\xff" + b"\x00" * 7 + b"\x01\x7f" + b"\x01\x08" + b"\x00\x00" + EVIL),
    "zmtp1-unversioned": Case(b"\x01\x00" + b"\x05\x00evil"),
    "mechanism-plain": Case(greeting(b"PLAIN") + ready(b"PUSH") + EVIL),
    "mechanism-curve": Case(greeting(b"CURVE") + ready(b"PUSH") + EVIL),
    "mechanism-lowercase": Case(greeting(b"null") + ready(b"PUSH") + EVIL),
    "mechanism-space-padded": Case(
        GREETING[:12] + b"NULL".ljust(20, b" ") + GREETING[32:] + ready(b"PUSH") + EVIL
    ),
    # (c) valid greeting, incompatible or bogus Socket-Type
    "socket-type-sub": Case(
        GREETING + ready(b"SUB") + EVIL,
        (*FAILURES, aiomsg.Event.PEER_REFUSED),
    ),
    "socket-type-pull": Case(
        GREETING + ready(b"PULL") + EVIL,
        (*FAILURES, aiomsg.Event.PEER_REFUSED),
    ),
    "socket-type-lowercase": Case(
        GREETING + ready(b"push") + EVIL,
        (*FAILURES, aiomsg.Event.PEER_REFUSED),
    ),
    "socket-type-unknown": Case(
        GREETING + ready(b"STREAM") + EVIL,
        (*FAILURES, aiomsg.Event.PEER_REFUSED),
    ),
    # (d) frames over maxmsgsize (1000 on the PULL)
    "frame-over-maxmsgsize": Case(GREETING + ready(b"PUSH") + frame(b"x" * 2000)),
    "multipart-frame-over-maxmsgsize": Case(
        GREETING + ready(b"PUSH") + frame(b"ok", more=True) + frame(b"x" * 2000)
    ),
    "huge-declared-size": Case(
        GREETING + ready(b"PUSH") + b"\x02" + (1 << 40).to_bytes(8, "big") + b"abc"
    ),
    "huge-declared-command": Case(GREETING + b"\x06" + (1 << 40).to_bytes(8, "big") + b"\x05READY"),
    # (e) malformed READY
    "ready-truncated-value": Case(
        GREETING + _ready_body(b"\x0bSocket-Type" + (8).to_bytes(4, "big") + b"PU") + EVIL
    ),
    "ready-truncated-name": Case(
        GREETING + _ready_body(prop(b"Socket-Type", b"PUSH"), b"\x10Ident") + EVIL
    ),
    "ready-trailing-byte": Case(
        GREETING + _ready_body(prop(b"Socket-Type", b"PUSH"), b"\x00") + EVIL
    ),
    "ready-empty-command-name": Case(GREETING + frame(b"\x00", command=True) + EVIL),
    "ready-name-length-overflows": Case(GREETING + frame(b"\x09READY", command=True) + EVIL),
    # other handshake violations
    "data-frame-instead-of-ready": Case(GREETING + EVIL + ready(b"PUSH") + EVIL),
    "error-command": Case(GREETING + command(b"ERROR", b"\x04nope") + EVIL),
    "hello-command-under-null": Case(GREETING + command(b"HELLO", b"\x00\x00") + EVIL),
    "ping-before-ready": Case(GREETING + command(b"PING", b"\x00\x00") + ready(b"PUSH") + EVIL),
}


async def _setup(
    ctx: aiomsg.Context, **pull_options: object
) -> tuple[aiomsg.Socket, aiomsg.Monitor, str, aiomsg.Socket]:
    pull = ctx.socket(aiomsg.PULL, maxmsgsize=1000, **pull_options)
    mon = pull.monitor()
    ep = await pull.bind("tcp://127.0.0.1:*")
    good = ctx.socket(aiomsg.PUSH)
    good_mon = good.monitor()
    await good.connect(ep)
    await wait_handshakes(good_mon)
    async with asyncio.timeout(5):
        await good.send(b"good before")
        assert await pull.recv_multipart() == [b"good before"]
    return pull, mon, ep, good


async def _check_survived(pull: aiomsg.Socket, good: aiomsg.Socket) -> None:
    async with asyncio.timeout(5):
        await good.send_multipart([b"good", b"after"])
        assert await pull.recv_multipart() == [b"good", b"after"]
    await assert_nothing_received(pull, 0.2)


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
async def test_bad_peer_is_disconnected(
    ctx: aiomsg.Context, caplog: pytest.LogCaptureFixture, case: Case
) -> None:
    caplog.set_level(logging.WARNING, logger="aiomsg")
    with loop_errors() as errors:
        pull, mon, ep, good = await _setup(ctx)
        reader, writer = await raw_connect(ep)
        try:
            writer.write(case.data)
            await read_until_closed(reader)
            ev = await wait_event(mon, *case.events)
            assert ev.reason, ev
        finally:
            writer.close()
        await _check_survived(pull, good)
    assert any(
        r.levelno == logging.WARNING and r.name.startswith("aiomsg") for r in caplog.records
    ), caplog.records
    assert not errors, errors


async def test_silent_peer_times_out_in_handshake(
    ctx: aiomsg.Context, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="aiomsg")
    with loop_errors() as errors:
        pull, mon, ep, good = await _setup(ctx, handshake_ivl=200)
        reader, writer = await raw_connect(ep)
        try:
            writer.write(GREETING[:11])  # a valid start, then nothing more
            await read_until_closed(reader, timeout=3)
            ev = await wait_event(mon, aiomsg.Event.HANDSHAKE_FAILED)
            assert ev.reason
        finally:
            writer.close()
        await _check_survived(pull, good)
    assert any(r.levelno == logging.WARNING for r in caplog.records)
    assert not errors, errors


async def test_frame_over_maxmsgsize_after_good_frames(
    ctx: aiomsg.Context, caplog: pytest.LogCaptureFixture
) -> None:
    """Messages before the oversized frame may be delivered; nothing after it is."""
    caplog.set_level(logging.WARNING, logger="aiomsg")
    with loop_errors() as errors:
        pull, mon, ep, good = await _setup(ctx)
        reader, writer = await raw_handshake(ep, b"PUSH")
        try:
            writer.write(message(b"raw ok", b"x" * 1000))
            async with asyncio.timeout(5):
                assert await pull.recv_multipart() == [b"raw ok", b"x" * 1000]
            writer.write(frame(b"y" * 1001) + EVIL)
            await read_until_closed(reader)
            ev = await wait_event(mon, aiomsg.Event.PROTOCOL_ERROR)
            assert ev.reason
        finally:
            writer.close()
        await _check_survived(pull, good)
    assert any(r.levelno == logging.WARNING for r in caplog.records)
    assert not errors, errors


async def test_peer_leaving_in_the_middle_of_a_large_frame(ctx: aiomsg.Context) -> None:
    """A frame large enough to be read straight into its own buffer, cut off
    by the peer: nothing of it is delivered, the loss is reported, and the
    socket goes on reading its other peer (the direct read handed it back)."""
    with loop_errors() as errors:
        pull = ctx.socket(aiomsg.PULL)
        mon = pull.monitor()
        ep = await pull.bind("tcp://127.0.0.1:*")
        good = ctx.socket(aiomsg.PUSH)
        await good.connect(ep)
        _reader, writer = await raw_handshake(ep, b"PUSH")
        try:
            writer.write(message(b"before"))
            async with asyncio.timeout(5):
                assert await pull.recv_multipart() == [b"before"]
            body = b"b" * (4 << 20)
            writer.write(frame(b"head", more=True) + frame(body)[: 1 << 20])
            await writer.drain()
            writer.close()
            await wait_event(mon, aiomsg.Event.DISCONNECTED)
        finally:
            writer.close()
        await _check_survived(pull, good)
        async with asyncio.timeout(5):
            await good.send(body)
            assert await pull.recv() == body
    assert not errors, errors


async def test_valid_raw_peer_is_accepted(ctx: aiomsg.Context) -> None:
    """Control case: the raw helpers speak valid ZMTP, so the failures above are real."""
    pull, _mon, ep, good = await _setup(ctx)
    reader, writer = await raw_handshake(ep, b"PUSH")
    try:
        writer.write(message(b"raw", b"", b"hello") + command(b"UNKNOWN", b"ignored"))
        writer.write(command(b"PING", b"\x00\x00") + message(b"second"))
        async with asyncio.timeout(5):
            assert await pull.recv_multipart() == [b"raw", b"", b"hello"]
            assert await pull.recv_multipart() == [b"second"]
            # PING is answered with a PONG.
            flags, body = await read_frame(reader)
            assert flags & 0x04 and body.startswith(b"\x04PONG"), body
    finally:
        writer.close()
    await _check_survived(pull, good)


async def test_pub_survives_bad_subscriber(
    ctx: aiomsg.Context, caplog: pytest.LogCaptureFixture
) -> None:
    """A PUB fed garbage after a good handshake drops that peer and keeps publishing."""
    caplog.set_level(logging.WARNING, logger="aiomsg")
    pub = ctx.socket(aiomsg.PUB, maxmsgsize=100)
    mon = pub.monitor()
    ep = await pub.bind("tcp://127.0.0.1:*")
    sub = ctx.socket(aiomsg.SUB)
    await sub.connect(ep)
    sub.subscribe(b"")
    await pubsub_sync(pub, sub, b"sync")
    with loop_errors() as errors:
        reader, writer = await raw_handshake(ep, b"SUB")
        try:
            writer.write(command(b"SUBSCRIBE", b"") + frame(b"\x01" + b"z" * 500))
            await read_until_closed(reader)
            ev = await wait_event(mon, *FAILURES)
            assert ev.reason
        finally:
            writer.close()
        async with asyncio.timeout(5):
            await pub.send(b"still publishing")
            assert await sub.recv() == b"still publishing"
    assert any(r.levelno == logging.WARNING for r in caplog.records)
    assert not errors, errors


async def test_many_bad_connections_do_not_accumulate(ctx: aiomsg.Context) -> None:
    pull, _mon, ep, good = await _setup(ctx)
    for _ in range(20):
        reader, writer = await raw_connect(ep)
        writer.write(b"garbage!" * 8)
        try:
            await read_until_closed(reader)
        finally:
            writer.close()
    await _check_survived(pull, good)
    assert pull.peer_count == 1


async def test_udp_dish_drops_bad_datagrams_and_keeps_serving(ctx: aiomsg.Context) -> None:
    """Empty, truncated (the length byte runs past the end) and oversized
    datagrams from a raw UDP socket: reported, dropped, counted."""
    dish = ctx.socket(aiomsg.DISH)
    await dish.join("g")
    monitor = dish.monitor()
    endpoint = await dish.bind("udp://127.0.0.1:*")
    port = int(endpoint.rpartition(":")[2])
    bad = [b"", b"\x05abc", b"\xff" + b"x" * 10, b"\x01g" + b"x" * 8191]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as raw:
        for datagram in [*bad, b"\x01gok", b"\x80" + b"h" * 128 + b"long group"]:
            raw.sendto(datagram, ("127.0.0.1", port))
        async with asyncio.timeout(5):
            reasons = [(await monitor.wait_for(aiomsg.Event.PROTOCOL_ERROR)).reason for _ in bad]
            assert await dish.recv_with_group() == (b"ok", b"g")
    assert ["empty" in reasons[0], "shorter" in reasons[1], "shorter" in reasons[2],
            "over 8192" in reasons[3]] == [True] * 4  # fmt: skip
    assert dish.dropped == len(bad)
    # A 128-byte group (length byte 0x80) is read unsigned, as libzmq after 4.3.5.
    await dish.join(b"h" * 128)
    raw2 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with raw2:
        raw2.sendto(b"\x80" + b"h" * 128 + b"long group", ("127.0.0.1", port))
        got = await asyncio.wait_for(dish.recv_with_group(), 5)
    assert got == (b"long group", b"h" * 128)
