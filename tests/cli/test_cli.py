"""The ``aiomsg`` command line, run for real in subprocesses.

Every test starts ``python -m aiomsg`` (and, where it is installed, the
``aiomsg`` console script next to ``sys.executable``) with a timeout, and
kills whatever is still running when it ends. The tests are synchronous:
no event loop runs in the test process.
"""

from __future__ import annotations

import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import aiomsg
from aiomsg._cli import EXIT_INTERRUPTED, EXIT_TIMEOUT, EXIT_UNAVAILABLE, EXIT_USAGE, LineFormat

MODULE = [sys.executable, "-m", "aiomsg"]
SCRIPT_PATH = Path(sys.executable).with_name("aiomsg")
SCRIPT = [str(SCRIPT_PATH)] if SCRIPT_PATH.exists() else None
COMMANDS = [pytest.param(MODULE, id="module")]
COMMANDS.append(
    pytest.param(
        SCRIPT or [],
        id="script",
        marks=pytest.mark.skipif(SCRIPT is None, reason="console script not installed"),
    )
)
TIMEOUT = 20  # seconds any one subprocess may take

SOCKET_COMMANDS = [
    "pub", "sub", "push", "pull", "req", "rep", "dealer", "router", "pair", "xpub", "xsub",
    "server", "client", "radio", "dish", "scatter", "gather", "peer", "channel",
]  # fmt: skip


WILDCARD = "tcp://127.0.0.1:*"


