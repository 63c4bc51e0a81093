"""Security mechanisms: sans-I/O handshake objects plugged into the ZMTP codec."""

from aiomsg.security.mechanism import Mechanism, ZapReply, ZapRequest
from aiomsg.security.null import NullMechanism
from aiomsg.security.plain import PlainClient, PlainServer

# CurveClient/CurveServer live in aiomsg.security.curve (they need PyNaCl);
# the authenticator in aiomsg.security.auth (it is the asyncio part).
__all__ = ["Mechanism", "NullMechanism", "PlainClient", "PlainServer", "ZapReply", "ZapRequest"]
