"""Socket options: names, defaults and checks, with pyzmq's vocabulary."""

from __future__ import annotations

from typing import Any, Generic, TypeVar, overload

from aiomsg._security.keys import key_bytes
from aiomsg._zmtp.sodium import nacl_bindings
from aiomsg.errors import InvalidOption

__all__ = ["DEFAULTS", "HasOptions", "Option", "TransportOptions", "check_option"]

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
    # Request correlation, ROUTER and XPUB behaviours, conflation.
    "req_relaxed": False,  # REQ: a new request may be sent before the previous reply
    "req_correlate": False,  # REQ: requests carry an id; replies must echo it
    "probe_router": False,  # DEALER, REQ, ROUTER: send an empty message to each new peer
    "router_handover": False,  # ROUTER: a newcomer takes over an identity in use
    "router_notify": 0,  # ROUTER: [id, b""] on connect (1) and/or disconnect (2)
    "connect_routing_id": b"",  # ROUTER: the routing id of the next connect's peer
    "xpub_verbose": False,  # XPUB: pass every subscribe up, repeats included
    "xpub_verboser": False,  # XPUB: ... and every unsubscribe
    "xpub_manual": False,  # XPUB: the application sets subscriptions with subscribe()
    "xpub_welcome_msg": b"",  # PUB, XPUB: sent to each new subscriber; b"" = none
    "xpub_nodrop": False,  # PUB, XPUB: wait (or Again) at a subscriber's HWM, never drop
    "invert_matching": False,  # PUB, XPUB, SUB: deliver what does NOT match a subscription
    "only_first_subscribe": False,  # XPUB, XSUB: a message's first frame decides if it subscribes
    "conflate": False,  # DEALER, PULL, PUSH, PUB, SUB: keep only the newest message per peer
    # Kernel socket tuning (applied by the tcp/ipc transports),
    # reconnect policy, blocking timeouts, STREAM and ZAP.
    "tcp_keepalive": -1,  # SO_KEEPALIVE: -1 = the OS default, 0 = off, 1 = on
    "tcp_keepalive_idle": -1,  # TCP_KEEPIDLE, seconds; -1 = the OS default
    "tcp_keepalive_cnt": -1,  # TCP_KEEPCNT, probes; -1 = the OS default
    "tcp_keepalive_intvl": -1,  # TCP_KEEPINTVL, seconds; -1 = the OS default
    "tcp_maxrt": 0,  # TCP_USER_TIMEOUT, ms unacknowledged data may wait; 0 = the OS default
    "connect_timeout": 0,  # ms one tcp connect attempt may take; 0 = the OS's own limit
    "reconnect_stop": 0,  # RECONNECT_STOP_* flags: when to stop reconnecting for good
    "tos": 0,  # IP_TOS / IPV6_TCLASS of every connection (and listener)
    "sndbuf": -1,  # SO_SNDBUF, bytes; -1 = the OS default
    "rcvbuf": -1,  # SO_RCVBUF, bytes; -1 = the OS default
    "backlog": 100,  # listen() queue of pending connections
    "use_fd": -1,  # bind() adopts this already-listening fd (systemd); -1 = make one
    "sndtimeo": -1,  # ms a send may wait before raising Again; -1 = for ever
    "rcvtimeo": -1,  # ms a receive may wait before raising Again; -1 = for ever
    "stream_notify": True,  # STREAM: an empty message on each connect and disconnect
    "zap_enforce_domain": False,  # without a ZAP handler, refuse instead of allowing
    # wss:// (TLS with the ssl module), named as libzmq names them (ZMQ_WSS_*): PEM text.
    "wss_cert_pem": "",  # our certificate chain (a server must have one)
    "wss_key_pem": "",  # its private key
    "wss_trust_pem": "",  # CA certificates a client trusts for the server
    "wss_hostname": "",  # the name a client checks in the server's certificate ("": the host)
    "wss_trust_system": True,  # a client also trusts the system's CAs
    # Multicast (epgm://, pgm://; docs/multicast.md), named as pyzmq names them.
    "rate": 100,  # kbit/s a PGM source sends ODATA at; with recovery_ivl, sizes the windows
    "recovery_ivl": 10000,  # ms of data a PGM source keeps for repairs (and a receiver waits)
    "multicast_hops": 1,  # IP_MULTICAST_TTL of multicast (epgm, pgm, udp)
    "multicast_maxtpdu": 1500,  # largest PGM packet with its IP (and UDP) header, bytes
    "multicast_loop": True,  # IP_MULTICAST_LOOP: this host's own sockets hear its multicast
}

