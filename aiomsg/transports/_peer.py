"""PeerProtocol: one asyncio.Protocol per tcp/ipc connection.

It owns no policy. It moves bytes between the transport and the sans-I/O
codec, and messages between the codec and the peer's pipe; the engine (the
socket, through :class:`~aiomsg.transports.Engine`) decides everything else.

Output: a lone message is written at once, for latency (a request, a reply).
From the second message on, until the peer answers, output is coalesced and
leaves in one ``writelines`` call at the end of each loop tick, or earlier
past ``_FLUSH_THRESHOLD`` bytes: a stream of sends costs one write per tick.
"""

from __future__ import annotations

import asyncio
import functools
import socket as _socket
import struct
from collections.abc import Callable
from typing import cast

from aiomsg._zmtp.codec import (
    AuthenticationRequested,
    CodecEvent,
    HandshakeComplete,
    PeerFailed,
    StreamCodec,
    Subscription,
    ZmtpCodec,
)
from aiomsg._zmtp.frames import (
    LAST_HEADERS,
    LAST_HEADERS_LIMIT,
    LONG,
    LONG_HEADER,
    MORE,
    SHORT_HEADERS,
)
from aiomsg._zmtp.mechanism import ZapRequest
from aiomsg.transports._heartbeat import Heartbeat
from aiomsg.transports._tuning import tune_socket
from aiomsg.transports.interface import (
    Engine,
    Event,
    Message,
    PipeEnd,
    SendEncoded,
    SendingPipe,
    ZmqEvent,
)

__all__ = ["CodecFactory", "PeerProtocol", "ReadPacing", "format_peer", "zmtp_codec"]

# struct linger {l_onoff = 1, l_linger = 0}: close() resets the connection.
_LINGER_ZERO = struct.pack("ii", 1, 0)
# Output larger than this is written chunk by chunk, never joined (see _flush).
_JOIN_LIMIT = 1 << 20
# Write at once, without waiting for the end of the tick, past this many bytes.
_FLUSH_THRESHOLD = 256 * 1024
# A data frame with at least this many bytes still to come is read straight
# into its own buffer (_BodyReader): a read's worth (asyncio and uvloop read
# 256 KiB at most), below which joining the chunks costs no more.
_DIRECT_READ_MIN = 256 * 1024
# The buffer large frames are read into is freed this long (s) after one
# completes, unless another is being read: a stream of them reuses it.
_BODY_KEEP = 1.0

#: Makes the codec of one new connection from the socket's options.
#: Makes the codec of one connection: the socket's engine, and the pipe of a
#: connecting side (None when accepted).
CodecFactory = Callable[[Engine, PipeEnd | None], StreamCodec]


def zmtp_codec(engine: Engine, pipe: PipeEnd | None) -> StreamCodec:
    """The ZMTP 3.x codec (tcp, ipc), configured from *engine*'s options."""
    return ZmtpCodec(
        engine.socket_type,
        identity=engine.identity,
        mechanism=engine.new_mechanism(),
        maxmsgsize=engine.maxmsgsize,
        max_message_size=engine.max_message_size,
        accepted=pipe is None,
        admit=functools.partial(engine.refusal, pipe),
        # Each message of one frame as its bytes, which the pipe queues as
        # they are (transports.interface.Delivered): no list per message
        # for the garbage collector to traverse while it waits.
        single_bytes=True,
    )


class ReadPacing(asyncio.Protocol):
    """The read flow control every tcp/ipc connection gives its pipe (ZMTP
    or raw): the pipe pauses reading at its ``rcvhwm`` and resumes later."""

    __slots__ = ()

    _transport: asyncio.Transport | None

    def pause_reading(self) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.pause_reading()

    def resume_reading(self) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.resume_reading()


