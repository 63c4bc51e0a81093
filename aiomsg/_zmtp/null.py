"""The NULL mechanism: both sides send READY with their metadata, no security (RFC 23/37)."""

from __future__ import annotations

from aiomsg._zmtp.frames import encode_command
from aiomsg._zmtp.mechanism import Mechanism, ZapRequest
from aiomsg._zmtp.properties import decode_properties, encode_properties
from aiomsg.errors import ProtocolError

__all__ = ["NullMechanism"]


class NullMechanism(Mechanism):
    """NULL: READY is sent at once by both sides (as libzmq does), never waiting.

    Args:
        authenticate: ask the authenticator first (the socket has a
            ``zap_domain``, docs/wire/zmtp.md#zap-policy). READY then waits for its
            answer: the request is raised by :meth:`start`, and a refusal
            sends ERROR (400/500) or nothing (300) instead of READY.
    """

    name = b"NULL"

    def __init__(self, *, authenticate: bool = False) -> None:
        super().__init__()
        self._authenticate = authenticate
        self._authenticated = not authenticate
        self._peer_ready = False

    def start(self) -> list[bytes]:
        if not self._authenticated:
            self.zap_request = ZapRequest(b"NULL")
            return []
        return [encode_command(b"READY", encode_properties(self.metadata))]

    def handle_command(self, name: bytes, data: bytes) -> list[bytes]:
        if self._peer_ready:
            raise ProtocolError("unexpected handshake command after READY")
        if name == b"READY":
            self.peer_properties = decode_properties(data)
            self._peer_ready = True
            self.complete = self._authenticated
            return []
        raise ProtocolError(f"unexpected command {name!r} during the NULL handshake")

    def authenticated(self) -> list[bytes]:
        self._authenticated = True
        self.complete = self._peer_ready
        return [encode_command(b"READY", encode_properties(self.metadata))]
