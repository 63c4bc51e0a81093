"""fillable_bytes: a bytes object filled in place before anyone sees it."""

from __future__ import annotations

import gc
import types

import pytest

import aiomsg._fillable as fillable_module
from aiomsg._fillable import fillable_bytes


def test_what_is_written_through_the_view_is_the_bytes() -> None:
    made = fillable_bytes(1 << 20)
    assert made is not None  # the suite runs on CPython
    frame, view = made
    assert type(frame) is bytes and len(frame) == len(view) == 1 << 20
    view[:] = b"ab" * (1 << 19)
    assert frame == b"ab" * (1 << 19)
    assert {frame: 1}[b"ab" * (1 << 19)] == 1  # hashed only now: as any bytes


def test_the_view_keeps_the_bytes_alive() -> None:
    made = fillable_bytes(4096)
    assert made is not None
    frame, view = made
    kept = frame
    del frame, made
    gc.collect()
    view[:] = b"z" * 4096  # the object is still there to be written
    assert kept == b"z" * 4096
    del kept
    gc.collect()
    view[:10] = b"0123456789"  # the view alone still owns the memory
    assert bytes(view[:10]) == b"0123456789"


def test_other_interpreters_get_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        fillable_module.sys, "implementation", types.SimpleNamespace(name="pypy")
    )
    assert fillable_module._bind() is None
    monkeypatch.setattr(fillable_module, "_FILLABLE", None)
    assert fillable_bytes(10) is None
