"""Single-frame messages queued as their bytes, and every take of them.

A pipe queues a received message as delivered (``transports.interface.
Delivered``): tcp, ipc and inproc deliver a message of one frame as that
frame's ``bytes`` (no list for the garbage collector to traverse while it
waits), and a transport written outside aiomsg may deliver lists. Each test below drives single-frame and multipart
messages, in both forms, through one way of taking them (recv, recv_multipart,
recv_many, poll then recv, the park step, ROUTER, SUB, REQ/REP, DISH, the
single-frame types) and checks what is queued, so that a single-frame tcp
or inproc message wrapped in a list again fails here.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest

import aiomsg
from aiomsg._pool.pipe import Pipe
from aiomsg._pool.strategies.distribute import Distribute
from aiomsg._pool.strategies.groups import GroupDistribute, JoinedGroups, TrackGroups
from aiomsg._pool.strategies.raw import StampRoutingId
from aiomsg._pool.strategies.single_frame import SingleFrames
from aiomsg._pool.strategies.subscriptions import (
    ForwardSubscriptions,
    InvertedMatch,
    Subscriptions,
    TrackSubscribers,
    parse_subscription,
)
from aiomsg.transports import (
    Binding,
    Connector,
    Endpoint,
    Engine,
    Message,
    PipeEnd,
    Transport,
    register_transport,
)

# One frame, several, an empty one, two bytes (a bytes of length 2 is not a
# pair of frames), a long one, a long one in a multipart message.
MIXED = [[b"one"], [b"a", b"b"], [b""], [b"xy"], [b"L" * 300], [b"M" * 300, b"m"]]
TRANSPORTS = ["tcp", "inproc", "lists"]
_names = itertools.count()


# -- a transport written outside aiomsg that delivers lists ------------------------


class _ListLink:
    """Hands each message over as a fresh list, through deliver_many: what a
    transport that parses its own wire and knows nothing of Delivered does."""

    def __init__(self) -> None:
        # Not named ``peer``: a link's ``peer`` is the pipe an inproc-like
        # link hands messages to, which the sending pipe would then append
        # to itself, past try_send (see transports.interface.Link).
        self.other: PipeEnd | None = None

    @property
    def writable(self) -> bool:
        return self.other is not None

    def try_send(self, message: Message) -> bool:
        if self.other is None:
            return False
        self.other.deliver_many([list(message)])
        return True

    def send_subscription(self, topic: bytes, subscribe: bool) -> None:
        if self.other is not None:
            self.other.deliver_subscription(topic, subscribe)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def close(self, reason: str) -> None:
        pass

    def abort(self, reason: str) -> None:
        pass

    @property
    def pending_output(self) -> int:
        return 0


class _ListBinding(Binding):
    def __init__(self, bound: dict[str, Engine], name: str) -> None:
        self.endpoint, self._bound, self._name = f"lists://{name}", bound, name

    def stop_accepting(self) -> None:
        self._bound.pop(self._name, None)

    def close(self) -> None:
        self.stop_accepting()


class _ListConnector(Connector):
    def __init__(self, engine: Engine, binder: Engine, endpoint: str, pipe: PipeEnd) -> None:
        self.pipe = pipe
        ours, theirs = _ListLink(), _ListLink()
        properties = {b"Socket-Type": engine.socket_type.wire_name, b"Identity": engine.identity}
        their_pipe = binder.peer_ready(None, theirs, endpoint, "lists", properties)
        assert their_pipe is not None
        # Linked both ways before our side is ready: what it sends on
        # linking (a SUB's subscriptions) reaches the other side.
        ours.other, theirs.other = their_pipe, pipe
        binder_properties = {b"Socket-Type": binder.socket_type.wire_name}
        assert engine.peer_ready(pipe, ours, endpoint, "lists", binder_properties) is pipe

    def close(self) -> None:
        pass


class _Bound:
    def __init__(self) -> None:
        self.engines: dict[str, Engine] = {}


class _ListTransport(Transport):
    async def bind(self, engine: Engine, endpoint: Endpoint) -> Binding:
        bound = engine.transport_state(_Bound).engines
        bound[endpoint.address] = engine
        return _ListBinding(bound, endpoint.address)

    def connect(self, engine: Engine, endpoint: Endpoint, pipe: PipeEnd) -> Connector:
        binder = engine.transport_state(_Bound).engines[endpoint.address]
        return _ListConnector(engine, binder, endpoint.text, pipe)


@pytest.fixture(autouse=True, scope="module")
def _lists_transport() -> None:
    register_transport("lists", _ListTransport())


# -- helpers -------------------------------------------------------------------------


def _endpoint(transport: str) -> str:
    if transport == "tcp":
        return "tcp://127.0.0.1:*"
    return f"{transport}://single-frame-{next(_names)}"


async def _linked(
    ctx: aiomsg.Context, transport: str, bound: int, connected: int, **options: Any
) -> tuple[aiomsg.Socket, aiomsg.Socket]:
    server = ctx.socket(bound, **options)
    client = ctx.socket(connected, **options)
    endpoint = await server.bind(_endpoint(transport))
    await client.connect(endpoint)
    await client.wait_peers()
    await server.wait_peers()
    return server, client


def _queued(sock: aiomsg.Socket) -> list[Any]:
    return [message for pipe in sock._pool.pipes for message in pipe.inbound]


async def _until_queued(sock: aiomsg.Socket, count: int) -> list[Any]:
    """What *sock* has queued, once that is *count* messages (bounded by the
    caller's timeout)."""
    while len(_queued(sock)) < count:
        await asyncio.sleep(0)
    return _queued(sock)


def _expected_queue(transport: str, messages: list[list[bytes]]) -> list[Any]:
    """tcp and inproc queue a single-frame message as its bytes; a transport
    that delivers lists, as lists."""
    if transport != "lists":
        return [m[0] if len(m) == 1 else m for m in messages]
    return messages


def _check_queue(transport: str, queued: list[Any], messages: list[list[bytes]]) -> None:
    assert queued == _expected_queue(transport, messages)
    for item, message in zip(queued, messages, strict=True):
        single = transport != "lists" and len(message) == 1
        assert type(item) is (bytes if single else list), (transport, item)


async def _take(sock: aiomsg.Socket, api: str) -> list[bytes]:
    """One whole message through *api*; every multipart API hands out a list."""
    if api == "recv":
        frames = [await sock.recv()]
        while sock.rcvmore:
            frames.append(await sock.recv())
        return frames
    if api == "poll":
        assert await sock.poll(5000) == aiomsg.POLLIN
        message = sock.recv_multipart_nowait()
    elif api == "nowait":
        message = sock.recv_multipart_nowait()
    elif api == "recv_many":
        (message,) = await sock.recv_many(1)
    else:
        message = await sock.recv_multipart()
    assert type(message) is list and all(type(f) is bytes for f in message)
    return message


# -- the plain take paths --------------------------------------------------------------


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("api", ["recv", "recv_multipart", "recv_many", "poll", "nowait"])
async def test_every_take_hands_out_both_forms(
    ctx: aiomsg.Context, transport: str, api: str
) -> None:
    async with asyncio.timeout(10):
        pull, push = await _linked(ctx, transport, aiomsg.PULL, aiomsg.PUSH)
        for message in MIXED:
            await push.send_multipart(message)
        _check_queue(transport, await _until_queued(pull, len(MIXED)), MIXED)
        assert [await _take(pull, api) for _ in MIXED] == MIXED
        assert not _queued(pull)
        if api == "nowait":
            return
        # None waiting: the park step, then one message of each form arrives.
        for message in ([b"late"], [b"p", b"q"]):
            parked = asyncio.ensure_future(_take(pull, api))
            await asyncio.sleep(0)
            assert not parked.done()
            await push.send_multipart(message)
            assert await parked == message


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_recv_many_hands_out_a_run_of_both_forms_as_lists(
    ctx: aiomsg.Context, transport: str
) -> None:
    # FairQueue.recv_many's run (one pipe) and its turns (two pipes).
    async with asyncio.timeout(10):
        pull, push = await _linked(ctx, transport, aiomsg.PULL, aiomsg.PUSH)
        other = ctx.socket(aiomsg.PUSH)
        await other.connect(pull.last_endpoint.decode())
        await other.wait_peers()
        for message in MIXED:
            await push.send_multipart(message)
            await other.send_multipart([b"o", *message])
        await _until_queued(pull, 2 * len(MIXED))
        got: list[list[bytes]] = []
        while len(got) < 2 * len(MIXED):
            got += await pull.recv_many(4)
        assert all(type(message) is list for message in got)
        assert [m for m in got if m[0] != b"o"] == MIXED
        assert [m[1:] for m in got if m[0] == b"o"] == MIXED


async def test_tcp_single_frames_reach_recv_as_the_bytes_queued(ctx: aiomsg.Context) -> None:
    # recv() hands out the queued object itself: no list made, no copy.
    async with asyncio.timeout(10):
        pull, push = await _linked(ctx, "tcp", aiomsg.PULL, aiomsg.PUSH)
        await push.send(b"x" * 100)
        (queued,) = await _until_queued(pull, 1)
        assert type(queued) is bytes
        assert await pull.recv() is queued


async def test_curve_tcp_queues_single_frames_as_bytes(ctx: aiomsg.Context) -> None:
    if not aiomsg.has_curve():
        pytest.skip("no CURVE")
    public, secret = aiomsg.curve_keypair()
    _, client_secret = aiomsg.curve_keypair()
    pull = ctx.socket(aiomsg.PULL, curve_server=True, curve_secretkey=secret)
    push = ctx.socket(aiomsg.PUSH, curve_serverkey=public, curve_secretkey=client_secret)
    async with asyncio.timeout(10):
        await push.connect(await pull.bind("tcp://127.0.0.1:*"))
        await push.wait_peers()
        for message in MIXED:
            await push.send_multipart(message)
        _check_queue("tcp", await _until_queued(pull, len(MIXED)), MIXED)
        assert [await pull.recv_multipart() for _ in MIXED] == MIXED


# -- the socket types that look into a message -----------------------------------------


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("api", ["recv", "recv_multipart", "recv_many", "poll"])
async def test_router_prefixes_the_routing_id_to_both_forms(
    ctx: aiomsg.Context, transport: str, api: str
) -> None:
    router = ctx.socket(aiomsg.ROUTER)
    dealer = ctx.socket(aiomsg.DEALER, identity=b"dealer")
    async with asyncio.timeout(10):
        await dealer.connect(await router.bind(_endpoint(transport)))
        await router.wait_peers()
        for message in MIXED:
            await dealer.send_multipart(message)
        _check_queue(transport, await _until_queued(router, len(MIXED)), MIXED)
        assert [await _take(router, api) for _ in MIXED] == [[b"dealer", *m] for m in MIXED]
        parked = asyncio.ensure_future(_take(router, api))
        await asyncio.sleep(0)
        await dealer.send(b"late")
        assert await parked == [b"dealer", b"late"]


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("topic", [b"", b"k"])
async def test_sub_filters_both_forms_on_their_first_frame(
    ctx: aiomsg.Context, transport: str, topic: bytes
) -> None:
    sub = ctx.socket(aiomsg.SUB)
    pub = ctx.socket(aiomsg.PUB)
    sub.subscribe(topic)
    messages = [[b"k1"], [b"nope"], [b"k2", b"tail"], [b"k"], [b"x", b"k"], [b"k" * 300]]
    wanted = [m for m in messages if m[0].startswith(topic)]
    async with asyncio.timeout(10):
        await sub.connect(await pub.bind(_endpoint(transport)))
        await pub.wait_subscribed(topic)
        for message in messages:
            await pub.send_multipart(message)
        _check_queue(transport, await _until_queued(sub, len(wanted)), wanted)
        assert [await sub.recv_multipart() for _ in wanted] == wanted


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("via", ["recv", "poll"])
async def test_rep_drops_a_single_frame_request_in_either_form(
    ctx: aiomsg.Context, transport: str, via: str
) -> None:
    # A request of one frame has no envelope: dropped. As bytes, b"ab"
    # would otherwise look like one (b"ab".index(b"") is 0).
    rep = ctx.socket(aiomsg.REP)
    dealer = ctx.socket(aiomsg.DEALER)
    async with asyncio.timeout(10):
        await dealer.connect(await rep.bind(_endpoint(transport)))
        await rep.wait_peers()
        await dealer.send(b"ab")
        await dealer.send_multipart([b"", b"request"])
        _check_queue(transport, await _until_queued(rep, 2), [[b"ab"], [b"", b"request"]])
        if via == "poll":
            assert await rep.poll(5000) == aiomsg.POLLIN
            assert len(_queued(rep)) == 1  # has_in dropped the bare frame
        assert await rep.recv() == b"request"
        await rep.send(b"reply")
        assert await dealer.recv_multipart() == [b"", b"reply"]


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("via", ["recv", "poll"])
async def test_req_drops_a_single_frame_reply_in_either_form(
    ctx: aiomsg.Context, transport: str, via: str
) -> None:
    router = ctx.socket(aiomsg.ROUTER)
    req = ctx.socket(aiomsg.REQ, identity=b"req")
    async with asyncio.timeout(10):
        await req.connect(await router.bind(_endpoint(transport)))
        await router.wait_peers()
        await req.send(b"question")
        assert await router.recv_multipart() == [b"req", b"", b"question"]
        await router.send_multipart([b"req", b"xy"])  # no delimiter: dropped
        await router.send_multipart([b"req", b"", b"answer"])
        _check_queue(transport, await _until_queued(req, 2), [[b"xy"], [b"", b"answer"]])
        if via == "poll":
            assert await req.poll(5000) == aiomsg.POLLIN
            assert len(_queued(req)) == 1
        assert await req.recv() == b"answer"


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_dish_takes_group_pairs(ctx: aiomsg.Context, transport: str) -> None:
    dish = ctx.socket(aiomsg.DISH)
    radio = ctx.socket(aiomsg.RADIO)
    await dish.join(b"g")
    async with asyncio.timeout(10):
        await dish.connect(await radio.bind(_endpoint(transport)))
        await radio.wait_peers()
        await dish.wait_peers()
        while not radio._pool.sender._groups[radio._pool.pipes[0]]:  # type: ignore[union-attr]
            await asyncio.sleep(0)  # the JOIN on its way
        await radio.send(b"skipped", group=b"other")
        await radio.send(b"hello", group=b"g")
        await radio.send(b"", group=b"g")
        queued = await _until_queued(dish, 2)
        assert queued == [[b"g", b"hello"], [b"g", b""]]  # pairs: always lists
        assert await dish.recv_with_group() == (b"hello", b"g")
        assert await dish.recv_multipart() == [b""]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_single_frame_types_keep_one_frame_in_either_form(
    ctx: aiomsg.Context, transport: str
) -> None:
    server = ctx.socket(aiomsg.SERVER)
    client = ctx.socket(aiomsg.CLIENT)
    async with asyncio.timeout(10):
        await client.connect(await server.bind(_endpoint(transport)))
        await server.wait_peers()
        for body in (b"ab", b"", b"L" * 300):
            await client.send(body)
        queued = await _until_queued(server, 3)
        _check_queue(transport, queued, [[b"ab"], [b""], [b"L" * 300]])
        for body in (b"ab", b"", b"L" * 300):
            data, routing_id = await server.recv_from()
            assert data == body
        await server.send(b"back", routing_id=routing_id)
        assert await client.recv() == b"back"
    assert server.stats().dropped == 0


# -- the filters, given each form directly ---------------------------------------------


class _Pipe:
    """The little of a pipe the filters below read."""

    routing_id = b"rid"
    link = None
    peer_properties: dict[bytes, bytes] = {}


def _pipe() -> Pipe:
    return _Pipe()  # type: ignore[return-value]


def test_subscription_filters_read_the_first_frame_of_both_forms() -> None:
    subscriptions = Subscriptions()
    subscriptions.change(b"k", True)
    messages: list[Any] = [b"k1", [b"k2", b"x"], b"x", [b"x", b"k"], b"", [b"k"]]
    kept = [b"k1", [b"k2", b"x"], [b"k"]]
    assert [m for m in messages if subscriptions.filter(_pipe(), m) is not None] == kept
    assert subscriptions.filter_many(_pipe(), messages) == kept
    inverted = InvertedMatch(subscriptions)
    rest = [b"x", [b"x", b"k"], b""]
    assert [m for m in messages if inverted.filter(_pipe(), m) is not None] == rest
    assert inverted.filter_many(_pipe(), messages) == rest
    for message in (b"\x01topic", [b"\x01topic"], [b"\x01topic", b"more"]):
        assert parse_subscription(message) == (b"topic", True)
    assert parse_subscription(b"\x00t") == (b"t", False)
    assert parse_subscription(b"") is None and parse_subscription(b"data") is None


def test_publishers_read_subscriptions_in_both_forms() -> None:
    distribute = Distribute()
    pipe = Pipe(_Events(), "e", sndhwm=0, rcvhwm=0)
    distribute.attach(pipe)
    TrackSubscribers(distribute).filter(pipe, b"\x01a")
    TrackSubscribers(distribute).filter(pipe, [b"\x01b"])
    assert sorted(distribute.topics_of(pipe)) == [b"a", b"b"]
    forward = ForwardSubscriptions(distribute)
    assert forward.filter(pipe, b"plain data") == b"plain data"  # passed up as it came
    assert forward.filter(pipe, [b"plain", b"data"]) == [b"plain", b"data"]
    assert forward.filter(pipe, b"\x00a") is None
    assert list(distribute.topics_of(pipe)) == [b"b"]


class _Events:
    def pipe_readable(self, pipe: Pipe) -> None:
        pass

    def pipe_writable(self) -> None:
        pass


def test_group_filters_take_pairs_and_joins_in_both_forms() -> None:
    joined = JoinedGroups()
    joined.groups.add(b"ab")
    # Two bytes are one frame, not a [group, body] pair.
    assert joined.filter(_pipe(), b"ab") is None
    assert joined.filter(_pipe(), [b"ab"]) is None
    assert joined.dropped == 2
    assert joined.filter(_pipe(), [b"ab", b"body"]) == [b"ab", b"body"]
    distribute = GroupDistribute()
    pipe = Pipe(_Events(), "e", sndhwm=0, rcvhwm=0)
    distribute.attach(pipe)
    track = TrackGroups(distribute)
    assert track.filter(pipe, b"\x01g") is None
    assert track.filter(pipe, [b"\x01h"]) is None
    assert track.filter(pipe, [b"\x01i", b"more"]) is None  # not a JOIN
    assert distribute._groups[pipe] == {b"g", b"h"}


def test_single_frames_and_stream_stamps_take_both_forms() -> None:
    single = SingleFrames()
    assert single.filter(_pipe(), b"ab") == b"ab"
    assert single.filter(_pipe(), [b"ab"]) == [b"ab"]
    assert single.filter(_pipe(), [b"a", b"b"]) is None
    assert single.dropped == 1
    stamp = StampRoutingId()
    assert stamp.filter(_pipe(), b"data") == [b"rid", b"data"]
    assert stamp.filter(_pipe(), [b"data"]) == [b"rid", b"data"]
