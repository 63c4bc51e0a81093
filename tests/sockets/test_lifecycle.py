"""Socket life cycle: bind/connect order, reconnect, linger, close, context, iteration."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest
from helpers import (
    assert_nothing_received,
    free_tcp_endpoint,
    poll_until,
    recv_n,
    wait_event,
    wait_handshakes,
)

import aiomsg

# ---------------------------------------------------------------- bind/connect order


async def test_connect_before_bind_push_first(ctx: aiomsg.Context) -> None:
    ep = free_tcp_endpoint()
    push = ctx.socket(aiomsg.PUSH, reconnect_ivl=10)
    await push.connect(ep)  # nothing listens there yet
    async with asyncio.timeout(5):
        await push.send(b"early")  # queued for the endpoint
    pull = ctx.socket(aiomsg.PULL)
    assert await pull.bind(ep) == ep
    async with asyncio.timeout(5):
        assert await pull.recv() == b"early"


async def test_connect_before_bind_pull_first(ctx: aiomsg.Context) -> None:
    ep = free_tcp_endpoint()
    pull = ctx.socket(aiomsg.PULL, reconnect_ivl=10)
    await pull.connect(ep)
    push = ctx.socket(aiomsg.PUSH)
    assert await push.bind(ep) == ep
    async with asyncio.timeout(5):
        await push.send(b"late")
        assert await pull.recv() == b"late"


async def test_connect_returns_at_once_and_retries(ctx: aiomsg.Context) -> None:
    push = ctx.socket(aiomsg.PUSH, reconnect_ivl=10)
    mon = push.monitor()
    ep = free_tcp_endpoint()
    async with asyncio.timeout(1):
        await push.connect(ep)
    # It keeps trying in the background.
    async with asyncio.timeout(5):
        for _ in range(3):
            ev = await mon.wait_for(aiomsg.Event.CONNECT_RETRIED)
            assert ev.endpoint == ep


async def test_bind_returns_resolved_endpoint(ctx: aiomsg.Context) -> None:
    pull = ctx.socket(aiomsg.PULL)
    for pattern in ("tcp://127.0.0.1:*", "tcp://127.0.0.1:0"):
        ep = await pull.bind(pattern)
        host, _, port = ep.rpartition(":")
        assert host == "tcp://127.0.0.1"
        assert 0 < int(port) < 65536


# ---------------------------------------------------------------- reconnect


async def test_reconnect_delivers_queued_messages_in_order(ctx: aiomsg.Context) -> None:
    pull1 = ctx.socket(aiomsg.PULL, linger=0)
    ep = await pull1.bind("tcp://127.0.0.1:*")
    push = ctx.socket(aiomsg.PUSH, reconnect_ivl=10)
    mon = push.monitor()
    await push.connect(ep)
    await wait_handshakes(mon)
    async with asyncio.timeout(5):
        await push.send(b"before")
        assert await pull1.recv() == b"before"
        await pull1.aclose()
    await wait_event(mon, aiomsg.Event.DISCONNECTED)

    async with asyncio.timeout(5):
        for i in range(50):
            await push.send(b"queued %d" % i)
    pull2 = ctx.socket(aiomsg.PULL)
    assert await pull2.bind(ep) == ep
    got = await recv_n(pull2, 50)
    assert got == [[b"queued %d" % i] for i in range(50)]
    await wait_handshakes(mon)


async def test_reconnect_queue_is_bounded_by_hwm(ctx: aiomsg.Context) -> None:
    pull1 = ctx.socket(aiomsg.PULL, linger=0)
    ep = await pull1.bind("tcp://127.0.0.1:*")
    push = ctx.socket(aiomsg.PUSH, reconnect_ivl=10, sndhwm=5)
    mon = push.monitor()
    await push.connect(ep)
    await wait_handshakes(mon)
    await pull1.aclose()
    await wait_event(mon, aiomsg.Event.DISCONNECTED)
    async with asyncio.timeout(5):
        for i in range(5):
            await push.send(b"%d" % i)
    with pytest.raises(aiomsg.Again):
        await push.send(b"over", flags=aiomsg.NOBLOCK)
    pull2 = ctx.socket(aiomsg.PULL)
    await pull2.bind(ep)
    assert await recv_n(pull2, 5) == [[b"%d" % i] for i in range(5)]


async def test_peer_count_follows_connections(ctx: aiomsg.Context) -> None:
    pull = ctx.socket(aiomsg.PULL)
    mon = pull.monitor()
    ep = await pull.bind("tcp://127.0.0.1:*")
    assert pull.peer_count == 0
    pushes = [ctx.socket(aiomsg.PUSH) for _ in range(2)]
    for push in pushes:
        await push.connect(ep)
    await wait_handshakes(mon, 2)
    assert pull.peer_count == 2
    await pushes[0].aclose()
    await wait_event(mon, aiomsg.Event.DISCONNECTED)
    await poll_until(lambda: pull.peer_count == 1)


# ---------------------------------------------------------------- linger


async def test_close_with_linger_zero_drops_queued_messages(ctx: aiomsg.Context) -> None:
    ep = free_tcp_endpoint()
    push = ctx.socket(aiomsg.PUSH, linger=0, reconnect_ivl=10)
    await push.connect(ep)
    async with asyncio.timeout(5):
        for i in range(3):
            await push.send(b"%d" % i)
    started = time.monotonic()
    async with asyncio.timeout(5):
        await push.aclose()
    assert time.monotonic() - started < 1.0
    pull = ctx.socket(aiomsg.PULL)
    await pull.bind(ep)
    await assert_nothing_received(pull, 0.3)


async def test_sync_close_with_linger_zero_argument(ctx: aiomsg.Context) -> None:
    ep = free_tcp_endpoint()
    push = ctx.socket(aiomsg.PUSH, reconnect_ivl=10)  # default linger: forever
    await push.connect(ep)
    async with asyncio.timeout(5):
        await push.send(b"dropped")
    push.close(linger=0)
    pull = ctx.socket(aiomsg.PULL)
    await pull.bind(ep)
    await assert_nothing_received(pull, 0.3)


async def test_aclose_lingers_until_queue_delivered(ctx: aiomsg.Context) -> None:
    ep = free_tcp_endpoint()
    push = ctx.socket(aiomsg.PUSH, linger=2000, reconnect_ivl=10)
    await push.connect(ep)
    async with asyncio.timeout(5):
        for i in range(5):
            await push.send_multipart([b"%d" % i, b"x" * 1000])
    closing = asyncio.create_task(push.aclose())
    done, _ = await asyncio.wait({closing}, timeout=0.1)
    assert not done, "aclose() must linger while messages are undelivered"
    pull = ctx.socket(aiomsg.PULL)
    await pull.bind(ep)
    async with asyncio.timeout(1.5):  # well before the 2 s linger expires
        await closing
    got = await recv_n(pull, 5)
    assert got == [[b"%d" % i, b"x" * 1000] for i in range(5)]


async def test_aclose_gives_up_after_linger(ctx: aiomsg.Context) -> None:
    ep = free_tcp_endpoint()
    push = ctx.socket(aiomsg.PUSH, linger=200, reconnect_ivl=10)
    await push.connect(ep)
    async with asyncio.timeout(5):
        await push.send(b"never delivered")
    started = time.monotonic()
    async with asyncio.timeout(3):
        await push.aclose()
    elapsed = time.monotonic() - started
    assert 0.15 <= elapsed < 2.0, elapsed


async def test_aclose_with_nothing_queued_is_quick(ctx: aiomsg.Context) -> None:
    pull = ctx.socket(aiomsg.PULL)
    ep = await pull.bind("tcp://127.0.0.1:*")
    push = ctx.socket(aiomsg.PUSH)  # default linger -1
    mon = push.monitor()
    await push.connect(ep)
    await wait_handshakes(mon)
    async with asyncio.timeout(5):
        await push.send(b"delivered")
        assert await pull.recv() == b"delivered"
    async with asyncio.timeout(2):
        await push.aclose()


# ---------------------------------------------------------------- no peer


@pytest.mark.parametrize("kind", ["PUSH", "DEALER", "REQ", "PAIR"])
async def test_send_without_peer_waits(ctx: aiomsg.Context, kind: str) -> None:
    sock = ctx.socket(getattr(aiomsg, kind))
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(sock.send(b"x"), 0.2)
    # The cancelled send left no trace: a REQ is still allowed to send.
    with pytest.raises(aiomsg.Again):
        await sock.send(b"x", flags=aiomsg.NOBLOCK)
    with pytest.raises(aiomsg.Again):
        sock.send_multipart_nowait([b"x", b"y"])
    with pytest.raises(aiomsg.Again):
        await sock.send_multipart([b"x", b"y"], flags=aiomsg.NOBLOCK)


@pytest.mark.parametrize("kind", ["PULL", "DEALER", "SUB", "PAIR", "ROUTER"])
async def test_recv_without_peer_waits(ctx: aiomsg.Context, kind: str) -> None:
    sock = ctx.socket(getattr(aiomsg, kind))
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(sock.recv(), 0.2)
    with pytest.raises(aiomsg.Again):
        await sock.recv(flags=aiomsg.NOBLOCK)
    with pytest.raises(aiomsg.Again):
        sock.recv_multipart_nowait()
    with pytest.raises(aiomsg.Again):
        await sock.recv_multipart(flags=aiomsg.NOBLOCK)


async def test_pub_send_without_peer_returns_at_once(ctx: aiomsg.Context) -> None:
    pub = ctx.socket(aiomsg.PUB)
    async with asyncio.timeout(1):
        for _ in range(1000):
            await pub.send(b"dropped")
        await pub.send(b"dropped", flags=aiomsg.NOBLOCK)
        pub.send_multipart_nowait([b"dropped"])


async def test_nowait_round_trip(ctx: aiomsg.Context) -> None:
    pull = ctx.socket(aiomsg.PULL)
    push = ctx.socket(aiomsg.PUSH)
    mon = push.monitor()
    ep = await pull.bind("tcp://127.0.0.1:*")
    await push.connect(ep)
    await wait_handshakes(mon)
    push.send_multipart_nowait([b"a", b"b"])
    async with asyncio.timeout(5):
        while True:
            try:
                assert pull.recv_multipart_nowait() == [b"a", b"b"]
                break
            except aiomsg.Again:
                # Poll a condition, bounded by the timeout; just lets I/O run.
                await asyncio.sleep(0.001)


# ---------------------------------------------------------------- closed socket


async def test_closed_socket_raises_closed(ctx: aiomsg.Context) -> None:
    push = ctx.socket(aiomsg.PUSH)
    pull = ctx.socket(aiomsg.PULL)
    push.close()
    await pull.aclose()
    async with asyncio.timeout(5):
        with pytest.raises(aiomsg.Closed):
            await push.send(b"x")
        with pytest.raises(aiomsg.Closed):
            await push.send_multipart([b"x"])
        with pytest.raises(aiomsg.Closed):
            push.send_multipart_nowait([b"x"])
        with pytest.raises(aiomsg.Closed):
            await pull.recv()
        with pytest.raises(aiomsg.Closed):
            await pull.recv_multipart()
        with pytest.raises(aiomsg.Closed):
            pull.recv_multipart_nowait()
        with pytest.raises(aiomsg.Closed):
            await push.bind("tcp://127.0.0.1:*")
        with pytest.raises(aiomsg.Closed):
            await pull.connect("tcp://127.0.0.1:1")
    # Closing again is harmless.
    push.close()
    await pull.aclose()


async def test_close_wakes_pending_recv_with_closed(ctx: aiomsg.Context) -> None:
    pull = ctx.socket(aiomsg.PULL)
    await pull.bind("tcp://127.0.0.1:*")
    pending = asyncio.create_task(pull.recv())
    done, _ = await asyncio.wait({pending}, timeout=0.05)
    assert not done
    pull.close()
    async with asyncio.timeout(5):
        with pytest.raises(aiomsg.Closed):
            await pending


async def test_close_releases_the_port(ctx: aiomsg.Context) -> None:
    pull = ctx.socket(aiomsg.PULL)
    ep = await pull.bind("tcp://127.0.0.1:*")
    await pull.aclose()
    again = ctx.socket(aiomsg.PULL)
    assert await again.bind(ep) == ep


async def test_closed_event_emitted(ctx: aiomsg.Context) -> None:
    pull = ctx.socket(aiomsg.PULL)
    mon = pull.monitor()
    await pull.bind("tcp://127.0.0.1:*")
    await pull.aclose()
    await wait_event(mon, aiomsg.Event.CLOSED)


# ---------------------------------------------------------------- endpoints


@pytest.mark.parametrize(
    "endpoint",
    ["tcp://nohostport", "bogus://x", "tcp://127.0.0.1:notaport", "", "tcp://127.0.0.1:99999"],
)
async def test_malformed_endpoint_raises_endpoint_error(ctx: aiomsg.Context, endpoint: str) -> None:
    sock = ctx.socket(aiomsg.PULL)
    for method in (sock.bind, sock.connect):
        with pytest.raises(aiomsg.EndpointError) as info:
            await method(endpoint)
        assert isinstance(info.value, ValueError)
        if endpoint:
            assert endpoint in str(info.value)


async def test_bind_address_in_use(ctx: aiomsg.Context) -> None:
    first = ctx.socket(aiomsg.PULL)
    ep = await first.bind("tcp://127.0.0.1:*")
    second = ctx.socket(aiomsg.PULL)
    with pytest.raises(aiomsg.AddressInUse) as info:
        await second.bind(ep)
    assert isinstance(info.value, aiomsg.EndpointError)
    assert ep in str(info.value)
    # The first binding is unharmed.
    push = ctx.socket(aiomsg.PUSH)
    await push.connect(ep)
    async with asyncio.timeout(5):
        await push.send(b"still here")
        assert await first.recv() == b"still here"


async def test_bind_address_in_use_same_socket(ctx: aiomsg.Context) -> None:
    sock = ctx.socket(aiomsg.PULL)
    ep = await sock.bind("tcp://127.0.0.1:*")
    with pytest.raises(aiomsg.AddressInUse):
        await sock.bind(ep)


# ---------------------------------------------------------------- API shapes


async def test_async_for_yields_lists_of_bytes(ctx: aiomsg.Context) -> None:
    pull = ctx.socket(aiomsg.PULL)
    push = ctx.socket(aiomsg.PUSH)
    ep = await pull.bind("tcp://127.0.0.1:*")
    await push.connect(ep)
    sent = [[b"one"], [b"two", b"parts"], [b""]]
    async with asyncio.timeout(5):
        for parts in sent:
            await push.send_multipart(parts)
        got = []
        async for parts in pull:
            assert isinstance(parts, list)
            assert all(isinstance(p, bytes) for p in parts)
            got.append(parts)
            if len(got) == len(sent):
                break
    assert got == sent


async def test_async_for_ends_when_socket_closes(ctx: aiomsg.Context) -> None:
    pull = ctx.socket(aiomsg.PULL)
    await pull.bind("tcp://127.0.0.1:*")

    async def consume() -> list[list[bytes]]:
        return [parts async for parts in pull]

    task = asyncio.create_task(consume())
    done, _ = await asyncio.wait({task}, timeout=0.05)
    assert not done
    pull.close()
    async with asyncio.timeout(5):
        # Either the iteration just ends, or it reports the close.
        with contextlib.suppress(aiomsg.Closed):
            assert await task == []


async def test_socket_context_manager_closes(ctx: aiomsg.Context) -> None:
    async with ctx.socket(aiomsg.PULL) as pull:
        ep = await pull.bind("tcp://127.0.0.1:*")
    with pytest.raises(aiomsg.Closed):
        await pull.recv()
    # Its port is free again.
    again = ctx.socket(aiomsg.PULL)
    assert await again.bind(ep) == ep


async def test_context_manager_closes_sockets() -> None:
    async with asyncio.timeout(5):
        async with aiomsg.Context() as context:
            push = context.socket(aiomsg.PUSH, linger=0)
            pull = context.socket(aiomsg.PULL)
            ep = await pull.bind("tcp://127.0.0.1:*")
            await push.connect(ep)
            await push.send(b"x")
            assert await pull.recv() == b"x"
    with pytest.raises(aiomsg.Closed):
        await push.send(b"x")
    with pytest.raises(aiomsg.Closed):
        await pull.recv()
    with pytest.raises(aiomsg.Closed):
        context.socket(aiomsg.PUSH)


async def test_context_destroy_and_term() -> None:
    context = aiomsg.Context()
    push = context.socket(aiomsg.PUSH)
    await push.connect(free_tcp_endpoint())
    async with asyncio.timeout(5):
        await push.send(b"undeliverable")
    context.destroy(linger=0)
    with pytest.raises(aiomsg.Closed):
        await push.send(b"x")
    async with asyncio.timeout(5):
        await context.term()


async def test_strings_round_trip(ctx: aiomsg.Context) -> None:
    pull = ctx.socket(aiomsg.PULL)
    push = ctx.socket(aiomsg.PUSH)
    ep = await pull.bind("tcp://127.0.0.1:*")
    await push.connect(ep)
    async with asyncio.timeout(5):
        await push.send_string("héllo wörld ✓")
        assert await pull.recv_string() == "héllo wörld ✓"
        await push.send_string("")
        assert await pull.recv() == b""


async def test_rcvmore_and_sndmore(ctx: aiomsg.Context) -> None:
    pull = ctx.socket(aiomsg.PULL)
    push = ctx.socket(aiomsg.PUSH)
    ep = await pull.bind("tcp://127.0.0.1:*")
    await push.connect(ep)
    async with asyncio.timeout(5):
        await push.send(b"a", flags=aiomsg.SNDMORE)
        await push.send(b"b", flags=aiomsg.SNDMORE)
        await push.send(b"c")
        await push.send(b"single")
        assert await pull.recv() == b"a"
        assert pull.rcvmore
        assert await pull.recv() == b"b"
        assert pull.rcvmore
        assert await pull.recv() == b"c"
        assert not pull.rcvmore
        assert await pull.recv_multipart() == [b"single"]
        assert not pull.rcvmore


async def test_sndmore_message_is_sent_only_when_complete(ctx: aiomsg.Context) -> None:
    pull = ctx.socket(aiomsg.PULL)
    push = ctx.socket(aiomsg.PUSH)
    mon = push.monitor()
    ep = await pull.bind("tcp://127.0.0.1:*")
    await push.connect(ep)
    await wait_handshakes(mon)
    async with asyncio.timeout(5):
        await push.send(b"head", flags=aiomsg.SNDMORE)
    await assert_nothing_received(pull, 0.2)
    async with asyncio.timeout(5):
        await push.send(b"tail")
        assert await pull.recv_multipart() == [b"head", b"tail"]


# ---------------------------------------------------------------- monitor


async def test_monitor_reports_connection_life_cycle(ctx: aiomsg.Context) -> None:
    pull = ctx.socket(aiomsg.PULL)
    push = ctx.socket(aiomsg.PUSH)
    pull_mon = pull.monitor()
    push_mon = push.monitor()
    ep = await pull.bind("tcp://127.0.0.1:*")
    ev = await wait_event(pull_mon, aiomsg.Event.LISTENING)
    assert ev.endpoint == ep
    await push.connect(ep)
    ev = await wait_event(push_mon, aiomsg.Event.CONNECTED)
    assert ev.endpoint == ep
    ev = await wait_event(push_mon, aiomsg.Event.HANDSHAKE_SUCCEEDED)
    assert ev.endpoint == ep
    ev = await wait_event(pull_mon, aiomsg.Event.ACCEPTED)
    assert ev.endpoint == ep and ev.peer
    ev = await wait_event(pull_mon, aiomsg.Event.HANDSHAKE_SUCCEEDED)
    assert ev.endpoint == ep
    await push.aclose()
    ev = await wait_event(push_mon, aiomsg.Event.CLOSED)
    await wait_event(pull_mon, aiomsg.Event.DISCONNECTED)
    # The monitor of a closed socket ends its iteration.
    async with asyncio.timeout(5):
        rest = [e.event async for e in push_mon]
    assert aiomsg.Event.HANDSHAKE_SUCCEEDED not in rest


async def test_two_monitors_see_the_same_events(ctx: aiomsg.Context) -> None:
    pull = ctx.socket(aiomsg.PULL)
    first = pull.monitor()
    second = pull.monitor()
    ep = await pull.bind("tcp://127.0.0.1:*")
    assert (await wait_event(first, aiomsg.Event.LISTENING)).endpoint == ep
    assert (await wait_event(second, aiomsg.Event.LISTENING)).endpoint == ep


# ---------------------------------------------------------------- Ctrl-C, cancellation, loops


async def _cancel_once_with_a_message_queued(
    block: Callable[[], contextlib.AbstractAsyncContextManager[Any]], queue_on: Callable[[Any], Any]
) -> None:
    """Enter *block*, queue a message for a peer that never comes on the
    socket ``queue_on(entered)`` (linger -1), cancel once: the block must end
    at once, as after one Ctrl-C; a normal exit would wait for ever."""
    started = asyncio.Event()

    async def main() -> None:
        async with block() as entered:
            sock = queue_on(entered)
            await sock.connect(free_tcp_endpoint())
            await sock.send(b"for nobody")
            started.set()
            await asyncio.Event().wait()

    task = asyncio.create_task(main())
    async with asyncio.timeout(5):
        await started.wait()
    task.cancel()
    # One cancellation is enough: nothing else may cancel it again.
    await asyncio.wait({task}, timeout=2)
    assert task.cancelled()


async def test_context_left_by_cancellation_closes_at_once() -> None:
    await _cancel_once_with_a_message_queued(
        aiomsg.Context, lambda context: context.socket(aiomsg.PUSH)
    )


async def test_socket_left_by_cancellation_closes_at_once(ctx: aiomsg.Context) -> None:
    await _cancel_once_with_a_message_queued(
        lambda: ctx.socket(aiomsg.DEALER), lambda dealer: dealer
    )
    assert not ctx.sockets


async def test_term_waits_for_sockets_closed_earlier(ctx: aiomsg.Context) -> None:
    # The classic ending, sock.close() then ctx.term(): term() waits for the
    # socket that is already closed but still lingering.
    context = aiomsg.Context()
    pull = ctx.socket(aiomsg.PULL)
    endpoint = free_tcp_endpoint()
    push = context.socket(aiomsg.PUSH)
    await push.connect(endpoint)
    await push.send(b"flushed on term")
    push.close()
    assert push.lingering
    term = asyncio.create_task(context.term())
    await asyncio.sleep(0)  # term() is now waiting (a yield, not a timed wait)
    assert not term.done()
    await pull.bind(endpoint)
    async with asyncio.timeout(5):
        assert await pull.recv() == b"flushed on term"
        await term
    assert not push.lingering


CTRL_C_PROGRAM = """
import asyncio
import aiomsg

