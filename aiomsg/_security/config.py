"""Which mechanism a socket's options ask for, built fresh for each connection.

Precedence when several are set (libzmq keeps only the last one set):
``curve_server`` > ``curve_serverkey`` > ``plain_server`` >
``plain_username``/``plain_password`` > NULL (which asks the authenticator
only when ``zap_domain`` is set).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiomsg._zmtp.curve import CurveClient, CurveServer
from aiomsg._zmtp.mechanism import Mechanism
from aiomsg._zmtp.null import NullMechanism
from aiomsg._zmtp.plain import PlainClient, PlainServer
from aiomsg._zmtp.sodium import nacl_bindings
from aiomsg.constants import SecurityMechanism
from aiomsg.errors import AiomsgError, ProtocolError

__all__ = ["Misconfigured", "mechanism_for", "mechanism_kind"]


class Misconfigured(Mechanism):
    """Stands in for a mechanism the options cannot build: the handshake of
    each connection fails at once with *reason* (logged as HANDSHAKE_FAILED)."""

    def __init__(self, name: bytes, reason: str, *, as_server: bool = False) -> None:
        super().__init__()
        self.name = name
        self.as_server = as_server
        self.reason = reason

    def start(self) -> list[bytes]:
        raise ProtocolError(self.reason)

    def handle_command(self, name: bytes, data: bytes) -> list[bytes]:
        raise ProtocolError(self.reason)


def mechanism_kind(options: Mapping[str, Any]) -> SecurityMechanism:
    """The mechanism *options* ask for (the ``mechanism`` option's value)."""
    if options["curve_server"] or options["curve_serverkey"]:
        return SecurityMechanism.CURVE
    if options["plain_server"] or options["plain_username"] or options["plain_password"]:
        return SecurityMechanism.PLAIN
    return SecurityMechanism.NULL


def mechanism_for(options: Mapping[str, Any]) -> Mechanism:
    """A new mechanism for one connection of a socket with *options*."""
    kind = mechanism_kind(options)
    if kind is SecurityMechanism.CURVE:
        return _curve(options)
    if kind is SecurityMechanism.PLAIN:
        if options["plain_server"]:
            return PlainServer()
        return PlainClient(options["plain_username"], options["plain_password"])
    return NullMechanism(authenticate=bool(options["zap_domain"]))


def _curve(options: Mapping[str, Any]) -> Mechanism:
    server = bool(options["curve_server"])
    secret: bytes = options["curve_secretkey"]
    public: bytes = options["curve_publickey"]
    try:
        if not secret:
            raise ValueError("CURVE needs curve_secretkey")
        if server:
            return CurveServer(secret, public or None)
        if not public:
            public = nacl_bindings().crypto_scalarmult_base(secret)
        return CurveClient(options["curve_serverkey"], public, secret)
    except (AiomsgError, ValueError) as error:
        return Misconfigured(b"CURVE", str(error), as_server=server)
