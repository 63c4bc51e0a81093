"""The in-process authenticator: ZAP (RFC 27) semantics, asyncio-native, no threads.

libzmq servers ask a ZAP handler bound at ``inproc://zeromq.zap.01``;
aiomsg servers ask the :class:`Authenticator` started on their context,
with the same request fields (domain, address, identity, mechanism,
credentials) and the same answers (status 200, 300, 400 or 500, a user
id, metadata). Its configuration methods are pyzmq's ``zmq.auth`` ones::

    auth = aiomsg.Authenticator(ctx)
    auth.allow("127.0.0.1")
    auth.configure_curve(domain="*", location=aiomsg.CURVE_ALLOW_ANY)
    auth.start()

Without a started authenticator a socket decides alone, as libzmq does
without a ZAP handler: PLAIN servers refuse everyone, CURVE servers accept
every client that completes the handshake, and NULL sockets accept.
"""

from __future__ import annotations

import hmac
import inspect
import logging
import os
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from aiomsg._closing import ClosesOnExit
from aiomsg._security.certs import load_certificates
from aiomsg._security.keys import key_bytes
from aiomsg._zmtp.mechanism import ZapReply
from aiomsg._zmtp.z85 import z85_encode
from aiomsg.errors import AiomsgError

__all__ = [
    "CURVE_ALLOW_ANY",
    "AuthCallback",
    "AuthContext",
    "AuthRequest",
    "AuthService",
    "Authenticator",
    "ZapReply",
    "default_reply",
]

#: ``configure_curve(location=CURVE_ALLOW_ANY)``: any client key is accepted.
CURVE_ALLOW_ANY = "*"

logger = logging.getLogger("aiomsg.auth")


@dataclass(frozen=True, slots=True)
class AuthRequest:
    """One authentication request, with the fields of a ZAP request (RFC 27).

    Attributes:
        domain: the server socket's ``zap_domain`` (may be empty).
        address: the peer's IP address, without the port.
        identity: the server socket's own routing id (as libzmq sends it).
        mechanism: ``"NULL"``, ``"PLAIN"`` or ``"CURVE"``.
        credentials: PLAIN: user name and password; CURVE: the client's
            32-byte public key; NULL: none.
    """

    domain: str
    address: str
    identity: bytes
    mechanism: str
    credentials: tuple[bytes, ...] = ()

    @property
    def username(self) -> str | None:
        """The PLAIN user name (None for other mechanisms)."""
        if self.mechanism != "PLAIN" or len(self.credentials) != 2:
            return None
        return self.credentials[0].decode("utf-8", "replace")

    @property
    def password(self) -> str | None:
        """The PLAIN password (None for other mechanisms)."""
        if self.mechanism != "PLAIN" or len(self.credentials) != 2:
            return None
        return self.credentials[1].decode("utf-8", "replace")

    @property
    def client_key(self) -> bytes | None:
        """The CURVE client's public key as Z85 text (None for other mechanisms)."""
        if self.mechanism != "CURVE" or len(self.credentials) != 1:
            return None
        return z85_encode(self.credentials[0])


#: ``async def callback(request) -> bool | ZapReply | None``: True accepts,
#: False refuses (400), a :class:`ZapReply` is used as is, None defers to
#: the rules configured with ``allow``/``configure_plain``/``configure_curve``.
AuthCallback = Callable[[AuthRequest], Awaitable[bool | ZapReply | None]]


def default_reply(mechanism: str) -> ZapReply:
    """The answer when no authenticator runs (libzmq's behaviour without a ZAP handler)."""
    if mechanism == "PLAIN":
        return ZapReply("400", "no authenticator is running, and PLAIN needs one")
    return ZapReply("200", "OK")


def _accept(user_id: str) -> ZapReply:
    return ZapReply("200", "OK", user_id.encode("utf-8"))


def _deny(reason: str) -> ZapReply:
    return ZapReply("400", reason)


class AuthService(Protocol):
    """Whatever answers a context's authentication requests: the
    :class:`Authenticator`, or a client of a ZAP handler bound at
    ``inproc://zeromq.zap.01``."""

    async def authenticate(self, request: AuthRequest) -> ZapReply:
        """The answer to *request*; never raises. Cancelling is safe."""


