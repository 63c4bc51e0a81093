"""Security mechanisms: sans-I/O handshake objects plugged into the ZMTP codec."""

from aiomsg._zmtp.mechanism import Mechanism, ZapReply, ZapRequest
from aiomsg._zmtp.null import NullMechanism
from aiomsg._zmtp.plain import PlainClient, PlainServer

# CurveClient/CurveServer live in aiomsg._zmtp.curve (they need PyNaCl);
# the authenticator in aiomsg._security.auth (it is the asyncio part).
__all__ = ["Mechanism", "NullMechanism", "PlainClient", "PlainServer", "ZapReply", "ZapRequest"]
