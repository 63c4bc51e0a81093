"""libsodium through PyNaCl, imported on first use.

``import aiomsg`` works without PyNaCl installed; only CURVE needs it.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from aiomsg.errors import NotSupported

__all__ = ["KEY_SIZE", "nacl_bindings", "sodium_lib"]

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


def sodium_lib() -> tuple[Any, Any]:
    """``(ffi, lib)``: libsodium's own functions, as PyNaCl's bindings call them.

    CURVE's per-message calls use these directly: PyNaCl's wrappers check
    their arguments in Python and copy the result once more on every call,
    which cost about a third of a 16-byte CURVE message's instructions
    (callgrind, docs/internals.md#curve-per-message).

    Raises:
        NotSupported: PyNaCl is not installed.
    """
    nacl_bindings()  # the same import, and the same error when missing
    from nacl._sodium import ffi, lib  # type: ignore[import-not-found]  # no stubs

    return ffi, lib
