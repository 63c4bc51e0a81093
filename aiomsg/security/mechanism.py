"""The shape every security mechanism has (libzmq's ``mechanism_t``, sans-I/O).

A mechanism drives one side of a handshake for one connection: the codec
feeds it handshake commands and sends what it returns. Mechanisms that
encrypt (CURVE) also wrap every frame after the handshake. Server-side
mechanisms that authenticate (PLAIN, CURVE, NULL with a ZAP domain) pause
the handshake with a :class:`ZapRequest`; the I/O layer answers it with a
:class:`ZapReply` (RFC 27 semantics) and the handshake resumes.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field

from aiomsg.errors import ProtocolError

__all__ = [
    "HandshakeRefused",
    "Mechanism",
    "ZapReply",
    "ZapRequest",
    "parse_error",
]


class HandshakeRefused(ProtocolError):
    """The peer sent an ERROR command; ``reason`` is the text it gave."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"peer refused the handshake: {reason}")
        self.reason = reason


def parse_error(data: bytes) -> str:
    """The reason carried by an ERROR command's data (length-prefixed text)."""
    return data[1 : 1 + data[0]].decode("ascii", "replace") if data else ""


@dataclass(frozen=True, slots=True)
class ZapRequest:
    """What a server-side mechanism asks the authenticator (RFC 27 frames 3, 6, 7...).

    The I/O layer adds the peer's address and the socket's domain and identity.
    """

    mechanism: bytes
    credentials: tuple[bytes, ...] = ()


@dataclass(frozen=True, slots=True)
class ZapReply:
    """The authenticator's answer: status ``200`` accepts; ``300``, ``400`` and
    ``500`` refuse (``300`` silently, the others with an ERROR command)."""

    status_code: str
    status_text: str = ""
    user_id: bytes = b""
    metadata: dict[bytes, bytes] = field(default_factory=dict)


class Mechanism(abc.ABC):
    """One side of a ZMTP security handshake, for one connection.

    Attributes:
        name: the mechanism name as written in the greeting (``b"NULL"``...).
        as_server: the greeting's as-server bit.
        encrypts: whether frames after the handshake go through
            :meth:`encode` / :meth:`decode`.
        metadata: our properties (Socket-Type, Identity), set by the codec
            before :meth:`start`.
        complete: the handshake succeeded; traffic may flow.
        peer_properties: the metadata the peer sent (READY / INITIATE).
        zap_request: set while the handshake waits for authentication.
        user_id: the authenticated user id, once the authenticator accepted.
        auth_metadata: the properties the authenticator attached.
        error: why the handshake failed on our side (after :meth:`zap_reply`).
    """

    name: bytes
    as_server: bool = False
    encrypts: bool = False

    def __init__(self) -> None:
        self.metadata: dict[bytes, bytes] = {}
        self.peer_properties: dict[bytes, bytes] = {}
        self.complete = False
        self.zap_request: ZapRequest | None = None
        self.user_id = b""
        self.auth_metadata: dict[bytes, bytes] = {}
        self.error: str | None = None

    @abc.abstractmethod
    def start(self) -> list[bytes]:
        """Command frames (whole, encoded) to send once the greetings are exchanged."""

    @abc.abstractmethod
    def process_command(self, name: bytes, data: bytes) -> list[bytes]:
        """Consume one handshake command; return command frames to send.

        Raises:
            ProtocolError: the command is unexpected or malformed.
            HandshakeRefused: the peer sent ERROR (its reason is attached).
        """

    @property
    def hint_on_close(self) -> str:
        """Why the peer may have closed the connection mid-handshake (appended
        to the logged reason; libzmq refuses some clients silently)."""
        return ""

    def zap_reply(self, reply: ZapReply) -> list[bytes]:
        """Resume after :attr:`zap_request` was answered; return frames to send.

        On a refusal, set :attr:`error` (the frames returned, if any, tell
        the peer) and the codec fails the connection.
        """
        raise NotImplementedError(f"{self.name.decode()} does not authenticate")

    def encode(self, flags: int, body: bytes) -> bytes:
        """One whole wire frame for a message frame or command (encrypting mechanisms).

        *flags* uses the ZMTP bits: MORE (0x01) and COMMAND (0x04).
        """
        raise NotImplementedError(f"{self.name.decode()} does not encrypt")

    def decode(self, body: bytes) -> tuple[int, bytes]:
        """``(flags, payload)`` of a received frame body (encrypting mechanisms).

        Raises:
            ProtocolError: the frame does not authenticate or is malformed.
        """
        raise NotImplementedError(f"{self.name.decode()} does not encrypt")
