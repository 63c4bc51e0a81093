"""The NULL mechanism: both sides send READY with their metadata, no security (RFC 23/37)."""

from __future__ import annotations

from aiomsg.errors import ProtocolError
from aiomsg.security.mechanism import HandshakeRefused, Mechanism, parse_error
from aiomsg.zmtp.frames import encode_command
from aiomsg.zmtp.properties import decode_properties, encode_properties

__all__ = ["NullMechanism"]


class NullMechanism(Mechanism):
    """NULL: READY is sent at once by both sides (as libzmq does), never waiting."""

    name = b"NULL"

    def start(self) -> list[bytes]:
        return [encode_command(b"READY", encode_properties(self.metadata))]

    def process_command(self, name: bytes, data: bytes) -> list[bytes]:
        if self.complete:
            raise ProtocolError("unexpected handshake command after READY")
        if name == b"READY":
            self.peer_properties = decode_properties(data)
            self.complete = True
            return []
        if name == b"ERROR":
            raise HandshakeRefused(parse_error(data))
        raise ProtocolError(f"unexpected command {name!r} during the NULL handshake")
