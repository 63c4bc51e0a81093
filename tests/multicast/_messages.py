"""The messages of the multicast scenarios, shared by both peers (stdlib only:
it also runs under the system python3 that drives libzmq)."""

from __future__ import annotations

import argparse
import hashlib

#: The first frame of the messages a source repeats until every receiver
#: has heard one: it synchronises start-up without sleeping.
SYNC = b"\x00sync"


def case(name: str) -> list[list[bytes]]:
    """The messages of one case, in the order they are sent ("a+b": both)."""
    if "+" in name:
        return [message for part in name.split("+") for message in case(part)]
    if name == "small":
        return [[b"hello"], [b"topic", b"payload"], [b"A" * 300], [bytes(range(256)) * 12]]
    if name == "multipart":
        return [[b"news", b"", b"x" * 253, b"y" * 254, b"z"], [b"news", b"2"]] * 3
    if name == "64k":
        return [[b"before"], [bytes(i % 251 for i in range(65536))], [b"after"]]
    if name == "1m":
        return [[b"before"], [bytes(i % 253 for i in range(1 << 20))], [b"after"]]
    if name == "burst":
        # Many packets of several sizes: what loss tests run over.
        return [[b"m%05d" % i, bytes([i % 256]) * (i * 97 % 3000)] for i in range(400)]
    if name == "topics":
        return [[b"news", b"1"], [b"sport", b"1"], [b"news", b"2"]]
    if name == "sizes":  # every size of the interop matrix, in one run
        return case("small+multipart+64k+1m")
    raise ValueError(f"no case {name!r}")


def stream_message(index: int, size: int) -> list[bytes]:
    """Message *index* of an endless stream (late-joiner scenarios)."""
    return [b"s%08d" % index, bytes([index % 256]) * size]


def digest(message: list[bytes]) -> str:
    """A short fingerprint of a message, frames and boundaries included."""
    hasher = hashlib.sha256()
    for frame in message:
        hasher.update(len(frame).to_bytes(8, "big"))
        hasher.update(frame)
    return hasher.hexdigest()[:16]


def peer_arguments(name: str) -> argparse.Namespace:
    """The command line both PGM peers take (the driver builds it once for
    either library); *name* is the peer's default name in its reports."""
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=["pub", "sub"])
    parser.add_argument("endpoint")
    parser.add_argument("--name", default=name)
    parser.add_argument("--case", default="small")
    parser.add_argument("--count", type=int, default=0)
    parser.add_argument("--topic", default=None)
    parser.add_argument("--options", default="{}")
    parser.add_argument("--timeout", type=float, default=20.0)
    parser.add_argument("--stream", type=int, default=0)
    parser.add_argument("--last", default=None)  # stop early on the message with this digest
    parser.add_argument("--bind", action="store_true")
    parser.add_argument("--xpub", action="store_true")
    parser.add_argument("--xsub", action="store_true")
    # The aiomsg peer's event loop; the libzmq peer ignores it.
    parser.add_argument("--loop", default="asyncio", choices=["asyncio", "uvloop"])
    return parser.parse_args()
