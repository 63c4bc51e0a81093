"""The ``aiomsg`` command: ZeroMQ sockets from the shell.

``aiomsg TYPE ENDPOINT...`` opens one socket of TYPE (``pub``, ``sub``,
``push``, ``pull``, ``req``, ``rep``, ``dealer``, ``router``, ``pair``,
``xpub``, ``xsub``). Sending types read messages from stdin, one per line;
receiving types write each message received to stdout as one line, in the
same format (``--format text|json|hex``). ``aiomsg proxy`` runs a device and
``aiomsg keygen`` makes CURVE keys. ``python -m aiomsg`` is the same command.

Exit codes: 0 success, 1 runtime error, 2 usage error or bad endpoint,
3 timed out, 4 feature unavailable, 130 interrupted (Ctrl-C), 141 stdout
closed. See ``docs/cli.md``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import select
import sys
import threading
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

import click

import aiomsg
from aiomsg._monitor import Event, Monitor
from aiomsg._socket import Socket
from aiomsg.constants import SocketType

__all__ = [
    "EXIT_BROKEN_PIPE",
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_TIMEOUT",
    "EXIT_UNAVAILABLE",
    "EXIT_USAGE",
    "LineFormat",
    "cli",
    "main",
]

EXIT_OK = 0  #: success
EXIT_ERROR = 1  #: runtime error (bad input line, socket failure...)
EXIT_USAGE = 2  #: bad command line or bad endpoint (as click's usage errors)
EXIT_TIMEOUT = 3  #: nothing arrived within --timeout, or no peer within --wait-peer
EXIT_UNAVAILABLE = 4  #: the feature is not available (keygen without CURVE support)
EXIT_INTERRUPTED = 130  #: Ctrl-C (128 + SIGINT)
EXIT_BROKEN_PIPE = 141  #: stdout was closed by its reader (128 + SIGPIPE)

FORMATS = ("text", "json", "hex")

_CONTEXT: dict[str, Any] = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

logger = logging.getLogger("aiomsg")


class CliError(Exception):
    """A failure reported as ``error: message`` on stderr, exiting with *code*."""

    def __init__(self, message: str, code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.code = code


# -- line formats ----------------------------------------------------------------


class LineFormat:
    """How a message (a list of frames) is written as one line, and read back.

    * ``text``: the frames' bytes joined by the separator (default TAB). An
      empty line is a message of one empty frame.
    * ``json``: a JSON array of strings (on input a single string is one
      frame). Frames are UTF-8; bytes that are not valid UTF-8 are written as
      ``\\udc80``-``\\udcff`` escapes (Python's ``surrogateescape``) and read
      back as the same bytes.
    * ``hex``: each frame in hexadecimal, ``-`` for an empty frame, separated
      by a space (on input: by any whitespace, or by ``--separator`` if given).

    Blank lines are skipped in the json and hex formats.
    """

    def __init__(self, name: str = "text", separator: str | None = None) -> None:
        if name not in FORMATS:
            raise ValueError(f"unknown format {name!r}; expected one of {', '.join(FORMATS)}")
        if separator is not None:
            separator = separator.replace("\\t", "\t")
            if not separator or "\n" in separator or "\r" in separator:
                raise ValueError("the separator must be non-empty and hold no line break")
        self.name = name
        self._separator = separator.encode() if separator is not None else None

    def parse(self, line: bytes) -> list[bytes] | None:
        """The message in *line* (its line break is ignored); None for a skipped
        blank line.

        Raises:
            ValueError: the line is not valid in this format.
        """
        if line.endswith(b"\n"):
            line = line[:-1]
            if line.endswith(b"\r"):
                line = line[:-1]
        if self.name == "text":
            return line.split(self._separator or b"\t")
        if not line.strip():
            return None
        if self.name == "json":
            return _parse_json(line)
        return _parse_hex(line, self._separator)

    def format(self, message: Iterable[bytes]) -> bytes:
        """*message* as one line, with its line break."""
        if self.name == "text":
            return (self._separator or b"\t").join(message) + b"\n"
        if self.name == "json":
            frames = [frame.decode("utf-8", "surrogateescape") for frame in message]
            # Lone surrogates (undecodable bytes) become \udcXX JSON escapes.
            text = json.dumps(frames, ensure_ascii=False)
            return text.encode("utf-8", "backslashreplace") + b"\n"
        separator = self._separator or b" "
        return separator.join(frame.hex().encode() or b"-" for frame in message) + b"\n"


def _parse_json(line: bytes) -> list[bytes]:
    try:
        value = json.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"not valid JSON: {error}") from None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError("expected a JSON string or an array of strings")
    if not value:
        raise ValueError("a message needs at least one frame")
    return [item.encode("utf-8", "surrogateescape") for item in value]


def _parse_hex(line: bytes, separator: bytes | None) -> list[bytes]:
    tokens = line.split(separator) if separator is not None else line.split()
    frames = []
    for token in tokens:
        token = token.strip()
        if token == b"-":
            frames.append(b"")
            continue
        try:
            frames.append(bytes.fromhex(token.decode("ascii")))
        except (UnicodeDecodeError, ValueError):
            raise ValueError(f"not a hex frame: {token.decode('ascii', 'replace')!r}") from None
    return frames


# -- stdin and stdout ------------------------------------------------------------


class StdinLines:
    """The lines of a file descriptor (stdin by default), for the event loop.

    A daemon thread reads the descriptor with ``os.read``, so this works the
    same for a terminal, a pipe and a regular file, never blocks the loop,
    and never keeps the process alive (nor holds a lock) at exit. At most
    *max_chunks* chunks are read ahead.
    """

    _CHUNK = 65536

    def __init__(self, fd: int = 0, max_chunks: int = 16) -> None:
        self._loop = asyncio.get_running_loop()
        self._chunks: asyncio.Queue[bytes] = asyncio.Queue()
        # The read-ahead bound: the reader takes a slot per chunk, readline()
        # gives it back when it takes the chunk.
        self._slots = threading.Semaphore(max_chunks)
        self._buffer = bytearray()
        self._eof = False
        #: The number of the line last returned (1-based), for error messages.
        self.line_number = 0
        thread = threading.Thread(target=self._read, args=(fd,), name="aiomsg-stdin", daemon=True)
        thread.start()

    def _read(self, fd: int) -> None:
        while True:
            self._slots.acquire()
            chunk = self._read_chunk(fd)
            try:
                # A plain callback, no coroutine: when the loop is gone (Ctrl-C
                # in the middle of a pipe), nothing is left unawaited.
                self._loop.call_soon_threadsafe(self._chunks.put_nowait, chunk)
            except RuntimeError:
                return  # the loop is closed
            if not chunk:
                return

    @staticmethod
    def _read_chunk(fd: int) -> bytes:
        """The next chunk of *fd*; b"" at end of input or on an error."""
        while True:
            try:
                return os.read(fd, StdinLines._CHUNK)
            except (BlockingIOError, InterruptedError):
                # A parent may have left stdin non-blocking: wait for data, not EOF.
                select.select([fd], [], [])
            except OSError:
                return b""

    async def readline(self) -> bytes:
        """The next line with its ``\\n`` (the last one may lack it); b"" at EOF."""
        while True:
            end = self._buffer.find(b"\n")
            if end >= 0:
                line = bytes(self._buffer[: end + 1])
                del self._buffer[: end + 1]
                self.line_number += 1
                return line
            if self._eof:
                line = bytes(self._buffer)
                self._buffer.clear()
                if line:
                    self.line_number += 1
                return line
            chunk = await self._chunks.get()
            self._slots.release()
            if chunk:
                self._buffer += chunk
            else:
                self._eof = True

    async def read_message(self, line_format: LineFormat) -> list[bytes] | None:
        """The next message (blank lines skipped where the format says so); None at EOF.

        Raises:
            CliError: a line is not valid in *line_format*.
        """
        while True:
            line = await self.readline()
            if not line:
                return None
            try:
                message = line_format.parse(line)
            except ValueError as error:
                raise CliError(f"stdin line {self.line_number}: {error}") from None
            if message is not None:
                return message


class Output:
    """Writes each message as one line to a binary stream, flushed at once."""

    def __init__(self, line_format: LineFormat, stream: BinaryIO | None = None) -> None:
        self._format = line_format
        self._stream = stream if stream is not None else sys.stdout.buffer

    def write(self, message: list[bytes]) -> None:
        """Write *message* and flush, so that a pipe sees every line at once."""
        self._stream.write(self._format.format(message))
        self._stream.flush()


# -- socket commands -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Kind:
    """A socket command: its type, how it moves messages, and its help."""

    name: str
    socket_type: SocketType
    #: "send" (stdin to socket), "recv" (socket to stdout), "req", "rep" or "both".
    mode: str
    binds: bool
    summary: str
    details: str
    examples: str


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(
            "pub",
            SocketType.PUB,
            "send",
            True,
            "Publish each stdin line to every subscriber.",
            "Waits for a first subscriber (--wait-peer), then --delay seconds so that "
            "its subscriptions arrive (the slow-joiner problem), then publishes. "
            "Subscribers that join later miss earlier messages.",
            "aiomsg sub tcp://127.0.0.1:5556 --topic weather &\n"
            "printf 'weather\\tsunny\\nsport\\t2-1\\n' | aiomsg pub tcp://127.0.0.1:5556",
        ),
        Kind(
            "sub",
            SocketType.SUB,
            "recv",
            False,
            "Print the messages published on the topics given.",
            "A message matches when its first frame starts with one of the --topic "
            "values (default: every message).",
            "aiomsg sub tcp://127.0.0.1:5556 --topic weather --count 1",
        ),
        Kind(
            "push",
            SocketType.PUSH,
            "send",
            False,
            "Push each stdin line to the pull peers, in turn.",
            "Waits for a first peer (--wait-peer) before sending; at end of input, "
            "waits up to --linger ms for queued messages to go out.",
            "aiomsg pull tcp://127.0.0.1:5557 &\n"
            "printf 'job 1\\njob 2\\n' | aiomsg push tcp://127.0.0.1:5557",
        ),
        Kind(
            "pull",
            SocketType.PULL,
            "recv",
            True,
            "Print every message pushed to this socket.",
            "Takes messages fairly from all its push peers.",
            "aiomsg pull tcp://127.0.0.1:5557 --count 2 --timeout 10",
        ),
        Kind(
            "req",
            SocketType.REQ,
            "req",
            False,
            "Send each stdin line as a request and print its reply.",
            "Requests go one at a time: the next line is sent once the reply to the "
            "previous one has arrived. --timeout bounds the wait for each reply.",
            "echo hello | aiomsg req tcp://127.0.0.1:5555 --timeout 5",
        ),
        Kind(
            "rep",
            SocketType.REP,
            "rep",
            True,
            "Print each request and reply to it.",
            "The reply is the request itself (--echo, the default) or the constant "
            "--reply message, written in the --format of the command.",
            "aiomsg rep tcp://127.0.0.1:5555 --echo\n"
            "aiomsg rep tcp://127.0.0.1:5555 --reply World --count 1",
        ),
        Kind(
            "dealer",
            SocketType.DEALER,
            "both",
            False,
            "Send stdin lines to the peers in turn; print every message received.",
            "Sending starts once a peer is connected (--wait-peer) and stops at end "
            "of input; receiving goes on until --count messages, --timeout or Ctrl-C. "
            "To talk to a rep, put an empty first frame (the envelope delimiter).",
            "printf '\\thello\\n' | aiomsg dealer tcp://127.0.0.1:5555 --count 1",
        ),
        Kind(
            "router",
            SocketType.ROUTER,
            "both",
            True,
            "Print messages with the sender's routing id first; route stdin lines "
            "by their first frame.",
            "Each received message is printed with the routing id of its sender as "
            "first frame; each stdin line goes to the peer whose routing id is its "
            "first frame (a line for an unknown peer is reported and dropped). "
            "Generated routing ids are binary: use --format hex or json, or give "
            "the peers an --identity.",
            "aiomsg router tcp://127.0.0.1:5558 --format hex\n"
            "printf 'hello\\n' | aiomsg dealer tcp://127.0.0.1:5558 --identity alice --count 1",
        ),
        Kind(
            "pair",
            SocketType.PAIR,
            "both",
            True,
            "Exchange messages with exactly one other pair socket.",
            "Sends stdin lines and prints what the peer sends, as dealer does.",
            "aiomsg pair tcp://127.0.0.1:5559 &\n"
            "echo ping | aiomsg pair --connect tcp://127.0.0.1:5559 --timeout 2",
        ),
        Kind(
            "xpub",
            SocketType.XPUB,
            "both",
            True,
            "Publish stdin lines; print the subscriptions received.",
            "Subscriptions arrive as messages whose first byte is 1 (subscribe) or "
            "0 (unsubscribe) followed by the topic; --format hex shows them best.",
            "aiomsg xpub tcp://127.0.0.1:5560 --format hex",
        ),
        Kind(
            "xsub",
            SocketType.XSUB,
            "both",
            False,
            "Print published messages; send stdin lines upstream.",
            "Subscribes to the --topic values (default: none); stdin lines are sent "
            "to the publishers, so a line of byte 1 + topic subscribes too.",
            "aiomsg xsub tcp://127.0.0.1:5560 --topic weather",
        ),
        Kind(
            "server",
            SocketType.SERVER,
            "both",
            True,
            "Print each message with its client's routing id first; send stdin "
            "lines to the client their first frame names.",
            "Messages are single frames. Each is printed as ROUTING-ID<TAB>MESSAGE "
            "(the id is a number); a stdin line ROUTING-ID<TAB>MESSAGE goes to that "
            "client (a line for an unknown client is reported and dropped).",
            "aiomsg server tcp://127.0.0.1:5561 -n 1\n"
            "echo hello | aiomsg client tcp://127.0.0.1:5561",
        ),
        Kind(
            "client",
            SocketType.CLIENT,
            "both",
            False,
            "Send stdin lines to the servers in turn; print what they send back.",
            "Messages are single frames: a line with a frame separator is refused.",
            "echo hello | aiomsg client tcp://127.0.0.1:5561 --count 1 --timeout 5",
        ),
        Kind(
            "radio",
            SocketType.RADIO,
            "send",
            False,
            "Send each stdin line GROUP<TAB>MESSAGE to the dishes that joined GROUP.",
            "Connects by default, as a RADIO does over udp (the dish binds); --bind "
            "for tcp. Groups are at most 255 bytes (127 over udp).",
            "aiomsg dish udp://127.0.0.1:5562 --group weather &\n"
            "printf 'weather\\tsunny\\n' | aiomsg radio udp://127.0.0.1:5562",
        ),
        Kind(
            "dish",
            SocketType.DISH,
            "recv",
            True,
            "Print the messages sent to the groups joined, as GROUP<TAB>MESSAGE.",
            "Joins each --group. Binds by default, as a DISH does over udp.",
            "aiomsg dish udp://127.0.0.1:5562 --group weather --count 1",
        ),
        Kind(
            "scatter",
            SocketType.SCATTER,
            "send",
            False,
            "Scatter each stdin line to the gather peers, in turn.",
            "PUSH for single-frame messages.",
            "aiomsg gather tcp://127.0.0.1:5563 &\n"
            "printf 'job 1\\njob 2\\n' | aiomsg scatter tcp://127.0.0.1:5563",
        ),
        Kind(
            "gather",
            SocketType.GATHER,
            "recv",
            True,
            "Print every message scattered to this socket.",
            "PULL for single-frame messages: takes them fairly from every peer.",
            "aiomsg gather tcp://127.0.0.1:5563 --count 2 --timeout 10",
        ),
        Kind(
            "peer",
            SocketType.PEER,
            "both",
            True,
            "Exchange messages with peers by routing id, as ROUTING-ID<TAB>MESSAGE.",
            "Binds by default; with --connect, each connection's routing id is "
            "reported on stderr ('peer ENDPOINT is routing id N').",
            "aiomsg peer tcp://127.0.0.1:5564 -n 1 &\n"
            "aiomsg peer --connect tcp://127.0.0.1:5564 -t 5",
        ),
        Kind(
            "channel",
            SocketType.CHANNEL,
            "both",
            True,
            "Exchange single-frame messages with exactly one other channel socket.",
            "PAIR for single-frame messages.",
            "aiomsg channel tcp://127.0.0.1:5565 &\n"
            "echo ping | aiomsg channel --connect tcp://127.0.0.1:5565 --timeout 2",
        ),
    )
}

#: The socket types whose messages carry a routing id or a group on their
#: own, printed and read as a first frame.
_ROUTED = frozenset({SocketType.SERVER, SocketType.PEER})
_GROUPED = frozenset({SocketType.RADIO, SocketType.DISH})


async def _send_message(sock: Socket, message: list[bytes]) -> None:
    """Send one stdin message; SERVER/PEER/RADIO take the first frame as the
    routing id or group.

    Raises:
        ValueError: the message has no routing id or group, or a bad one.
    """
    kind = sock.socket_type
    if kind in _ROUTED or kind in _GROUPED:
        if len(message) != 2:
            what = "ROUTING-ID" if kind in _ROUTED else "GROUP"
            raise ValueError(f"a {kind.name} line is {what}<TAB>MESSAGE")
        address, body = message
        if kind in _ROUTED:
            await sock.send(body, routing_id=int(address))
        else:
            await sock.send(body, group=address)
        return
    await sock.send_multipart(message)


async def _recv_message(sock: Socket) -> list[bytes]:
    """The next message as frames; SERVER/PEER/DISH put the routing id or
    group first."""
    kind = sock.socket_type
    if kind in _ROUTED:
        body, routing_id = await sock.recv_from()
        return [str(routing_id).encode(), body]
    if kind is SocketType.DISH:
        body, group = await sock.recv_with_group()
        return [group, body]
    return await sock.recv_multipart()


@dataclass(frozen=True, slots=True)
class Settings:
    """The options of one socket command, checked."""

    kind: Kind
    endpoints: tuple[str, ...]
    bind: bool | None
    topics: tuple[str, ...]
    line_format: LineFormat
    count: int | None
    timeout: float | None
    identity: str | None
    hwm: int | None
    linger: int
    wait_peer: float
    delay: float
    reply: list[bytes] | None


def _plan(endpoints: Iterable[str], default_bind: bool) -> list[tuple[bool, str]]:
    """Each endpoint with whether to bind it: ``@`` before it binds, ``>`` connects."""
    plan = []
    for endpoint in endpoints:
        if endpoint.startswith("@"):
            plan.append((True, endpoint[1:]))
        elif endpoint.startswith(">"):
            plan.append((False, endpoint[1:]))
        else:
            plan.append((default_bind, endpoint))
    return plan


async def _attach(sock: Socket, endpoints: Iterable[str], default_bind: bool) -> None:
    """Bind or connect *sock* to each endpoint; report wildcard binds on stderr."""
    for bind, endpoint in _plan(endpoints, default_bind):
        if bind:
            actual = await sock.bind(endpoint)
            if actual != endpoint:
                click.echo(f"listening on {actual}", err=True)
        elif sock.socket_type is SocketType.PEER:
            routing_id = await sock.connect_peer(endpoint)
            click.echo(f"peer {endpoint} is routing id {routing_id}", err=True)
        else:
            await sock.connect(endpoint)


async def _wait_peer(sock: Socket, monitor: Monitor, seconds: float) -> None:
    """Return once *sock* has a peer past its handshake, waiting at most *seconds*.

    Raises:
        CliError: (exit 3) no peer in time.
    """
    if seconds <= 0:
        return
    try:
        async with asyncio.timeout(seconds):
            while not sock.peer_count:
                await monitor.wait_for(Event.HANDSHAKE_SUCCEEDED)
    except TimeoutError:
        message = f"timed out: no peer connected within {seconds:g} s (see --wait-peer)"
        raise CliError(message, EXIT_TIMEOUT) from None


async def _recv(sock: Socket, timeout: float | None) -> list[bytes]:
    """The next message, waiting at most *timeout* seconds (None: forever).

    Raises:
        CliError: (exit 3) nothing arrived in time.
    """
    try:
        async with asyncio.timeout(timeout):
            return await _recv_message(sock)
    except TimeoutError:
        raise CliError(f"timed out: no message within {timeout:g} s", EXIT_TIMEOUT) from None


class LineSender:
    """Sends stdin messages on a socket; the first one waits for a peer
    (--wait-peer) and then --delay seconds."""

    def __init__(self, sock: Socket, monitor: Monitor, settings: Settings) -> None:
        self._sock = sock
        self._monitor = monitor
        self._settings = settings
        self._ready = False

    async def send_lines(self, lines: StdinLines, limit: int | None) -> int:
        """Send messages from *lines* until EOF or *limit*; return how many were sent."""
        settings = self._settings
        sent = 0
        while limit is None or sent < limit:
            message = await lines.read_message(settings.line_format)
            if message is None:
                break
            if not self._ready:
                await _wait_peer(self._sock, self._monitor, settings.wait_peer)
                if settings.delay > 0:
                    await asyncio.sleep(settings.delay)
                self._ready = True
            try:
                async with asyncio.timeout(settings.timeout):
                    await _send_message(self._sock, message)
            except TimeoutError:
                message_text = f"timed out: could not send within {settings.timeout:g} s"
                raise CliError(message_text, EXIT_TIMEOUT) from None
            except aiomsg.HostUnreachable:
                peer = message[0].decode("utf-8", "backslashreplace")
                click.echo(f"warning: no peer with routing id {peer!r}; line dropped", err=True)
                continue
            except (ValueError, aiomsg.InvalidMessage) as error:
                click.echo(f"warning: {error}; line dropped", err=True)
                continue
            sent += 1
        return sent


async def _receive(sock: Socket, settings: Settings, output: Output) -> None:
    """Print messages until --count of them (forever without it)."""
    received = 0
    while settings.count is None or received < settings.count:
        output.write(await _recv(sock, settings.timeout))
        received += 1


async def _mode_send(sock: Socket, monitor: Monitor, settings: Settings) -> None:
    await LineSender(sock, monitor, settings).send_lines(StdinLines(), settings.count)


async def _mode_recv(sock: Socket, monitor: Monitor, settings: Settings) -> None:
    await _receive(sock, settings, Output(settings.line_format))


async def _mode_req(sock: Socket, monitor: Monitor, settings: Settings) -> None:
    sender, lines = LineSender(sock, monitor, settings), StdinLines()
    output = Output(settings.line_format)
    done = 0
    while settings.count is None or done < settings.count:
        if not await sender.send_lines(lines, 1):
            return
        output.write(await _recv(sock, settings.timeout))
        done += 1


async def _mode_rep(sock: Socket, monitor: Monitor, settings: Settings) -> None:
    output = Output(settings.line_format)
    answered = 0
    while settings.count is None or answered < settings.count:
        request = await _recv(sock, settings.timeout)
        output.write(request)
        await sock.send_multipart(settings.reply if settings.reply is not None else request)
        answered += 1


async def _mode_both(sock: Socket, monitor: Monitor, settings: Settings) -> None:
    lines = LineSender(sock, monitor, settings).send_lines(StdinLines(), None)
    sender = asyncio.ensure_future(lines)
    receiver = asyncio.ensure_future(_receive(sock, settings, Output(settings.line_format)))
    pending: set[asyncio.Future[Any]] = {sender, receiver}
    try:
        while receiver in pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()  # a failure of either side ends the command
        if sender in pending and settings.linger != 0:
            # Received enough: input already given still goes out, for up to
            # --linger ms (stdin may be a terminal that never ends).
            limit = None if settings.linger < 0 else settings.linger / 1000
            done, _ = await asyncio.wait({sender}, timeout=limit)
            for task in done:
                task.result()
    finally:
        for task in (sender, receiver):
            task.cancel()
        await asyncio.wait({sender, receiver})


_MODES: dict[str, Callable[[Socket, Monitor, Settings], Awaitable[None]]] = {
    "send": _mode_send,
    "recv": _mode_recv,
    "req": _mode_req,
    "rep": _mode_rep,
    "both": _mode_both,
}


async def run_socket(settings: Settings) -> None:
    """Open the socket *settings* describe, move messages, close it.

    On success the socket closes with --linger, so queued messages still go
    out; on failure or Ctrl-C it closes at once (linger 0).
    """
    kind = settings.kind
    options: dict[str, Any] = {"linger": settings.linger}
    if settings.identity is not None:
        options["identity"] = os.fsencode(settings.identity)  # the bytes as typed
    if settings.hwm is not None:
        options["sndhwm"] = options["rcvhwm"] = settings.hwm
    if kind.socket_type is SocketType.ROUTER:
        options["router_mandatory"] = True  # report lines for unknown peers
    context = aiomsg.Context()
    try:
        sock = context.socket(kind.socket_type, **options)
    except (TypeError, ValueError) as error:
        raise CliError(str(error), EXIT_USAGE) from None
    monitor = sock.monitor()
    finished = False
    try:
        if kind.socket_type in (SocketType.SUB, SocketType.XSUB):
            topics = settings.topics or (("",) if kind.socket_type is SocketType.SUB else ())
            for topic in topics:
                sock.subscribe(os.fsencode(topic))
        if kind.socket_type is SocketType.DISH:
            for group in settings.topics:
                await sock.join(os.fsencode(group))
        binds = kind.binds if settings.bind is None else settings.bind
        await _attach(sock, settings.endpoints, binds)
        await _MODES[kind.mode](sock, monitor, settings)
        finished = True
    finally:
        if finished:
            await sock.aclose()
        else:
            sock.close(0)
        context.destroy(0)


# -- running a command -------------------------------------------------------------


def _error(message: str) -> None:
    click.echo(f"error: {message}", err=True)


def _run(main_coroutine: Coroutine[Any, Any, None]) -> int:
    """Run a command's coroutine with :func:`aiomsg.run`; return the exit code."""
    try:
        aiomsg.run(main_coroutine)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except CliError as error:
        _error(str(error))
        return error.code
    except aiomsg.EndpointError as error:  # also AddressInUse
        _error(str(error))
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader of stdout went away: stop quietly, and keep Python from
        # complaining when it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except (aiomsg.AiomsgError, OSError) as error:
        _error(str(error) or type(error).__name__)
        return EXIT_ERROR
    return EXIT_OK


def _setup_logging(verbose: bool) -> None:
    """Send aiomsg's log (peer problems; every event with -v) to stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("aiomsg: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbose else logging.WARNING)
    logger.propagate = False


def _verbose_option() -> click.Option:
    return click.Option(
        ["-v", "--verbose"], is_flag=True, help="Log every connection event to stderr."
    )


def _hwm_option() -> click.Option:
    return click.Option(
        ["--hwm"],
        type=click.IntRange(min=0),
        metavar="N",
        help="High-water mark: messages queued per peer each way (0 = no limit). [default: 1000]",
    )


def _socket_params(kind: Kind) -> list[click.Parameter]:
    sends = kind.mode in ("send", "req", "both")
    default = "bind" if kind.binds else "connect"
    params: list[click.Parameter] = [
        click.Argument(["endpoints"], nargs=-1, required=True, metavar="ENDPOINT..."),
        click.Option(
            ["--bind/--connect", "bind"],
            default=None,
            help=f"Bind or connect the endpoints. [default: {default}] "
            "A single endpoint can override it: @ENDPOINT binds, >ENDPOINT connects.",
        ),
    ]
    if kind.socket_type is SocketType.DISH:
        params.append(
            click.Option(
                ["--group", "topic"],
                multiple=True,
                required=True,
                metavar="GROUP",
                help="Join GROUP (at most 255 bytes); repeatable.",
            )
        )
    if kind.socket_type in (SocketType.SUB, SocketType.XSUB):
        every = "every message" if kind.socket_type is SocketType.SUB else "none"
        params.append(
            click.Option(
                ["--topic"],
                multiple=True,
                metavar="TEXT",
                help=f"Subscribe to messages whose first frame starts with TEXT; "
                f"repeatable. [default: {every}]",
            )
        )
    params += [
        click.Option(
            ["-f", "--format", "format_name"],
            type=click.Choice(FORMATS),
            default="text",
            show_default=True,
            help="Line format of the messages on stdin and stdout.",
        ),
        click.Option(
            ["--separator"],
            metavar="SEP",
            help="Frame separator in a line (\\t = TAB). [default: TAB for text; "
            "for hex a space, and any whitespace on input]",
        ),
        click.Option(
            ["-n", "--count"],
            type=click.IntRange(min=1),
            metavar="N",
            help=_count_help(kind),
        ),
        click.Option(
            ["-t", "--timeout"],
            type=click.FloatRange(min=0, min_open=True),
            metavar="SECONDS",
            help=_timeout_help(kind),
        ),
        click.Option(
            ["--identity"], metavar="TEXT", help="Routing id this socket gives its peers."
        ),
        _hwm_option(),
        click.Option(
            ["--linger"],
            type=click.IntRange(min=-1),
            default=2000,
            show_default=True,
            metavar="MS",
            help="At the end, wait up to MS ms for queued messages to be sent (-1: no limit).",
        ),
    ]
    if sends:
        params.append(
            click.Option(
                ["--wait-peer"],
                type=click.FloatRange(min=0),
                default=5.0,
                show_default=True,
                metavar="SECONDS",
                help="Before the first message, wait this long for a peer to connect; "
                "exit 3 if none does (0: do not wait).",
            )
        )
    if kind.socket_type in (SocketType.PUB, SocketType.XPUB):
        params.append(
            click.Option(
                ["--delay"],
                type=click.FloatRange(min=0),
                default=0.2,
                show_default=True,
                metavar="SECONDS",
                help="After the first subscriber connects, wait this long for its "
                "subscriptions before publishing.",
            )
        )
    if kind.mode == "rep":
        params += [
            click.Option(
                ["--reply"],
                metavar="MESSAGE",
                help="Answer every request with MESSAGE (in the --format of the command).",
            ),
            click.Option(
                ["--echo"], is_flag=True, help="Answer each request with itself (the default)."
            ),
        ]
    params.append(_verbose_option())
    return params


def _count_help(kind: Kind) -> str:
    what = {
        "send": "sending N messages",
        "recv": "receiving N messages",
        "req": "N requests have been answered",
        "rep": "answering N requests",
        "both": "receiving N messages",
    }[kind.mode]
    return f"Exit after {what}."


def _timeout_help(kind: Kind) -> str:
    if kind.mode == "send":
        return "Exit with code 3 if a message cannot be sent within SECONDS (peers full)."
    what = "a reply" if kind.mode == "req" else "the next message"
    return f"Exit with code 3 if {what} does not arrive within SECONDS."


def _socket_command(kind: Kind) -> click.Command:
    def callback(
        endpoints: tuple[str, ...],
        bind: bool | None,
        format_name: str,
        separator: str | None,
        count: int | None,
        timeout: float | None,
        identity: str | None,
        hwm: int | None,
        linger: int,
        verbose: bool,
        topic: tuple[str, ...] = (),
        wait_peer: float = 0.0,
        delay: float = 0.0,
        reply: str | None = None,
        echo: bool = False,
    ) -> None:
        try:
            line_format = LineFormat(format_name, separator)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--separator") from None
        reply_message = None
        if reply is not None:
            if echo:
                raise click.UsageError("--reply and --echo exclude each other")
            try:
                reply_message = line_format.parse(reply.encode())
            except ValueError as error:
                raise click.BadParameter(str(error), param_hint="--reply") from None
            if reply_message is None:
                raise click.BadParameter("the reply is empty", param_hint="--reply")
        settings = Settings(
            kind=kind,
            endpoints=endpoints,
            bind=bind,
            topics=topic,
            line_format=line_format,
            count=count,
            timeout=timeout,
            identity=identity,
            hwm=hwm,
            linger=linger,
            wait_peer=wait_peer,
            delay=delay,
            reply=reply_message,
        )
        _setup_logging(verbose)
        click.get_current_context().exit(_run(run_socket(settings)))

    default = "binds" if kind.binds else "connects"
    help_text = (
        f"{kind.summary}\n\n{kind.details}\n\n"
        f"By default a {kind.name} socket {default} to the ENDPOINTs "
        "(tcp://HOST:PORT, ipc://PATH).\n\n" + _io_help(kind)
    )
    epilog = "\b\nExamples:\n" + "\n".join("  " + line for line in kind.examples.splitlines())
    return click.Command(
        kind.name,
        callback=callback,
        params=_socket_params(kind),
        help=help_text,
        epilog=epilog,
        short_help=kind.summary,
        context_settings=_CONTEXT,
    )


def _io_help(kind: Kind) -> str:
    if kind.mode == "recv":
        return "Writes one line per message received to stdout; does not read stdin."
    if kind.mode == "send":
        return "Reads one message per line from stdin until end of input; writes nothing."
    return "Reads one message per line from stdin; writes one line per message received."


# -- the command group -------------------------------------------------------------

_MAIN_EPILOG = """\b
Examples:
  aiomsg pull tcp://127.0.0.1:5557 &
  printf 'one\\ntwo\\n' | aiomsg push tcp://127.0.0.1:5557
  aiomsg rep tcp://127.0.0.1:5555 --echo &
  echo hello | aiomsg req tcp://127.0.0.1:5555
  aiomsg proxy streamer tcp://*:5557 tcp://*:5558

\b
Line formats (--format): text (frames separated by TAB or --separator),
json (an array of strings per line), hex (hex frames separated by spaces).

\b
Exit codes: 0 success, 1 runtime error, 2 usage error or bad endpoint,
3 timed out, 4 unavailable feature, 130 interrupted (Ctrl-C), 141 stdout closed by its reader.
"""


@click.group(context_settings=_CONTEXT, epilog=_MAIN_EPILOG)
@click.version_option(aiomsg.__version__, "-V", "--version", prog_name="aiomsg")
def cli() -> None:
    """ZeroMQ sockets from the shell, with aiomsg (ZMTP 3.1, pure Python).

    Each socket command opens one socket of that type: sending types read
    messages from stdin, one per line; receiving types print each message
    received as one line. They talk to any ZeroMQ program.
    """


for _kind in KINDS.values():
    cli.add_command(_socket_command(_kind))


# -- proxy -----------------------------------------------------------------------

PROXIES: dict[str, tuple[SocketType, SocketType]] = {
    "queue": (SocketType.ROUTER, SocketType.DEALER),
    "forwarder": (SocketType.XSUB, SocketType.XPUB),
    "streamer": (SocketType.PULL, SocketType.PUSH),
}


async def run_proxy(
    name: str, frontend: str, backend: str, capture: str | None, hwm: int | None
) -> None:
    """Bind (or connect) the two sides of the *name* device and run it until cancelled."""
    options: dict[str, Any] = {"linger": 0}
    if hwm is not None:
        options["sndhwm"] = options["rcvhwm"] = hwm
    front_type, back_type = PROXIES[name]
    context = aiomsg.Context()
    try:
        front = context.socket(front_type, **options)
        back = context.socket(back_type, **options)
        spy = context.socket(SocketType.PUB, **options) if capture else None
        await _attach(front, [frontend], True)
        await _attach(back, [backend], True)
        if spy is not None and capture:
            await _attach(spy, [capture], True)
        await aiomsg.proxy(front, back, spy)
    finally:
        context.destroy(0)


_PROXY_EPILOG = """\b
Devices:
  queue      ROUTER frontend, DEALER backend: req clients to rep workers
  forwarder  XSUB frontend, XPUB backend: publishers to subscribers
  streamer   PULL frontend, PUSH backend: pushers to pullers

\b
Examples:
  aiomsg proxy queue tcp://*:5559 tcp://*:5560
  aiomsg proxy forwarder tcp://*:5561 tcp://*:5562 --capture tcp://127.0.0.1:5563
  aiomsg proxy streamer tcp://*:5557 '>tcp://10.0.0.2:5558'
"""


@cli.command(context_settings=_CONTEXT, epilog=_PROXY_EPILOG)
@click.argument("device", type=click.Choice(list(PROXIES)))
@click.argument("frontend")
@click.argument("backend")
@click.option(
    "--capture",
    metavar="ENDPOINT",
    help="Also publish every message passing through on a PUB socket bound here.",
)
@click.option(
    "--hwm",
    type=click.IntRange(min=0),
    metavar="N",
    help="High-water mark of both sides (0 = no limit). [default: 1000]",
)
@click.option("-v", "--verbose", is_flag=True, help="Log every connection event to stderr.")
def proxy(
    device: str, frontend: str, backend: str, capture: str | None, hwm: int | None, verbose: bool
) -> None:
    """Run a device between FRONTEND and BACKEND until Ctrl-C.

    Both sides bind by default; write >ENDPOINT to connect one instead.
    """
    _setup_logging(verbose)
    click.get_current_context().exit(_run(run_proxy(device, frontend, backend, capture, hwm)))


# -- keygen ----------------------------------------------------------------------

_KEYGEN_EPILOG = """\b
Examples:
  aiomsg keygen
  aiomsg keygen --out certs server   # writes certs/server.key, certs/server.key_secret
"""


@cli.command(context_settings=_CONTEXT, epilog=_KEYGEN_EPILOG)
@click.option(
    "--out",
    nargs=2,
    type=(click.Path(file_okay=False), str),
    metavar="DIR NAME",
    help="Write the certificate files DIR/NAME.key and DIR/NAME.key_secret instead.",
)
def keygen(out: tuple[str, str] | None) -> None:
    """Generate a CURVE key pair.

    Prints the public and the secret key as Z85 text (40 characters each),
    one per line: "public: KEY" then "secret: KEY". Keep the secret key private.
    Exits with code 4 if CURVE is not available (it needs PyNaCl).
    """
    ctx = click.get_current_context()
    try:
        if out:
            directory, name = out
            os.makedirs(directory, exist_ok=True)
            public_file, secret_file = aiomsg.create_certificates(directory, name)
            click.echo(f"public: {public_file}")
            click.echo(f"secret: {secret_file}")
        else:
            public, secret = aiomsg.curve_keypair()
            click.echo(f"public: {public.decode('ascii')}")
            click.echo(f"secret: {secret.decode('ascii')}")
    except aiomsg.NotSupported as error:
        _error(str(error))
        ctx.exit(EXIT_UNAVAILABLE)
    except (OSError, ValueError) as error:
        _error(str(error))
        ctx.exit(EXIT_ERROR)


# -- entry point -----------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``aiomsg`` command with *argv* (default: ``sys.argv[1:]``); return
    its exit code. The console script and ``python -m aiomsg`` call this."""
    try:
        result = cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="aiomsg",
            standalone_mode=False,
        )
    except click.exceptions.Abort:
        return EXIT_INTERRUPTED  # Ctrl-C outside the event loop (click's own handling)
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    return result if isinstance(result, int) else EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
