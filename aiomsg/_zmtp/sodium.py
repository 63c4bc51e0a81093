"""libsodium through PyNaCl, imported on first use.

``import aiomsg`` works without PyNaCl installed; only CURVE needs it.
"""

from __future__ import annotations

import functools
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


@functools.cache
def sodium_lib() -> tuple[Any, Any] | None:
    """``(ffi, lib)``: libsodium's own functions, as PyNaCl's bindings call
    them; ``None`` when they cannot be reached (see below).

    CURVE's per-message calls use these directly: PyNaCl's wrappers check
    their arguments in Python and copy the result once more on every call,
    which cost about a third of a 16-byte CURVE message's instructions
    (callgrind, docs/internals.md#curve-per-message).

    ``nacl._sodium`` is PyNaCl's private cffi module, not its API: a PyNaCl
    release may rename it or drop a function from it. So it is checked once,
    here, by sealing and opening one box with it and comparing with what the
    public ``nacl.bindings`` make of the same input; anything missing or
    different gives ``None``, and CURVE then uses ``nacl.bindings`` for
    every message (slower, but supported) instead of failing to connect.

    Raises:
        NotSupported: PyNaCl is not installed.
    """
    bindings = nacl_bindings()  # the same import, and the same error when missing
    try:
        from nacl._sodium import ffi, lib  # type: ignore[import-not-found]  # no stubs

        key, nonce, plain = bytes(range(32)), bytes(range(24)), b"\x01aiomsg"
        sealed = bindings.crypto_box_afternm(plain, nonce, key)
        box = ffi.new("unsigned char[]", len(sealed))
        if lib.crypto_box_easy_afternm(box, plain, len(plain), nonce, key):
            return None
        opened = ffi.new("unsigned char[]", len(plain))
        if lib.crypto_box_open_easy_afternm(opened, box, len(sealed), nonce, key):
            return None
        if ffi.buffer(box)[:] != sealed or ffi.buffer(opened)[:] != plain:
            return None
        ffi.from_buffer(sealed)  # used on received frames
    except (ImportError, AttributeError, TypeError, ValueError, OverflowError):
        return None
    return ffi, lib
