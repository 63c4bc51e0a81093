"""Sans-I/O ZMTP 3.x: bytes in, events out; bytes to write, no I/O.

Nothing in this package imports asyncio or touches a socket, so every wire
rule can be tested with plain function calls (a test enforces this).
"""

from __future__ import annotations

from typing import Any

__all__ = ["HandshakeComplete", "PeerFailed", "Subscription", "ZmtpConnection"]


def __getattr__(name: str) -> Any:
    # Resolved lazily: the security mechanisms import zmtp.frames, and
    # zmtp.connection imports them, so eager re-exports here would be circular.
    if name in __all__:
        from aiomsg.zmtp import connection

        return getattr(connection, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
