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
from typing import Any

from aiomsg._zmtp.frames import encode_command
from aiomsg.errors import ProtocolError

__all__ = [
    "HandshakeRefused",
    "Mechanism",
    "ZapReply",
    "ZapRequest",
    "error_command",
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
        accepted: the peer connected to us (set by the codec before
            :meth:`start`; NULL then speaks second).
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
        self.accepted = False
        self.peer_properties: dict[bytes, bytes] = {}
        self.complete = False
        self.zap_request: ZapRequest | None = None
        self.user_id = b""
        self.auth_metadata: dict[bytes, bytes] = {}
        self.error: str | None = None
        #: The ``(flags, payload)`` of the frame :meth:`open_run` opened last
        #: and left to the caller (a command); else None. The caller takes
        #: it and sets None again. (An instance attribute only: with a class
        #: default, Python 3.11 does not specialize its loads.)
        self.held: tuple[int, bytes] | None = None

    @abc.abstractmethod
    def start(self) -> list[bytes]:
        """Command frames (whole, encoded) to send once the greetings are exchanged."""

    def process_command(self, name: bytes, data: bytes) -> list[bytes]:
        """Consume one handshake command; return command frames to send.

        Raises:
            ProtocolError: the command is unexpected or malformed.
            HandshakeRefused: the peer sent ERROR (its reason is attached).
        """
        if name == b"ERROR":
            raise HandshakeRefused(parse_error(data))
        return self.handle_command(name, data)

    @abc.abstractmethod
    def handle_command(self, name: bytes, data: bytes) -> list[bytes]:
        """:meth:`process_command` for every command but ERROR (the mechanism's own).

        Raises:
            ProtocolError: the command is unexpected or malformed.
        """

    @property
    def hint_on_close(self) -> str:
        """Why the peer may have closed the connection mid-handshake (appended
        to the logged reason; libzmq refuses some clients silently)."""
        return ""

    def zap_reply(self, reply: ZapReply) -> list[bytes]:
        """Resume after :attr:`zap_request` was answered; return frames to send.

        RFC 27 statuses: ``200`` accepts, and the user id and metadata are
        kept for every message of the connection. ``300`` (temporary failure)
        closes without a word, so the peer retries. ``400`` and ``500`` send
        ERROR carrying the status code, as libzmq does, so the peer stops
        retrying. Anything else is an authenticator fault and closes like
        ``300``. On a refusal :attr:`error` is set, and the codec fails the
        connection after sending the frames returned.
        """
        self.zap_request = None
        code = reply.status_code
        if code != "200":
            text = f" {reply.status_text}" if reply.status_text else ""
            self.error = f"ZAP denied {self.name.decode()} peer: {code}{text}"
            return [error_command(code.encode())] if code in ("400", "500") else []
        self.user_id = reply.user_id
        self.auth_metadata = dict(reply.metadata)
        return self.authenticated()

    def authenticated(self) -> list[bytes]:
        """The authenticator accepted the peer: continue the handshake,
        returning the frames to send (mechanisms that authenticate)."""
        raise NotImplementedError(f"{self.name.decode()} does not authenticate")

    def encode(self, flags: int, body: bytes) -> bytes:
        """One whole wire frame for a message frame or command (encrypting mechanisms).

        *flags* uses the ZMTP bits: MORE (0x01) and COMMAND (0x04).
        """
        raise NotImplementedError(f"{self.name.decode()} does not encrypt")

    def encode_run(self, bodies: list[bytes], out: list[bytes]) -> None:
        """:meth:`encode` of each of *bodies*, a one-frame message each (no
        flags), appended to *out* in order. An encrypting mechanism with a
        faster loop than one :meth:`encode` call per frame overrides this."""
        encode = self.encode
        out += [encode(0, body) for body in bodies]

    def decode(self, data: bytes, start: int, stop: int) -> tuple[int, bytes]:
        """``(flags, payload)`` of a received frame whose body is
        ``data[start:stop]`` (encrypting mechanisms).

        *data* is the chunk of input being parsed, the same object for every
        frame in it: a mechanism may read the body in place, without a slice.

        Raises:
            ProtocolError: the frame does not authenticate or is malformed.
        """
        raise NotImplementedError(f"{self.name.decode()} does not encrypt")

    def open_run(
        self,
        data: bytes,
        offset: int,
        events: list[Any],
        single_bytes: bool,
        limit: int,
        parts: list[bytes] | None,
    ) -> int:
        """Open the run of whole frames in *data* from *offset*, as
        :meth:`decode` would read them, appending each message they complete
        to *events* (a one-frame message as its payload when *single_bytes*);
        return the offset after the last frame opened (*offset* itself when
        none was). The caller has no message under way.

        The run stops, opening nothing more, at a frame that is incomplete,
        whose outer flags are not a plain frame's (``00``, ``02`` when long),
        or whose payload would be above *limit* bytes: the caller takes such
        a frame through :meth:`decode`, with its own checks. It stops after
        a command: its ``(flags, payload)`` are left in :attr:`held`. The
        frames of a multipart message are taken when *parts* is a list (the
        caller's, empty): a message the run stops in the middle of is left
        in it, for the caller to go on with; when *parts* is None (the
        caller counts a message's size), a frame with MORE is left in
        :attr:`held` as a command is.

        An encrypting mechanism with a faster loop than one :meth:`decode`
        call per frame overrides this; this default opens none.

        Raises:
            ProtocolError: as :meth:`decode`, for the frame at which the run
                ends; the payloads of the frames before it are in *events*.
        """
        return offset


def error_command(reason: bytes) -> bytes:
    """A whole ERROR command frame, the reason cut to 255 bytes (RFC 23 §ERROR)."""
    reason = reason[:255]
    return encode_command(b"ERROR", bytes((len(reason),)) + reason)
