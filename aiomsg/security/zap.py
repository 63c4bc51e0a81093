"""What a server-side mechanism does with the authenticator's answer (RFC 27 statuses).

``200`` accepts: the user id and metadata are kept for every message of
the connection. ``300`` (temporary failure) closes without a word, so the
peer retries. ``400`` and ``500`` send ERROR carrying the three-character
status code, as libzmq does, so the peer stops retrying. Anything else is
an authenticator fault and closes like ``300``.
"""

from __future__ import annotations

from aiomsg.security.mechanism import Mechanism, ZapReply
from aiomsg.zmtp.frames import encode_command

__all__ = ["error_command", "refusal"]


def error_command(reason: bytes) -> bytes:
    """A whole, correctly formed ERROR command frame (RFC 23 §ERROR)."""
    reason = reason[:255]
    return encode_command(b"ERROR", bytes((len(reason),)) + reason)


def refusal(mechanism: Mechanism, reply: ZapReply) -> list[bytes] | None:
    """None when *reply* accepts (the identity is recorded on *mechanism*);
    otherwise the frames to send before closing, with ``mechanism.error`` set."""
    code = reply.status_code
    if code == "200":
        mechanism.user_id = reply.user_id
        mechanism.auth_metadata = dict(reply.metadata)
        return None
    text = f" {reply.status_text}" if reply.status_text else ""
    mechanism.error = f"ZAP denied {mechanism.name.decode()} peer: {code}{text}"
    if code in ("400", "500"):
        return [error_command(code.encode())]
    return []
