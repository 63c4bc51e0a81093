"""The 64-byte ZMTP 3.x greeting (RFC 23/37 §Greeting; docs/wire/zmtp.md#greeting)."""

from __future__ import annotations

from dataclasses import dataclass

from aiomsg.errors import IncompatiblePeer, ProtocolError

__all__ = ["GREETING_SIZE", "Greeting", "build_greeting", "check_greeting_prefix", "parse_greeting"]

GREETING_SIZE = 64
MAJOR = 3
MINOR = 1


@dataclass(frozen=True, slots=True)
class Greeting:
    """What a peer announced in its greeting."""

    major: int
    minor: int
    mechanism: bytes
    as_server: bool

    @property
    def uses_subscribe_commands(self) -> bool:
        """ZMTP 3.1 and later carry subscriptions as SUBSCRIBE/CANCEL commands."""
        return (self.major, self.minor) >= (3, 1)


def build_greeting(mechanism: bytes, as_server: bool, identity_size: int = 0) -> bytes:
    """Our greeting, sent whole as soon as the connection is up.

    The padding carries ``identity_size + 1`` as libzmq writes it, so that a
    ZMTP 1.0 peer reads it as an identity frame header; peers never check it.
    """
    return (
        b"\xff"
        + (identity_size + 1).to_bytes(8, "big")
        + b"\x7f"
        + bytes((MAJOR, MINOR))
        + mechanism.ljust(20, b"\x00")
        + (b"\x01" if as_server else b"\x00")
        + bytes(31)
    )


def check_greeting_prefix(data: bytes) -> None:
    """Refuse a peer as early as its first bytes allow.

    Checks the signature (bytes 0 and 9) and the major version (byte 10) on
    whatever prefix has arrived, so garbage is refused without waiting for 64
    bytes that may never come.

    Raises:
        ProtocolError: not a ZMTP 3.x greeting.
    """
    if data[:1] not in (b"", b"\xff"):
        raise ProtocolError("not a ZMTP greeting (bad signature)")
    if len(data) >= 10 and not data[9] & 1:
        raise ProtocolError("unversioned ZMTP 1.0 peer is not supported")
    if len(data) >= 11 and data[10] < MAJOR:
        raise ProtocolError(f"ZMTP {data[10]}.x peer is not supported (need 3.0 or later)")


def parse_greeting(data: bytes, expected_mechanism: bytes) -> Greeting:
    """Decode a complete 64-byte greeting.

    Padding, the as-server byte and the minor version are deliberately not
    validated: libzmq writes non-zero padding and always sends as-server 0.

    Raises:
        ProtocolError: bad signature or version, or a different mechanism.
    """
    check_greeting_prefix(data)
    mechanism = data[12:32]
    if mechanism != expected_mechanism.ljust(20, b"\x00"):
        shown = mechanism.rstrip(b"\x00").decode("ascii", "replace")
        raise IncompatiblePeer(f"security mechanism mismatch: peer uses {shown!r}")
    return Greeting(
        major=data[10], minor=data[11], mechanism=mechanism.rstrip(b"\x00"), as_server=data[32] == 1
    )
