"""The Lazy Pirate recipe and the last value cache, run as real processes."""

from __future__ import annotations

import asyncio

import zmq
import zmq.asyncio

from ._runner import Examples, free_ports, lines_after


def test_lazy_pirate_client_retries_until_answered(examples: Examples) -> None:
    (port,) = free_ports(1)
    examples.start("lazy_pirate.py", "server", "--port", port, "--lose", 3)
    client = examples.start("lazy_pirate.py", "client", "--port", port, "--requests", 5)
    output = examples.finish(client)
    # Every request answered once, by the reply to its latest try.
    assert lines_after("reply: ", output) == [f"ok request {n}" for n in range(1, 6)]
    assert "no reply to request 3 (try 1), retrying" in output


def test_lazy_pirate_client_gives_up_without_a_server(examples: Examples) -> None:
    (port,) = free_ports(1)
    output = examples.finish(examples.start("lazy_pirate.py", "client", "--port", port))
    assert lines_after("reply: ", output) == []
    assert output.count("retrying") == 3
    assert "server seems to be offline, giving up" in output


async def test_last_value_cache_serves_a_late_pyzmq_subscriber(examples: Examples) -> None:
    front, back = (f"tcp://127.0.0.1:{port}" for port in free_ports(2))
    examples.start("lvcache.py", "--frontend", front, "--backend", back)
    zctx = zmq.asyncio.Context()
    try:
        pub = zctx.socket(zmq.PUB)
        pub.connect(front)
        first = zctx.socket(zmq.SUB)
        first.subscribe(b"A")
        first.connect(back)
        async with asyncio.timeout(15):
            while True:  # until the whole chain is up (bounded by the timeout)
                await pub.send_multipart([b"A", b"42"])
                try:
                    await asyncio.wait_for(first.recv_multipart(), 0.1)
                    break
                except TimeoutError:
                    continue
            # One last value, received by the first subscriber: nothing is in flight.
            await pub.send_multipart([b"A", b"43"])
            while await first.recv_multipart() != [b"A", b"43"]:
                pass
            late = zctx.socket(zmq.SUB)
            late.subscribe(b"A")
            late.connect(back)
            # Nothing else is published: only the cache can answer.
            assert await late.recv_multipart() == [b"A", b"43"]
    finally:
        zctx.destroy(linger=0)