#: Inclusive bounds of the options whose range is narrower than "-1 or more".
_RANGES: dict[str, tuple[int, int | None]] = {
    "router_notify": (0, 3),  # ZMQ_NOTIFY_CONNECT | ZMQ_NOTIFY_DISCONNECT
    "tcp_keepalive": (-1, 1),
    "reconnect_stop": (0, 7),
    "tos": (0, 255),
    "rate": (1, None),
    "recovery_ivl": (0, None),
    "multicast_hops": (1, 255),
    # Room for the headers and 2 stream bytes; a UDP datagram's limit above.
    "multicast_maxtpdu": (256, 65535),
}

#: Bytes options with no length or first-byte rule (any message body).
_ANY_BYTES = frozenset({"xpub_welcome_msg"})

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
        if name in _ANY_BYTES:
            return value
        if len(value) > 255:
            raise InvalidOption(f"option {name!r} is at most 255 bytes")
        if value.startswith(b"\x00"):
            raise InvalidOption(f"option {name!r} may not start with a zero byte (reserved)")
        return value
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidOption(f"option {name!r} takes an int, not {type(value).__name__}")
    low, high = _RANGES.get(name, (-1, None))
    if value < low or (high is not None and value > high):
        bounds = "-1 or more" if high is None else f"from {low} to {high}"
        raise InvalidOption(f"option {name!r} must be {bounds}")
    return value


class HasOptions:
    """Owns a set of option values, read and written through :class:`Option`
    attributes declared on the class."""

    __slots__ = ("_options",)

    _options: dict[str, Any]

    def __init__(self, **options: Any) -> None:
        """Start from :data:`DEFAULTS`, overridden by *options* (each checked).

        Raises:
            InvalidOption: an unknown option, or a bad value.
        """
        self._options = dict(DEFAULTS)
        for name, value in options.items():
            self._options[name] = check_option(name, value)

    def _set_option(self, name: str, value: Any) -> None:
        """Store an option already checked; owners that react to a change
        (a socket type recomposing its strategies) extend this."""
        self._options[name] = value


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
        instance._set_option(self.name, check_option(self.name, value))


class TransportOptions(HasOptions):
    """The options transports read, declared once: a socket exposes them to
    its user, and its pool serves them to transports as the ``Engine``
    properties of the same names (aiomsg/transports/interface.py)."""

    __slots__ = ()

    identity = Option[bytes]()
    maxmsgsize = Option[int]()
    max_message_size = Option[int]()
    handshake_ivl = Option[int]()
    heartbeat_ivl = Option[int]()
    heartbeat_timeout = Option[int]()
    heartbeat_ttl = Option[int]()
    reconnect_ivl = Option[int]()
    reconnect_ivl_max = Option[int]()
    reconnect_stop = Option[int]()
    connect_timeout = Option[int]()
    # Kernel socket options (aiomsg/transports/_tuning.py).
    tcp_keepalive = Option[int]()
    tcp_keepalive_idle = Option[int]()
    tcp_keepalive_cnt = Option[int]()
    tcp_keepalive_intvl = Option[int]()
    tcp_maxrt = Option[int]()
    tos = Option[int]()
    sndbuf = Option[int]()
    rcvbuf = Option[int]()
    backlog = Option[int]()
    use_fd = Option[int]()
    # wss:// (aiomsg/transports/_ws.py).
    wss_cert_pem = Option[str]()
    wss_key_pem = Option[str]()
    wss_trust_pem = Option[str]()
    wss_hostname = Option[str]()
    wss_trust_system = Option[bool]()
    # epgm:// and pgm:// (aiomsg/transports/_pgm.py); udp:// reads the last two.
    rate = Option[int]()
    recovery_ivl = Option[int]()
    multicast_hops = Option[int]()
    multicast_maxtpdu = Option[int]()
    multicast_loop = Option[bool]()
