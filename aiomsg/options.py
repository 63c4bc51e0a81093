"""Socket options: names, defaults and checks, with pyzmq's vocabulary."""

from __future__ import annotations

from typing import Any, Generic, TypeVar, overload

from aiomsg._security.keys import key_bytes
from aiomsg._zmtp.sodium import nacl_bindings
from aiomsg.errors import InvalidOption

__all__ = ["DEFAULTS", "HasOptions", "Option", "check_option"]

T = TypeVar("T")

#: Every option a socket accepts, with libzmq's default.
DEFAULTS: dict[str, Any] = {
    "sndhwm": 1000,  # messages queued per peer for sending; 0 = no limit
    "rcvhwm": 1000,  # messages queued per peer for receiving; 0 = no limit
    "linger": -1,  # ms to keep flushing after close; -1 = until done, 0 = drop
    "identity": b"",  # routing id announced to ROUTER peers (ZMQ_ROUTING_ID)
    "reconnect_ivl": 100,  # ms before reconnecting; -1 = never reconnect
    "reconnect_ivl_max": 0,  # ms cap for exponential backoff; 0 = no backoff
    "maxmsgsize": -1,  # bytes; a larger frame disconnects the peer; -1 = no limit
    "max_message_size": -1,  # bytes of a whole message, all frames; as maxmsgsize otherwise
    "max_subscriptions": 100_000,  # PUB/XPUB: topics one peer may subscribe; -1 = no limit
    "max_subscription_bytes": 16 << 20,  # PUB/XPUB: their total size per peer; -1 = no limit
    "handshake_ivl": 30000,  # ms a peer has to finish its handshake; 0 = no limit
    "router_mandatory": False,  # ROUTER: raise HostUnreachable instead of dropping
    "immediate": False,  # queue messages only for peers that are connected (ZMQ_IMMEDIATE)
    "heartbeat_ivl": 0,  # ms between PINGs to each peer; 0 = no heartbeats
    "heartbeat_timeout": -1,  # ms of silence after a PING that drop the peer; -1 = heartbeat_ivl
    "heartbeat_ttl": 0,  # ms the peer may wait for our traffic before dropping us (sent in PING)
    # Security (docs/security.md); keys are stored as 32 raw bytes, b"" = unset.
    "plain_server": False,  # accept PLAIN clients (checked by the context's authenticator)
    "plain_username": b"",  # be a PLAIN client with this user name
    "plain_password": b"",  # ... and this password
    "curve_server": False,  # accept CURVE clients (needs curve_secretkey)
    "curve_secretkey": b"",  # our long-term CURVE secret key
    "curve_publickey": b"",  # its public half (derived from the secret when unset)
    "curve_serverkey": b"",  # be a CURVE client of the server with this public key
    "zap_domain": b"",  # the authentication domain; on NULL, also turns authentication on
    # wss:// (TLS with the ssl module), named as libzmq names them (ZMQ_WSS_*): PEM text.
    "wss_cert_pem": "",  # our certificate chain (a server must have one)
    "wss_key_pem": "",  # its private key
    "wss_trust_pem": "",  # CA certificates a client trusts for the server
    "wss_hostname": "",  # the name a client checks in the server's certificate ("": the host)
    "wss_trust_system": True,  # a client also trusts the system's CAs
}

_CURVE_KEYS = frozenset({"curve_secretkey", "curve_publickey", "curve_serverkey"})
_TEXT = frozenset({"plain_username", "plain_password", "zap_domain"})
_SECURITY = _CURVE_KEYS | _TEXT | {"plain_server", "curve_server"}


def _check_security(name: str, value: Any) -> Any:
    """Keys: 32 raw bytes or 40 Z85 characters, stored raw. Texts: up to 255 bytes."""
    if name in _TEXT:
        if isinstance(value, str):
            value = value.encode()
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise InvalidOption(f"option {name!r} takes str or bytes, not {type(value).__name__}")
        if len(value) > 255:
            raise InvalidOption(f"option {name!r} is at most 255 bytes")
        return bytes(value)
    key: bytes | bool
    if name in _CURVE_KEYS:
        if value is None or (isinstance(value, (str, bytes)) and not value):
            return b""
        try:
            key = key_bytes(value, f"option {name!r}")
        except (TypeError, ValueError) as error:
            raise InvalidOption(str(error)) from None
    else:
        key = bool(value)
    if key and name in ("curve_server", "curve_serverkey"):
        nacl_bindings()  # raises NotSupported now rather than at each connection
    return key


def check_option(name: str, value: Any) -> Any:
    """Validate one option and return it in its stored form.

    Raises:
        InvalidOption: *name* is not an option, or *value* has the wrong
            type (it is also a TypeError) or is out of range (a ValueError).
    """
    if name not in DEFAULTS:
        raise InvalidOption(f"unknown socket option {name!r}; known: {', '.join(sorted(DEFAULTS))}")
    default = DEFAULTS[name]
    if name in _SECURITY:
        return _check_security(name, value)
    if isinstance(default, bool):
        return bool(value)
    if isinstance(default, str):
        if isinstance(value, bytes):
            value = value.decode("ascii", "replace")
        if not isinstance(value, str):
            raise InvalidOption(f"option {name!r} takes str, not {type(value).__name__}")
        return value
    if isinstance(default, bytes):
        if isinstance(value, str):
            value = value.encode()
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise InvalidOption(f"option {name!r} takes bytes, not {type(value).__name__}")
        value = bytes(value)
        if len(value) > 255:
            raise InvalidOption(f"option {name!r} is at most 255 bytes")
        if value.startswith(b"\x00"):
            raise InvalidOption(f"option {name!r} may not start with a zero byte (reserved)")
        return value
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidOption(f"option {name!r} takes an int, not {type(value).__name__}")
    if value < -1:
        raise InvalidOption(f"option {name!r} must be -1 or more")
    return value


class HasOptions:
    """Owns a set of option values, read and written through :class:`Option`
    attributes declared on the class."""

    _options: dict[str, Any]

    def __init__(self, **options: Any) -> None:
        """Start from :data:`DEFAULTS`, overridden by *options* (each checked).

        Raises:
            InvalidOption: an unknown option, or a bad value.
        """
        self._options = dict(DEFAULTS)
        for name, value in options.items():
            self._options[name] = check_option(name, value)


class Option(Generic[T]):
    """A socket option as an attribute: validated on assignment, defaulted from
    :data:`DEFAULTS`, stored in the owner's option values (:class:`HasOptions`).

    A descriptor rather than ``__setattr__``, so that assigning ordinary
    attributes on the hot path costs nothing extra.
    """

    name: str

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type) -> Option[T]: ...
    @overload
    def __get__(self, instance: HasOptions, owner: type) -> T: ...
    def __get__(self, instance: HasOptions | None, owner: type) -> Option[T] | T:
        if instance is None:
            return self
        value: T = instance._options[self.name]
        return value

    def __set__(self, instance: HasOptions, value: T) -> None:
        instance._options[self.name] = check_option(self.name, value)
