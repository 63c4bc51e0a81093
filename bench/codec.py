"""``python -m bench codec``: the ZMTP codec alone, with no sockets and no event loop.

* encode: :func:`aiomsg._zmtp.frames.encode_message` appending one single-frame
  message at a time to an output list (what the codec does per send);
* decode: a prebuilt byte stream of N messages fed, in 256 KiB chunks (the
  most asyncio's selector loop reads at once), to
  :meth:`aiomsg._zmtp.codec.ZmtpCodec.receive_data` of a connection
  whose NULL handshake was completed against a second ZmtpCodec;
* CURVE: :func:`curve_box_benchmark`, the CURVE box micro-benchmark hook;
  it runs if ``aiomsg._zmtp.curve`` exists, else prints "CURVE: not available".

Each figure is the median of several rounds, in ns/message and MB/s of payload.
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import time
from pathlib import Path
from typing import Any

from aiomsg._zmtp.codec import ZmtpCodec
from aiomsg._zmtp.frames import encode_message
from aiomsg.constants import SocketType
from bench.report import size_label

SIZES = (16, 1024, 65536)
COUNTS = {16: 200_000, 1024: 100_000, 65536: 1_000}
CHUNK = 256 * 1024
ROUNDS = 5


def _count_for(size: int, quick: bool, override: int | None) -> int:
    count = override or COUNTS.get(size) or max(200, 64 * 1024 * 1024 // (size * 10))
    return max(100, count // 10) if quick and override is None else count


def _figures(elapsed: list[float], count: int, size: int) -> dict[str, float]:
    best = statistics.median(elapsed)
    return {
        "ns_per_msg": best / count * 1e9,
        "mb_per_s": count * size / best / 1e6,
        "msgs_per_s": count / best,
        "rounds": len(elapsed),
    }


def bench_encode(size: int, count: int, rounds: int = ROUNDS) -> dict[str, float]:
    frames = [b"x" * size]
    block = 1024
    blocks, rest = divmod(count, block)
    elapsed = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(blocks):
            out: list[bytes] = []
            for _ in range(block):
                encode_message(frames, out)
        out = []
        for _ in range(rest):
            encode_message(frames, out)
        elapsed.append(time.perf_counter() - t0)
    return _figures(elapsed, count, size)


def handshaken_pair() -> tuple[ZmtpCodec, ZmtpCodec]:
    """A PUSH and a PULL codec that completed their NULL handshake with each other."""
    sender, receiver = ZmtpCodec(SocketType.PUSH), ZmtpCodec(SocketType.PULL)
    for _ in range(4):
        receiver.receive_data(b"".join(sender.take_output()))
        sender.receive_data(b"".join(receiver.take_output()))
    if not (sender.ready and receiver.ready):
        raise RuntimeError("the codec handshake did not complete")
    return sender, receiver


def bench_decode(size: int, count: int, rounds: int = ROUNDS) -> dict[str, float]:
    out: list[bytes] = []
    body = b"x" * size
    for _ in range(count):
        encode_message([body], out)
    stream = b"".join(out)
    del out
    chunks = [stream[i : i + CHUNK] for i in range(0, len(stream), CHUNK)]
    del stream
    elapsed = []
    for _ in range(rounds):
        _, receiver = handshaken_pair()
        receive = receiver.receive_data
        received = 0
        t0 = time.perf_counter()
        for chunk in chunks:
            received += len(receive(chunk))
        elapsed.append(time.perf_counter() - t0)
        if received != count:
            raise RuntimeError(f"decoded {received} messages, expected {count}")
    return _figures(elapsed, count, size)


# -- CURVE hook ------------------------------------------------------------------------------


def curve_pair() -> tuple[ZmtpCodec, ZmtpCodec]:
    """A PUSH (CURVE client) and a PULL (CURVE server) codec past their handshake.

    The server's authentication request is accepted with a ZAP ``200`` reply.
    """
    from aiomsg._security.keys import curve_keypair, key_bytes
    from aiomsg._zmtp.codec import AuthenticationRequested
    from aiomsg._zmtp.curve import CurveClient, CurveServer
    from aiomsg._zmtp.mechanism import ZapReply

    server_public, server_secret = (key_bytes(k) for k in curve_keypair())
    client_public, client_secret = (key_bytes(k) for k in curve_keypair())
    client = ZmtpCodec(
        SocketType.PUSH, mechanism=CurveClient(server_public, client_public, client_secret)
    )
    server = ZmtpCodec(SocketType.PULL, mechanism=CurveServer(server_secret))
    for _ in range(8):
        for event in server.receive_data(b"".join(client.take_output())):
            if isinstance(event, AuthenticationRequested):
                server.authentication_result(ZapReply("200", "OK"))
        client.receive_data(b"".join(server.take_output()))
        if client.ready and server.ready:
            return client, server
    raise RuntimeError("the CURVE handshake did not complete")


def curve_box_benchmark(sizes: tuple[int, ...], quick: bool) -> list[str]:
    """The CURVE box micro-benchmark: lines to print (a table, or why not).

    Runs when ``aiomsg._zmtp.curve`` exists: ``ZmtpCodec.send_message``
    + ``take_output`` on a CURVE client (box and frame each message) and
    ``receive_data`` on the CURVE server (unbox), after a real handshake.
    """
    try:
        importlib.import_module("aiomsg._zmtp.curve")
    except ImportError:
        return ["CURVE: not available"]
    try:
        lines = [
            "| CURVE operation | size | messages | ns/message | MB/s | messages/s |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for size in sizes:
            count = max(100, _count_for(size, quick, None) // 4)
            body = [b"x" * size]
            box_times, open_times = [], []
            for _ in range(3):
                client, server = curve_pair()
                send, take = client.send_message, client.take_output
                t0 = time.perf_counter()
                out: list[bytes] = []
                for _ in range(count):
                    send(body)
                    out += take()
                box_times.append(time.perf_counter() - t0)
                stream = b"".join(out)
                chunks = [stream[i : i + CHUNK] for i in range(0, len(stream), CHUNK)]
                receive, received = server.receive_data, 0
                t0 = time.perf_counter()
                for chunk in chunks:
                    received += len(receive(chunk))
                open_times.append(time.perf_counter() - t0)
                if received != count:
                    raise RuntimeError(f"unboxed {received} messages, expected {count}")
            for name, elapsed in (("box (encode)", box_times), ("open (decode)", open_times)):
                f = _figures(elapsed, count, size)
                lines.append(
                    f"| {name} | {size_label(size)} | {count:,} | {f['ns_per_msg']:,.0f} | "
                    f"{f['mb_per_s']:,.1f} | {f['msgs_per_s']:,.0f} |"
                )
        return lines
    except Exception as error:  # the CURVE API is young: report, do not crash
        return [f"CURVE: micro-benchmark failed ({type(error).__name__}: {error})"]


# -- command line ----------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench codec", description="ZMTP codec micro-benchmarks (no sockets)"
    )
    parser.add_argument("--size", type=int, action="append", help="message size (repeatable)")
    parser.add_argument("--count", type=int, help="messages per round")
    parser.add_argument("--quick", action="store_true", help="a tenth of the messages")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    sizes = tuple(dict.fromkeys(args.size or SIZES))
    rows: list[dict[str, Any]] = []
    print("| operation | size | messages | ns/message | MB/s | messages/s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for size in sizes:
        count = _count_for(size, args.quick, args.count)
        for name, function in (("encode", bench_encode), ("decode", bench_decode)):
            figures = function(size, count)
            rows.append({"operation": name, "size": size, "count": count, **figures})
            print(
                f"| {name} | {size_label(size)} | {count:,} | {figures['ns_per_msg']:,.0f} | "
                f"{figures['mb_per_s']:,.1f} | {figures['msgs_per_s']:,.0f} |",
                flush=True,
            )
    curve = curve_box_benchmark(sizes, args.quick)
    print()
    for line in curve:
        print(line)
    if args.json is not None:
        from bench.report import write_json

        write_json(args.json, {"codec": rows, "curve": curve})
    return 0
