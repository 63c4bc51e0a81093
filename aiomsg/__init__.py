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
"""

from aiomsg._context import Context
from aiomsg._monitor import Event, Monitor, MonitorEvent, ZmqEvent
from aiomsg._pool.stats import PeerStats, SocketStats
from aiomsg._proxy import Proxy, ProxyStatistics, proxy
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
    RECONNECT_STOP_AFTER_DISCONNECT,
    RECONNECT_STOP_CONN_REFUSED,
    RECONNECT_STOP_HANDSHAKE_FAILED,
    SNDMORE,
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

__version__ = "0.1.0"

__all__ = [
    "CHANNEL",
    "CLIENT",
    "CURVE_ALLOW_ANY",
    "DEALER",
    "DGRAM",
    "DISH",
    "DONTWAIT",
    "GATHER",
    "NOBLOCK",
    "PAIR",
    "PEER",
    "PUB",
    "PULL",
    "PUSH",
    "RADIO",
    "RECONNECT_STOP_AFTER_DISCONNECT",
    "RECONNECT_STOP_CONN_REFUSED",
    "RECONNECT_STOP_HANDSHAKE_FAILED",
    "REP",
    "REQ",
    "ROUTER",
    "SCATTER",
    "SERVER",
    "SNDMORE",
    "STREAM",
    "SUB",
    "XPUB",
    "XSUB",
    "AddressInUse",
    "Again",
    "AiomsgError",
    "AuthRequest",
    "Authenticator",
    "Closed",
    "Context",
    "DecodeError",
    "EndpointError",
    "Event",
    "HostUnreachable",
    "InvalidMessage",
    "InvalidOption",
    "InvalidState",
    "Monitor",
    "MonitorEvent",
    "NotSupported",
    "PeerStats",
    "Proxy",
    "ProxyStatistics",
    "RemoteError",
    "RequestClient",
    "RequestServer",
    "Socket",
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
