"""Socket types: each one only picks its strategies."""

from __future__ import annotations

from aiomsg._socket import Socket
from aiomsg._sockets.clientserver import Client, Peer, Server
from aiomsg._sockets.pair import Channel, Pair
from aiomsg._sockets.pipeline import Gather, Pull, Push, Scatter
from aiomsg._sockets.pubsub import Pub, Sub, XPub, XSub
from aiomsg._sockets.radiodish import Dish, Radio
from aiomsg._sockets.reqrep import Dealer, Rep, Req, Router
from aiomsg._sockets.stream import Stream
from aiomsg.constants import SocketType

__all__ = ["SOCKET_CLASSES"]

SOCKET_CLASSES: dict[SocketType, type[Socket]] = {
    cls.socket_type: cls
    for cls in (
        *(Pair, Pub, Sub, Req, Rep, Dealer, Router, Pull, Push, XPub, XSub),
        *(Server, Client, Radio, Dish, Gather, Scatter, Peer, Channel, Stream),
    )
}
# DGRAM (raw udp without ZMTP, docs/wire/draft.md#dgram) is not implemented.