class AuthContext(Protocol):
    """What an authenticator needs of its context: the slot it registers in
    (:class:`aiomsg.Context` has it)."""

    authenticator: Authenticator | None


class Authenticator(ClosesOnExit):
    """Authenticates the PLAIN, CURVE and (with a ``zap_domain``) NULL peers of
    every socket of *context*; one per context.

    ``start()``/``stop()`` register and unregister it (``async with`` does
    both). Configuration may change at any time; it applies to the next
    handshake.

    Address rules come first: with :meth:`allow`, only the listed
    addresses pass; with :meth:`deny`, the listed addresses are refused.
    Then the domain's callback (:meth:`configure_callback`), if any. Then
    the mechanism's rules: NULL passes; PLAIN needs a matching user name
    and password; CURVE needs an allowed key. A domain with no rules of
    its own uses those configured for ``"*"``.
    """

    def __init__(self, context: AuthContext, *, encoding: str = "utf-8") -> None:
        self.context = context
        self.encoding = encoding
        self._allowed: set[str] = set()
        self._denied: set[str] = set()
        self.passwords: dict[str, dict[str, str]] = {}
        # Per domain: CURVE_ALLOW_ANY, or the set of allowed raw public keys.
        self.certs: dict[str, str | set[bytes]] = {}
        self._callbacks: dict[str, AuthCallback] = {}

    # -- lifecycle -------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether this authenticator answers for its context."""
        return self.context.authenticator is self

    def start(self) -> None:
        """Answer the authentication requests of the context's sockets from now on.

        Raises:
            AiomsgError: another authenticator is running on the context.
        """
        current = self.context.authenticator
        if current is not None and current is not self:
            raise AiomsgError("another Authenticator is already running on this context")
        self.context.authenticator = self

    def stop(self) -> None:
        """Stop answering; sockets fall back to the no-authenticator rules."""
        if self.context.authenticator is self:
            self.context.authenticator = None

    async def __aenter__(self) -> Authenticator:
        self.start()
        return self

    async def aclose(self) -> None:
        """:meth:`stop` (leaving ``async with`` calls it)."""
        self.stop()

    # -- configuration (pyzmq's zmq.auth names) ----------------------------------

    def allow(self, *addresses: str) -> None:
        """Accept peers from these IP addresses only (the others are refused).

        Raises:
            ValueError: :meth:`deny` was used already (use one or the other).
        """
        if self._denied:
            raise ValueError("use allow() or deny(), not both")
        self._allowed.update(addresses)

    def deny(self, *addresses: str) -> None:
        """Refuse peers from these IP addresses.

        Raises:
            ValueError: :meth:`allow` was used already (use one or the other).
        """
        if self._allowed:
            raise ValueError("use allow() or deny(), not both")
        self._denied.update(addresses)

    def configure_plain(self, domain: str = "*", passwords: dict[str, str] | None = None) -> None:
        """Accept PLAIN clients of *domain* whose user name and password are in *passwords*."""
        self.passwords[domain] = dict(passwords or {})

    def configure_curve(
        self,
        domain: str = "*",
        location: str | os.PathLike[str] | Iterable[str | bytes] = CURVE_ALLOW_ANY,
    ) -> None:
        """Accept CURVE clients of *domain* by key.

        *location* is :data:`CURVE_ALLOW_ANY` (any client that completes the
        handshake), a directory of public certificates (``*.key`` files, as
        :func:`create_certificates` and pyzmq write), or an iterable of
        public keys (Z85 text or 32 raw bytes). Call it again to reload a
        directory.

        Raises:
            OSError: the directory cannot be read.
            ValueError: a key is malformed.
        """
        if isinstance(location, str) and location == CURVE_ALLOW_ANY:
            self.certs[domain] = CURVE_ALLOW_ANY
        elif isinstance(location, (str, os.PathLike)):
            self.certs[domain] = {key_bytes(key) for key in load_certificates(Path(location))}
        else:
            self.certs[domain] = {key_bytes(key, "public key") for key in location}

    def configure_callback(self, callback: AuthCallback, domain: str = "*") -> None:
        """Let ``await callback(request)`` decide for *domain* (see :data:`AuthCallback`).

        It runs after the address rules, for every mechanism. A callback that
        raises refuses the peer with status 500.
        """
        self._callbacks[domain] = callback

    def curve_user_id(self, client_key: bytes) -> str:
        """The User-Id of an accepted CURVE client: its public key in Z85
        (as pyzmq's); override to map keys to names."""
        return z85_encode(client_key).decode("ascii")

    # -- decisions -------------------------------------------------------------------

    async def authenticate(self, request: AuthRequest) -> ZapReply:
        """Decide on *request*; never raises (a failing callback gives 500)."""
        try:
            reply = await self._decide(request)
        except Exception as error:
            logger.exception("authenticator failed on %s", request)
            reply = ZapReply("500", f"authenticator error: {type(error).__name__}")
        level = logging.DEBUG if reply.status_code == "200" else logging.INFO
        logger.log(
            level,
            "%s %s from %s (domain %r): %s %s",
            "accepted" if reply.status_code == "200" else "refused",
            request.mechanism,
            request.address,
            request.domain,
            reply.status_code,
            reply.status_text,
        )
        return reply

    async def _decide(self, request: AuthRequest) -> ZapReply:
        address = request.address
        if self._allowed and address not in self._allowed:
            return _deny(f"address {address} not allowed")
        if self._denied and address in self._denied:
            return _deny(f"address {address} denied")
        callback = self._lookup(self._callbacks, request.domain)
        if callback is not None:
            verdict: Any = callback(request)
            if inspect.isawaitable(verdict):
                verdict = await verdict
            if isinstance(verdict, ZapReply):
                return verdict
            if verdict is not None:
                if not verdict:
                    return _deny("refused by callback")
                return _accept(self._user_id(request))
        if request.mechanism == "NULL":
            return _accept("anonymous")
        if request.mechanism == "PLAIN":
            return self._plain(request)
        if request.mechanism == "CURVE":
            return self._curve(request)
        return _deny(f"unsupported mechanism {request.mechanism}")

    def _user_id(self, request: AuthRequest) -> str:
        if request.mechanism == "PLAIN":
            return request.username or ""
        if request.mechanism == "CURVE" and request.credentials:
            return self.curve_user_id(request.credentials[0])
        return "anonymous"

    def _plain(self, request: AuthRequest) -> ZapReply:
        if len(request.credentials) != 2:
            return _deny("invalid PLAIN credentials")
        passwords = self._lookup(self.passwords, request.domain)
        if not passwords:
            return _deny(f"no PLAIN passwords for domain {request.domain!r}")
        username, password = (c.decode(self.encoding, "replace") for c in request.credentials)
        # Compared in constant time, and compared even for an unknown user, so
        # that timing tells neither the password nor which users exist.
        expected = passwords.get(username)
        matches = hmac.compare_digest(
            (expected if expected is not None else password + "\0").encode(self.encoding),
            password.encode(self.encoding),
        )
        # The reasons differ only in the local log: the client sees status 400.
        if expected is None:
            return _deny(f"unknown user {username!r}")
        if not matches:
            return _deny(f"wrong password for user {username!r}")
        return _accept(username)

    def _curve(self, request: AuthRequest) -> ZapReply:
        if len(request.credentials) != 1 or len(request.credentials[0]) != 32:
            return _deny("invalid CURVE credentials")
        key = request.credentials[0]
        allowed = self._lookup(self.certs, request.domain)
        if allowed is None:
            return _deny(f"no CURVE keys for domain {request.domain!r}")
        if allowed != CURVE_ALLOW_ANY and key not in allowed:
            return _deny(f"CURVE key {z85_encode(key).decode()} not allowed")
        return _accept(self.curve_user_id(key))

    @staticmethod
    def _lookup(table: dict[str, Any], domain: str) -> Any:
        if domain in table:
            return table[domain]
        return table.get("*")
