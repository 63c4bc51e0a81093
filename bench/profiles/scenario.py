"""One single-process scenario, for instruction counts under callgrind.

    python bench/profiles/scenario.py SCENARIO N

Scenarios: tcp16, tcp1k, inproc16, pair16 (inproc PAIR -> PAIR, one way),
pubsub4 (PUB -> 4 SUB over tcp, N messages each delivered 4 times),
reqrep (N round trips over tcp),
curve16, curve1k, curvereq (reqrep over CURVE: a lone message per read),
batch16 (send_many/recv_many over tcp), tcp16m (16 MiB),
send16/recv16/send1k/recv1k/recv64k/send16m/recv16m (one aiomsg side, a libzmq peer
in a child), csend16/crecv16 (send16/recv16 over CURVE), recv16h/recv1kh (recv16/recv1k with the bench's rcvhwm of 1000: a
read past it pauses the connection; uvloop reads until it does),
bsend16/brecv16/brecv64k (the same through send_many/recv_many),
router1/router1000 (a ROUTER receiving from 1 or 1000 libzmq DEALERs),
urouter1/urouter1000 (the bench's peers row: aiomsg DEALERs, both sides on uvloop),
pub4 (an aiomsg PUB to 4 libzmq SUBs), rawreqrep (the reqrep shape on
bench/rawproto.py's RawStream: the raw-asyncio floor reqrep is compared with),
inproc16h (inproc16 at the bench's hwm of 1000 on both sides), rawinproc (the
inproc16h shape on bench/rawproto.py's RawChannel: the raw in-process ceiling).

Instructions per message = (I(N2) - I(N1)) / (N2 - N1): the fixed cost of
setting up (imports, handshakes) cancels out. Runs on the default asyncio
loop (on uvloop with SCENARIO_LOOP=uvloop in the environment): deterministic,
unlike wall-clock on a shared machine.

The router scenarios also mark their timed loop (:func:`_window_start`,
:func:`_window_end`) for ``WINDOW=1 bench/profiles/callgrind.sh``, which
counts only that loop: with 1000 peers the setup of the connections varies
from run to run by more than the difference of two runs' messages is worth.
"""

from __future__ import annotations

import asyncio
import gc
import math
import os
import resource
import sys
import time

import aiomsg


async def _pushpull(
    endpoint: str, n: int, size: int, kinds: str = "pushpull", **opts: object
) -> None:
    server = {k[2:]: v for k, v in opts.items() if k.startswith("s_")}
    client = {k[2:]: v for k, v in opts.items() if k.startswith("c_")}
    pair = kinds == "pair"
    async with aiomsg.Context() as ctx:
        pull = ctx.socket(aiomsg.PAIR if pair else aiomsg.PULL, **{"rcvhwm": 0, **server})
        push = ctx.socket(aiomsg.PAIR if pair else aiomsg.PUSH, **{"sndhwm": 0, **client})
        ep = await pull.bind(endpoint)
        await push.connect(ep)
        await push.wait_peers()
        payload = b"x" * size

        async def send() -> None:
            for _ in range(n):
                await push.send(payload)

        async def recv() -> None:
            for _ in range(n):
                await pull.recv()

        await asyncio.gather(send(), recv())
        push.close(0)
        pull.close(0)


_PEER = """
import sys, zmq
ctx = zmq.Context()
kind, endpoint, n, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
s = ctx.socket(zmq.PULL if kind == "pull" else zmq.PUSH)
if len(sys.argv) > 5:  # CURVE: the server's public key
    s.curve_serverkey = sys.argv[5].encode()
    s.curve_publickey, s.curve_secretkey = zmq.curve_keypair()
s.connect(endpoint)
if kind == "pull":
    for _ in range(n):
        s.recv()
else:
    payload = b"x" * size
    for _ in range(n):
        s.send(payload)
s.close(linger=-1)
ctx.term()
"""


