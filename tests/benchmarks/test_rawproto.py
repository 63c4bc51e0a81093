"""The raw-asyncio baseline delivers what it was given: sizes across the
small/large boundary, split reads, fan-out to several streams, fan-in to
one router, and REQ/REP."""

from __future__ import annotations

import asyncio

import pytest

from bench import rawproto

pytestmark = pytest.mark.timeout(30)

SIZES = [0, 1, 16, 1024, rawproto.BIG_MESSAGE - 5, rawproto.BIG_MESSAGE, 300_000, 3 << 20]


def body(size: int, seed: int) -> bytes:
    pattern = bytes((seed + i) % 251 for i in range(251))
    return (pattern * (size // 251 + 1))[:size]


async def test_push_pull_sizes_round_trip_intact() -> None:
    server = await rawproto.start_raw_server("tcp://127.0.0.1:*", hwm=4)
    client = await rawproto.open_raw_connection(server.address, hwm=4)
    receiver = await server.first_stream()
    sent = [body(size, seed) for seed, size in enumerate(SIZES * 3)]

    async def produce() -> None:
        for message in sent:
            await client.send(message)
        client.flush()

    producing = asyncio.ensure_future(produce())
    got = [bytes(await asyncio.wait_for(receiver.recv(), 10)) for _ in sent]
    await producing
    assert [len(m) for m in got] == [len(m) for m in sent]
    assert got == sent
    await client.close()
    server.close()


async def test_many_small_messages_keep_order_under_flow_control() -> None:
    server = await rawproto.start_raw_server("tcp://127.0.0.1:*", hwm=10)
    client = await rawproto.open_raw_connection(server.address, hwm=10)
    receiver = await server.first_stream()
    count = 5000

    async def produce() -> None:
        for i in range(count):
            await client.send(i.to_bytes(4, "big"))

    producing = asyncio.ensure_future(produce())
    for i in range(count):
        assert int.from_bytes(await asyncio.wait_for(receiver.recv(), 10), "big") == i
    await producing
    await client.close()
    server.close()


async def test_publisher_frames_once_and_every_stream_gets_everything() -> None:
    server = await rawproto.start_raw_server("tcp://127.0.0.1:*")
    subs = [await rawproto.open_raw_connection(server.address) for _ in range(3)]
    for _ in range(100):  # bounded: wait until all three are accepted
        if len(server.streams) == 3 and all(s.connected.done() for s in server.streams):
            break
        await asyncio.sleep(0.01)
    publisher = rawproto.RawPublisher(server)
    messages = [body(size, i) for i, size in enumerate([16, 200, 100_000] * 50)]
    for message in messages:
        await publisher.send(message)
    for stream in server.streams:
        stream.flush()
    for sub in subs:
        got = [bytes(await asyncio.wait_for(sub.recv(), 10)) for _ in messages]
        assert got == messages
        await sub.close()
    server.close()


async def test_router_takes_every_message_from_its_streams_in_turn() -> None:
    server = await rawproto.start_raw_server("tcp://127.0.0.1:*", hwm=4, kind=rawproto.RawRouter)
    assert isinstance(server, rawproto.RawRouter)
    peers = [await rawproto.open_raw_connection(server.address, hwm=4) for _ in range(3)]
    count = 200  # each; far above hwm, so reading pauses and resumes on every stream
    for index, peer in enumerate(peers):
        for i in range(count):
            await peer.send(b"%d:%d" % (index, i))
        peer.flush()
    for _ in range(1000):  # bounded: until every stream has paused reading, hwm reached
        if len(server.streams) == 3 and all(len(s._inbound) >= 4 for s in server.streams):
            break
        await asyncio.sleep(0.01)
    else:
        pytest.fail("the three streams never each held a high-water mark of messages")
    got: dict[rawproto.RawStream, list[bytes]] = {}
    order = []
    for _ in range(3 * count):
        stream, message = await asyncio.wait_for(server.recv(), 10)
        got.setdefault(stream, []).append(message)
        order.append(int(message.split(b":")[0]))
    assert len(got) == 3
    for messages in got.values():
        index = messages[0].split(b":")[0]
        assert messages == [b"%s:%d" % (index, i) for i in range(count)]  # per-peer order
    # In turn: all three had messages queued, so one from each, then the same order again.
    assert sorted(order[:3]) == [0, 1, 2] and order[3:6] == order[:3]
    for peer in peers:
        await peer.close()
    server.close()


async def test_request_reply_flushes_before_waiting() -> None:
    server = await rawproto.start_raw_server("tcp://127.0.0.1:*")
    client = await rawproto.open_raw_connection(server.address)
    replier = await server.first_stream()

    async def echo() -> None:
        for _ in range(50):
            await replier.send(await replier.recv())

    echoing = asyncio.ensure_future(echo())
    for i in range(50):
        await client.send(b"ping %d" % i)
        # No explicit flush: recv() must push the request out before it waits.
        assert await asyncio.wait_for(client.recv(), 5) == b"ping %d" % i
    await echoing
    await client.close()
    server.close()


async def test_channel_keeps_order_and_parks_each_side_at_its_bound() -> None:
    """RawChannel (the inproc row's ceiling): the sender parks once *hwm*
    messages wait, the receiver while none does; nothing lost or reordered."""
    channel = rawproto.RawChannel(hwm=3)
    for i in range(3):
        await channel.send(b"%d" % i)
    parked = asyncio.ensure_future(channel.send(b"3"))
    await asyncio.sleep(0)
    assert not parked.done()  # full: waits for the receiver
    assert await channel.recv() == b"0"
    await asyncio.wait_for(parked, 10)
    assert [await channel.recv() for _ in range(3)] == [b"1", b"2", b"3"]
    waiting = asyncio.ensure_future(channel.recv())
    await asyncio.sleep(0)
    assert not waiting.done()  # empty: waits for the sender
    await channel.send(b"4")
    assert await asyncio.wait_for(waiting, 10) == b"4"
    count = 5000

    async def produce() -> None:
        for i in range(count):
            await channel.send(i.to_bytes(4, "big"))

    producing = asyncio.ensure_future(produce())
    for i in range(count):
        assert int.from_bytes(await asyncio.wait_for(channel.recv(), 10), "big") == i
    await producing
    with pytest.raises(ValueError):
        rawproto.RawChannel(hwm=0)
