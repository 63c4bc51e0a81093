"""The shape every security mechanism has (libzmq's ``mechanism_t``, sans-I/O)."""

from __future__ import annotations

import abc

from aiomsg.errors import ProtocolError

__all__ = ["HandshakeRefused", "Mechanism", "parse_error"]


class HandshakeRefused(ProtocolError):
    """The peer sent an ERROR command; ``reason`` is the text it gave."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"peer refused the handshake: {reason}")
        self.reason = reason


def parse_error(data: bytes) -> str:
    """The reason carried by an ERROR command's data (length-prefixed text)."""
    return data[1 : 1 + data[0]].decode("ascii", "replace") if data else ""


class Mechanism(abc.ABC):
    """One side of a ZMTP security handshake, for one connection.

    The codec hands it every command frame received during the handshake and
    sends whatever it returns. A mechanism never does I/O.

    Attributes:
        name: the mechanism name as written in the greeting (``b"NULL"``...).
        as_server: the greeting's as-server bit.
        complete: the handshake succeeded; traffic may flow.
        peer_properties: the metadata the peer sent (READY / INITIATE).
    """

    name: bytes
    as_server: bool = False

    def __init__(self, own_properties: dict[bytes, bytes]) -> None:
        self.own_properties = own_properties
        self.peer_properties: dict[bytes, bytes] = {}
        self.complete = False

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
