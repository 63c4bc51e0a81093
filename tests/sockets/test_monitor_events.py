"""Monitor events carry libzmq's names and numbers, the handshake failure's
kind and value, and routing ids where sockets have them."""

from __future__ import annotations

import asyncio

import zmq
from helpers import wait_event, wait_handshakes

import aiomsg


def test_numbers_and_names_are_libzmqs() -> None:
    for event in aiomsg.ZmqEvent:
        assert event.value == getattr(zmq, f"EVENT_{event.name}"), event
    for event in aiomsg.Event:
        if event.zmq_event is not None:
            assert event.number == event.zmq_event.value
    assert aiomsg.Event.HANDSHAKE_FAILED.zmq_event is aiomsg.ZmqEvent.HANDSHAKE_FAILED_NO_DETAIL
    assert aiomsg.Event.CONNECTED.number == 1 and aiomsg.Event.HANDSHAKE_SUCCEEDED.number == 4096
    # aiomsg's own events have no libzmq number (libzmq reports only the DISCONNECTED).
    assert aiomsg.Event.HEARTBEAT_TIMEOUT.number == 0


async def test_routing_id_on_router_events(ctx: aiomsg.Context) -> None:
    router = ctx.socket(aiomsg.ROUTER)
    mon = router.monitor()
    dealer = ctx.socket(aiomsg.DEALER, identity=b"worker-1")
    await dealer.connect(await router.bind("tcp://127.0.0.1:*"))
    event = await wait_event(mon, aiomsg.Event.HANDSHAKE_SUCCEEDED)
    assert event.routing_id == b"worker-1"
    assert event.zmq_event is aiomsg.ZmqEvent.HANDSHAKE_SUCCEEDED
    await dealer.aclose(linger=0)
    assert (await wait_event(mon, aiomsg.Event.DISCONNECTED)).routing_id == b"worker-1"


async def test_protocol_and_auth_failures_have_their_kinds(ctx: aiomsg.Context) -> None:
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"\x00" * 64)
        await reader.read()

    server = await asyncio.start_server(garbage, "127.0.0.1", 0)
    async with server:
        port = server.sockets[0].getsockname()[1]
        dealer = ctx.socket(aiomsg.DEALER, reconnect_ivl=-1)
        mon = dealer.monitor()
        await dealer.connect(f"tcp://127.0.0.1:{port}")
        failed = await wait_event(mon, aiomsg.Event.HANDSHAKE_FAILED)
        assert failed.zmq_event is aiomsg.ZmqEvent.HANDSHAKE_FAILED_PROTOCOL
    # A PLAIN server with no authenticator refuses with 400 (as libzmq's ERROR).
    server_sock = ctx.socket(aiomsg.REP, plain_server=True)
    client = ctx.socket(aiomsg.REQ, plain_username="u", plain_password="p")
    server_mon, client_mon = server_sock.monitor(), client.monitor()
    await client.connect(await server_sock.bind("tcp://127.0.0.1:*"))
    for mon in (server_mon, client_mon):
        failed = await wait_event(mon, aiomsg.Event.HANDSHAKE_FAILED)
        assert failed.zmq_event is aiomsg.ZmqEvent.HANDSHAKE_FAILED_AUTH
        assert failed.value == 400


async def test_monitor_stopped_is_the_last_event(ctx: aiomsg.Context) -> None:
    pull = ctx.socket(aiomsg.PULL)
    mon = pull.monitor()
    await pull.bind("tcp://127.0.0.1:*")
    await pull.aclose()
    async with asyncio.timeout(5):
        events = [item async for item in mon]
    assert events[-1].event is aiomsg.Event.MONITOR_STOPPED
    assert events[-1].zmq_event is aiomsg.ZmqEvent.MONITOR_STOPPED


async def test_connect_delayed_then_connected(ctx: aiomsg.Context) -> None:
    pull = ctx.socket(aiomsg.PULL)
    push = ctx.socket(aiomsg.PUSH)
    mon = push.monitor()
    await push.connect(await pull.bind("tcp://127.0.0.1:*"))
    assert (await wait_event(mon, aiomsg.Event.CONNECT_DELAYED)).zmq_event == 2
    await wait_event(mon, aiomsg.Event.CONNECTED)
    await wait_handshakes(mon)
