"""The NULL mechanism: both sides send READY with their metadata, no security (RFC 23/37)."""

from __future__ import annotations

from aiomsg._zmtp.frames import encode_command
from aiomsg._zmtp.mechanism import Mechanism, ZapRequest
from aiomsg._zmtp.properties import decode_properties, encode_properties
from aiomsg.errors import ProtocolError

__all__ = ["NullMechanism"]


class NullMechanism(Mechanism):
    """NULL: each side sends READY with its metadata.

    The connecting side sends its READY at once, as libzmq does. The
    accepting side (:attr:`accepted`) sends its READY once the peer's has
    arrived, the order RFC 37 gives (the client speaks first): the codec can
    then turn the peer away with an ERROR before it has seen our READY. A
    libzmq peer sends READY without waiting for ours in either role, so
    neither order can deadlock against it (docs/wire/zmtp.md#ready).

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
        self._ready_sent = False

    def start(self) -> list[bytes]:
        if not self._authenticated:
            self.zap_request = ZapRequest(b"NULL")
            return []
        return self._ready()

    def handle_command(self, name: bytes, data: bytes) -> list[bytes]:
        if self._peer_ready:
            raise ProtocolError("unexpected handshake command after READY")
        if name == b"READY":
            self.peer_properties = decode_properties(data)
            self._peer_ready = True
            return self._ready()
        raise ProtocolError(f"unexpected command {name!r} during the NULL handshake")

    def authenticated(self) -> list[bytes]:
        self._authenticated = True
        return self._ready()

    def _ready(self) -> list[bytes]:
        """Our READY, if it may go now (once); marks the handshake complete
        when both READYs are exchanged."""
        out = []
        may_send = self._authenticated and (self._peer_ready or not self.accepted)
        if may_send and not self._ready_sent:
            self._ready_sent = True
            out.append(encode_command(b"READY", encode_properties(self.metadata)))
        self.complete = self._ready_sent and self._peer_ready
        return out
