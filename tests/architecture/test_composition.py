"""Every socket type is a pure composition of strategies.

The send and receive callables a socket calls on its hot path are its
strategies' own methods, and no socket type overrides a send or receive step.
"""

from __future__ import annotations

import inspect

import pytest

import aiomsg
from aiomsg._pool.strategies import Strategy
from aiomsg._socket import Socket
from aiomsg._sockets import SOCKET_CLASSES

#: Every socket type aiomsg implements (all of libzmq's but DGRAM).
IMPLEMENTED = [kind for kind in aiomsg.SocketType if kind is not aiomsg.SocketType.DGRAM]

#: The methods that make up the send and receive families (docs/internals.md).
FAMILIES = {
    "send", "send_multipart", "send_many", "send_multipart_nowait", "_send_now", "_send_later",
    "recv", "recv_multipart", "recv_many", "recv_multipart_nowait", "_recv_now", "_recv_later",
}  # fmt: skip


@pytest.mark.parametrize("socket_type", IMPLEMENTED, ids=lambda t: t.name)
async def test_bound_send_and_recv_are_strategy_methods(
    ctx: aiomsg.Context, socket_type: aiomsg.SocketType
) -> None:
    sock = ctx.socket(socket_type)
    pool = sock._pool
    sides = (
        (sock._send_message, pool.sender, socket_type.can_send, "send"),
        (sock._recv_message, pool.receiver, socket_type.can_recv, "recv"),
    )
    for bound, strategy, able, verb in sides:
        if not able:
            assert strategy is None
            with pytest.raises(aiomsg.NotSupported):
                bound([b"x"]) if verb == "send" else bound()  # type: ignore[call-arg]
            continue
        assert isinstance(strategy, Strategy)
        assert inspect.ismethod(bound)
        assert bound.__self__ is strategy, f"{socket_type.name} {verb} is not its strategy's"
        assert bound.__func__ is getattr(type(strategy), verb)


@pytest.mark.parametrize("socket_type", IMPLEMENTED, ids=lambda t: t.name)
async def test_socket_types_override_no_send_or_recv_step(
    ctx: aiomsg.Context, socket_type: aiomsg.SocketType
) -> None:
    cls = type(ctx.socket(socket_type))
    for klass in cls.__mro__[: cls.__mro__.index(Socket)]:
        overridden = FAMILIES & set(vars(klass))
        assert not overridden, f"{klass.__name__} overrides {sorted(overridden)}"


def test_every_socket_type_but_dgram_is_implemented() -> None:
    assert sorted(SOCKET_CLASSES) == IMPLEMENTED


async def test_dgram_is_refused_clearly(ctx: aiomsg.Context) -> None:
    with pytest.raises(aiomsg.NotSupported, match="DGRAM"):
        ctx.socket(aiomsg.DGRAM)


@pytest.mark.parametrize("socket_type", list(aiomsg.SocketType), ids=lambda t: t.name)
async def test_hot_path_classes_keep_attribute_lookup_plain(
    ctx: aiomsg.Context, socket_type: aiomsg.SocketType
) -> None:
    """A ``__getattr__``, ``__getattribute__`` or ``__setattr__`` on a class turns
    off CPython's attribute specialisation for all its instances: the socket,
    its pool and its pipes are read on every message (it once cost 23% of the
    inproc per-message instructions)."""
    try:
        sock = ctx.socket(socket_type)
    except aiomsg.NotSupported:
        pytest.skip(f"{socket_type.name} is not implemented")
    pipe = sock._pool.new_pipe("inproc://probe")
    for obj in (sock, sock._pool, pipe, *sock._pool.strategies):
        cls = type(obj)
        assert cls.__getattribute__ is object.__getattribute__, cls
        assert cls.__setattr__ is object.__setattr__, cls
        assert not any("__getattr__" in vars(k) for k in cls.__mro__), cls