async def main():
    async with aiomsg.Context() as ctx:
        push = ctx.socket(aiomsg.PUSH)
        await push.connect({endpoint!r})  # nobody ever binds it
        await push.send(b"queued for a peer that never comes")
        print("ready", flush=True)
        await asyncio.Event().wait()

try:
    aiomsg.run(main())
except KeyboardInterrupt:
    print("interrupted", flush=True)
"""


def test_one_ctrl_c_ends_a_program_with_messages_queued() -> None:
    program = CTRL_C_PROGRAM.format(endpoint=free_tcp_endpoint())
    process = subprocess.Popen(
        [sys.executable, "-c", program], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline() == b"ready\n"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=5)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert out == b"interrupted\n", err
    assert process.returncode == 0
    assert b"Traceback" not in err


def test_socket_used_under_a_second_event_loop_says_so() -> None:
    # A socket's connections live on the loop that made them: under a second
    # asyncio.run() it would wait for ever. It says so instead.
    context = aiomsg.Context()
    pull = context.socket(aiomsg.PULL)
    asyncio.run(pull.bind("tcp://127.0.0.1:*"))

    async def second_run() -> None:
        with pytest.raises(aiomsg.InvalidState, match="event loop"):
            async with asyncio.timeout(5):
                await pull.recv()
        with pytest.raises(aiomsg.InvalidState, match="event loop"):
            await pull.bind("tcp://127.0.0.1:*")
        context.destroy(linger=0)

    asyncio.run(second_run())


@pytest.mark.parametrize("failure", ["again", "cancelled"])
async def test_failed_final_send_abandons_the_whole_sndmore_message(
    ctx: aiomsg.Context, failure: str
) -> None:
    """As the FAQ says: when the send that completes a SNDMORE message fails,
    the earlier frames go too, so starting again from the first frame sends
    exactly the message intended, never [head, head, body]."""
    push = ctx.socket(aiomsg.PUSH)
    if failure == "again":
        await push.send(b"head", flags=aiomsg.SNDMORE)
        with pytest.raises(aiomsg.Again):
            await push.send(b"body", flags=aiomsg.NOBLOCK)  # no peer yet
    else:
        # The frames belong to the task that sends them: build and cancel in one.
        async def build() -> None:
            await push.send(b"head", flags=aiomsg.SNDMORE)
            await push.send(b"body")

        final = asyncio.ensure_future(build())
        await asyncio.sleep(0)  # let it park: there is no peer yet
        assert not final.done()
        final.cancel()
        with pytest.raises(asyncio.CancelledError):
            await final
    pull = ctx.socket(aiomsg.PULL)
    await pull.bind("inproc://abandoned-sndmore")
    await push.connect("inproc://abandoned-sndmore")
    async with asyncio.timeout(5):
        await push.send(b"head", flags=aiomsg.SNDMORE)
        await push.send(b"body")
        assert await pull.recv_multipart() == [b"head", b"body"]