class PeerProtocol(ReadPacing):
    """The link between one connection and one pipe of a socket.

    Args:
        engine: the socket it serves.
        endpoint: the socket endpoint (bound or connected) this came from.
        pipe: the connecting side's long-lived pipe; None when accepted,
            in which case the socket makes a pipe once the handshake is done.
        codec: makes this connection's codec (ZMTP unless told otherwise).
    """

    __slots__ = (
        "_auth_task",
        "_body_release",
        "_codec",
        "_endpoint",
        "_engine",
        "_flush_scheduled",
        "_handshake_timer",
        "_heartbeat",
        "_loop",
        "_owner",
        "_pending",
        "_pipe",
        "_sealing",
        "_transport",
        "_write_paused",
        "_wrote_at_once",
        "_zmtp",
        "closed",
        "give_up",
        "handshaken",
        "peer_address",
        "pipe",
        "writable",
    )

    #: The pipe our direct sender sends for (set by :meth:`direct_sender`).
    _owner: SendingPipe

    #: Why a connector stops when :attr:`give_up` is set.
    give_up_reason = "the peer cannot work with this socket: not reconnecting"

    def __init__(
        self,
        engine: Engine,
        endpoint: str,
        pipe: PipeEnd | None,
        codec: CodecFactory = zmtp_codec,
    ) -> None:
        self._engine = engine
        self._endpoint = endpoint
        self._pipe = pipe
        self._codec = codec(engine, pipe)
        # The codec when it writes plain ZMTP frames (see send_encoded).
        self._zmtp: ZmtpCodec | None = None
        # The codec when its mechanism encrypts (CURVE over tcp or ipc): a
        # one-frame message's body goes to its unsealed list, sealed with the
        # others when the output is taken (see _send_direct).
        self._sealing: ZmtpCodec | None = None
        if isinstance(self._codec, ZmtpCodec):
            if self._codec.shares_encoding:
                self._zmtp = self._codec
            else:
                self._sealing = self._codec
        self._auth_task: asyncio.Task[None] | None = None
        self._loop = asyncio.get_running_loop()
        self._heartbeat = Heartbeat(self._loop, self._send_ping, self._heartbeat_expired)
        self._transport: asyncio.Transport | None = None
        self.writable = False
        # The transport asked us to stop writing: what the codec produces
        # meanwhile stays in the codec, where PONGs coalesce (bounded).
        self._write_paused = False
        self._flush_scheduled = False
        self._wrote_at_once = False
        self._pending = 0
        self._handshake_timer: asyncio.TimerHandle | None = None
        self._body_release: asyncio.TimerHandle | None = None
        #: The pipe once the handshake is done and the socket accepted the peer.
        self.pipe: PipeEnd | None = None
        self.peer_address = ""
        self.handshaken = False
        #: Reconnecting cannot help: the peer refused us or cannot work with us.
        self.give_up = False
        #: Resolved when the connection is gone.
        self.closed: asyncio.Future[None] = self._loop.create_future()

    # -- asyncio.Protocol ------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not subclass asyncio.Transport, so no isinstance.
        self._transport = stream = cast(asyncio.Transport, transport)
        raw = transport.get_extra_info("socket")
        if raw is not None and raw.family in (_socket.AF_INET, _socket.AF_INET6):
            raw.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
        self.peer_address = format_peer(transport.get_extra_info("peername"))
        if self._pipe is None:
            if raw is not None and not self._tune_accepted(raw):
                return
            self._engine.emit(Event.ACCEPTED, self._endpoint, self.peer_address)
        else:
            # Here rather than where the connect returns: the handshake may
            # complete before that coroutine resumes.
            self._engine.emit(Event.CONNECTED, self._endpoint, self.peer_address)
        handshake_ivl = self._engine.handshake_ivl
        if handshake_ivl > 0:
            self._handshake_timer = self._loop.call_later(
                handshake_ivl / 1000, self._handshake_timed_out
            )
        # The whole greeting goes out at once: waiting for the peer's first
        # would deadlock against libzmq (docs/wire/zmtp.md#greeting-order).
        stream.writelines(self._codec.take_output())

    def _tune_accepted(self, raw: _socket.socket) -> bool:
        """Apply the socket's kernel options to an accepted connection (a
        connector tunes its own before connecting). A refused value drops
        the connection, as libzmq's listener does (``ACCEPT_FAILED``)."""
        try:
            tune_socket(self._engine, raw)
        except OSError as error:
            self._engine.emit(
                Event.ACCEPT_FAILED, self._endpoint, self.peer_address, str(error),
                value=error.errno or 0,
            )
            self.abort(str(error))
            return False
        return True

    def data_received(self, data: bytes) -> None:
        self._wrote_at_once = False  # the peer answered: the next send is a new exchange
        heartbeat = self._heartbeat
        if heartbeat.watching:
            heartbeat.last_heard = self._loop.time()  # once per chunk, not per message
        codec = self._codec
        ttl = codec.peer_ttl
        notices = codec.notices
        events = codec.receive_data(data)
        pipe = self.pipe
        if pipe is not None and events and codec.notices == notices:
            # The usual read: messages only (the codec counted no other
            # event), handed over in one call, not two per message. The
            # codec's count costs nothing per message; checking each
            # event's type here cost ~280 instructions per 16 B message
            # (callgrind, recv16). Here rather than in _handle: one call
            # per read fewer.
            pipe.deliver_many(events)  # type: ignore[arg-type]
            if not self._flush_scheduled:
                # A plain ZMTP codec's output list is read directly (all it
                # has to write): has_output is a property, which CPython 3.11
                # looks up generically and calls (~650 instructions per read,
                # callgrind reqrep on uvloop, where each read is a message).
                zmtp = self._zmtp
                if zmtp.output if zmtp is not None else codec.has_output:
                    self._flush()
        else:
            self._handle(events)
        if self.pipe is not None:  # counted after: this chunk may have linked it
            self.pipe.in_bytes += len(data)
        if codec.peer_ttl != ttl:
            heartbeat.peer_ttl(codec.peer_ttl)
        if codec.body_remaining >= _DIRECT_READ_MIN:
            self._read_body_directly()

    def _read_body_directly(self) -> None:
        """Read the rest of the large data frame the codec is receiving
        straight into a buffer, then come back. Read as chunks, each would
        be a new 256 KiB bytes (a fresh mmap: a page fault per 4 KiB), then
        joined; this leaves one copy of the payload (see body_received)."""
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        transport.set_protocol(_BodyReader(self, self._codec.body_buffer()))

    def _body_read(self, nbytes: int, complete: bool) -> None:
        """*nbytes* more of the frame's body arrived (:class:`_BodyReader`)."""
        heartbeat = self._heartbeat
        if heartbeat.watching:
            heartbeat.last_heard = self._loop.time()
        if self.pipe is not None:
            self.pipe.in_bytes += nbytes
        if complete:
            self._wrote_at_once = False
            if self._transport is not None:
                self._transport.set_protocol(self)
            if self._body_release is None:
                self._body_release = self._loop.call_later(_BODY_KEEP, self._release_body)
            self._handle(self._codec.body_received())

    def _release_body(self) -> None:
        self._body_release = None
        self._codec.release_body()

    def _handle(self, events: list[CodecEvent]) -> None:
        """Act on *events* one by one (the handshake, commands, a read that
        mixes them with messages; data_received hands over messages-only
        reads itself)."""
        pipe = self.pipe
        for event in events:
            if type(event) is bytes or type(event) is list:  # a message: Delivered
                if pipe is not None:
                    pipe.deliver(event)
            elif isinstance(event, HandshakeComplete):
                pipe = self._handshake_done(event)
            elif isinstance(event, Subscription):
                if pipe is not None:
                    pipe.deliver_subscription(event.topic, event.subscribe)
            elif isinstance(event, AuthenticationRequested):
                self._auth_task = self._loop.create_task(self._authenticate(event.request))
            elif isinstance(event, PeerFailed):
                self.give_up = event.fatal
                if event.clean:
                    self.close(event.reason)
                elif event.rejected:
                    self._fail(event.reason, ZmqEvent.HANDSHAKE_FAILED_PROTOCOL, refused=True)
                elif event.auth_status:
                    self._fail(event.reason, ZmqEvent.HANDSHAKE_FAILED_AUTH, event.auth_status)
                else:
                    self._fail(event.reason, ZmqEvent.HANDSHAKE_FAILED_PROTOCOL)
                return
        if self._codec.has_output and not self._flush_scheduled:
            self._flush()

    async def _authenticate(self, request: ZapRequest) -> None:
        """Ask the socket's authenticator, then resume the handshake (bounded by
        the handshake timer, which cancels this task)."""
        reply = await self._engine.authenticate(request, self.peer_address)
        self._auth_task = None
        if self._transport is not None and not self._transport.is_closing():
            self._handle(self._codec.authentication_result(reply))

    def connection_lost(self, exc: Exception | None) -> None:
        self.writable = False
        self._heartbeat.stop()
        if self._handshake_timer is not None:
            # Still pending (close() clears it): the peer ended the handshake.
            self._handshake_timer.cancel()
            self._handshake_timer = None
            if not self.handshaken:
                self._engine.emit(
                    Event.HANDSHAKE_FAILED,
                    self._endpoint,
                    self.peer_address,
                    "peer closed the connection during the handshake"
                    + self._codec.mechanism.hint_on_close,
                )
        if self._auth_task is not None:
            self._auth_task.cancel()
        if self._body_release is not None:
            self._body_release.cancel()
            self._body_release = None
        pipe = self.pipe
        if pipe is not None:
            self.pipe = None
            self._engine.peer_lost(pipe, keep=self._pipe is not None)
        if not self.closed.done():
            self.closed.set_result(None)

    def pause_writing(self) -> None:
        self.writable = False
        self._write_paused = self._codec.output_held = True

    def resume_writing(self) -> None:
        self._write_paused = self._codec.output_held = False
        # asyncio resumes even a closing transport: what we would write now is
        # lost, so the messages must stay in the pipe for the next connection.
        if self._transport is None or self._transport.is_closing():
            return
        self._flush()  # what the codec held back while paused goes first
        self.writable = self.pipe is not None
        if self.pipe is not None:
            self.pipe.flush_backlog()

    # -- Link (used by the pipe) -----------------------------------------------

    def try_send(self, message: Message) -> bool:
        # The pipe's general path (several pipes, REQ/REP, ROUTER, its
        # backlog); a pipe's own sends come through _send_direct, a copy.
        if not self.writable:
            return False
        zmtp = self._zmtp
        if zmtp is not None:
            # ZmtpCodec.send_message, inlined for a codec writing plain ZMTP
            # frames (as _send_encoded appends to its output): one Python
            # call fewer per message, ~650 instructions of ~8,900 per 16 B
            # message sent (callgrind, send16); multipart too, as every
            # request and reply of REQ/REP is (~1,900 instructions fewer
            # per message, callgrind reqrep).
            # tests/sockets/test_hot_paths.py drives this and the codec's.
            out = zmtp.output
            if len(message) == 1:
                body = message[0]
                size = len(body)
                if size < LAST_HEADERS_LIMIT:
                    out.append(LAST_HEADERS[size])
                else:
                    out.append(LONG_HEADER.pack(LONG, size))
                out.append(body)
            else:
                # MORE on every frame but the last, as the codec's loop
                # (0x100 + length, not |: CPython 3.11 specializes int +).
                size = 0
                final = len(message) - 1
                for index, body in enumerate(message):
                    length = len(body)
                    size += length
                    if length < 256:
                        out.append(SHORT_HEADERS[0x100 + length if index < final else length])
                    else:
                        out.append(LONG_HEADER.pack(LONG | MORE if index < final else LONG, length))
                    out.append(body)
            self._pending += size  # counted as queued: _flush adds it to out_bytes
        elif self._sealing is not None and len(message) == 1:
            # An encrypting codec's one-frame message: its body queued for
            # the mechanism to seal with the others when the output is taken
            # (ZmtpCodec.unsealed), not a call to its encode per message:
            # ~1,450 instructions of ~29,700 per 16 B CURVE message fewer
            # (callgrind curve16, both sides).
            body = message[0]
            self._sealing.unsealed.append(body)
            self._pending += len(body)
        else:
            self._pending += self._codec.send_message(message)
        if self._flush_scheduled:  # the usual case in a stream: coalescing
            if self._pending > _FLUSH_THRESHOLD:
                self._flush()
                self._flush_scheduled = True  # _flush cleared it; the tick's call is still due
            return True
        if not self._wrote_at_once:
            # A lone message is written at once (latency): a request, a
            # reply. The flag stays up until we hear from the peer, so a
            # stream of sends coalesces below, tick after tick: one write
            # per tick, not a lone write and a coalesced one (a PUB's
            # subscribers never answer; pub4: 517 instructions per message
            # fewer under callgrind, and half the write system calls).
            self._flush()
            self._wrote_at_once = True
            return True
        # More than one message since: coalesce until the end of the tick.
        self._flush_scheduled = True
        self._loop.call_soon(self._flush)
        return True

    def direct_sender(self, pipe: SendingPipe) -> Callable[[Message], bool]:
        """The optional ``Link.direct_sender``: *pipe*'s send, with
        :meth:`try_send` inlined (:meth:`_send_direct`)."""
        self._owner = pipe
        return self._send_direct

    def _send_direct(self, message: Message) -> bool:
        """The pipe's send over this connection in one Python call: the
        socket calls this straight (``Pipe.direct_send``) rather than the pipe's
        send, which calls :meth:`try_send` (~550 of ~6,650 instructions per
        16 B message sent, callgrind send16). Whatever cannot be written now
        goes through the pipe's send: a writable link has no backlog to keep
        the order of (see ``Link``), so only a link that is not writable
        needs it. Below the first lines, this is :meth:`try_send`;
        tests/sockets/test_hot_paths.py drives both."""
        if not self.writable:
            return self._owner.send(message)  # the backlog, or full
        self._owner.out_msgs += 1
        zmtp = self._zmtp
        if zmtp is not None:
            out = zmtp.output
            if len(message) == 1:
                body = message[0]
                size = len(body)
                if size < LAST_HEADERS_LIMIT:
                    out.append(LAST_HEADERS[size])
                else:
                    out.append(LONG_HEADER.pack(LONG, size))
                out.append(body)
            else:
                size = 0
                final = len(message) - 1
                for index, body in enumerate(message):
                    length = len(body)
                    size += length
                    if length < 256:
                        out.append(SHORT_HEADERS[0x100 + length if index < final else length])
                    else:
                        out.append(LONG_HEADER.pack(LONG | MORE if index < final else LONG, length))
                    out.append(body)
            self._pending += size
        elif self._sealing is not None and len(message) == 1:
            body = message[0]
            self._sealing.unsealed.append(body)
            self._pending += len(body)
        else:
            self._pending += self._codec.send_message(message)
        if self._flush_scheduled:
            if self._pending > _FLUSH_THRESHOLD:
                self._flush()
                self._flush_scheduled = True
            return True
        if not self._wrote_at_once:
            self._flush()
            self._wrote_at_once = True
            return True
        self._flush_scheduled = True
        self._loop.call_soon(self._flush)
        return True

    def try_send_many(self, messages: list[Message], start: int) -> int:
        """``Link.try_send_many``: the codec encodes the batch in one call
        per ``_FLUSH_THRESHOLD`` bytes, and the batch is written at the end
        of the tick (or past the threshold), as a stream of try_send() calls
        would be from its second message on. A batch of one is try_send()'s
        lone message, written at once."""
        end = len(messages)
        if not self.writable or start >= end:
            return start
        if end - start == 1:
            return start + 1 if self.try_send(messages[start]) else start
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)
        send_messages = self._codec.send_messages
        while True:
            start, size = send_messages(messages, start, _FLUSH_THRESHOLD - self._pending)
            self._pending += size
            if self._pending > _FLUSH_THRESHOLD:
                self._flush()
                self._flush_scheduled = True  # _flush cleared it; the tick's call is still due
                if self._write_paused:  # the transport asked us to pause
                    return start
            if start == end:
                return end

    @property
    def send_encoded(self) -> SendEncoded | None:
        """The optional ``Link.send_encoded``: present when our codec writes
        plain ZMTP frames (NULL, PLAIN over tcp or ipc), so a fan-out's one
        encoding of a message serves this connection too."""
        return self._send_encoded if self._zmtp is not None else None

    def _send_encoded(self, wire: list[bytes], size: int, now: bool) -> bool:
        """:meth:`try_send` for messages already encoded (``Link.send_encoded``)."""
        if not self.writable:
            return False
        # The codec's output, appended to here rather than through a codec
        # method: one call fewer per subscriber (ZmtpCodec.shares_encoding).
        self._zmtp.output += wire  # type: ignore[union-attr]  # set whenever this is reachable
        self._pending += size
        if now:
            # A fan-out's run at the end of its tick: a second end-of-tick
            # call here would hold it one more loop iteration. A flush this
            # tick's own call still finds due stays due (_flush clears it).
            scheduled = self._flush_scheduled
            self._flush()
            self._flush_scheduled = scheduled
            return True
        # What follows is try_send's coalescing, inlined: a fan-out pays it
        # once per subscriber (tests/sockets/test_fan_out.py drives each
        # branch here, test_hot_paths.py those of try_send).
        if self._flush_scheduled:
            if self._pending > _FLUSH_THRESHOLD:
                self._flush()
                self._flush_scheduled = True
            return True
        if not self._wrote_at_once:
            self._flush()
            self._wrote_at_once = True
            return True
        self._flush_scheduled = True
        self._loop.call_soon(self._flush)
        return True

    def send_subscription(self, topic: bytes, subscribe: bool) -> None:
        self._codec.send_subscription(topic, subscribe)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)

    def abort(self, reason: str) -> None:
        """Close at once, dropping what is not yet written (a dead peer, linger over)."""
        self.writable = False
        if self._handshake_timer is not None:
            self._handshake_timer.cancel()
            self._handshake_timer = None
        transport = self._transport
        if transport is not None:
            raw = transport.get_extra_info("socket")
            if raw is not None:
                # Linger 0: the kernel drops its unsent bytes too and resets
                # the connection, instead of trying to deliver them for minutes.
                raw.setsockopt(_socket.SOL_SOCKET, _socket.SO_LINGER, _LINGER_ZERO)
            transport.abort()

    def peer_violated(self, reason: str) -> None:
        """The layer below the codec (a web framework's WebSocket) caught the
        peer breaking its protocol: report it as a codec's fault is reported
        (a monitor event, the log, the socket's counters), then close."""
        self._fail(reason, ZmqEvent.HANDSHAKE_FAILED_PROTOCOL)

    def close(self, reason: str) -> None:
        self.writable = False
        if self._handshake_timer is not None:
            self._handshake_timer.cancel()
            self._handshake_timer = None
        if self._transport is not None:
            if not self._transport.is_closing():
                self._codec.send_close()
            self._flush()
            self._transport.close()

    @property
    def pending_output(self) -> int:
        buffered = self._transport.get_write_buffer_size() if self._transport else 0
        return buffered + self._pending

    # -- internals ---------------------------------------------------------------

    def _flush(self) -> None:
        self._flush_scheduled = False
        transport = self._transport
        if self._write_paused:
            # While paused, output stays in the codec (which coalesces the
            # PONGs a peer that does not read can ask for): what we owe a
            # peer stays bounded. resume_writing() flushes it, and counts it.
            return
        # The messages' bytes, counted as they were queued (each codec's
        # send_message returns them): summing the output's strings here
        # cost ~200 instructions per 16 B message, and a fan-out as much
        # per subscriber (callgrind). The handshake and commands in the
        # output are not counted (see PipeEnd.out_bytes).
        size = self._pending
        self._pending = 0
        if transport is None or transport.is_closing():
            return  # nothing more is written: what was queued is dropped
        # Taken unconditionally: _flush runs when there is output but for
        # rare calls, and has_output would be one more call per write.
        output = self._codec.take_output()
        if output:
            if self.pipe is not None:
                self.pipe.out_bytes += size
            # The messages' bytes decide (commands are small): a large
            # output goes chunk by chunk.
            if size < _JOIN_LIMIT:
                transport.writelines(output)
            else:
                # Python 3.11's selector transport joins what writelines gets
                # into one bytes object: for a 16 MiB message, one more copy
                # of the payload (callgrind). Chunk by chunk, the transport
                # buffers only what the kernel did not take.
                for chunk in output:
                    transport.write(chunk)

    def _handshake_done(self, event: HandshakeComplete) -> PipeEnd | None:
        if self._handshake_timer is not None:
            self._handshake_timer.cancel()
            self._handshake_timer = None
        self.handshaken = True
        self.writable = True
        # Handshake replies (none for NULL) must precede any message.
        self._flush()
        engine = self._engine
        if self._codec.pings_allowed:
            self._heartbeat.start(
                engine.heartbeat_ivl, engine.heartbeat_timeout, engine.heartbeat_ttl
            )
        properties = dict(event.properties)
        # User-Id comes from the authenticator only, never from the peer.
        properties.pop(b"User-Id", None)
        properties.pop(b"Peer-Address", None)
        properties.update(event.auth_metadata)
        if event.user_id:
            properties[b"User-Id"] = event.user_id
        # Our own pipe is known already: bytes the socket flushes to it while
        # linking (its backlog) are counted for it.
        self.pipe = self._pipe
        pipe = engine.peer_ready(self._pipe, self, self._endpoint, self.peer_address, properties)
        if pipe is None:
            self.writable = False
            assert self._transport is not None
            self._transport.close()
        self.pipe = pipe
        return pipe

    def _fail(
        self,
        reason: str,
        kind: ZmqEvent = ZmqEvent.HANDSHAKE_FAILED_NO_DETAIL,
        status: int = 0,
        *,
        refused: bool = False,
    ) -> None:
        """Report and close. *kind* is libzmq's event for a handshake that
        fails this way (``stream_engine_base.cpp``: a timeout or a close is
        no-detail, a bad command protocol, a ZAP refusal auth with *status*);
        *refused*: we turned the peer away ourselves (PEER_REFUSED)."""
        if refused:
            self._engine.emit(Event.PEER_REFUSED, self._endpoint, self.peer_address, reason)
        elif self.handshaken:
            self._engine.emit(Event.PROTOCOL_ERROR, self._endpoint, self.peer_address, reason)
        else:
            self._engine.emit(
                Event.HANDSHAKE_FAILED, self._endpoint, self.peer_address, reason,
                zmq_event=kind, value=status,
            )
        self.close(reason)

    def _send_ping(self, ttl: int) -> None:
        self._codec.send_ping(ttl)
        self._flush()

    def _heartbeat_expired(self, reason: str) -> None:
        self._engine.emit(
            Event.HEARTBEAT_TIMEOUT, self._endpoint, self.peer_address, reason
        )
        # The peer is taken for dead: waiting to flush what it never reads
        # would keep the connection (and our buffers) for ever.
        self.abort(reason)

    def _handshake_timed_out(self) -> None:
        self._handshake_timer = None
        if not self.handshaken:
            self._fail(f"no handshake within {self._engine.handshake_ivl} ms")


