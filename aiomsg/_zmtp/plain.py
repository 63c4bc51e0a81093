"""PLAIN: a user name and password in clear text, checked by the server (RFC 24).

Client: HELLO(username, password) -> WELCOME -> INITIATE(metadata) -> READY.
Server: HELLO -> ask the authenticator -> WELCOME (or ERROR) -> INITIATE -> READY.
PLAIN protects nothing on the wire: the password and every message travel
in the clear. Use it on trusted networks, or use CURVE.
"""

from __future__ import annotations

from aiomsg._zmtp.frames import encode_command
from aiomsg._zmtp.mechanism import Mechanism, ZapRequest
from aiomsg._zmtp.properties import decode_properties, encode_properties
from aiomsg.errors import ProtocolError

__all__ = ["PlainClient", "PlainServer"]


def _check_field(value: bytes, what: str) -> bytes:
    if len(value) > 255:
        raise ValueError(f"the PLAIN {what} is at most 255 bytes")
    return value


class PlainClient(Mechanism):
    """The connecting side of PLAIN: it presents *username* and *password*."""

    name = b"PLAIN"

    def __init__(self, username: bytes, password: bytes) -> None:
        super().__init__()
        self._username = _check_field(username, "username")
        self._password = _check_field(password, "password")
        self._state = "welcome"

    @property
    def hint_on_close(self) -> str:
        """Why the server may have closed the connection now (for the log)."""
        if self._state == "welcome":
            return " after our PLAIN HELLO: the server may have no authenticator"
        return ""

    def start(self) -> list[bytes]:
        u, p = self._username, self._password
        return [encode_command(b"HELLO", bytes((len(u),)) + u + bytes((len(p),)) + p)]

    def handle_command(self, name: bytes, data: bytes) -> list[bytes]:
        if self._state == "welcome" and name == b"WELCOME":
            if data:
                raise ProtocolError("malformed PLAIN WELCOME: it carries no data")
            self._state = "ready"
            return [encode_command(b"INITIATE", encode_properties(self.metadata))]
        if self._state == "ready" and name == b"READY":
            self.peer_properties = decode_properties(data)
            self._state = "done"
            self.complete = True
            return []
        raise ProtocolError(f"unexpected command {name!r} in the PLAIN handshake (client)")


class PlainServer(Mechanism):
    """The accepting side of PLAIN: every HELLO goes to the authenticator."""

    name = b"PLAIN"
    as_server = True

    def __init__(self) -> None:
        super().__init__()
        self._state = "hello"

    def start(self) -> list[bytes]:
        return []

    def handle_command(self, name: bytes, data: bytes) -> list[bytes]:
        if self._state == "hello" and name == b"HELLO":
            # ulen username plen password, and nothing after (libzmq's check).
            if not data or 1 + data[0] >= len(data):
                raise ProtocolError("malformed PLAIN HELLO: truncated username")
            user_end = 1 + data[0]
            if user_end + 1 + data[user_end] != len(data):
                raise ProtocolError("malformed PLAIN HELLO: bad password length")
            username, password = data[1:user_end], data[user_end + 1 :]
            self._state = "zap"
            self.zap_request = ZapRequest(b"PLAIN", (username, password))
            return []
        if self._state == "initiate" and name == b"INITIATE":
            self.peer_properties = decode_properties(data)
            self._state = "done"
            self.complete = True
            return [encode_command(b"READY", encode_properties(self.metadata))]
        raise ProtocolError(f"unexpected command {name!r} in the PLAIN handshake (server)")

    def authenticated(self) -> list[bytes]:
        self._state = "initiate"
        return [encode_command(b"WELCOME")]