def tcp() -> str:
    """A loopback endpoint on a port that was free a moment ago (only for
    endpoints nobody binds: a bound one takes ``WILDCARD`` and reports its port)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"tcp://127.0.0.1:{probe.getsockname()[1]}"


def run(
    *args: str, input: bytes = b"", command: list[str] = MODULE
) -> subprocess.CompletedProcess[bytes]:
    """Run the command to completion (killed after TIMEOUT seconds)."""
    return subprocess.run(
        [*command, *args], input=input, capture_output=True, timeout=TIMEOUT, check=False
    )


Spawn = Callable[..., subprocess.Popen[bytes]]


@pytest.fixture
def spawn() -> Iterator[Spawn]:
    """Start the command in the background; every process is killed at the end."""
    processes: list[subprocess.Popen[bytes]] = []

    def start(
        *args: str, stdin: bytes | None = None, command: list[str] = MODULE
    ) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [*command, *args],
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            bufsize=0,  # unbuffered pipes: read_line() may select() then read
        )
        processes.append(process)
        if stdin is not None and process.stdin is not None:
            process.stdin.write(stdin)
            process.stdin.close()
            process.stdin = None  # so that communicate() does not flush it
        return process

    try:
        yield start
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
            process.communicate(timeout=TIMEOUT)


def finish(process: subprocess.Popen[bytes]) -> tuple[int, bytes, bytes]:
    """Wait for a background process; its exit code, stdout and stderr."""
    out, err = process.communicate(timeout=TIMEOUT)
    return process.returncode, out, err


def read_line(stream: object, timeout: float = 10.0) -> bytes:
    """One line of a subprocess pipe, waiting at most *timeout* seconds."""
    assert hasattr(stream, "readline") and hasattr(stream, "fileno")
    ready, _, _ = select.select([stream], [], [], timeout)
    assert ready, "no output in time"
    line: bytes = stream.readline()
    return line


def bound(process: subprocess.Popen[bytes], scheme: str = "tcp") -> str:
    """The endpoint a process that bound ``WILDCARD`` reports on stderr."""
    line = read_line(process.stderr)
    assert line.startswith(f"listening on {scheme}://127.0.0.1:".encode()), line
    return line.split()[-1].decode()


# -- help, version, usage --------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_help_lists_every_command(command: list[str]) -> None:
    result = run("--help", command=command)
    assert result.returncode == 0
    text = result.stdout.decode()
    for name in [*SOCKET_COMMANDS, "proxy", "keygen"]:
        assert f"\n  {name} " in text, name
    assert "Exit codes" in text
    assert "Examples" in text


@pytest.mark.parametrize("name", [*SOCKET_COMMANDS, "proxy", "keygen"])
def test_every_command_has_help_with_examples(name: str) -> None:
    result = run(name, "--help")
    assert result.returncode == 0
    assert f"aiomsg {name}" in result.stdout.decode()
    assert "Examples:" in result.stdout.decode()


@pytest.mark.parametrize("command", COMMANDS)
def test_version(command: list[str]) -> None:
    result = run("--version", command=command)
    assert result.returncode == 0
    assert aiomsg.__version__ in result.stdout.decode()


@pytest.mark.parametrize("endpoint", ["nonsense", "foo://bar", "tcp://127.0.0.1:notaport"])
def test_bad_endpoint_is_a_usage_error(endpoint: str) -> None:
    result = run("pull", endpoint)
    assert result.returncode == EXIT_USAGE
    assert result.stderr.decode().startswith("error: ")
    assert b"Traceback" not in result.stderr


def test_bad_option_is_a_usage_error() -> None:
    result = run("pull", tcp(), "--count", "zero")
    assert result.returncode == EXIT_USAGE
    assert b"Traceback" not in result.stderr


def test_bad_input_line_is_an_error() -> None:
    result = run("push", tcp(), "--format", "json", "--wait-peer", "0", input=b'["a", 1]\n')
    stderr = result.stderr.decode()
    assert result.returncode == 1, stderr
    # Other log lines (a connection attempt's warning) may come first.
    assert any(line.startswith("error: stdin line 1:") for line in stderr.splitlines()), stderr


# -- timeouts and interruption ---------------------------------------------------


def test_timeout_with_nothing_arriving_exits_3() -> None:
    started = time.monotonic()
    result = run("pull", WILDCARD, "--timeout", "0.5")
    assert result.returncode == EXIT_TIMEOUT
    assert "error: timed out" in result.stderr.decode()
    assert time.monotonic() - started < TIMEOUT


def test_no_peer_within_wait_peer_exits_3() -> None:
    result = run("push", tcp(), "--wait-peer", "0.3", input=b"lost\n")
    assert result.returncode == EXIT_TIMEOUT
    assert "--wait-peer" in result.stderr.decode()


def test_sigint_exits_130_without_traceback(spawn: Spawn) -> None:
    pull = spawn("pull", WILDCARD)
    bound(pull)  # a wildcard bind is reported on stderr once the socket listens
    pull.send_signal(signal.SIGINT)
    code, out, err = finish(pull)
    assert code == EXIT_INTERRUPTED
    assert b"Traceback" not in err
    assert out == b""


# -- message patterns ------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_push_pull_text_lines(spawn: Spawn, command: list[str]) -> None:
    pull = spawn("pull", WILDCARD, "--count", "3", "--timeout", "15", command=command)
    endpoint = bound(pull)
    lines = b"one\ntwo\tframes\n\n"
    push = run("push", endpoint, input=lines, command=command)
    assert push.returncode == 0, push.stderr
    assert finish(pull) == (0, lines, b"")


def test_push_pull_multipart_with_separator(spawn: Spawn) -> None:
    pull = spawn("pull", WILDCARD, "--count", "2", "--timeout", "15", "--format", "json")
    endpoint = bound(pull)
    push = run("push", endpoint, "--separator", "|", input=b"a|b|c\nsingle\tframe")
    assert push.returncode == 0, push.stderr
    assert finish(pull) == (0, b'["a", "b", "c"]\n["single\\tframe"]\n', b"")


def test_push_pull_json(spawn: Spawn) -> None:
    pull = spawn("pull", WILDCARD, "-n", "3", "-t", "15", "-f", "json")
    endpoint = bound(pull)
    lines = '["a", "", "é"]\n"one string"\n\n["\\udc80 binary"]\n'.encode()
    push = run("push", endpoint, "--format", "json", input=lines)
    assert push.returncode == 0, push.stderr
    expected = '["a", "", "é"]\n["one string"]\n["\\udc80 binary"]\n'.encode()
    assert finish(pull) == (0, expected, b"")


def test_push_pull_hex(spawn: Spawn) -> None:
    pull = spawn("pull", WILDCARD, "-n", "2", "-t", "15", "-f", "hex")
    endpoint = bound(pull)
    push = run("push", endpoint, "-f", "hex", input=b"00ff  -   41\n\n6869\n")
    assert push.returncode == 0, push.stderr
    assert finish(pull) == (0, b"00ff - 41\n6869\n", b"")


def test_pub_sub_topic_filtering(spawn: Spawn) -> None:
    lines = b"weather\tsunny\nsport\t2-1\nnews\tquiet\nweather.paris\train\nsport\t0-0\n"
    pub = spawn("pub", WILDCARD, stdin=lines)
    topics = ["--topic", "weather", "--topic", "news"]
    sub = run("sub", bound(pub), *topics, "-n", "3", "-t", "15")
    assert sub.returncode == 0, sub.stderr
    assert sub.stdout == b"weather\tsunny\nnews\tquiet\nweather.paris\train\n"
    assert finish(pub) == (0, b"", b"")


def test_req_rep_echo(spawn: Spawn) -> None:
    rep = spawn("rep", WILDCARD, "--echo", "-n", "2", "-t", "15")
    req = run("req", bound(rep), "--timeout", "15", input=b"hello\nmulti\tpart\n")
    assert (req.returncode, req.stdout) == (0, b"hello\nmulti\tpart\n"), req.stderr
    assert finish(rep) == (0, b"hello\nmulti\tpart\n", b"")


def test_req_rep_constant_reply_over_ipc(spawn: Spawn, tmp_path: Path) -> None:
    endpoint = f"ipc://{tmp_path}/rep.sock"
    rep = spawn("rep", endpoint, "--reply", '["World", "!"]', "-f", "json", "-n", "1", "-t", "15")
    req = run("req", endpoint, "-f", "json", input=b'"Hello"\n')
    assert (req.returncode, req.stdout) == (0, b'["World", "!"]\n'), req.stderr
    assert finish(rep) == (0, b'["Hello"]\n', b"")


def test_dealer_router(spawn: Spawn) -> None:
    router = spawn("router", WILDCARD, "-n", "1", "-t", "15", stdin=b"alice\tworld\n")
    dealer = run(
        "dealer", bound(router), "--identity", "alice", "-n", "1", "-t", "15", input=b"hello\n"
    )
    assert (dealer.returncode, dealer.stdout) == (0, b"world\n"), dealer.stderr
    assert finish(router) == (0, b"alice\thello\n", b"")


def test_pair_both_ways(spawn: Spawn) -> None:
    first = spawn("pair", WILDCARD, "-n", "1", "-t", "15", stdin=b"ping\n")
    second = run("pair", "--connect", bound(first), "-n", "1", "-t", "15", input=b"pong\n")
    assert (second.returncode, second.stdout) == (0, b"ping\n"), second.stderr
    assert finish(first) == (0, b"pong\n", b"")


def test_xpub_prints_subscriptions(spawn: Spawn) -> None:
    xpub = spawn("xpub", WILDCARD, "-f", "hex", "-n", "1", "-t", "15")
    xsub = spawn("xsub", bound(xpub), "--topic", "ab", "-t", "15")
    assert finish(xpub) == (0, b"016162\n", b"")
    xsub.kill()


def test_proxy_streamer(spawn: Spawn) -> None:
    proxy = spawn("proxy", "streamer", WILDCARD, WILDCARD)
    frontend, backend = bound(proxy), bound(proxy)
    pull = spawn("pull", "--connect", backend, "-n", "3", "-t", "15")
    push = run("push", frontend, input=b"a\nb\nc\n")
    assert push.returncode == 0, push.stderr
    assert finish(pull) == (0, b"a\nb\nc\n", b"")
    assert proxy.poll() is None  # a proxy runs until interrupted
    proxy.send_signal(signal.SIGINT)
    code, _, err = finish(proxy)
    assert code == EXIT_INTERRUPTED
    assert b"Traceback" not in err


# -- the draft socket types ----------------------------------------------------


def test_client_to_server_prints_the_routing_id(spawn: Spawn) -> None:
    server = spawn("server", WILDCARD, "-n", "1", "-t", "15")
    client = spawn("client", bound(server), "-t", "15", stdin=b"hello\n")
    code, out, err = finish(server)
    assert code == 0, err
    routing_id, body = out.rstrip(b"\n").split(b"\t")
    assert int(routing_id) > 0 and body == b"hello"
    client.kill()


def test_server_drops_a_line_for_an_unknown_client(spawn: Spawn) -> None:
    server = run("server", WILDCARD, "--wait-peer", "0", "-t", "1", input=b"12345\thi\n")
    assert server.returncode == EXIT_TIMEOUT  # nothing to receive either
    assert b"no peer with routing id '12345'; line dropped" in server.stderr


def test_scatter_gather(spawn: Spawn) -> None:
    gather = spawn("gather", WILDCARD, "-n", "2", "-t", "15")
    scatter = run("scatter", bound(gather), input=b"job 1\njob 2\n")
    assert scatter.returncode == 0, scatter.stderr
    assert finish(gather) == (0, b"job 1\njob 2\n", b"")


def test_single_frame_types_refuse_multipart_lines(spawn: Spawn) -> None:
    gather = spawn("gather", WILDCARD, "-n", "1", "-t", "15")
    scatter = run("scatter", bound(gather), input=b"two\tframes\none frame\n")
    assert scatter.returncode == 0 and b"line dropped" in scatter.stderr
    assert finish(gather) == (0, b"one frame\n", b"")


def test_radio_dish_over_udp(spawn: Spawn) -> None:
    dish = spawn("dish", "udp://127.0.0.1:*", "--group", "weather", "-n", "1", "-t", "15")
    endpoint = bound(dish, "udp")
    # udp is connectionless: repeat until the dish, already bound, has one.
    lines = b"sport\t1-0\n" + b"weather\tsunny\n" * 50
    radio = run("radio", endpoint, input=lines)
    assert radio.returncode == 0, radio.stderr
    assert finish(dish) == (0, b"weather\tsunny\n", b"")


def test_peer_connect_reports_the_routing_id(spawn: Spawn) -> None:
    first = spawn("peer", WILDCARD, "-n", "1", "-t", "15")
    endpoint = bound(first)
    second = spawn("peer", "--connect", endpoint, "-t", "15", stdin=b"")
    line = read_line(second.stderr)
    assert line.startswith(f"peer {endpoint} is routing id ".encode()), line
    second.kill()
    first.kill()


def test_channel_both_ways(spawn: Spawn) -> None:
    first = spawn("channel", WILDCARD, "-n", "1", "-t", "15", stdin=b"ping\n")
    second = run("channel", "--connect", bound(first), "-n", "1", "-t", "15", input=b"pong\n")
    assert (second.returncode, second.stdout) == (0, b"ping\n"), second.stderr
    assert finish(first) == (0, b"pong\n", b"")


# -- keygen ----------------------------------------------------------------------

keygen_available = pytest.mark.skipif(
    not hasattr(aiomsg, "curve_keypair") or not getattr(aiomsg, "has_curve", lambda: True)(),
    reason="CURVE key generation is not available",
)


@keygen_available
def test_keygen_prints_a_z85_key_pair() -> None:
    result = run("keygen")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode().splitlines()
    assert [line.split(": ")[0] for line in lines] == ["public", "secret"]
    public, secret = (line.split(": ", 1)[1] for line in lines)
    assert len(public) == len(secret) == 40
    if hasattr(aiomsg, "curve_public"):
        assert aiomsg.curve_public(secret) == public.encode()


@keygen_available
def test_keygen_writes_certificates(tmp_path: Path) -> None:
    if not hasattr(aiomsg, "create_certificates"):
        pytest.skip("aiomsg.create_certificates is not available")
    result = run("keygen", "--out", str(tmp_path / "certs"), "server")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "certs" / "server.key").is_file()
    secret = tmp_path / "certs" / "server.key_secret"
    assert secret.is_file()
    assert secret.stat().st_mode & 0o077 == 0


def test_keygen_unavailable_exits_4() -> None:
    code = (
        "import sys\n"
        "sys.modules['nacl'] = None  # as if PyNaCl were not installed\n"
        "from aiomsg._cli import main\n"
        "sys.exit(main(['keygen']))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, timeout=TIMEOUT, check=False
    )
    assert result.returncode == EXIT_UNAVAILABLE
    assert result.stderr.decode().startswith("error: ")


# -- line formats (in process) ---------------------------------------------------


@pytest.mark.parametrize(
    ("name", "separator", "message"),
    [
        ("text", None, [b"a", b"", b"\xff"]),
        ("text", "||", [b"a\tb", b"c"]),
        ("json", None, [b"caf\xc3\xa9", b"", b"\x00\x80\xff", b'"quoted"\\']),
        ("hex", None, [b"", b"\x00\n", b"xyz"]),
        ("hex", ",", [b"a", b""]),
    ],
)
def test_line_format_round_trip(name: str, separator: str | None, message: list[bytes]) -> None:
    line_format = LineFormat(name, separator)
    line = line_format.format(message)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert line_format.parse(line) == message


def test_line_format_rejects_bad_lines() -> None:
    for name, line in [("json", b"[1]"), ("json", b"[]"), ("json", b"{"), ("hex", b"zz")]:
        with pytest.raises(ValueError):
            LineFormat(name).parse(line)
    assert LineFormat("json").parse(b"  \n") is None
    assert LineFormat("text").parse(b"\r\n") == [b""]
    with pytest.raises(ValueError):
        LineFormat("text", "")


# -- stdin after the loop ended ----------------------------------------------------

STDIN_AFTER_THE_LOOP = """
import asyncio, gc, os, threading
from aiomsg._cli import StdinLines

read_fd, write_fd = os.pipe()

async def main():
    StdinLines(read_fd)  # its reader thread waits for input

asyncio.run(main())
# The loop is closed (as after Ctrl-C in the middle of a pipe); input arrives now.
os.write(write_fd, b"a late line\\n")
os.close(write_fd)
for thread in threading.enumerate():
    if thread.name == "aiomsg-stdin":
        thread.join(10)
gc.collect()
print("done")
"""


def test_input_after_the_loop_ended_is_dropped_quietly() -> None:
    result = subprocess.run(
        [sys.executable, "-c", STDIN_AFTER_THE_LOOP],
        capture_output=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.stdout == b"done\n", result.stderr
    assert b"never awaited" not in result.stderr, result.stderr.decode()
    assert result.stderr == b""