def format_peer(peername: object) -> str:
    """``host:port`` (``[v6]:port``) of a socket address; other addresses as text."""
    if isinstance(peername, tuple) and len(peername) >= 2:
        host, port = peername[0], peername[1]
        return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"
    return str(peername or "")


class _BodyReader(asyncio.BufferedProtocol):
    """The protocol of a connection while the rest of one large data frame
    is read straight into *body* (the frame's own buffer, from the codec);
    everything else goes to the :class:`PeerProtocol` it stands in for,
    which takes the connection back once the frame is complete."""

    __slots__ = ("_body", "_filled", "_peer")

    def __init__(self, peer: PeerProtocol, body: memoryview) -> None:
        self._peer = peer
        self._body = body
        self._filled = 0

    def get_buffer(self, sizehint: int) -> memoryview:
        # Never more than the frame: what follows it is the codec's to parse.
        return self._body[self._filled :]

    def buffer_updated(self, nbytes: int) -> None:
        self._filled += nbytes
        self._peer._body_read(nbytes, self._filled == len(self._body))

    def eof_received(self) -> bool | None:
        return self._peer.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self._peer.connection_lost(exc)

    def pause_writing(self) -> None:
        self._peer.pause_writing()

    def resume_writing(self) -> None:
        self._peer.resume_writing()
