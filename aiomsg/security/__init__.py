"""Security mechanisms: sans-I/O handshake objects plugged into the ZMTP codec."""

from aiomsg.security.mechanism import Mechanism
from aiomsg.security.null import NullMechanism

__all__ = ["Mechanism", "NullMechanism"]
