"""Several tasks on one socket: what is safe, and that it stays safe.

Whole-message calls are atomic, so any number of tasks may share a socket.
A message built or read frame by frame (``SNDMORE``, ``recv()`` with
``rcvmore``) belongs to the task that started it: other tasks' frames never
get mixed into it.
"""

from __future__ import annotations

import asyncio

from helpers import recv_n, yield_loop

import aiomsg


async def _pair(ctx: aiomsg.Context, name: str) -> tuple[aiomsg.Socket, aiomsg.Socket]:
    push, pull = ctx.socket(aiomsg.PUSH), ctx.socket(aiomsg.PULL)
    await push.connect(await pull.bind(f"inproc://shared-{name}"))
    return push, pull


async def test_sndmore_messages_of_two_tasks_do_not_interleave(ctx: aiomsg.Context) -> None:
    push, pull = await _pair(ctx, "sndmore")

    async def build(name: bytes) -> None:
        for number in range(3):
            await push.send(name, aiomsg.SNDMORE)
            await yield_loop()  # the other task sends its own frames in between
            await push.send(b"%d" % number, aiomsg.SNDMORE)
            await yield_loop()
            await push.send(b"end of " + name)

    async with asyncio.timeout(5):
        await asyncio.gather(build(b"a"), build(b"b"))
        messages = await recv_n(pull, 6)
    for name in (b"a", b"b"):
        assert [m for m in messages if m[0] == name] == [
            [name, b"%d" % n, b"end of " + name] for n in range(3)
        ]


async def test_frames_received_one_by_one_stay_with_their_task(ctx: aiomsg.Context) -> None:
    push, pull = await _pair(ctx, "rcvmore")

    async def take() -> list[bytes]:
        frames = [await pull.recv()]
        await yield_loop()  # another task receives meanwhile
        while pull.rcvmore:
            frames.append(await pull.recv())
            await yield_loop()
        return frames

    async with asyncio.timeout(5):
        for number in range(4):
            await push.send_multipart([b"head %d" % number, b"middle", b"tail %d" % number])
        results = await asyncio.gather(*(take() for _ in range(4)))
    assert sorted(results) == [[b"head %d" % n, b"middle", b"tail %d" % n] for n in range(4)]


async def test_recv_multipart_takes_the_rest_of_this_tasks_message(ctx: aiomsg.Context) -> None:
    push, pull = await _pair(ctx, "rest")

    async def started_with_recv() -> list[bytes]:
        head = await pull.recv()
        await yield_loop()
        return [head, *await pull.recv_multipart()]

    async with asyncio.timeout(5):
        await push.send_multipart([b"1", b"2", b"3"])
        await push.send_multipart([b"4", b"5"])
        mine = asyncio.create_task(started_with_recv())
        await yield_loop()
        other = await pull.recv_multipart()
        assert await mine == [b"1", b"2", b"3"]
    assert other == [b"4", b"5"]


async def test_whole_messages_from_many_tasks(ctx: aiomsg.Context) -> None:
    push, pull = await _pair(ctx, "whole")

    async def send(name: bytes) -> None:
        for number in range(50):
            await push.send_multipart([name, b"%d" % number])

    async with asyncio.timeout(10):
        await asyncio.gather(*(send(b"task %d" % n) for n in range(4)))
        messages = await recv_n(pull, 200)
    for n in range(4):
        name = b"task %d" % n
        assert [m[1] for m in messages if m[0] == name] == [b"%d" % i for i in range(50)]
