"""aiomsg: every ZeroMQ pattern with ``await``, speaking ZMTP 3.1 in pure Python.

Quick start::

    import aiomsg

    async def main() -> None:
        async with aiomsg.Context() as ctx:
            server = ctx.socket(aiomsg.REP)
            endpoint = await server.bind("tcp://127.0.0.1:*")
            client = ctx.socket(aiomsg.REQ)
            await client.connect(endpoint)
            await client.send(b"Hello")
            print(await server.recv())
            await server.send(b"World")
            print(await client.recv())

    aiomsg.run(main())

Code ported from pyzmq finds pyzmq's names here: socket types, flags, the
option numbers of ``setsockopt``/``getsockopt`` (``SNDHWM``, ``SUBSCRIBE``...),
``POLLIN``/``POLLOUT`` and :class:`Poller`, the errno values of the
exceptions (``EAGAIN``...). A pyzmq name aiomsg lacks on purpose raises an
``AttributeError`` that names what to use instead.
"""

import sys
from typing import TYPE_CHECKING, Any

from aiomsg._context import Context
from aiomsg._monitor import Event, Monitor, MonitorEvent, ZmqEvent
from aiomsg._poller import Poller
from aiomsg._pool.stats import PeerStats, SocketStats
from aiomsg._proxy import Proxy, ProxyStatistics, proxy
from aiomsg._replacements import missing_attribute
from aiomsg._runner import run
from aiomsg._security.auth import CURVE_ALLOW_ANY, Authenticator, AuthRequest, ZapReply
from aiomsg._security.certs import create_certificates, load_certificate, load_certificates
from aiomsg._security.keys import curve_keypair, curve_public, has_curve
from aiomsg._service import RequestClient, RequestServer
from aiomsg._socket import Socket
from aiomsg._zmtp.z85 import z85_decode, z85_encode
from aiomsg.constants import (
    DONTWAIT,
    NOBLOCK,
    NOTIFY_CONNECT,
    NOTIFY_DISCONNECT,
    RECONNECT_STOP_AFTER_DISCONNECT,
    RECONNECT_STOP_CONN_REFUSED,
    RECONNECT_STOP_HANDSHAKE_FAILED,
    SNDMORE,
    Errno,
    PollEvent,
    SecurityMechanism,
    SocketOption,
    SocketType,
)
from aiomsg.errors import (
    AddressInUse,
    Again,
    AiomsgError,
    Closed,
    DecodeError,
    EndpointError,
    HostUnreachable,
    InvalidMessage,
    InvalidOption,
    InvalidState,
    NotSupported,
    RemoteError,
)
from aiomsg.transports import register_transport

PAIR = SocketType.PAIR
PUB = SocketType.PUB
SUB = SocketType.SUB
REQ = SocketType.REQ
REP = SocketType.REP
DEALER = SocketType.DEALER
ROUTER = SocketType.ROUTER
PULL = SocketType.PULL
PUSH = SocketType.PUSH
XPUB = SocketType.XPUB
XSUB = SocketType.XSUB
SERVER = SocketType.SERVER
CLIENT = SocketType.CLIENT
RADIO = SocketType.RADIO
DISH = SocketType.DISH
GATHER = SocketType.GATHER
SCATTER = SocketType.SCATTER
DGRAM = SocketType.DGRAM
PEER = SocketType.PEER
CHANNEL = SocketType.CHANNEL
STREAM = SocketType.STREAM

