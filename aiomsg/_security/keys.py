"""CURVE keys: generation, derivation and the accepted spellings of a key.

The cryptography is libsodium's, through PyNaCl, imported only when CURVE
is used: ``import aiomsg`` works without PyNaCl installed.
"""

from __future__ import annotations

from typing import Any

from aiomsg._zmtp.sodium import KEY_SIZE, nacl_bindings
from aiomsg._zmtp.z85 import z85_decode, z85_encode
from aiomsg.errors import NotSupported

__all__ = ["curve_keypair", "curve_public", "has_curve", "key_bytes"]

def has_curve() -> bool:
    """Whether CURVE is available (PyNaCl can be imported)."""
    try:
        nacl_bindings()
    except NotSupported:
        return False
    return True


def key_bytes(value: Any, what: str = "key") -> bytes:
    """A CURVE key as 32 raw bytes, from 32 raw bytes or 40 characters of Z85
    (``bytes``, or ``str`` for Z85 only; a trailing NUL, as C code writes, is
    tolerated).

    Raises:
        TypeError: not str or bytes.
        ValueError: neither 32 bytes nor valid 40-character Z85.
    """
    if isinstance(value, str):
        # Text is Z85, which is ASCII: anything else is refused, never
        # "replaced" into some other, possibly well-known, key.
        try:
            value = value.encode("ascii")
        except UnicodeEncodeError:
            raise ValueError(f"{what} given as text must be 40 characters of Z85 (ASCII)") from None
        if len(value.rstrip(b"\x00")) != 40:
            raise ValueError(
                f"{what} given as text must be 40 characters of Z85, not {len(value)}"
            )
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError(f"{what} takes str or bytes, not {type(value).__name__}")
    raw = bytes(value)
    if len(raw) == 41 and raw.endswith(b"\x00"):
        raw = raw[:-1]
    if len(raw) == KEY_SIZE:
        return raw
    if len(raw) == 40:
        try:
            return z85_decode(raw)
        except ValueError as error:
            raise ValueError(f"{what}: {error}") from None
    raise ValueError(f"{what} is 32 raw bytes or 40 characters of Z85, not {len(raw)} bytes")


def curve_keypair() -> tuple[bytes, bytes]:
    """A new CURVE key pair ``(public, secret)``, each 40 bytes of Z85 text,
    as ``zmq.curve_keypair()`` returns.

    Raises:
        NotSupported: PyNaCl is not installed.
    """
    public, secret = nacl_bindings().crypto_box_keypair()
    return z85_encode(public), z85_encode(secret)


def curve_public(secret_key: str | bytes) -> bytes:
    """The Z85 public key that goes with *secret_key* (Z85 or 32 raw bytes),
    as ``zmq.curve_public()``.

    Raises:
        NotSupported: PyNaCl is not installed.
        ValueError: *secret_key* is not a key.
    """
    secret = key_bytes(secret_key, "secret key")
    public: bytes = nacl_bindings().crypto_scalarmult_base(secret)
    return z85_encode(public)
