"""Connection metadata: the property list carried by READY and INITIATE (RFC 37)."""

from __future__ import annotations

import struct

from aiomsg.errors import ProtocolError

__all__ = ["decode_properties", "encode_properties"]

_VALUE_SIZE = struct.Struct(">I")


def encode_properties(properties: dict[bytes, bytes]) -> bytes:
    """Encode ``name-len name value-len(4, BE) value`` for each property."""
    parts: list[bytes] = []
    for name, value in properties.items():
        parts += (bytes((len(name),)), name, _VALUE_SIZE.pack(len(value)), value)
    return b"".join(parts)


def decode_properties(data: bytes) -> dict[bytes, bytes]:
    """Decode a property list; names keep their exact case, as libzmq compares them.

    Raises:
        ProtocolError: the list does not parse to its last byte.
    """
    properties: dict[bytes, bytes] = {}
    offset, end = 0, len(data)
    while offset < end:
        name_end = offset + 1 + data[offset]
        if data[offset] == 0 or name_end + 4 > end:
            raise ProtocolError("malformed metadata: truncated property name")
        name = data[offset + 1 : name_end]
        (size,) = _VALUE_SIZE.unpack_from(data, name_end)
        value_end = name_end + 4 + size
        if value_end > end:
            raise ProtocolError("malformed metadata: truncated property value")
        properties[name] = data[name_end + 4 : value_end]
        offset = value_end
    return properties
