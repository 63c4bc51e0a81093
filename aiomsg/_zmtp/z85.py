"""Z85, ZeroMQ's printable encoding of binary keys (RFC 32).

Every 4 bytes, read as a big-endian 32-bit number, become 5 characters of
an 85-symbol alphabet, most significant digit first. A CURVE key of 32
bytes is therefore 40 characters of text.
"""

from __future__ import annotations

import struct

__all__ = ["Z85_ALPHABET", "z85_decode", "z85_encode"]

#: The 85 symbols, in digit order (RFC 32).
Z85_ALPHABET = (
    b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#"
)
_DIGIT = {symbol: value for value, symbol in enumerate(Z85_ALPHABET)}
_POWERS = (85**4, 85**3, 85**2, 85, 1)


def z85_encode(data: bytes) -> bytes:
    """Encode *data*, whose length must be a multiple of 4, as Z85 text (ASCII bytes).

    Raises:
        ValueError: the length is not a multiple of 4.
    """
    data = bytes(data)
    if len(data) % 4:
        raise ValueError(f"Z85 encodes multiples of 4 bytes, not {len(data)}")
    out = bytearray()
    for (number,) in struct.iter_unpack(">I", data):
        for power in _POWERS:
            out.append(Z85_ALPHABET[number // power % 85])
    return bytes(out)


def z85_decode(text: str | bytes) -> bytes:
    """Decode Z85 *text*, whose length must be a multiple of 5, to bytes.

    Raises:
        ValueError: a bad length, a symbol outside the alphabet, or a group
            of five symbols worth more than 32 bits.
    """
    if isinstance(text, str):
        try:
            text = text.encode("ascii")
        except UnicodeEncodeError:
            raise ValueError("Z85 text is ASCII") from None
    text = bytes(text)
    if len(text) % 5:
        raise ValueError(f"Z85 decodes multiples of 5 characters, not {len(text)}")
    out = bytearray()
    for start in range(0, len(text), 5):
        number = 0
        for symbol in text[start : start + 5]:
            digit = _DIGIT.get(symbol)
            if digit is None:
                raise ValueError(f"{chr(symbol)!r} is not a Z85 character")
            number = number * 85 + digit
        if number > 0xFFFFFFFF:
            raise ValueError(f"Z85 group {text[start : start + 5]!r} overflows 32 bits")
        out += number.to_bytes(4, "big")
    return bytes(out)
