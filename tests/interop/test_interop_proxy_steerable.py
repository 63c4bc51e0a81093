"""The steerable proxy's control protocol against libzmq: pyzmq sockets steer
an aiomsg proxy, and an aiomsg socket steers libzmq's own zmq_proxy_steerable."""

from __future__ import annotations

import asyncio
import contextlib
import struct
import threading

import zmq
import zmq.asyncio

import aiomsg

from ._helpers import TIMEOUT


async def test_pyzmq_steers_an_aiomsg_proxy() -> None:
    """STATISTICS over a pyzmq REQ; PAUSE, RESUME, TERMINATE over a pyzmq PUB
    into a SUB control socket (as libzmq's own tests steer a proxy)."""
    zctx = zmq.asyncio.Context()
    try:
        async with aiomsg.Context() as ctx:
            frontend, backend = ctx.socket(aiomsg.PULL), ctx.socket(aiomsg.PUSH)
            stats_control, command_control = ctx.socket(aiomsg.REP), ctx.socket(aiomsg.SUB)
            command_control.subscribe(b"")
            front_ep = await frontend.bind("tcp://127.0.0.1:*")
            back_ep = await backend.bind("tcp://127.0.0.1:*")
            push, pull = zctx.socket(zmq.PUSH), zctx.socket(zmq.PULL)
            push.connect(front_ep)
            pull.connect(back_ep)
            commands = zctx.socket(zmq.PUB)
            commands.connect(await command_control.bind("tcp://127.0.0.1:*"))
            asker = zctx.socket(zmq.REQ)
            asker.connect(await stats_control.bind("tcp://127.0.0.1:*"))
            proxy = aiomsg.Proxy(frontend, backend, control=command_control)
            running = asyncio.ensure_future(proxy.run())
            async with asyncio.timeout(TIMEOUT):
                await command_control.wait_peers(1)
                await push.send(b"hello")
                assert await pull.recv() == b"hello"
                while not proxy.paused:  # a PUB drops until the SUB's subscription is in
                    await commands.send(b"PAUSE")
                    await asyncio.sleep(0.01)  # resend cadence, bounded by the timeout
                await commands.send(b"RESUME")
                await push.send(b"again")
                assert await pull.recv() == b"again"
                await commands.send(b"TERMINATE")
                await running
            stats = proxy.statistics()
            assert (stats.frontend_msgs_in, stats.frontend_bytes_in) == (2, 10)
            # STATISTICS over REQ/REP, as libzmq answers it: 8 uint64 frames.
            second = aiomsg.Proxy(frontend, backend, control=stats_control)
            running = asyncio.ensure_future(second.run())
            async with asyncio.timeout(TIMEOUT):
                await push.send_multipart([b"x", b"yz"])
                assert await pull.recv_multipart() == [b"x", b"yz"]
                await asker.send(b"STATISTICS")
                frames = await asker.recv_multipart()
                await asker.send(b"TERMINATE")  # no reply, as libzmq's
                await running
            assert [struct.unpack("=Q", frame)[0] for frame in frames] == [2, 3, 0, 0, 0, 0, 2, 3]
    finally:
        zctx.destroy(linger=0)


async def test_aiomsg_steers_libzmqs_proxy() -> None:
    """The reply we produce has libzmq's shape: compare with libzmq's own."""
    zctx = zmq.Context()
    frontend, backend, control = (zctx.socket(kind) for kind in (zmq.PULL, zmq.PUSH, zmq.REP))
    front_port = frontend.bind_to_random_port("tcp://127.0.0.1")
    back_port = backend.bind_to_random_port("tcp://127.0.0.1")
    control_port = control.bind_to_random_port("tcp://127.0.0.1")
    def serve() -> None:
        with contextlib.suppress(zmq.ContextTerminated):
            zmq.proxy_steerable(frontend, backend, None, control)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        async with aiomsg.Context() as ctx:
            push, pull = ctx.socket(aiomsg.PUSH), ctx.socket(aiomsg.PULL)
            await push.connect(f"tcp://127.0.0.1:{front_port}")
            await pull.connect(f"tcp://127.0.0.1:{back_port}")
            asker = ctx.socket(aiomsg.REQ, linger=0)
            await asker.connect(f"tcp://127.0.0.1:{control_port}")
            async with asyncio.timeout(TIMEOUT):
                await push.send_multipart([b"a", b"bc"])
                assert await pull.recv_multipart() == [b"a", b"bc"]
                await asker.send(b"STATISTICS")
                frames = await asker.recv_multipart()
                await asker.send(b"TERMINATE")  # libzmq's proxy returns; no reply
                await asyncio.to_thread(thread.join, TIMEOUT)
            assert not thread.is_alive()
            expected = aiomsg.ProxyStatistics(2, 3, 0, 0, 0, 0, 2, 3).frames()
            assert frames == expected  # each frame counts as a message, as libzmq counts
    finally:
        zctx.destroy(linger=0)  # ends zmq.proxy_steerable (ETERM)
        thread.join(TIMEOUT)
