"""epgm:// and pgm:// endpoints, socket types, options and privileges: what is
decided before any packet could leave. Everything that sends multicast runs
in a private network namespace (tests/multicast/)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

import aiomsg
from aiomsg._endpoint import parse_endpoint
from aiomsg.transports._pgm import DEFAULT_GROUP, PgmAddress, parse_pgm_address


def parsed(text: str) -> PgmAddress:
    return parse_pgm_address(parse_endpoint(text))


@pytest.mark.parametrize(
    ("endpoint", "want"),
    [
        ("epgm://127.0.0.1;239.192.1.1:5555", PgmAddress("127.0.0.1", ("239.192.1.1",), "239.192.1.1", 5555)),
        ("epgm://eth0;239.192.1.1:5555", PgmAddress("eth0", ("239.192.1.1",), "239.192.1.1", 5555)),
        ("epgm://127.0.0.1:5555", PgmAddress("127.0.0.1", (DEFAULT_GROUP,), DEFAULT_GROUP, 5555)),
        ("epgm://239.192.1.1:5555", PgmAddress(None, ("239.192.1.1",), "239.192.1.1", 5555)),
        ("epgm://;239.192.1.1:5555", PgmAddress(None, ("239.192.1.1",), "239.192.1.1", 5555)),
        (
            "pgm://127.0.0.1;239.192.1.1,239.192.1.2:5556",
            PgmAddress("127.0.0.1", ("239.192.1.1", "239.192.1.2"), "239.192.1.1", 5556),
        ),
        (
            "epgm://127.0.0.1;239.192.1.1;239.192.1.3:5557",
            PgmAddress("127.0.0.1", ("239.192.1.1",), "239.192.1.3", 5557),
        ),
        ("epgm://127.0.0.1;224.0.0.1:65535", PgmAddress("127.0.0.1", ("224.0.0.1",), "224.0.0.1", 65535)),
    ],
)  # fmt: skip
def test_endpoints_as_libzmq_reads_them(endpoint: str, want: PgmAddress) -> None:
    assert parsed(endpoint) == want


@pytest.mark.parametrize(
    ("endpoint", "reason"),
    [
        ("epgm://127.0.0.1;239.192.1.1", "expected"),  # no port
        ("epgm://127.0.0.1;239.192.1.1:0", "invalid port"),
        ("epgm://127.0.0.1;239.192.1.1:70000", "invalid port"),  # libzmq: 4464
        ("epgm://127.0.0.1;239.192.1.1:5555x", "invalid port"),  # libzmq: 5555
        ("epgm://127.0.0.1;239.192.1.1:", "invalid port"),
        ("epgm://:5555", "expected"),
        ("epgm://127.0.0.1;10.0.0.1:5560", "not a multicast group"),
        ("epgm://127.0.0.1;239.192.1.1,:5560", "not a multicast group"),
        ("epgm://127.0.0.1;not-a-group:5560", "not a multicast group"),
        ("epgm://a;239.192.1.1;239.192.1.2;239.192.1.3:1", "at most"),
    ],
)
def test_bad_endpoints_are_endpoint_errors(endpoint: str, reason: str) -> None:
    with pytest.raises(aiomsg.EndpointError, match=reason):
        parsed(endpoint)


def test_ipv6_groups_are_not_supported_yet() -> None:
    with pytest.raises(aiomsg.NotSupported):
        parsed("epgm://::1;ff08::1:5555")


@pytest.mark.parametrize("scheme", ["epgm", "pgm"])
@pytest.mark.parametrize("kind", [aiomsg.PUSH, aiomsg.PULL, aiomsg.REQ, aiomsg.DEALER, aiomsg.PAIR])
async def test_other_socket_types_refuse_multicast(
    ctx: aiomsg.Context, scheme: str, kind: aiomsg.SocketType
) -> None:
    sock = ctx.socket(kind)
    endpoint = f"{scheme}://127.0.0.1;239.192.1.1:5555"
    with pytest.raises(aiomsg.NotSupported, match="only PUB, XPUB, SUB and XSUB") as bound:
        await sock.bind(endpoint)
    assert bound.value.errno == aiomsg.ENOCOMPATPROTO
    with pytest.raises(aiomsg.NotSupported):
        await sock.connect(endpoint)


async def test_a_rate_under_one_packet_a_second_is_refused(ctx: aiomsg.Context) -> None:
    """libzmq aborts the process here (docs/wire/pgm.md#pgm-zmq-options)."""
    pub = ctx.socket(aiomsg.PUB, rate=11)
    with pytest.raises(aiomsg.InvalidOption, match="rate 11"):
        await pub.connect("epgm://127.0.0.1;239.192.1.1:5555")


async def test_interface_names_are_looked_up_locally(ctx: aiomsg.Context) -> None:
    sub = ctx.socket(aiomsg.SUB)
    with pytest.raises(aiomsg.EndpointError, match="no interface named 'no-such-if0'"):
        await sub.connect("epgm://no-such-if0;239.192.1.1:5555")
    with pytest.raises(aiomsg.EndpointError, match="not an address of this host"):
        await sub.connect("epgm://192.0.2.77;239.192.1.1:5555")


def test_options_with_libzmqs_names_and_defaults(ctx: aiomsg.Context) -> None:
    sock = ctx.socket(aiomsg.PUB)
    assert (sock.rate, sock.recovery_ivl, sock.multicast_hops) == (100, 10000, 1)
    assert (sock.multicast_maxtpdu, sock.multicast_loop) == (1500, True)
    sock.setsockopt(aiomsg.RATE, 20_000)
    sock.setsockopt(aiomsg.MULTICAST_HOPS, 5)
    assert sock.getsockopt(aiomsg.RATE) == 20_000 and sock.multicast_hops == 5
    for name, value in [("rate", 0), ("multicast_hops", 256), ("multicast_maxtpdu", 100)]:
        with pytest.raises(aiomsg.InvalidOption):
            setattr(sock, name, value)


_NO_RAW = """
import asyncio, sys
sys.path.insert(0, sys.argv[1])
import aiomsg

async def main():
    async with aiomsg.Context() as ctx:
        sub = ctx.socket(aiomsg.SUB)
        try:
            await sub.connect("pgm://127.0.0.1;239.192.1.1:5555")
        except aiomsg.EndpointError as error:
            print("refused", error.errno, error)
        ctx.destroy(linger=0)

asyncio.run(main())
"""


def test_pgm_without_raw_socket_privilege_is_a_clear_error() -> None:
    """libzmq accepts the endpoint, then aborts the process; we refuse it at
    connect, saying why (docs/wire/pgm.md#pgm-raw). As root, CAP_NET_RAW is
    dropped from the child with setpriv, in a namespace of its own."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    command = [sys.executable, "-c", _NO_RAW, root]
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None or shutil.which("unshare") is None:
            pytest.skip("dropping CAP_NET_RAW as root needs setpriv and unshare (util-linux)")
        command = ["unshare", "-n", "setpriv", "--inh-caps=-net_raw", "--bounding-set=-net_raw", *command]
    out = subprocess.run(command, capture_output=True, check=False, timeout=30)
    text = out.stdout.decode()
    assert out.returncode == 0, out.stderr.decode()
    assert text.startswith(f"refused {__import__('errno').EPERM}"), text
    assert "CAP_NET_RAW" in text and "epgm://" in text
