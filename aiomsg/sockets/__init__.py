"""Socket types: each one only picks its strategies."""

from __future__ import annotations

from aiomsg.constants import SocketType
from aiomsg.socket import Socket
from aiomsg.sockets.pair import Pair
from aiomsg.sockets.pipeline import Pull, Push
from aiomsg.sockets.pubsub import Pub, Sub, XPub, XSub
from aiomsg.sockets.reqrep import Dealer, Rep, Req, Router

__all__ = ["SOCKET_CLASSES"]

SOCKET_CLASSES: dict[SocketType, type[Socket]] = {
    cls.socket_type: cls
    for cls in (Pair, Pub, Sub, Req, Rep, Dealer, Router, Pull, Push, XPub, XSub)
}