async def _one_side(
    side: str, n: int, size: int, batch: bool = False, hwm: int = 0, curve: bool = False
) -> None:
    """One aiomsg side against a libzmq peer in a child process (callgrind
    does not trace it): the instructions of sending, or of receiving, alone;
    with *batch*, through send_many (1000 a call) and recv_many; with
    *curve*, over CURVE (aiomsg the server)."""
    options: dict[str, object] = {}
    server_key: list[str] = []
    if curve:
        public, secret = aiomsg.curve_keypair()
        options = {"curve_server": True, "curve_secretkey": secret}
        server_key = [public.decode()]
    async with aiomsg.Context() as ctx:
        sock = ctx.socket(
            aiomsg.PUSH if side == "send" else aiomsg.PULL, sndhwm=hwm, rcvhwm=hwm, **options
        )
        ep = await sock.bind("tcp://127.0.0.1:*")
        peer = await asyncio.create_subprocess_exec(
            sys.executable, "-c", _PEER, "pull" if side == "send" else "push", ep, str(n), str(size),
            *server_key,
        )
        if side == "send" and batch:
            await sock.wait_peers()
            message = [b"x" * size]
            for first in range(0, n, 1000):
                await sock.send_many([message] * min(1000, n - first))
        elif side == "send":
            await sock.wait_peers()
            payload = b"x" * size
            for _ in range(n):
                await sock.send(payload)
        elif batch:
            got = 0
            while got < n:
                got += len(await sock.recv_many())
        else:
            for _ in range(n):
                await sock.recv()
        await peer.wait()


def _window_start() -> None:
    """Where callgrind's count starts in WINDOW=1 mode: a call of a C
    function nothing else here makes (``--zero-before=math_gcd``)."""
    math.gcd(0)


def _window_end() -> None:
    """Where it ends (``--dump-before=math_lcm``)."""
    math.lcm(0)


_DEALERS = """
import sys, zmq
ctx = zmq.Context()
endpoint, n, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
socks = [ctx.socket(zmq.DEALER) for _ in range(k)]
for s in socks:
    s.connect(endpoint)
sys.stdin.readline()
payload = b"x" * 16
for i in range(n):
    socks[i % k].send(payload)
sys.stdin.readline()
for s in socks:
    s.close(linger=0)
ctx.term()
"""


_AIOMSG_DEALERS = """
import asyncio, sys, uvloop, aiomsg

async def main():
    endpoint, n, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    async with aiomsg.Context() as ctx:
        # No handshake deadline: a ROUTER under callgrind takes minutes to
        # greet 1000 peers.
        socks = [
            ctx.socket(aiomsg.DEALER, sndhwm=1000, linger=0, handshake_ivl=0) for _ in range(k)
        ]
        for s in socks:
            await s.connect(endpoint)
        await asyncio.to_thread(sys.stdin.readline)
        payload = b"x" * 16
        for i in range(n):
            await socks[i % k].send(payload)
        await asyncio.to_thread(sys.stdin.readline)
        for s in socks:
            s.close(0)

uvloop.run(main())
"""


async def _router(n: int, peers: int, dealers: str = _DEALERS, rcvhwm: int = 0) -> None:
    """A ROUTER receiving n messages spread evenly over *peers* libzmq
    DEALERs (in a child process, not traced); with *dealers* =
    ``_AIOMSG_DEALERS`` and rcvhwm 1000, aiomsg DEALERs, as the bench's
    peers row has them."""
    async with aiomsg.Context() as ctx:
        router = ctx.socket(aiomsg.ROUTER, rcvhwm=rcvhwm, handshake_ivl=0)  # as the DEALERs
        ep = await router.bind("tcp://127.0.0.1:*")
        peer = await asyncio.create_subprocess_exec(
            sys.executable, "-c", dealers, ep, str(n), str(peers),
            stdin=asyncio.subprocess.PIPE,
        )
        await router.wait_peers(peers)
        # What the bench's peers row does before it times (bench/scale.py,
        # _settled_rss): connecting 1000 peers leaves a full collection due
        # (~27 tracked objects each, promoted, none collected yet), which
        # would otherwise land among the messages of one run but not another.
        gc.collect()
        assert peer.stdin is not None
        peer.stdin.write(b"go\n")
        _window_start()
        start, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
        for _ in range(n):
            await router.recv_multipart()
        elapsed, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF)
        _window_end()
        user = (after.ru_utime - before.ru_utime) / n * 1e6
        system = (after.ru_stime - before.ru_stime) / n * 1e6
        print(
            f"{peers} peers: {n / elapsed:,.0f} msg/s (wall-clock); this process's CPU "
            f"per message: {user:.2f} us user, {system:.2f} us system",
            file=sys.stderr,
        )
        peer.stdin.write(b"done\n")
        await peer.wait()


