"""aiomsg.proxy: a broker between a frontend and a backend socket."""

from __future__ import annotations

import asyncio
import contextlib
import re

import pytest

import aiomsg


async def _serve(rep: aiomsg.Socket, name: bytes) -> None:
    while True:
        request = await rep.recv()
        await rep.send(name + b":" + request)


async def test_router_dealer_broker(ctx: aiomsg.Context) -> None:
    frontend = ctx.socket(aiomsg.ROUTER)
    backend = ctx.socket(aiomsg.DEALER)
    front_ep = await frontend.bind("tcp://127.0.0.1:*")
    back_ep = await backend.bind("tcp://127.0.0.1:*")
    workers = [ctx.socket(aiomsg.REP) for _ in range(2)]
    for worker in workers:
        await worker.connect(back_ep)
    clients = [ctx.socket(aiomsg.REQ) for _ in range(3)]
    for client in clients:
        await client.connect(front_ep)
    tasks = [
        asyncio.create_task(aiomsg.proxy(frontend, backend)),
        *(asyncio.create_task(_serve(w, b"w%d" % i)) for i, w in enumerate(workers)),
    ]
    try:
        async with asyncio.timeout(5):
            for round_ in range(3):
                for i, client in enumerate(clients):
                    await client.send(b"c%d-%d" % (i, round_))
                for i, client in enumerate(clients):
                    worker, _, body = (await client.recv()).partition(b":")
                    assert body == b"c%d-%d" % (i, round_)
                    assert worker in (b"w0", b"w1")
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def test_pull_push_proxy_with_capture(ctx: aiomsg.Context) -> None:
    frontend = ctx.socket(aiomsg.PULL)
    backend = ctx.socket(aiomsg.PUSH)
    capture = ctx.socket(aiomsg.PUSH)
    front_ep = await frontend.bind("tcp://127.0.0.1:*")
    back_ep = await backend.bind("tcp://127.0.0.1:*")
    cap_ep = await capture.bind("tcp://127.0.0.1:*")
    producer = ctx.socket(aiomsg.PUSH)
    consumer = ctx.socket(aiomsg.PULL)
    tap = ctx.socket(aiomsg.PULL)
    await producer.connect(front_ep)
    await consumer.connect(back_ep)
    await tap.connect(cap_ep)
    task = asyncio.create_task(aiomsg.proxy(frontend, backend, capture))
    try:
        async with asyncio.timeout(5):
            for i in range(5):
                await producer.send_multipart([b"job", b"%d" % i])
            for i in range(5):
                assert await consumer.recv_multipart() == [b"job", b"%d" % i]
                assert await tap.recv_multipart() == [b"job", b"%d" % i]
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_proxy_between_sockets_that_cannot_pass_messages(ctx: aiomsg.Context) -> None:
    pub, push = ctx.socket(aiomsg.PUB), ctx.socket(aiomsg.PUSH)
    with pytest.raises(aiomsg.NotSupported):
        await aiomsg.proxy(pub, push)


@pytest.mark.parametrize(
    ("frontend", "backend", "fix"),
    [
        (aiomsg.PUSH, aiomsg.PULL, "proxy(PULL, PUSH)"),
        (aiomsg.PUB, aiomsg.SUB, "proxy(SUB, PUB)"),
    ],
)
async def test_proxy_with_sides_swapped_names_the_fix(
    ctx: aiomsg.Context, frontend: aiomsg.SocketType, backend: aiomsg.SocketType, fix: str
) -> None:
    # Messages flow from the frontend to the backend: a frontend that cannot
    # receive would make a proxy that runs for ever doing nothing useful.
    with pytest.raises(aiomsg.NotSupported, match=re.escape(fix)):
        await aiomsg.proxy(ctx.socket(frontend), ctx.socket(backend))
