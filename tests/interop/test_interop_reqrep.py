"""REQ/REP, REQ/ROUTER, DEALER/REP and DEALER/ROUTER between aiomsg and libzmq (pyzmq).

Every test runs for each role assignment (``libs``), each side binding (``binder``),
tcp and ipc (``transport``), and both event loops.
"""

from __future__ import annotations

import asyncio

import pytest
import zmq

from ._helpers import TIMEOUT, roles

pytestmark = pytest.mark.interop

ROUNDS = 5


@roles("REQ", "REP")
async def test_req_rep(net, libs, binder):
    req, rep = await net.pair(("REQ", "REP"), libs, binder)
    async with asyncio.timeout(TIMEOUT):
        for i in range(ROUNDS):
            await req.send_multipart([b"request %d" % i, b"second frame"])
            assert await rep.recv_multipart() == [b"request %d" % i, b"second frame"]
            await rep.send_multipart([b"reply %d" % i])
            assert await req.recv_multipart() == [b"reply %d" % i]


@roles("REQ", "ROUTER")
async def test_req_router(net, libs, binder):
    req, router = await net.pair(("REQ", "ROUTER"), libs, binder)
    async with asyncio.timeout(TIMEOUT):
        ids = set()
        for i in range(ROUNDS):
            await req.send_multipart([b"hello %d" % i])
            rid, delimiter, body = await router.recv_multipart()
            assert (delimiter, body) == (b"", b"hello %d" % i)
            assert rid
            ids.add(rid)
            await router.send_multipart([rid, b"", b"world %d" % i])
            assert await req.recv_multipart() == [b"world %d" % i]
        assert len(ids) == 1  # one peer, one routing id


@roles("DEALER", "REP")
async def test_dealer_rep(net, libs, binder):
    dealer, rep = await net.pair(("DEALER", "REP"), libs, binder)
    async with asyncio.timeout(TIMEOUT):
        # Pipelined: a DEALER need not wait for replies; REP serves them one by one.
        for i in range(ROUNDS):
            await dealer.send_multipart([b"", b"q%d" % i])
        for i in range(ROUNDS):
            assert await rep.recv_multipart() == [b"q%d" % i]
            await rep.send_multipart([b"a%d" % i])
        for i in range(ROUNDS):
            assert await dealer.recv_multipart() == [b"", b"a%d" % i]


@pytest.mark.parametrize("identity", [b"dealer-1", None], ids=["identity", "generated-id"])
@roles("DEALER", "ROUTER")
async def test_dealer_router(net, libs, binder, identity):
    dealer_opts = {"identity": identity} if identity else {}
    dealer, router = await net.pair(("DEALER", "ROUTER"), libs, binder, opts=(dealer_opts, {}))
    async with asyncio.timeout(TIMEOUT):
        await dealer.send_multipart([b"ping"])
        rid, body = await router.recv_multipart()
        assert body == b"ping"
        if identity:
            assert rid == identity
        elif libs[1] == "zmq":
            assert len(rid) == 5 and rid[0] == 0  # libzmq: 00 + a big-endian uint32 counter
        else:
            assert rid
        for frames in ([b"pong"], [b"", b"a", b"", b""], [b""]):
            await router.send_multipart([rid, *frames])
            assert await dealer.recv_multipart() == frames
            await dealer.send_multipart(frames)
            assert await router.recv_multipart() == [rid, *frames]


@roles("ROUTER", "DEALER")
async def test_router_many_dealers(net, libs, binder):
    """One ROUTER, three DEALERs with identities: requests fair-queued, replies routed by id.
    Whichever library binds: the ROUTER binds and the DEALERs connect, or vice versa."""
    router_lib, dealer_lib = libs
    router = net.socket(router_lib, "ROUTER")
    ids = [b"dealer-%d" % i for i in range(3)]
    dealers = [net.socket(dealer_lib, "DEALER", identity=i) for i in ids]
    if binder == router_lib:
        await net.link(router, dealers)
    else:
        for dealer in dealers:
            await net.link(dealer, [router])
    async with asyncio.timeout(TIMEOUT):
        for rid, dealer in zip(ids, dealers, strict=True):
            await dealer.send_multipart([b"from " + rid])
        requests = [await router.recv_multipart() for _ in ids]
        assert sorted(requests) == [[rid, b"from " + rid] for rid in ids]
        for rid in reversed(ids):
            await router.send_multipart([rid, b"to " + rid])
        for rid, dealer in zip(ids, dealers, strict=True):
            assert await dealer.recv_multipart() == [b"to " + rid]


@pytest.mark.parametrize("kind", ["REP", "ROUTER"])
async def test_zmq_req_correlate_relaxed(net, binder, kind):
    """A libzmq REQ with REQ_CORRELATE + REQ_RELAXED puts a 4-byte request id before the
    delimiter; aiomsg REP/ROUTER must hand it back untouched. The stale reply is dropped."""
    opts = {"req_correlate": 1, "req_relaxed": 1}
    req, rep = await net.pair(("REQ", kind), ("zmq", "aiomsg"), binder, opts=(opts, {}))
    async with asyncio.timeout(TIMEOUT):
        await req.send_multipart([b"first"])
        await req.send_multipart([b"second"])  # allowed by REQ_RELAXED
        for body in (b"first", b"second"):
            request = await rep.recv_multipart()
            if kind == "REP":
                assert request == [body]
            else:
                _rid, request_id, delimiter, got = request
                assert (len(request_id), delimiter, got) == (4, b"", body)
            await rep.send_multipart([*request[:-1], b"re: " + body])
        while True:
            try:
                reply = await req.recv_multipart()
                break
            except zmq.Again:  # libzmq signals POLLIN for the stale reply, then drops it
                continue
        assert reply == [b"re: second"]


async def test_zmq_probe_router(net, binder):
    """A libzmq DEALER with PROBE_ROUTER sends an empty message on connect."""
    dealer, router = await net.pair(
        ("DEALER", "ROUTER"), ("zmq", "aiomsg"), binder, opts=({"probe_router": 1}, {})
    )
    async with asyncio.timeout(TIMEOUT):
        # A bound libzmq socket attaches a new peer (and sends the probe) only when touched.
        reply = asyncio.ensure_future(dealer.recv_multipart())
        rid, probe = await router.recv_multipart()
        assert probe == b""
        await router.send_multipart([rid, b"hello"])
        assert await reply == [b"hello"]