_SUBS = """
import sys, zmq
ctx = zmq.Context()
endpoint, n, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
subs = [ctx.socket(zmq.SUB) for _ in range(k)]
for s in subs:
    s.setsockopt(zmq.RCVHWM, 0)
    s.subscribe(b"")
    s.connect(endpoint)
poller = zmq.Poller()
for s in subs:
    poller.register(s, zmq.POLLIN)
left = n * k
while left:
    for s, _ in poller.poll():
        while True:
            try:
                s.recv(zmq.NOBLOCK)
            except zmq.Again:
                break
            left -= 1
print("done", flush=True)
"""


async def _publish(n: int, subscribers: int) -> None:
    """An aiomsg PUB sending n messages to libzmq SUBs in a child process
    (not traced): the instructions of publishing alone."""
    async with aiomsg.Context() as ctx:
        pub = ctx.socket(aiomsg.PUB, sndhwm=0)
        ep = await pub.bind("tcp://127.0.0.1:*")
        peer = await asyncio.create_subprocess_exec(
            sys.executable, "-c", _SUBS, ep, str(n), str(subscribers),
            stdout=asyncio.subprocess.PIPE,
        )
        await pub.wait_subscribed(b"", subscribers)
        payload = b"x" * 16
        for _ in range(n):
            await pub.send(payload)
        assert peer.stdout is not None
        await peer.stdout.readline()
        await peer.wait()


async def _batch(n: int) -> None:
    async with aiomsg.Context() as ctx:
        pull = ctx.socket(aiomsg.PULL, rcvhwm=0)
        push = ctx.socket(aiomsg.PUSH, sndhwm=0)
        ep = await pull.bind("tcp://127.0.0.1:*")
        await push.connect(ep)
        await push.wait_peers()
        payload = [b"x" * 16]

        async def send() -> None:
            sent = 0
            while sent < n:
                k = min(1000, n - sent)
                await push.send_many([payload] * k)
                sent += k

        async def recv() -> None:
            got = 0
            while got < n:
                got += len(await pull.recv_many())

        await asyncio.gather(send(), recv())


async def _pubsub(n: int) -> None:
    async with aiomsg.Context() as ctx:
        pub = ctx.socket(aiomsg.PUB, sndhwm=0)
        ep = await pub.bind("tcp://127.0.0.1:*")
        subs = []
        for _ in range(4):
            sub = ctx.socket(aiomsg.SUB, rcvhwm=0)
            sub.subscribe(b"")
            await sub.connect(ep)
            subs.append(sub)
        await pub.wait_subscribed(b"", 4)
        payload = b"x" * 16

        async def send() -> None:
            for _ in range(n):
                await pub.send(payload)

        async def recv(sub: aiomsg.Socket) -> None:
            for _ in range(n):
                await sub.recv()

        await asyncio.gather(send(), *(recv(s) for s in subs))


async def _reqrep(
    n: int, rep_options: dict[str, object] | None = None, req_options: dict[str, object] | None = None
) -> None:
    async with aiomsg.Context() as ctx:
        rep = ctx.socket(aiomsg.REP, **(rep_options or {}))
        req = ctx.socket(aiomsg.REQ, **(req_options or {}))
        ep = await rep.bind("tcp://127.0.0.1:*")
        await req.connect(ep)
        payload = b"x" * 16

        async def server() -> None:
            for _ in range(n):
                await rep.send(await rep.recv())

        async def client() -> None:
            for _ in range(n):
                await req.send(payload)
                await req.recv()

        await asyncio.gather(server(), client())


async def _rawreqrep(n: int) -> None:
    """The reqrep scenario's shape on bench/rawproto.py's RawStream: the
    raw-asyncio floor a REQ/REP round trip is compared with."""
    from bench.rawproto import open_raw_connection, start_raw_server

    server = await start_raw_server("tcp://127.0.0.1:*")
    client = await open_raw_connection(server.address)
    stream = await server.first_stream()
    payload = b"x" * 16

    async def serve() -> None:
        for _ in range(n):
            await stream.send(await stream.recv())

    async def ask() -> None:
        for _ in range(n):
            await client.send(payload)
            await client.recv()

    await asyncio.gather(serve(), ask())
    await client.close()
    await stream.close()
    server.close()


