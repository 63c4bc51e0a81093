"""Sans-I/O ZMTP 3.x: bytes in, events out; bytes to write, no I/O.

Nothing in this package imports asyncio or touches a socket, so every wire
rule can be tested with plain function calls (a test enforces this).
"""

from aiomsg.zmtp.connection import (
    HandshakeComplete,
    PeerFailed,
    Subscription,
    ZmtpConnection,
)

__all__ = ["HandshakeComplete", "PeerFailed", "Subscription", "ZmtpConnection"]
