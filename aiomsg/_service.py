"""Services: a concurrent request client (DEALER) and server (ROUTER).

:class:`RequestClient` lets any number of coroutines send requests over one
DEALER socket and await their own replies; :class:`RequestServer` answers
the requests of many clients on one ROUTER socket, running a bounded number
of handlers at once::

    async def handler(frames: list[bytes]) -> bytes:
        return frames[0].upper()

    server = RequestServer(ctx.socket(aiomsg.ROUTER), handler, max_concurrency=100)
    await server.socket.bind("tcp://127.0.0.1:5555")
    async with server:                        # serves in the background
        ...

    client = RequestClient(ctx.socket(aiomsg.DEALER), timeout=5.0)
    await client.socket.connect("tcp://127.0.0.1:5555")
    async with client:
        reply = await client.request(b"hello")    # [b"HELLO"]

The envelope
------------

Requests and replies are ordinary ZeroMQ multipart messages, laid out like
a REQ socket's envelope followed by a request id, so any ZeroMQ program
can be a client or a server::

    request, as the client's DEALER sends it:
        frame 0   b""               empty delimiter (what a REQ socket adds)
        frame 1   request id        8 bytes from RequestClient; echoed as is
        frame 2+  payload           zero or more frames, the handler's input

    the same request as the server's ROUTER receives it:
        [routing id] [b""] [request id] [payload...]

    reply, as the server's ROUTER sends it:
        [routing id] [b""] [request id] [status] [body...]

    the same reply as the client's DEALER receives it:
        frame 0   b""               empty delimiter
        frame 1   request id        the request's, unchanged
        frame 2   status            b"OK" or b"ERR"
        frame 3+  body              b"OK": the handler's reply frames
                                    b"ERR": [exception type name, message], UTF-8

The server echoes every frame up to and including the first empty frame, so
requests that went through ROUTER/DEALER proxies (several routing ids) are
answered the same way. A message without an empty frame, or without a frame
after it, is not a request: it is logged and dropped. A plain REQ socket can
be a client too: it adds the delimiter itself, so it sends
``[request id, payload...]`` and receives ``[request id, status, body...]``.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, overload

from aiomsg._closing import ClosesOnExit
from aiomsg.constants import SocketType
from aiomsg.errors import AiomsgError, Closed, DecodeError, InvalidState, RemoteError
from aiomsg.serialization import JSON, MSGPACK

if TYPE_CHECKING:
    from aiomsg._socket import Socket

__all__ = [
    "DELIMITER",
    "STATUS_ERROR",
    "STATUS_OK",
    "Handler",
    "RequestClient",
    "RequestServer",
]

T = TypeVar("T")

logger = logging.getLogger("aiomsg._service")

#: The empty frame that ends the envelope (as REQ and REP use it).
DELIMITER = b""
#: Status frame of a reply that carries the handler's result.
STATUS_OK = b"OK"
#: Status frame of a reply that carries an error: ``[type name, message]``.
STATUS_ERROR = b"ERR"
#: The size of the request ids a :class:`RequestClient` makes.
REQUEST_ID_SIZE = 8
_ID_MASK = (1 << (8 * REQUEST_ID_SIZE)) - 1

#: A request handler: the request's payload frames in, the reply out (one
#: bytes-like frame, or a sequence of them).
Handler = Callable[[list[bytes]], Awaitable[Any]]

_BYTES_LIKE = (bytes, bytearray, memoryview)


def _frames(payload: Any) -> list[Any]:
    if isinstance(payload, _BYTES_LIKE):
        return [payload]
    if isinstance(payload, str):
        raise TypeError("frames are bytes, not str")
    frames = list(payload)
    for frame in frames:
        if not isinstance(frame, _BYTES_LIKE):
            raise TypeError(f"a frame must be bytes-like, not {type(frame).__name__}")
    return frames


def _one_frame(frames: list[bytes]) -> bytes:
    if len(frames) != 1:
        raise DecodeError(f"expected a one-frame payload, got {len(frames)} frames", frames)
    return frames[0]


class _Codec(Protocol):
    """What the typed requests need of :data:`aiomsg.serialization.JSON` / ``MSGPACK``."""

    def encode(self, obj: Any, /) -> bytes: ...

    def decode(self, data: bytes, type: Any = None, frames: list[bytes] | None = None) -> Any: ...


def _typed_handler(
    codec: _Codec, handler: Callable[[Any], Awaitable[Any]], request_type: Any
) -> Handler:
    """A :data:`Handler` around *handler*: the one-frame request decoded as
    *request_type*, the reply encoded, both with *codec*.

    The handler it makes raises what *handler* raises, DecodeError for a
    request that does not decode, ``TypeError`` / ``EncodeError`` for a reply
    that does not encode; the server answers each with an ``ERR`` reply.
    Cancelling it cancels *handler*.
    """

    async def handle(frames: list[bytes]) -> bytes:
        request = codec.decode(_one_frame(frames), request_type, frames)
        return codec.encode(await handler(request))

    return handle


# ---------------------------------------------------------------------- client


class RequestClient(ClosesOnExit):
    """Many concurrent requests over one DEALER socket, each awaiting its own reply.

    Every request gets a fresh 8-byte id; one background task receives the
    replies and hands each to the request with its id. A DEALER connected to
    several servers sends each request to the next one (load balancing).

    The receive task starts on the first request or on ``async with``;
    :meth:`aclose` (or leaving the ``async with``) stops it. The socket stays
    the caller's: closing the client does not close it. Use one client per
    socket: two clients on one socket would take each other's replies.

    *timeout* (seconds, None: none) is the default bound of each request.

    Raises:
        ValueError: *socket* is not a DEALER.
    """

    def __init__(self, socket: Socket, *, timeout: float | None = None) -> None:
        if socket.socket_type is not SocketType.DEALER:
            raise ValueError(f"RequestClient needs a DEALER socket, not {socket.socket_type.name}")
        self.socket = socket
        self.timeout = timeout
        self._pending: dict[bytes, asyncio.Future[list[bytes]]] = {}
        # A random start: replies meant for an earlier client that had the
        # same identity cannot match this client's requests.
        self._next_id = int.from_bytes(os.urandom(REQUEST_ID_SIZE), "big")
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self._failure: BaseException | None = None

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"{len(self._pending)} pending"
        return f"<aiomsg.RequestClient {state}>"

    @property
    def pending(self) -> int:
        """How many requests are awaiting their reply."""
        return len(self._pending)

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` has been called."""
        return self._closed

    def _start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._receive(), name="aiomsg.RequestClient.receive"
            )

    async def request(self, payload: Any, timeout: float | None = None) -> list[bytes]:
        """Send a request and return the reply's frames.

        *payload* is one bytes-like frame or an iterable of them. *timeout*
        bounds the whole request, send included, in seconds; None means the
        client's :attr:`timeout`.

        Raises:
            TimeoutError: no reply within the timeout. A reply that arrives
                later is dropped.
            RemoteError: the server's handler raised.
            Closed: the client or its socket is (or gets) closed.
            TypeError: *payload* is not bytes-like frames.

        Cancelling is safe: the request is forgotten and its reply, if one
        comes, is dropped (the request may still have been sent).
        """
        return await self._request(_frames(payload), timeout)

    async def _request(self, frames: list[Any], timeout: float | None) -> list[bytes]:
        if self._closed:
            raise Closed("request client is closed")
        if self._failure is not None:
            raise Closed("request client stopped receiving") from self._failure
        self._start()
        request_id = self._next_id.to_bytes(REQUEST_ID_SIZE, "big")
        self._next_id = (self._next_id + 1) & _ID_MASK
        future: asyncio.Future[list[bytes]] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        try:
            async with asyncio.timeout(self.timeout if timeout is None else timeout):
                await self.socket.send_multipart([DELIMITER, request_id, *frames])
                return await future
        finally:
            if self._pending.get(request_id) is future:
                del self._pending[request_id]
            if not future.done():
                future.cancel()
            elif not future.cancelled():
                future.exception()  # mark an error we did not raise as retrieved

    @overload
    async def request_json(
        self, obj: Any, type: None = None, timeout: float | None = None
    ) -> Any: ...
    @overload
    async def request_json(self, obj: Any, type: type[T], timeout: float | None = None) -> T: ...
    @overload
    async def request_json(self, obj: Any, type: Any, timeout: float | None = None) -> Any: ...

    async def request_json(self, obj: Any, type: Any = None, timeout: float | None = None) -> Any:
        """Send *obj* as a one-frame JSON request; return the reply decoded as *type*.

        Raises as :meth:`request`, plus :class:`DecodeError` when the reply is
        not one JSON frame matching *type*, and ``TypeError`` /
        ``msgspec.EncodeError`` when *obj* cannot be encoded. Cancelling is safe.
        """
        return await self._request_typed(JSON, obj, type, timeout)

    @overload
    async def request_msgpack(
        self, obj: Any, type: None = None, timeout: float | None = None
    ) -> Any: ...
    @overload
    async def request_msgpack(self, obj: Any, type: type[T], timeout: float | None = None) -> T: ...
    @overload
    async def request_msgpack(self, obj: Any, type: Any, timeout: float | None = None) -> Any: ...

    async def request_msgpack(
        self, obj: Any, type: Any = None, timeout: float | None = None
    ) -> Any:
        """Send *obj* as a one-frame MessagePack request; return the reply as *type*.

        Raises and cancels as :meth:`request_json`.
        """
        return await self._request_typed(MSGPACK, obj, type, timeout)

    async def _request_typed(
        self, codec: _Codec, obj: Any, type: Any, timeout: float | None
    ) -> Any:
        """The body of :meth:`request_json` / :meth:`request_msgpack`; raises
        and cancels as they do."""
        frames = await self._request([codec.encode(obj)], timeout)
        return codec.decode(_one_frame(frames), type, frames)

    async def _receive(self) -> None:
        try:
            while True:
                for message in await self.socket.recv_many():
                    self._deliver(message)
        except Exception as error:
            # Usually Closed: the socket was closed under us.
            self._failure = error
            self._fail_pending(error)

    def _deliver(self, message: list[bytes]) -> None:
        if len(message) < 3 or message[0] != DELIMITER:
            logger.warning("RequestClient: dropped a malformed reply of %d frames", len(message))
            return
        future = self._pending.pop(message[1], None)
        if future is None or future.done():
            logger.debug("RequestClient: dropped a late reply (request timed out or cancelled)")
            return
        status = message[2]
        if status == STATUS_OK:
            future.set_result(message[3:])
        elif status == STATUS_ERROR:
            error_type = message[3].decode("utf-8", "replace") if len(message) > 3 else "Error"
            text = message[4].decode("utf-8", "replace") if len(message) > 4 else ""
            future.set_exception(RemoteError(error_type, text))
        else:
            status_text = status.decode("utf-8", "replace")
            future.set_exception(RemoteError("InvalidReply", f"unknown status {status_text!r}"))

    def _fail_pending(self, error: BaseException) -> None:
        pending, self._pending = self._pending, {}
        for future in pending.values():
            if not future.done():
                closed = Closed("request client closed before the reply came")
                closed.__cause__ = None if isinstance(error, Closed) else error
                future.set_exception(closed)

    async def aclose(self) -> None:
        """Stop receiving replies; requests still waiting raise :class:`Closed`.

        Idempotent. The socket is not closed. Cancelling is safe: the receive
        task has been cancelled already, only the wait for its end is cut short.
        """
        self._closed = True
        # Waiting requests fail first, so that a cancellation of the wait
        # below cannot leave them waiting for ever.
        self._fail_pending(Closed("request client closed"))
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait([task])

    async def __aenter__(self) -> RequestClient:
        if self._closed:
            raise Closed("request client is closed")
        self._start()
        return self