async def _rawinproc(n: int) -> None:
    """The inproc16h shape on bench/rawproto.py's RawChannel (hwm 1000): the
    raw-asyncio ceiling the inproc row is compared with."""
    from bench.rawproto import RawChannel

    channel = RawChannel(1000)
    payload = b"x" * 16

    async def send() -> None:
        for _ in range(n):
            await channel.send(payload)

    async def recv() -> None:
        for _ in range(n):
            await channel.recv()

    await asyncio.gather(send(), recv())


def main() -> None:
    scenario, n = sys.argv[1], int(sys.argv[2])
    tcp = "tcp://127.0.0.1:*"
    if scenario == "tcp16":
        coro = _pushpull(tcp, n, 16)
    elif scenario == "tcp1k":
        coro = _pushpull(tcp, n, 1024)
    elif scenario in ("send16", "recv16", "send1k", "recv1k", "recv64k", "send16m", "recv16m"):
        size = {"16": 16, "1k": 1024, "64k": 64 << 10, "16m": 16 << 20}[scenario[4:]]
        coro = _one_side(scenario[:4], n, size)
    elif scenario in ("csend16", "crecv16"):  # one side over CURVE
        coro = _one_side(scenario[1:5], n, 16, curve=True)
    elif scenario in ("recv1kh", "recv16h"):
        coro = _one_side("recv", n, 1024 if scenario == "recv1kh" else 16, hwm=1000)
    elif scenario in ("bsend16", "brecv16", "brecv64k"):
        coro = _one_side(scenario[1:5], n, 16 if scenario.endswith("16") else 64 << 10, batch=True)
    elif scenario.startswith("router"):  # router1, router1000: peers
        coro = _router(n, int(scenario[6:]))
    elif scenario.startswith("urouter"):  # the bench's peers row, on uvloop
        import uvloop

        uvloop.run(_router(n, int(scenario[7:]), _AIOMSG_DEALERS, rcvhwm=1000))
        return
    elif scenario.startswith("pub") and scenario[3:].isdigit():  # pub1, pub4, pub16: SUBs
        coro = _publish(n, int(scenario[3:]))
    elif scenario == "tcp16m":
        coro = _pushpull(tcp, n, 16 << 20)
    elif scenario == "inproc16":
        coro = _pushpull("inproc://x", n, 16)
    elif scenario == "inproc16h":  # the bench's hwm
        coro = _pushpull("inproc://x", n, 16, s_rcvhwm=1000, c_sndhwm=1000)
    elif scenario == "rawinproc":
        coro = _rawinproc(n)
    elif scenario == "pair16":  # inproc PAIR -> PAIR, one way
        coro = _pushpull("inproc://x", n, 16, "pair")
    elif scenario in ("curve16", "curve1k"):
        public, secret = aiomsg.curve_keypair()
        _, client_secret = aiomsg.curve_keypair()
        coro = _pushpull(
            tcp, n, 16 if scenario == "curve16" else 1024,
            s_curve_server=True, s_curve_secretkey=secret,
            c_curve_serverkey=public, c_curve_secretkey=client_secret,
        )
    elif scenario == "pubsub4":
        coro = _pubsub(n)
    elif scenario == "reqrep":
        coro = _reqrep(n)
    elif scenario == "curvereq":
        public, secret = aiomsg.curve_keypair()
        _, client_secret = aiomsg.curve_keypair()
        coro = _reqrep(
            n, {"curve_server": True, "curve_secretkey": secret},
            {"curve_serverkey": public, "curve_secretkey": client_secret},
        )
    elif scenario == "rawreqrep":
        coro = _rawreqrep(n)
    elif scenario == "batch16":
        coro = _batch(n)
    else:
        raise SystemExit(f"unknown scenario {scenario}")
    if os.environ.get("SCENARIO_LOOP") == "uvloop":
        import uvloop

        uvloop.run(coro)
    else:
        asyncio.run(coro)


if __name__ == "__main__":
    main()
