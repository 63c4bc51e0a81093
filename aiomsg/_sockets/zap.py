"""A ZAP client (RFC 27): asks a handler bound at ``inproc://zeromq.zap.01``.

For users who already have a ZAP handler, written as for libzmq: a REP or
ROUTER socket bound at that endpoint on the same context, answering the
request frames of docs/wire/zmtp.md#zap-frames. The context asks it when no
:class:`~aiomsg.Authenticator` is running (which comes first).
"""

from __future__ import annotations

import asyncio
import itertools
import logging

from aiomsg._security.auth import AuthRequest, ZapReply
from aiomsg._socket import Socket
from aiomsg._zmtp.properties import decode_properties
from aiomsg.errors import Closed, ProtocolError

__all__ = ["ZAP_ENDPOINT", "ZapClient"]

#: Where a ZAP handler binds (RFC 27).
ZAP_ENDPOINT = "inproc://zeromq.zap.01"
_STATUSES = frozenset({b"200", b"300", b"400", b"500"})

logger = logging.getLogger("aiomsg.auth")


def parse_reply(message: list[bytes]) -> tuple[bytes, ZapReply] | None:
    """``(request id, reply)`` from a handler's reply as a DEALER receives it
    (an empty delimiter first), or None if it breaks RFC 27 the ways libzmq
    checks (``zap_client.cpp``): frame count, version, status, metadata."""
    if len(message) != 7 or message[0] or message[1] != b"1.0" or message[3] not in _STATUSES:
        return None
    _, _, request_id, status, text, user_id, metadata = message
    try:
        properties = decode_properties(metadata)
    except ProtocolError:
        return None
    reply = ZapReply(status.decode(), text.decode("utf-8", "replace"), user_id, properties)
    return request_id, reply


class ZapClient:
    """Sends each authentication request to the ZAP handler over a DEALER, and
    matches the replies to the requests by request id (a counter)."""

    def __init__(self, socket: Socket) -> None:
        self._socket = socket
        self._ids = itertools.count(1)
        self._pending: dict[bytes, asyncio.Future[ZapReply]] = {}
        self._reader: asyncio.Task[None] | None = None

    async def authenticate(self, request: AuthRequest) -> ZapReply:
        """The handler's answer to *request*. A handler that goes away fails
        the request like a temporary refusal (300). Cancelling is safe (the
        handshake timer does it): a late reply is dropped."""
        if self._reader is None:
            await self._socket.connect(ZAP_ENDPOINT)
            self._reader = asyncio.get_running_loop().create_task(self._read())
        request_id = str(next(self._ids)).encode()
        future: asyncio.Future[ZapReply] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        try:
            frames = [
                *(b"", b"1.0", request_id, request.domain.encode(), request.address.encode()),
                *(request.identity, request.mechanism.encode(), *request.credentials),
            ]
            await self._socket.send_multipart(frames)
            return await future
        except Closed:
            return ZapReply("300", "the ZAP client closed")
        finally:
            self._pending.pop(request_id, None)

    async def _read(self) -> None:
        try:
            async for message in self._socket:
                parsed = parse_reply(message)
                if parsed is None:
                    logger.warning("malformed ZAP reply dropped: %r", message[:8])
                    continue
                future = self._pending.get(parsed[0])
                if future is not None and not future.done():
                    future.set_result(parsed[1])
        finally:
            for future in self._pending.values():
                if not future.done():
                    future.set_result(ZapReply("300", "the ZAP handler went away"))

    def close(self) -> None:
        """Close the client's socket; pending requests end as 300."""
        self._socket.close(linger=0)
