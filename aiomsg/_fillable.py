"""Immutable ``bytes`` that a read fills before anyone else sees them.

A large data frame is read straight into its storage (the transports'
``BufferedProtocol`` swap) and handed to the application as ``bytes``. Read
into a ``bytearray``, it would then be copied once more into those bytes:
for a 16 MiB frame that copy was 1.7 M of the 1.9 M instructions the
receiving side spent on it (callgrind, ``bench/profiles/scenario.py
recv16m``), and about a third of its CPU time.

CPython's C API builds a bytes object in place: ``PyBytes_FromStringAndSize``
with a NULL source returns one whose contents are uninitialized, for its
caller to fill before sharing it. :func:`fillable_bytes` makes that call
through :mod:`ctypes` and returns the object with a writable view of its
contents. That is sound while the object stays private to whoever fills it:
a bytes object computes and caches its hash on first use, and nothing else
can have read it yet. The codec owns the object until the frame is complete
and only then hands it over; the view is dropped with the reader.

Where the C API is not reachable (an interpreter other than CPython, a
build without :mod:`ctypes`), :func:`fillable_bytes` returns None and the
caller reads into a ``bytearray`` of its own and copies it once.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

__all__ = ["fillable_bytes"]

_Fillable = Callable[[int], tuple[bytes, memoryview]]


def _bind() -> _Fillable | None:
    """The in-place constructor, checked once on a small object; None when
    this interpreter cannot give one."""
    if sys.implementation.name != "cpython":
        return None
    try:
        import ctypes

        api = ctypes.pythonapi
        new_bytes = api.PyBytes_FromStringAndSize
        contents_of = api.PyBytes_AsString
    except (ImportError, AttributeError):
        return None
    new_bytes.restype = ctypes.py_object
    new_bytes.argtypes = (ctypes.c_char_p, ctypes.c_ssize_t)
    contents_of.restype = ctypes.c_void_p
    contents_of.argtypes = (ctypes.py_object,)

    def fillable(size: int) -> tuple[bytes, memoryview]:
        frame: bytes = new_bytes(None, size)
        storage = (ctypes.c_char * size).from_address(contents_of(frame))
        # The view keeps the array alive and the array keeps the bytes: no
        # write through the view can outlive the memory it points at.
        storage.frame = frame  # type: ignore[attr-defined]
        return frame, memoryview(storage).cast("B")

    try:
        frame, view = fillable(4)
        view[:] = b"\x00\x01\xfe\xff"
    except (TypeError, ValueError, OSError):
        return None
    return fillable if frame == b"\x00\x01\xfe\xff" else None


_FILLABLE = _bind()


def fillable_bytes(size: int) -> tuple[bytes, memoryview] | None:
    """A new ``bytes`` of *size* bytes, uninitialized, and a writable view of
    its contents; None where the interpreter cannot make one.

    The caller must fill every byte through the view before the object is
    used in any other way (compared, hashed, shared) and drop the view then.
    Raises MemoryError as ``bytes(size)`` would.
    """
    return _FILLABLE(size) if _FILLABLE is not None else None