# setsockopt/getsockopt option numbers (pyzmq's zmq.SNDHWM...).
HWM = SocketOption.HWM
IDENTITY = SocketOption.IDENTITY
ROUTING_ID = SocketOption.ROUTING_ID
SUBSCRIBE = SocketOption.SUBSCRIBE
UNSUBSCRIBE = SocketOption.UNSUBSCRIBE
RCVMORE = SocketOption.RCVMORE
EVENTS = SocketOption.EVENTS
TYPE = SocketOption.TYPE
LINGER = SocketOption.LINGER
RECONNECT_IVL = SocketOption.RECONNECT_IVL
RECONNECT_IVL_MAX = SocketOption.RECONNECT_IVL_MAX
MAXMSGSIZE = SocketOption.MAXMSGSIZE
SNDHWM = SocketOption.SNDHWM
RCVHWM = SocketOption.RCVHWM
LAST_ENDPOINT = SocketOption.LAST_ENDPOINT
ROUTER_MANDATORY = SocketOption.ROUTER_MANDATORY
IMMEDIATE = SocketOption.IMMEDIATE
MECHANISM = SocketOption.MECHANISM
PLAIN_SERVER = SocketOption.PLAIN_SERVER
PLAIN_USERNAME = SocketOption.PLAIN_USERNAME
PLAIN_PASSWORD = SocketOption.PLAIN_PASSWORD
CURVE_SERVER = SocketOption.CURVE_SERVER
CURVE_PUBLICKEY = SocketOption.CURVE_PUBLICKEY
CURVE_SECRETKEY = SocketOption.CURVE_SECRETKEY
CURVE_SERVERKEY = SocketOption.CURVE_SERVERKEY
ZAP_DOMAIN = SocketOption.ZAP_DOMAIN
HANDSHAKE_IVL = SocketOption.HANDSHAKE_IVL
HEARTBEAT_IVL = SocketOption.HEARTBEAT_IVL
HEARTBEAT_TTL = SocketOption.HEARTBEAT_TTL
HEARTBEAT_TIMEOUT = SocketOption.HEARTBEAT_TIMEOUT
PROBE_ROUTER = SocketOption.PROBE_ROUTER
REQ_CORRELATE = SocketOption.REQ_CORRELATE
REQ_RELAXED = SocketOption.REQ_RELAXED
CONFLATE = SocketOption.CONFLATE
ROUTER_HANDOVER = SocketOption.ROUTER_HANDOVER
CONNECT_ROUTING_ID = SocketOption.CONNECT_ROUTING_ID
XPUB_NODROP = SocketOption.XPUB_NODROP
XPUB_MANUAL = SocketOption.XPUB_MANUAL
XPUB_WELCOME_MSG = SocketOption.XPUB_WELCOME_MSG
INVERT_MATCHING = SocketOption.INVERT_MATCHING
XPUB_VERBOSER = SocketOption.XPUB_VERBOSER
XPUB_VERBOSE = SocketOption.XPUB_VERBOSE
ROUTER_NOTIFY = SocketOption.ROUTER_NOTIFY
ONLY_FIRST_SUBSCRIBE = SocketOption.ONLY_FIRST_SUBSCRIBE
SNDBUF = SocketOption.SNDBUF
RCVBUF = SocketOption.RCVBUF
BACKLOG = SocketOption.BACKLOG
RCVTIMEO = SocketOption.RCVTIMEO
SNDTIMEO = SocketOption.SNDTIMEO
TCP_KEEPALIVE = SocketOption.TCP_KEEPALIVE
TCP_KEEPALIVE_CNT = SocketOption.TCP_KEEPALIVE_CNT
TCP_KEEPALIVE_IDLE = SocketOption.TCP_KEEPALIVE_IDLE
TCP_KEEPALIVE_INTVL = SocketOption.TCP_KEEPALIVE_INTVL
TOS = SocketOption.TOS
STREAM_NOTIFY = SocketOption.STREAM_NOTIFY
CONNECT_TIMEOUT = SocketOption.CONNECT_TIMEOUT
TCP_MAXRT = SocketOption.TCP_MAXRT
USE_FD = SocketOption.USE_FD
ZAP_ENFORCE_DOMAIN = SocketOption.ZAP_ENFORCE_DOMAIN
RECONNECT_STOP = SocketOption.RECONNECT_STOP
RATE = SocketOption.RATE
RECOVERY_IVL = SocketOption.RECOVERY_IVL
MULTICAST_HOPS = SocketOption.MULTICAST_HOPS
MULTICAST_MAXTPDU = SocketOption.MULTICAST_MAXTPDU
MULTICAST_LOOP = SocketOption.MULTICAST_LOOP

# Poll events, security mechanisms, error numbers.
POLLIN = PollEvent.POLLIN
POLLOUT = PollEvent.POLLOUT
POLLERR = PollEvent.POLLERR
NULL = SecurityMechanism.NULL
PLAIN = SecurityMechanism.PLAIN
CURVE = SecurityMechanism.CURVE
EAGAIN = Errno.EAGAIN
EINVAL = Errno.EINVAL
ENOTSUP = Errno.ENOTSUP
EPROTONOSUPPORT = Errno.EPROTONOSUPPORT
EADDRINUSE = Errno.EADDRINUSE
ENOTSOCK = Errno.ENOTSOCK
EHOSTUNREACH = Errno.EHOSTUNREACH
EFSM = Errno.EFSM
ENOCOMPATPROTO = Errno.ENOCOMPATPROTO
ETERM = Errno.ETERM

__version__ = "0.1.0"

if not TYPE_CHECKING:  # mypy keeps checking names

    def __getattr__(name: str) -> Any:
        # Only for names not found: pyzmq's that aiomsg lacks name their replacement.
        raise missing_attribute("aiomsg", sys.modules[__name__], name)


