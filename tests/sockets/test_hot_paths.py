"""Both copies of each inlined hot-path step, driven on purpose.

``Socket.send()`` and ``Socket.recv()`` inline their take-now step
(``_send_now``/``_recv_now``), and ``Pipe.offer`` inlines ``Pipe.queue``
for unfiltered pipes. Each test below runs the inlined copy and the
original through the same situations: a message waiting, none waiting (the
park step), more than the fairness yield interval in a row, and a full peer.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import aiomsg
from aiomsg.transports._peer import PeerProtocol

# More than the fairness budget (256 small messages): the yield path runs twice.
MANY = 600


@pytest.mark.parametrize("api", ["recv", "recv_multipart"])
async def test_receive_take_now_park_and_yield(ctx: aiomsg.Context, api: str) -> None:
    pull, push = ctx.socket(aiomsg.PULL), ctx.socket(aiomsg.PUSH)
    await pull.bind("inproc://hot-recv")
    await push.connect("inproc://hot-recv")

    async def receive() -> bytes:
        if api == "recv":
            return await pull.recv()
        return (await pull.recv_multipart())[0]

    async with asyncio.timeout(10):
        # Waiting already: the take-now step, MANY times in a row.
        for number in range(MANY):
            await push.send(b"%d" % number)
        assert [await receive() for _ in range(MANY)] == [b"%d" % n for n in range(MANY)]
        # None waiting, MANY times: park, then one message arrives (a trickle).
        for number in range(MANY):
            parked = asyncio.ensure_future(receive())
            await asyncio.sleep(0)
            assert not parked.done()
            await push.send(b"%d" % number)
            assert await parked == b"%d" % number
        # None waiting: park, then a burst arrives while parked.
        for _ in range(3):
            parked = asyncio.ensure_future(receive())
            await asyncio.sleep(0)
            assert not parked.done()
            for number in range(MANY):
                await push.send(b"%d" % number)
            assert await parked == b"0"
            assert [await receive() for _ in range(MANY - 1)] == [
                b"%d" % n for n in range(1, MANY)
            ]


@pytest.mark.parametrize("api", ["send", "send_multipart"])
async def test_send_take_now_park_and_yield(ctx: aiomsg.Context, api: str) -> None:
    push = ctx.socket(aiomsg.PUSH, sndhwm=5)
    pull = ctx.socket(aiomsg.PULL, rcvhwm=5)

    async def send(body: bytes) -> None:
        if api == "send":
            await push.send(body)
        else:
            await push.send_multipart([body])

    await push.connect("inproc://hot-send")
    async with asyncio.timeout(10):
        # No peer yet: the take-now step queues up to the HWM, then parks.
        for number in range(5):
            await send(b"%d" % number)
        parked = asyncio.ensure_future(send(b"5"))
        await asyncio.sleep(0)
        assert not parked.done()
        await pull.bind("inproc://hot-send")
        await parked
        # MANY in a row against a reader: take-now, yield, and park on a full peer.
        sender = asyncio.ensure_future(
            asyncio.gather(*[send(b"%d" % n) for n in range(6, MANY)])
        )
        received = [await pull.recv() for _ in range(MANY)]
        await sender
    assert sorted(received, key=int) == [b"%d" % n for n in range(MANY)]
    assert received[:6] == [b"%d" % n for n in range(6)]


@pytest.mark.parametrize("socket_type", [aiomsg.PULL, aiomsg.SUB], ids=["plain", "filtered"])
async def test_inproc_offer_both_paths_with_flow_control(
    ctx: aiomsg.Context, socket_type: aiomsg.SocketType
) -> None:
    """PULL pipes take Pipe.offer's inlined queue; SUB pipes go through the
    filter and Pipe.queue. Both stop at rcvhwm and resume as the reader drains."""
    receiver = ctx.socket(socket_type, rcvhwm=10)
    sender = ctx.socket(aiomsg.PUSH if socket_type == aiomsg.PULL else aiomsg.PUB, sndhwm=1000)
    if socket_type == aiomsg.SUB:
        receiver.subscribe(b"")
    await receiver.bind("inproc://hot-offer")
    await sender.connect("inproc://hot-offer")
    async with asyncio.timeout(10):
        for number in range(MANY):
            await sender.send(b"%d" % number)
        received = [await receiver.recv() for _ in range(MANY)]
    assert received == [b"%d" % n for n in range(MANY)]


@pytest.mark.parametrize("socket_type", [aiomsg.PULL, aiomsg.SUB], ids=["plain", "filtered"])
async def test_tcp_deliver_many_both_paths_with_flow_control(
    ctx: aiomsg.Context, socket_type: aiomsg.SocketType
) -> None:
    """A tcp read's messages reach the pipe in one Pipe.deliver_many call:
    PULL pipes take its inlined queue, SUB pipes the filter and Pipe.queue.
    Both pause reading at rcvhwm and resume as the reader drains; multipart
    and single-frame messages (the codec's two parsing paths) keep their order."""
    receiver = ctx.socket(socket_type, rcvhwm=10)
    sender = ctx.socket(aiomsg.PUSH if socket_type == aiomsg.PULL else aiomsg.PUB, sndhwm=0)
    if socket_type == aiomsg.SUB:
        receiver.subscribe(b"k")
    endpoint = await receiver.bind("tcp://127.0.0.1:*")
    await sender.connect(endpoint)
    expected: list[list[bytes]] = []
    async with asyncio.timeout(10):
        if socket_type == aiomsg.SUB:
            await sender.wait_subscribed(b"k")
        else:
            await sender.wait_peers()
        for number in range(MANY * 4):
            if number % 3 == 0:
                message = [b"k%d" % number, b"", b"x" * (number % 300)]
            else:
                message = [b"k%d" % number]
            await sender.send_multipart(message)
            if socket_type == aiomsg.SUB and number % 7 == 0:
                await sender.send(b"not for us %d" % number)  # filtered out
            expected.append(message)
        received = [await receiver.recv_multipart() for _ in range(len(expected))]
    assert received == expected
    stats = receiver.stats()
    assert stats.in_msgs >= len(expected) and stats.queued_in == 0


async def test_tcp_deliver_many_conflate(ctx: aiomsg.Context) -> None:
    """A conflating pipe keeps only the newest message of a batch, whole."""
    pull = ctx.socket(aiomsg.PULL, conflate=True)
    push = ctx.socket(aiomsg.PUSH)
    endpoint = await pull.bind("tcp://127.0.0.1:*")
    await push.connect(endpoint)
    async with asyncio.timeout(10):
        await push.wait_peers()
        await push.send_many([[b"%d" % n, b"tail"] for n in range(100)])
        while pull.stats().in_msgs < 100:
            await asyncio.sleep(0.01)
        assert await pull.recv_multipart() == [b"99", b"tail"]
        assert pull.stats().queued_in == 0


@pytest.mark.parametrize("transport", ["inproc", "tcp"])
async def test_fan_out_inlined_send_and_pipe_send(ctx: aiomsg.Context, transport: str) -> None:
    """Distribute inlines Pipe.send for a subscriber whose link takes the
    message now; one whose link does not (not yet connected, or full) goes
    through Pipe.send: queued up to sndhwm, then dropped and counted. Each
    subscriber gets a list of its own."""
    # Enough for the slow subscriber's link to fill; it is then drained
    # slowly, so not more.
    PUBLISHED = 3000
    pub = ctx.socket(aiomsg.PUB, sndhwm=20)
    fast = ctx.socket(aiomsg.SUB, rcvhwm=0)
    slow = ctx.socket(aiomsg.SUB, rcvhwm=5)
    endpoint = await pub.bind("inproc://hot-fan" if transport == "inproc" else "tcp://127.0.0.1:*")
    for sub in (fast, slow):
        sub.subscribe(b"")
        await sub.connect(endpoint)
    async with asyncio.timeout(10):
        await pub.wait_subscribed(b"", 2)
        for number in range(PUBLISHED):
            await pub.send(b"%d" % number)
        got_fast = [await fast.recv_multipart() for _ in range(PUBLISHED)]
        assert got_fast == [[b"%d" % n] for n in range(PUBLISHED)]
        got_fast[0].append(b"changed")  # a list of its own
        # The slow subscriber's link filled: the rest went to Pipe.send,
        # which queued up to sndhwm and dropped (and counted) the others.
        while pub.stats().dropped == 0 and transport == "inproc":
            await asyncio.sleep(0.01)
        got_slow: list[list[bytes]] = []
        assert await slow.poll(5000)
        with pytest.raises(aiomsg.Again):
            while True:
                got_slow.append(await slow.recv_multipart(aiomsg.NOBLOCK))
                if len(got_slow) % 5 == 0:
                    # rcvhwm is 5: let the link resume reading and refill.
                    await asyncio.sleep(0.001)
    assert got_slow[0] == [b"0"]
    numbers = [int(message[0]) for message in got_slow]
    assert numbers == sorted(numbers)
    stats = pub.stats()
    assert stats.out_msgs + stats.dropped == 2 * PUBLISHED
    if transport == "inproc":
        assert stats.dropped > 0


async def test_tcp_read_through_a_filter_that_queues_keeps_order(ctx: aiomsg.Context) -> None:
    """XPUB's filter queues the subscriptions it passes up itself, so a read's
    messages go through it one at a time (filter_many says None): data and
    subscriptions stay in the order the XSUB sent them."""
    xpub = ctx.socket(aiomsg.XPUB, xpub_verbose=True)
    xsub = ctx.socket(aiomsg.XSUB)
    endpoint = await xpub.bind("tcp://127.0.0.1:*")
    await xsub.connect(endpoint)
    expected = []
    for number in range(MANY):
        expected.append([b"\x01t%d" % number])
        expected.append([b"data %d" % number])
    async with asyncio.timeout(10):
        await xsub.wait_peers()
        await xsub.send_many(expected)
        received = [await xpub.recv_multipart() for _ in range(len(expected))]
    assert received == expected


async def test_tcp_inverted_subscriptions_filter_a_read_at_once(ctx: aiomsg.Context) -> None:
    """SUB with invert_matching: its filter_many keeps what no topic prefixes."""
    sub = ctx.socket(aiomsg.SUB, invert_matching=True)
    pub = ctx.socket(aiomsg.PUB, invert_matching=True)
    sub.subscribe(b"skip")
    endpoint = await sub.bind("tcp://127.0.0.1:*")
    await pub.connect(endpoint)
    async with asyncio.timeout(10):
        await pub.wait_subscribed(b"keep")
        await pub.send_many([[b"skip %d" % n if n % 2 else b"keep %d" % n] for n in range(MANY)])
        await pub.send(b"keep end")
        received = []
        while not received or received[-1] != b"keep end":
            received.append(await sub.recv())
    assert received == [b"keep %d" % n for n in range(0, MANY, 2)] + [b"keep end"]


@pytest.mark.parametrize("in_place", [True, False], ids=["in place", "kept buffer"])
async def test_large_frames_are_read_directly_small_ones_are_not(
    ctx: aiomsg.Context, monkeypatch: pytest.MonkeyPatch, in_place: bool
) -> None:
    """A frame with at least a read's worth (256 KiB) still to come is read
    straight into its storage (PeerProtocol._read_body_directly): its own
    bytes, or where those cannot be filled in place a kept buffer; the
    others go through data_received. All give the same messages."""
    from aiomsg.transports._peer import PeerProtocol

    if not in_place:
        monkeypatch.setattr("aiomsg._zmtp.codec.fillable_bytes", lambda size: None)

    taken: list[int] = []
    direct = PeerProtocol._read_body_directly

    def counted(self: PeerProtocol) -> None:
        taken.append(self._codec.body_remaining)
        direct(self)

    monkeypatch.setattr(PeerProtocol, "_read_body_directly", counted)
    pull, push = ctx.socket(aiomsg.PULL), ctx.socket(aiomsg.PUSH)
    endpoint = await pull.bind("tcp://127.0.0.1:*")
    await push.connect(endpoint)
    small = [[b"%d" % n, b"s" * 1000] for n in range(MANY)]
    big = [b"big", b"B" * (4 << 20)]
    async with asyncio.timeout(10):
        for message in small:
            await push.send_multipart(message)
        assert [await pull.recv_multipart() for _ in small] == small
        assert taken == []
        await push.send_multipart(big)
        await push.send(b"after")
        assert await pull.recv_multipart() == big
        assert await pull.recv() == b"after"
    assert len(taken) == 1 and taken[0] >= 256 * 1024


@pytest.mark.parametrize("route", ["direct", "try_send"])
@pytest.mark.parametrize("mechanism", ["null", "plain", "curve"])
async def test_tcp_try_send_inlined_one_frame_and_the_codec(
    ctx: aiomsg.Context, mechanism: str, route: str
) -> None:
    """PeerProtocol.try_send encodes a message itself where the codec writes
    plain ZMTP frames (NULL, PLAIN): one frame or several (MORE on all but
    the last), short and long headers alike, an empty frame among them;
    for an encrypting codec (CURVE) it queues a one-frame message's body
    for the mechanism to seal with the others when the output is taken
    (ZmtpCodec.unsealed), and a multipart message goes through the codec's
    send_message, which seals those first. Lone messages (written at once) and streams
    (coalesced) arrive whole, in order, and counted.

    Its copy, PeerProtocol._send_direct (the link's direct sender), does
    the same: a PUSH with one peer calls it straight (*route* "direct");
    with two, LoadBalance calls each pipe's send, which calls try_send
    (round-robin: each peer gets every other message)."""
    if mechanism == "curve" and not aiomsg.has_curve():
        pytest.skip("no libsodium")
    server: dict[str, object] = {}
    client: dict[str, object] = {}
    if mechanism == "plain":
        server = {"plain_server": True}
        client = {"plain_username": b"user", "plain_password": b"secret"}
        authenticator = aiomsg.Authenticator(ctx)  # PLAIN needs one
        authenticator.configure_plain(passwords={"user": "secret"})
        authenticator.start()
    elif mechanism == "curve":
        public, secret = aiomsg.curve_keypair()
        client_public, client_secret = aiomsg.curve_keypair()
        server = {"curve_server": True, "curve_secretkey": secret}
        client = {
            "curve_serverkey": public,
            "curve_publickey": client_public,
            "curve_secretkey": client_secret,
        }
    pulls = [ctx.socket(aiomsg.PULL, rcvhwm=0, **server) for _ in range(1 + (route != "direct"))]
    push = ctx.socket(aiomsg.PUSH, sndhwm=0, **client)
    for pull in pulls:
        await push.connect(await pull.bind("tcp://127.0.0.1:*"))
    messages = []
    for number in range(MANY):
        body = b"%d-" % number + b"x" * (number % 7 * 100)  # under and over 255 bytes
        if number % 4:
            messages.append([body])
        elif number % 8:
            messages.append([b"%d" % number, body])
        else:  # a long frame before others, and an empty one
            messages.append([body, b"", b"%d" % number])
    # Past the flush threshold (256 KiB) within one tick, on each link.
    messages += [[b"%d-" % number * 100_000] for number in range(4)]
    async with asyncio.timeout(10):
        await push.wait_peers(len(pulls))
        links = [pipe.link for pipe in push._pool.pipes]
        if route == "direct":
            assert push._send_message == links[0]._send_direct  # type: ignore[union-attr]
        else:
            assert push._send_message == push._pool.sender.send  # type: ignore[union-attr]
        # Lone: one message, answered before the next.
        for number, message in enumerate(messages[:4]):
            await push.send_multipart(message)
            assert await pulls[number % len(pulls)].recv_multipart() == message
        # A stream: coalesced, tick after tick.
        for message in messages[4:]:
            await push.send_multipart(message)
        received = [
            await pulls[number % len(pulls)].recv_multipart()
            for number in range(4, len(messages))
        ]
    assert received == messages[4:]
    assert push.stats().out_msgs == len(messages)
    assert push.stats().out_bytes == sum(len(frame) for message in messages for frame in message)


@pytest.mark.parametrize("side", ["connect", "bind"])
async def test_tcp_direct_sender_falls_back_to_the_pipe(ctx: aiomsg.Context, side: str) -> None:
    """Over tcp, the one pipe's direct send is its link's direct sender
    (PeerProtocol._send_direct: Pipe.send with try_send inlined), on the
    connecting and the accepting side alike. While the link is not
    writable, it hands messages to Pipe.send: the backlog up to sndhwm,
    then Again, or a parked send; once writable the backlog goes first.
    With the link gone the pool names Pipe.send until a new connection
    links the pipe. Order and counts are those of Pipe.send throughout."""
    push = ctx.socket(aiomsg.PUSH, sndhwm=5)
    pull = ctx.socket(aiomsg.PULL, rcvhwm=0)
    events = push.monitor()
    if side == "connect":
        endpoint = await pull.bind("tcp://127.0.0.1:*")
        await push.connect(endpoint)
    else:
        endpoint = await push.bind("tcp://127.0.0.1:*")
        await pull.connect(endpoint)
    sent: list[bytes] = []

    async def send(body: bytes) -> None:
        await push.send(body)
        sent.append(body)

    async with asyncio.timeout(10):
        await push.wait_peers()
        pipe = push._pool.pipes[0]
        link = pipe.link
        assert isinstance(link, PeerProtocol)
        assert push._send_message == pipe.link_send == link._send_direct
        for number in range(3):
            await send(b"%d" % number)
        assert (pipe.out_msgs, len(pipe.backlog)) == (3, 0)
        # The transport asks us to stop writing: the pipe's backlog takes
        # what follows, up to sndhwm; then a send raises or parks.
        link.pause_writing()
        for number in range(3, 8):
            push.send_multipart_nowait([b"%d" % number])
            sent.append(b"%d" % number)
        assert (pipe.out_msgs, len(pipe.backlog)) == (8, 5)
        with pytest.raises(aiomsg.Again):
            push.send_multipart_nowait([b"refused"])
        parked = asyncio.ensure_future(send(b"parked"))
        await asyncio.sleep(0)
        assert not parked.done()
        # Writable again: the backlog goes first, then the parked send,
        # then the direct sender's stream (past the fairness yield).
        link.resume_writing()
        assert not pipe.backlog
        await parked
        for number in range(MANY):
            await send(b"s%d" % number)
        assert pipe.out_msgs == len(sent)
        assert [await pull.recv() for _ in sent] == sent
        # The peer leaves: Pipe.send queues for the next connection (a
        # connecting pipe outlives its connections), which sends it first.
        if side == "connect":
            pull.close(linger=0)
            await events.wait_for(aiomsg.Event.DISCONNECTED)
            assert push._send_message == pipe.send
            await push.send(b"queued")
            again = ctx.socket(aiomsg.PULL)
            await again.bind(endpoint)
            await push.wait_peers()
            assert pipe.link is not link
            assert push._send_message == pipe.link_send == pipe.link._send_direct  # type: ignore[union-attr]
            await push.send(b"after")
            assert [await again.recv(), await again.recv()] == [b"queued", b"after"]
            assert again.stats().in_msgs == 2
            sent += [b"queued", b"after"]
    assert push.stats().out_msgs == len(sent)
    assert push.stats().out_bytes == sum(map(len, sent))


async def test_load_balance_sends_straight_to_its_only_pipe(ctx: aiomsg.Context) -> None:
    """With one pipe, LoadBalance names that pipe's send (``Sender.direct``)
    and the socket calls it straight; the pool asks again as pipes join and
    leave: round-robin with two, straight again with one, parked with none.
    A closed socket keeps raising Closed whatever leaves afterwards."""
    push = ctx.socket(aiomsg.PUSH)
    first, second = ctx.socket(aiomsg.PULL), ctx.socket(aiomsg.PULL)
    await first.bind("inproc://direct-first")
    await second.bind("inproc://direct-second")
    balance = push._pool.sender
    assert balance is not None

    async def sends(count: int) -> list[bytes]:
        bodies = [b"%d" % number for number in range(count)]
        for body in bodies:
            await push.send(body)
        return bodies

    async with asyncio.timeout(10):
        await push.connect("inproc://direct-first")
        # inproc: that pipe's send with the peer's offer inlined (Pipe.direct_send).
        assert push._send_message == push._pool.pipes[0]._send_to_peer
        sent = await sends(MANY)
        assert [await first.recv() for _ in sent] == sent
        await push.connect("inproc://direct-second")
        await push.wait_peers(2)
        assert push._send_message == balance.send
        sent = await sends(10)
        assert [await first.recv() for _ in range(5)] == sent[0::2]
        assert [await second.recv() for _ in range(5)] == sent[1::2]
        await push.disconnect("inproc://direct-first")
        assert push._send_message == push._pool.pipes[0]._send_to_peer
        sent = await sends(MANY)
        assert [await second.recv() for _ in sent] == sent
        await push.disconnect("inproc://direct-second")
        assert push._send_message == balance.send  # no pipe: sends park
        parked = asyncio.ensure_future(push.send(b"parked"))
        await asyncio.sleep(0)
        assert not parked.done()
        await push.connect("inproc://direct-first")
        await parked
        assert await first.recv() == b"parked"
        push.close(linger=0)
    with pytest.raises(aiomsg.Closed):
        await push.send(b"closed")
    with pytest.raises(aiomsg.Closed):
        await push.send_multipart([b"closed"])


@pytest.mark.parametrize("via", ["recv", "poll"])
async def test_req_reply_checks_inlined_in_recv_and_kept_for_poll(
    ctx: aiomsg.Context, via: str
) -> None:
    """RequestLockstep.recv inlines FairQueue.recv and the reply check that
    has_in (poll, then the take-now step) still calls: each drops a reply
    without the delimiter, one with another request id (req_correlate) and
    one from a peer not asked, and hands over the one that answers. The
    request goes straight to the only pipe, then round-robin over two."""
    first, second = ctx.socket(aiomsg.ROUTER), ctx.socket(aiomsg.ROUTER)
    req = ctx.socket(aiomsg.REQ, identity=b"req", req_correlate=True)
    await req.connect(await first.bind("tcp://127.0.0.1:*"))

    async def reply() -> list[bytes]:
        if via == "poll":
            assert await req.poll(5000, aiomsg.POLLIN) == aiomsg.POLLIN
            return req.recv_multipart_nowait()
        return await req.recv_multipart()

    async with asyncio.timeout(10):
        await req.wait_peers()
        for number in range(3):  # one pipe: no turn to take
            await req.send(b"q%d" % number)
            rid, request_id, empty, body = await first.recv_multipart()
            assert (rid, empty, body) == (b"req", b"", b"q%d" % number)
            other_id = bytes(byte ^ 0xFF for byte in request_id)
            await first.send_multipart([b"req", b"no delimiter"])
            await first.send_multipart([b"req", other_id, b"", b"another request's"])
            await first.send_multipart([b"req", request_id, b"", b"re: " + body])
            assert await reply() == [b"re: " + body]
        await req.connect(await second.bind("tcp://127.0.0.1:*"))
        await req.wait_peers(2)
        for number in range(4):  # two pipes: in turn, strays from the other
            asked, other = (second, first) if number % 2 else (first, second)
            await req.send(b"r%d" % number)
            rid, request_id, empty, body = await asked.recv_multipart()
            assert (rid, empty, body) == (b"req", b"", b"r%d" % number)
            await other.send_multipart([b"req", request_id, b"", b"not asked"])
            await asked.send_multipart([b"req", b"no delimiter"])
            await asked.send_multipart([b"req", request_id, b"", b"re: " + body])
            assert await reply() == [b"re: " + body]


async def test_req_with_its_only_pipe_full_parks_until_it_has_room(ctx: aiomsg.Context) -> None:
    """With one pipe, REQ calls that pipe's send straight: a pipe that takes
    nothing (immediate, no peer yet) refuses the request, which parks and
    goes once the peer is there, as through LoadBalance.pick."""
    req = ctx.socket(aiomsg.REQ, immediate=True)
    rep = ctx.socket(aiomsg.REP)
    await req.connect("inproc://req-only-pipe")
    async with asyncio.timeout(10):
        with pytest.raises(aiomsg.Again):
            await req.send(b"refused", aiomsg.NOBLOCK)
        parked = asyncio.ensure_future(req.send(b"early"))
        await asyncio.sleep(0)
        assert not parked.done()
        await rep.bind("inproc://req-only-pipe")
        await parked
        assert await rep.recv() == b"early"
        await rep.send(b"late")
        assert await req.recv() == b"late"


@pytest.mark.parametrize("via", ["recv", "poll"])
async def test_rep_envelope_checks_inlined_in_recv_and_kept_for_poll(
    ctx: aiomsg.Context, via: str
) -> None:
    """ReplyLockstep.recv inlines FairQueue.recv and the envelope split that
    has_in (poll) still calls: each drops a request without the delimiter
    or without a body, keeps a routing envelope, and the reply goes back
    with it."""
    rep, dealer = ctx.socket(aiomsg.REP), ctx.socket(aiomsg.DEALER)
    await dealer.connect(await rep.bind("tcp://127.0.0.1:*"))

    async def request() -> list[bytes]:
        if via == "poll":
            assert await rep.poll(5000, aiomsg.POLLIN) == aiomsg.POLLIN
            return rep.recv_multipart_nowait()
        return await rep.recv_multipart()

    async with asyncio.timeout(10):
        for number in range(MANY // 100):
            envelope = [b""] if number % 2 else [b"hop", b"hop2", b""]
            await dealer.send_multipart([b"no delimiter"])
            await dealer.send_multipart([b"", b"x"][:1] if number % 3 else [b"hop", b""])
            await dealer.send_multipart([*envelope, b"ask %d" % number])
            assert await request() == [b"ask %d" % number]
            await rep.send(b"answer %d" % number)
            assert await dealer.recv_multipart() == [*envelope, b"answer %d" % number]


def test_fair_queue_names_its_queue_append_unless_readable_is_overridden() -> None:
    """Receiver.arrivals: the pool calls a FairQueue's deque append straight
    on each arrival; a subclass that overrides readable keeps its own."""
    from aiomsg._pool.strategies.fair_queue import FairQueue

    class Counting(FairQueue):
        __slots__ = ("seen",)

        def __init__(self) -> None:
            super().__init__()
            self.seen = 0

        def readable(self, pipe: Any) -> None:
            self.seen += 1
            super().readable(pipe)

    plain, counting = FairQueue(), Counting()
    pipe = object()
    plain.arrivals()(pipe)  # type: ignore[arg-type]
    assert plain.has_in() and plain._ready[0] is pipe
    counting.arrivals()(pipe)  # type: ignore[arg-type]
    assert counting.seen == 1 and counting.has_in()


@pytest.mark.parametrize("case", ["plain", "noblock", "rcvtimeo"])
async def test_recv_park_choice_inlined_and_in_recv_later(
    ctx: aiomsg.Context, case: str
) -> None:
    """recv() picks its park step itself in the usual case (no flags, no
    rcvtimeo, budget left) and leaves every other one to _recv_later:
    NOBLOCK raises Again, rcvtimeo raises Again once it passes, and a plain
    wait takes the message that comes."""
    options = {"rcvtimeo": 50} if case == "rcvtimeo" else {}
    pull, push = ctx.socket(aiomsg.PULL, **options), ctx.socket(aiomsg.PUSH)
    await push.connect(await pull.bind("tcp://127.0.0.1:*"))
    async with asyncio.timeout(10):
        await push.wait_peers()
        if case == "noblock":
            with pytest.raises(aiomsg.Again):
                await pull.recv(aiomsg.NOBLOCK)
        elif case == "rcvtimeo":
            with pytest.raises(aiomsg.Again):
                await pull.recv()
            pull.rcvtimeo = 10_000  # the wait below, bounded by it
        parked = asyncio.ensure_future(pull.recv())
        await asyncio.sleep(0)
        assert not parked.done()
        await push.send(b"came")
        assert await parked == b"came"


async def test_inproc_send_offers_to_the_peer_pipe_and_falls_back(ctx: aiomsg.Context) -> None:
    """Over inproc, the one pipe's direct send is ``Pipe._send_to_peer``
    (``Pipe.send`` with the peer's ``offer`` inlined). It takes the general
    path whenever that could differ: the peer full (then our backlog), our
    backlog not empty (order), the link gone (the pool names ``Pipe.send``
    until a peer links again). Order, HWMs and counters stay those of
    ``Pipe.send``."""
    push = ctx.socket(aiomsg.PUSH, sndhwm=5)
    pull = ctx.socket(aiomsg.PULL, rcvhwm=5)
    await pull.bind("inproc://direct-peer")
    await push.connect("inproc://direct-peer")
    pipe = push._pool.pipes[0]
    async with asyncio.timeout(10):
        assert push._send_message == pipe._send_to_peer
        # 5 into the peer's queue, 5 into our backlog, then no room.
        for number in range(10):
            push.send_multipart_nowait([b"%d" % number])
        assert (len(pull._pool.pipes[0].inbound), len(pipe.backlog)) == (5, 5)
        with pytest.raises(aiomsg.Again):
            push.send_multipart_nowait([b"full"])
        assert [await pull.recv() for _ in range(10)] == [b"%d" % n for n in range(10)]
        # A stream through both HWMs: the fast path, the backlog behind a
        # full peer, sends parked on it, all in order.
        bodies = [b"%d" % number for number in range(MANY)]

        async def send_all() -> None:
            for body in bodies:
                await push.send(body)

        sender = asyncio.ensure_future(send_all())
        assert [await pull.recv() for _ in bodies] == bodies
        await sender
        # Counted once while linked (Pipe.handed), seen by both ends.
        assert (push.stats().out_msgs, pull.stats().in_msgs) == (10 + MANY, 10 + MANY)
        assert push.stats().peers[0].out_msgs == pull.stats().peers[0].in_msgs == 10 + MANY
        # The peer leaves: sends queue in our backlog through Pipe.send.
        pull.close(linger=0)
        assert push.peer_count == 0
        assert (pipe.handed, pipe.out_msgs) == (0, 10 + MANY)  # settled as the link went
        assert push._send_message == pipe.send
        push.send_multipart_nowait([b"queued"])
        # A new peer: the backlog goes first, then the fast path again.
        again = ctx.socket(aiomsg.PULL)
        await again.bind("inproc://direct-peer")
        await push.wait_peers()
        assert push._send_message == pipe._send_to_peer
        await push.send(b"straight")
        assert [await again.recv(), await again.recv()] == [b"queued", b"straight"]
    assert again.stats().in_msgs == 2
    assert push.stats().out_msgs == 10 + MANY + 2


async def test_inproc_handover_inlined_in_send_and_kept_in_send_to_peer(
    ctx: aiomsg.Context,
) -> None:
    """Over inproc, send() hands a one-frame message to the peer pipe itself
    (Pool.direct_pipe: ``Pipe._send_to_peer`` inlined, the frame as its
    bytes). Every case it does not cover calls ``_send_message``, which is
    ``_send_to_peer``: the peer full, our backlog not empty, the fairness
    yield, a multipart message, no link. A spy on ``_send_message`` shows
    which copy ran; order, HWMs and counters stay those of ``Pipe.send``."""
    push = ctx.socket(aiomsg.PUSH, sndhwm=5)
    pull = ctx.socket(aiomsg.PULL, rcvhwm=5)
    await pull.bind("inproc://hot-handover")
    await push.connect("inproc://hot-handover")
    pipe = push._pool.pipes[0]
    peer = pull._pool.pipes[0]
    assert push._direct_pipe is push._pool.direct_pipe is pipe
    assert push._send_message == pipe._send_to_peer
    called: list[list[bytes]] = []
    to_peer = pipe._send_to_peer

    def spy(message: list[bytes]) -> bool:
        called.append(message)
        return to_peer(message)

    push._send_message = spy
    async with asyncio.timeout(10):
        # Room at the peer: the inlined copy, the frame queued as its bytes.
        for number in range(5):
            await push.send(b"%d" % number)
        assert called == [] and list(peer.inbound) == [b"%d" % n for n in range(5)]
        assert pipe.handed == 5
        # The peer full: _send_to_peer, which queues in our backlog...
        await push.send(b"5")
        assert called == [[b"5"]] and list(pipe.backlog) == [[b"5"]]
        # ...and with the backlog not empty, the next one goes behind it,
        # even once the peer has room again (order).
        assert await pull.recv() == b"0"
        await push.send(b"6")
        assert called[-1] == [b"6"] and list(pipe.backlog) == [[b"5"], [b"6"]]
        # A multipart message: send_multipart's path, never the inlined one.
        await push.send_multipart([b"7", b"more"])
        assert called[-1] == [b"7", b"more"]
        assert [await pull.recv_multipart() for _ in range(7)] == [
            [b"%d" % n] for n in range(1, 7)
        ] + [[b"7", b"more"]]
        # The fairness yield: after a run of the budget, the send yields,
        # then goes through _send_message.
        called.clear()
        sent = 0
        while not called:
            if peer.inbound:
                await pull.recv()  # the peer never fills: only the yield calls
            await push.send(b"run")
            sent += 1
        assert sent <= 257 and called == [[b"run"]]
        while peer.inbound:
            await pull.recv()
        # Counted once, seen by both ends, as Pipe.send counts.
        total = 5 + 1 + 1 + 1 + sent
        assert push.stats().out_msgs == pull.stats().in_msgs == total
        # The peer leaves: no direct pipe, sends queue through Pipe.send.
        push._send_message = to_peer
        pull.close(linger=0)
        assert push._direct_pipe is None and push._send_message == pipe.send
        await push.send(b"queued")
        assert list(pipe.backlog) == [[b"queued"]]
        again = ctx.socket(aiomsg.PULL)
        await again.bind("inproc://hot-handover")
        await push.wait_peers()
        assert push._direct_pipe is pipe
        await push.send(b"straight")
        assert [await again.recv(), await again.recv()] == [b"queued", b"straight"]
    push.close(linger=0)
    assert push._direct_pipe is None
    with pytest.raises(aiomsg.Closed):
        await push.send(b"closed")


async def test_inproc_without_rcvhwm_hands_over_past_direct_room_through_offer(
    ctx: aiomsg.Context,
) -> None:
    """Without a receive HWM, direct_room is the largest one-digit int (so
    the hot comparison stays specialized), not a real bound: a queue that
    long takes offer's path, which queues without a bound too. Shown with
    the room made small on purpose."""
    from aiomsg._pool.pipe import _NO_BOUND

    push = ctx.socket(aiomsg.PUSH, sndhwm=1)
    pull = ctx.socket(aiomsg.PULL, rcvhwm=0)
    await pull.bind("inproc://hot-unbounded")
    await push.connect("inproc://hot-unbounded")
    peer = pull._pool.pipes[0]
    assert peer.direct_room == _NO_BOUND == 2**30 - 1
    peer.direct_room = 3
    async with asyncio.timeout(10):
        for number in range(MANY):
            await push.send(b"%d" % number)
        # All queued at the peer (offer has no bound), none in our backlog.
        assert len(peer.inbound) == MANY and not push._pool.pipes[0].backlog
        assert [await pull.recv() for _ in range(MANY)] == [b"%d" % n for n in range(MANY)]
    assert push.stats().out_msgs == pull.stats().in_msgs == MANY


async def test_inproc_send_to_a_filtering_peer_takes_its_filter(ctx: aiomsg.Context) -> None:
    """A peer pipe with an inbound filter (GATHER drops multipart messages)
    gets every message through ``Pipe.send`` and the filter, as before."""
    scatter, gather = ctx.socket(aiomsg.SCATTER), ctx.socket(aiomsg.GATHER)
    await gather.bind("inproc://direct-filter")
    await scatter.connect("inproc://direct-filter")
    assert gather._pool.pipes[0].inbound_filter is not None
    assert scatter._send_message == scatter._pool.pipes[0]._send_to_peer
    # send() starts with the inlined handover, which a filtering peer
    # refuses (its direct_room): every message takes _send_to_peer's path.
    assert scatter._direct_pipe is scatter._pool.pipes[0]
    assert gather._pool.pipes[0].direct_room == -1
    async with asyncio.timeout(10):
        for number in range(MANY):
            await scatter.send(b"%d" % number)
        assert [await gather.recv() for _ in range(MANY)] == [b"%d" % n for n in range(MANY)]
    assert gather.stats().in_msgs == MANY


@pytest.mark.parametrize("transport", ["inproc", "tcp"])
async def test_pair_sends_straight_to_its_one_pipe(ctx: aiomsg.Context, transport: str) -> None:
    """PAIR (Exclusive) names its pipe's direct send, as LoadBalance with
    one pipe: asked again as its peer links, leaves and comes back; a
    second peer, refused, changes nothing; a closed PAIR raises Closed."""
    a, b = ctx.socket(aiomsg.PAIR), ctx.socket(aiomsg.PAIR)
    events = b.monitor()
    endpoint = await a.bind("inproc://direct-pair" if transport == "inproc" else "tcp://127.0.0.1:*")
    await b.connect(endpoint)
    async with asyncio.timeout(10):
        await b.wait_peers()
        pipe = b._pool.pipes[0]
        exclusive = b._pool.sender
        assert exclusive is not None
        assert b._send_message == pipe.direct_send
        assert b._send_message != exclusive.send
        if transport == "inproc":
            assert b._send_message == pipe._send_to_peer
        sent = [b"%d" % number for number in range(MANY)]
        for body in sent:
            await b.send(body)
        assert [await a.recv() for _ in sent] == sent
        for body in sent[:10]:
            await a.send(body)
        assert [await b.recv() for _ in range(10)] == sent[:10]
        # Both directions counted at both ends (inproc: Pipe.handed, live).
        assert (b.stats().out_msgs, b.stats().in_msgs) == (MANY, 10)
        assert (a.stats().out_msgs, a.stats().in_msgs) == (10, MANY)
        # A second peer is refused while the first lasts: nothing moves.
        third = ctx.socket(aiomsg.PAIR)
        await third.connect(endpoint)
        await b.send(b"still")
        assert await a.recv() == b"still"
        assert b._send_message == pipe.direct_send
        third.close(linger=0)
        # The peer leaves: b's pipe queues (its send), then a new peer links.
        a.close(linger=0)
        await events.wait_for(aiomsg.Event.DISCONNECTED)
        assert b._send_message == pipe.send
        await b.send(b"queued")
        c = ctx.socket(aiomsg.PAIR)
        await c.bind(endpoint)
        await b.wait_peers()
        assert b._send_message == pipe.direct_send
        await b.send(b"after")
        assert [await c.recv(), await c.recv()] == [b"queued", b"after"]
        # Counts settled when the first peer left, then counted anew.
        assert (b.stats().out_msgs, b.stats().in_msgs) == (MANY + 3, 10)
        assert c.stats().in_msgs == 2
        b.close(linger=0)
    with pytest.raises(aiomsg.Closed):
        await b.send(b"closed")


@pytest.mark.parametrize("api", ["recv", "recv_multipart", "nowait"])
async def test_fair_queue_take_inlined_in_the_socket_and_kept_in_recv(
    ctx: aiomsg.Context, api: str
) -> None:
    """Receiver.ready_queue: recv() and recv_multipart() take from a
    FairQueue's ready pipes themselves; recv_multipart_nowait() calls
    FairQueue.recv. Each takes one message per pipe in turn, records the
    pipe it came from (``last``), keeps the other frames for rcvmore, and
    resumes a full pipe before it runs dry: two peers that each send more
    than the rcvhwm alternate to the end. A closed socket raises Closed
    with messages still queued."""
    pull = ctx.socket(aiomsg.PULL, rcvhwm=8)
    pushes = [ctx.socket(aiomsg.PUSH, sndhwm=1000) for _ in range(2)]
    endpoint = await pull.bind("inproc://hot-take")
    for push in pushes:
        await push.connect(endpoint)
    receiver = pull._pool.receiver
    assert receiver is not None and pull._ready_pipes is receiver.ready_queue() is not None

    async def take() -> list[bytes]:
        if api == "recv":
            frames = [await pull.recv()]
            while pull.rcvmore:
                frames.append(await pull.recv())
            return frames
        if api == "recv_multipart":
            return await pull.recv_multipart()
        return pull.recv_multipart_nowait()

    count = 20
    async with asyncio.timeout(10):
        for push in pushes:
            await push.wait_peers()
        for name, push in zip((b"a", b"b"), pushes, strict=True):
            for number in range(count):
                await push.send_multipart([name + b"%d" % number, b"tail"])
        # Each pipe holds rcvhwm messages; the rest wait in its peer's backlog.
        pipes = list(pull._pool.pipes)
        assert sorted(len(pipe.inbound) for pipe in pipes) == [8, 8]
        assert all(pipe.reading_paused for pipe in pipes)
        received, sources = [], []
        for _ in range(2 * count):
            received.append(await take())
            sources.append(receiver.last)
    assert received == [
        [name + b"%d" % number, b"tail"] for number in range(count) for name in (b"a", b"b")
    ]
    assert set(sources[0::2]) == {sources[0]} and set(sources[1::2]) == {sources[1]}
    assert sources[0] is not sources[1] and {sources[0], sources[1]} == set(pipes)
    assert not any(pipe.reading_paused or pipe.inbound for pipe in pipes)
    async with asyncio.timeout(10):
        await pushes[0].send(b"left behind")
        assert await pull.poll(1000) == aiomsg.POLLIN
    pull.close()
    with pytest.raises(aiomsg.Closed):
        await take()


def test_ready_queue_only_where_recv_is_fair_queues_own() -> None:
    """The socket takes from the ready pipes itself only where that is all
    recv() does: FairQueue and Exclusive (PAIR) name their queue; ROUTER's
    routing id prefix, DISH's groups and REQ/REP's lockstep keep recv()."""
    from aiomsg._pool.strategies.exclusive import Exclusive
    from aiomsg._pool.strategies.fair_queue import FairQueue
    from aiomsg._pool.strategies.groups import GroupQueue
    from aiomsg._pool.strategies.lockstep import ReplyLockstep, RequestLockstep
    from aiomsg._pool.strategies.route import PrefixRoutingId

    for plain in (FairQueue(), Exclusive()):
        assert plain.ready_queue() is plain._ready
    for own in (GroupQueue(), RequestLockstep(), ReplyLockstep()):
        assert own.ready_queue() is None
    assert PrefixRoutingId.recv is not FairQueue.recv


async def test_tcp_pipe_paused_at_its_hwm_resumes_at_resume_at(ctx: aiomsg.Context) -> None:
    """A tcp read past rcvhwm pauses the connection (uvloop reads until it
    does); recv() drains the paused pipe checking Pipe.resume_at inline and
    resumes reading exactly when the queue is down to it, then every
    message arrives, in order."""
    receiver = ctx.socket(aiomsg.PULL, rcvhwm=10)
    sender = ctx.socket(aiomsg.PUSH, sndhwm=0)
    endpoint = await receiver.bind("tcp://127.0.0.1:*")
    await sender.connect(endpoint)
    count = 300
    async with asyncio.timeout(10):
        await sender.wait_peers()
        for number in range(count):
            await sender.send(b"%04d" % number + b"x" * 1020)
        pipe = receiver._pool.pipes[0]
        assert pipe.resume_at == 5
        while not pipe.reading_paused:  # the first read past the HWM
            await asyncio.sleep(0)
        received = []
        while pipe.reading_paused:
            queued = len(pipe.inbound)
            received.append(await receiver.recv())
            # Still paused above resume_at; resumed when the take reached it.
            assert pipe.reading_paused == (queued - 1 > pipe.resume_at)
        while len(received) < count:
            received.append(await receiver.recv())
    assert [body[:4] for body in received] == [b"%04d" % n for n in range(count)]


async def test_send_addressing_parameters_are_not_keyword_only(ctx: aiomsg.Context) -> None:
    """send()'s routing_id and group take their defaults from the positional
    tuple, so CPython specializes the call (keyword-only parameters cost
    dict lookups per call). pyzmq's third and fourth parameters are copy and
    track: a bool there is refused, not taken for a routing id or a group,
    and nothing is sent."""
    import inspect

    kinds = {p.name: p.kind for p in inspect.signature(aiomsg.Socket.send).parameters.values()}
    assert kinds["routing_id"] is kinds["group"] is inspect.Parameter.POSITIONAL_OR_KEYWORD
    server, client = ctx.socket(aiomsg.SERVER), ctx.socket(aiomsg.CLIENT)
    push, pull = ctx.socket(aiomsg.PUSH), ctx.socket(aiomsg.PULL)
    endpoint = await server.bind("inproc://hot-addressed")
    await client.connect(endpoint)
    await pull.bind("inproc://hot-addressed-push")
    await push.connect("inproc://hot-addressed-push")
    async with asyncio.timeout(10):
        await client.send(b"hello")
        hello, routing_id = await server.recv_from()
        assert hello == b"hello"
        for copy_track in ((True,), (False,), (True, False), (False, True)):
            with pytest.raises(TypeError, match="by keyword"):
                await server.send(b"copy", 0, *copy_track)  # type: ignore[arg-type]
            with pytest.raises(TypeError, match="by keyword"):
                await push.send(b"copy", 0, *copy_track)  # type: ignore[arg-type]
        await server.send(b"reply", routing_id=routing_id)
        assert await client.recv() == b"reply"
        await push.send(b"plain")
        assert await pull.recv() == b"plain"
    assert client.stats().in_msgs == 1 and pull.stats().in_msgs == 1