# ---------------------------------------------------------------------- server


class RequestServer(ClosesOnExit):
    """Answers requests arriving on a ROUTER socket, running handlers concurrently.

    *handler* is ``async def handler(frames: list[bytes]) -> bytes | Sequence[bytes]``:
    it gets the request's payload frames and returns the reply's. At most
    *max_concurrency* handlers run at once; at the bound the server stops
    reading requests, so they queue in the socket and then, past its
    ``rcvhwm``, in the clients (back pressure).

    A handler that raises ``Exception`` is logged (logger ``aiomsg._service``)
    and its request answered with an ``ERR`` reply, which the
    :class:`RequestClient` raises as :class:`RemoteError`; the server goes on.

    Serve with ``await server.serve()``, or in the background with
    ``async with server:``. The socket stays the caller's.

    Raises:
        ValueError: *socket* is not a ROUTER, or *max_concurrency* < 1.
    """

    def __init__(self, socket: Socket, handler: Handler, *, max_concurrency: int = 100) -> None:
        if socket.socket_type is not SocketType.ROUTER:
            raise ValueError(f"RequestServer needs a ROUTER socket, not {socket.socket_type.name}")
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        self.socket = socket
        self.handler = handler
        self.max_concurrency = max_concurrency
        self._active = 0
        self._slot_waiter: asyncio.Future[None] | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self._runner: asyncio.Task[None] | None = None
        self._background: asyncio.Task[None] | None = None
        self._closed = False

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"{self._active} active"
        return f"<aiomsg.RequestServer {state}>"

    @classmethod
    def json(
        cls,
        socket: Socket,
        handler: Callable[[Any], Awaitable[Any]],
        *,
        request_type: Any = None,
        max_concurrency: int = 100,
    ) -> RequestServer:
        """A server whose requests and replies are one JSON frame each.

        *handler* gets the request decoded as *request_type* (None: plain
        objects) and returns an object to encode as the reply. A request that
        does not decode is answered with an ``ERR`` reply of type
        ``DecodeError``; a reply that does not encode, with ``TypeError`` or
        ``EncodeError``.
        """
        typed = _typed_handler(JSON, handler, request_type)
        return cls(socket, typed, max_concurrency=max_concurrency)

    @classmethod
    def msgpack(
        cls,
        socket: Socket,
        handler: Callable[[Any], Awaitable[Any]],
        *,
        request_type: Any = None,
        max_concurrency: int = 100,
    ) -> RequestServer:
        """A server whose requests and replies are one MessagePack frame each.

        As :meth:`json`, with MessagePack.
        """
        typed = _typed_handler(MSGPACK, handler, request_type)
        return cls(socket, typed, max_concurrency=max_concurrency)

    @property
    def active(self) -> int:
        """How many handlers are running now."""
        return self._active

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` has been called."""
        return self._closed

    async def serve(self) -> None:
        """Answer requests until :meth:`aclose` is called or the socket is closed
        (then return), or until cancelled (then raise ``CancelledError``).

        Handlers still running when it stops are cancelled and awaited; their
        requests get no reply.

        Raises:
            Closed: the server was closed before.
            InvalidState: the server is already serving.

        Cancelling is safe and is the usual way to stop a foreground serve().
        """
        if self.closed:
            raise Closed("request server is closed")
        if self._runner is not None:
            raise InvalidState("request server is already serving")
        runner = self._runner = asyncio.get_running_loop().create_task(
            self._run(), name="aiomsg.RequestServer.serve"
        )
        try:
            await runner
        except asyncio.CancelledError:
            current = asyncio.current_task()
            stopped = self._closed and runner.cancelled()
            if stopped and current is not None and not current.cancelling():
                return  # stopped by aclose(), not cancelled ourselves
            raise
        finally:
            self._runner = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                while self._active >= self.max_concurrency:
                    # At the bound: wait for a free slot, or for the socket to
                    # close (then stop, as a recv would).
                    self._slot_waiter = loop.create_future()
                    closing = loop.create_task(self.socket.wait_closed())
                    try:
                        await asyncio.wait(
                            (self._slot_waiter, closing), return_when=asyncio.FIRST_COMPLETED
                        )
                    finally:
                        closing.cancel()
                    if self.socket.closed:
                        raise Closed("socket closed")
                free = self.max_concurrency - self._active
                for message in await self.socket.recv_many(free):
                    self._dispatch(message)
        except Closed:
            logger.debug("RequestServer: socket closed, no more requests")
        finally:
            self._slot_waiter = None
            handlers = list(self._handlers)
            for task in handlers:
                task.cancel()
            if handlers:
                await asyncio.wait(handlers)

    def _dispatch(self, message: list[bytes]) -> None:
        try:
            end = message.index(DELIMITER) + 1
        except ValueError:
            end = 0
        if end == 0 or end >= len(message):
            logger.warning(
                "RequestServer: dropped a message of %d frames that is not a request "
                "(no empty delimiter frame followed by a request id)",
                len(message),
            )
            return
        self._active += 1
        task = asyncio.get_running_loop().create_task(
            self._handle(message[:end], message[end], message[end + 1 :])
        )
        self._handlers.add(task)
        task.add_done_callback(self._handlers.discard)

    async def _handle(self, envelope: list[bytes], request_id: bytes, payload: list[bytes]) -> None:
        try:
            try:
                reply = [*envelope, request_id, STATUS_OK, *_frames(await self.handler(payload))]
            except Exception as error:
                logger.exception("RequestServer: the handler raised")
                reply = [
                    *envelope,
                    request_id,
                    STATUS_ERROR,
                    type(error).__name__.encode(),
                    str(error).encode("utf-8", "replace"),
                ]
            try:
                await self.socket.send_multipart(reply)
            except AiomsgError as error:  # Closed, HostUnreachable (router_mandatory)
                logger.warning("RequestServer: could not send a reply: %r", error)
        finally:
            self._active -= 1
            waiter = self._slot_waiter
            if waiter is not None and not waiter.done():
                waiter.set_result(None)

    async def aclose(self) -> None:
        """Stop serving: handlers still running are cancelled (their requests get
        no reply) and awaited; a foreground :meth:`serve` returns. Idempotent.

        The socket is not closed. Cancelling stops only the wait.

        Raises:
            Exception: what a background ``serve()`` (``async with``) failed with.
        """
        self._closed = True
        background, self._background = self._background, None
        runner = self._runner
        if background is not None and not background.done():
            background.cancel()
        if runner is not None and not runner.done():
            runner.cancel()
        waits = [task for task in (background, runner) if task is not None]
        if waits:
            await asyncio.wait(waits)
        if background is not None and not background.cancelled():
            background.result()

    async def __aenter__(self) -> RequestServer:
        """Start :meth:`serve` in a background task."""
        if self._closed:
            raise Closed("request server is closed")
        if self._background is None:
            self._background = asyncio.get_running_loop().create_task(
                self.serve(), name="aiomsg.RequestServer"
            )
        return self