__all__ = [
    "BACKLOG",
    "CHANNEL",
    "CLIENT",
    "CONFLATE",
    "CONNECT_ROUTING_ID",
    "CONNECT_TIMEOUT",
    "CURVE",
    "CURVE_ALLOW_ANY",
    "CURVE_PUBLICKEY",
    "CURVE_SECRETKEY",
    "CURVE_SERVER",
    "CURVE_SERVERKEY",
    "DEALER",
    "DGRAM",
    "DISH",
    "DONTWAIT",
    "EADDRINUSE",
    "EAGAIN",
    "EFSM",
    "EHOSTUNREACH",
    "EINVAL",
    "ENOCOMPATPROTO",
    "ENOTSOCK",
    "ENOTSUP",
    "EPROTONOSUPPORT",
    "ETERM",
    "EVENTS",
    "GATHER",
    "HANDSHAKE_IVL",
    "HEARTBEAT_IVL",
    "HEARTBEAT_TIMEOUT",
    "HEARTBEAT_TTL",
    "HWM",
    "IDENTITY",
    "IMMEDIATE",
    "INVERT_MATCHING",
    "LAST_ENDPOINT",
    "LINGER",
    "MAXMSGSIZE",
    "MECHANISM",
    "MULTICAST_HOPS",
    "MULTICAST_LOOP",
    "MULTICAST_MAXTPDU",
    "NOBLOCK",
    "NOTIFY_CONNECT",
    "NOTIFY_DISCONNECT",
    "NULL",
    "ONLY_FIRST_SUBSCRIBE",
    "PAIR",
    "PEER",
    "PLAIN",
    "PLAIN_PASSWORD",
    "PLAIN_SERVER",
    "PLAIN_USERNAME",
    "POLLERR",
    "POLLIN",
    "POLLOUT",
    "PROBE_ROUTER",
    "PUB",
    "PULL",
    "PUSH",
    "RADIO",
    "RATE",
    "RCVBUF",
    "RCVHWM",
    "RCVMORE",
    "RCVTIMEO",
    "RECONNECT_IVL",
    "RECONNECT_IVL_MAX",
    "RECONNECT_STOP",
    "RECONNECT_STOP_AFTER_DISCONNECT",
    "RECONNECT_STOP_CONN_REFUSED",
    "RECONNECT_STOP_HANDSHAKE_FAILED",
    "RECOVERY_IVL",
    "REP",
    "REQ",
    "REQ_CORRELATE",
    "REQ_RELAXED",
    "ROUTER",
    "ROUTER_HANDOVER",
    "ROUTER_MANDATORY",
    "ROUTER_NOTIFY",
    "ROUTING_ID",
    "SCATTER",
    "SERVER",
    "SNDBUF",
    "SNDHWM",
    "SNDMORE",
    "SNDTIMEO",
    "STREAM",
    "STREAM_NOTIFY",
    "SUB",
    "SUBSCRIBE",
    "TCP_KEEPALIVE",
    "TCP_KEEPALIVE_CNT",
    "TCP_KEEPALIVE_IDLE",
    "TCP_KEEPALIVE_INTVL",
    "TCP_MAXRT",
    "TOS",
    "TYPE",
    "UNSUBSCRIBE",
    "USE_FD",
    "XPUB",
    "XPUB_MANUAL",
    "XPUB_NODROP",
    "XPUB_VERBOSE",
    "XPUB_VERBOSER",
    "XPUB_WELCOME_MSG",
    "XSUB",
    "ZAP_DOMAIN",
    "ZAP_ENFORCE_DOMAIN",
    "AddressInUse",
    "Again",
    "AiomsgError",
    "AuthRequest",
    "Authenticator",
    "Closed",
    "Context",
    "DecodeError",
    "EndpointError",
    "Errno",
    "Event",
    "HostUnreachable",
    "InvalidMessage",
    "InvalidOption",
    "InvalidState",
    "Monitor",
    "MonitorEvent",
    "NotSupported",
    "PeerStats",
    "PollEvent",
    "Poller",
    "Proxy",
    "ProxyStatistics",
    "RemoteError",
    "RequestClient",
    "RequestServer",
    "SecurityMechanism",
    "Socket",
    "SocketOption",
    "SocketStats",
    "SocketType",
    "ZapReply",
    "ZmqEvent",
    "__version__",
    "create_certificates",
    "curve_keypair",
    "curve_public",
    "has_curve",
    "load_certificate",
    "load_certificates",
    "proxy",
    "register_transport",
    "run",
    "z85_decode",
    "z85_encode",
]
