"""libsodium through PyNaCl, imported on first use.

``import aiomsg`` works without PyNaCl installed; only CURVE needs it.
"""

from __future__ import annotations

from types import ModuleType

from aiomsg.errors import NotSupported

__all__ = ["KEY_SIZE", "nacl_bindings"]

#: The size of a CURVE (Curve25519) key in bytes.
KEY_SIZE = 32
_MISSING = "CURVE needs PyNaCl: pip install 'aiomsg[curve]'"


def nacl_bindings() -> ModuleType:
    """``nacl.bindings`` (libsodium), imported on first use.

    Raises:
        NotSupported: PyNaCl is not installed.
    """
    try:
        import nacl.bindings
    except ImportError:
        raise NotSupported(_MISSING) from None
    return nacl.bindings
