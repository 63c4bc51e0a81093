"""The kernel socket options a socket's engine asks for, applied to real sockets.

libzmq applies the same set to every tcp connection, connected or accepted
(``tcp.cpp``: ``tune_tcp_socket``, ``tune_tcp_keepalives``,
``tune_tcp_maxrt``, ``set_tcp_send_buffer``, ``set_tcp_receive_buffer``,
``set_ip_type_of_service``); the buffer sizes apply to ipc as well. An
option the platform lacks (``TCP_KEEPIDLE`` on macOS is ``TCP_KEEPALIVE``,
``TCP_USER_TIMEOUT`` is Linux-only) is skipped, as libzmq compiles it out.
"""

from __future__ import annotations

import socket as _socket

from aiomsg._endpoint import Endpoint
from aiomsg.errors import EndpointError
from aiomsg.transports.interface import Engine

__all__ = ["adopt_listener", "tune_listener", "tune_socket"]

_INET = (_socket.AF_INET, _socket.AF_INET6)
# TCP_KEEPIDLE is called TCP_KEEPALIVE on macOS.
_KEEPIDLE = getattr(_socket, "TCP_KEEPIDLE", getattr(_socket, "TCP_KEEPALIVE", None))
_KEEPCNT = getattr(_socket, "TCP_KEEPCNT", None)
_KEEPINTVL = getattr(_socket, "TCP_KEEPINTVL", None)
_USER_TIMEOUT = getattr(_socket, "TCP_USER_TIMEOUT", None)
_IPV6_TCLASS = getattr(_socket, "IPV6_TCLASS", None)


def _set_tos(raw: _socket.socket, tos: int) -> None:
    if raw.family == _socket.AF_INET:
        raw.setsockopt(_socket.IPPROTO_IP, _socket.IP_TOS, tos)
    elif _IPV6_TCLASS is not None:
        raw.setsockopt(_socket.IPPROTO_IPV6, _IPV6_TCLASS, tos)


def _set_buffers(engine: Engine, raw: _socket.socket) -> None:
    if engine.sndbuf >= 0:
        raw.setsockopt(_socket.SOL_SOCKET, _socket.SO_SNDBUF, engine.sndbuf)
    if engine.rcvbuf >= 0:
        raw.setsockopt(_socket.SOL_SOCKET, _socket.SO_RCVBUF, engine.rcvbuf)


def tune_listener(engine: Engine, raw: _socket.socket) -> None:
    """Options a listening socket takes before ``listen()``: the type of
    service (libzmq's listener sets it), and the buffer sizes, which the
    sockets it accepts inherit (set before the handshake, they also size the
    TCP window scale)."""
    _set_buffers(engine, raw)
    if raw.family in _INET and engine.tos:
        _set_tos(raw, engine.tos)


def tune_socket(engine: Engine, raw: _socket.socket) -> None:
    """Apply the engine's options to a connection (before it connects, or
    once accepted). Only ``SO_SNDBUF``/``SO_RCVBUF`` apply to ipc.

    Raises:
        OSError: the kernel refused a value (a connector then retries).
    """
    _set_buffers(engine, raw)
    if raw.family not in _INET:
        return
    if engine.tos:
        _set_tos(raw, engine.tos)
    keepalive = engine.tcp_keepalive
    if keepalive != -1:
        raw.setsockopt(_socket.SOL_SOCKET, _socket.SO_KEEPALIVE, keepalive)
    if keepalive == 1:
        # libzmq sets the probe timings only when it turned keepalive on.
        for option, value in (
            (_KEEPIDLE, engine.tcp_keepalive_idle),
            (_KEEPCNT, engine.tcp_keepalive_cnt),
            (_KEEPINTVL, engine.tcp_keepalive_intvl),
        ):
            if option is not None and value != -1:
                raw.setsockopt(_socket.IPPROTO_TCP, option, value)
    if engine.tcp_maxrt > 0 and _USER_TIMEOUT is not None:
        raw.setsockopt(_socket.IPPROTO_TCP, _USER_TIMEOUT, engine.tcp_maxrt)


def adopt_listener(fd: int, endpoint: Endpoint, family: int) -> _socket.socket:
    """The listening socket *fd* (``use_fd``, e.g. from systemd socket
    activation), checked, non-blocking; it is ours from now on and closed on
    unbind, as libzmq closes it.

    Raises:
        EndpointError: *fd* is not a listening stream socket of *family*.
    """
    try:
        raw = _socket.socket(fileno=fd)
    except OSError as error:
        raise EndpointError(endpoint.text, f"use_fd {fd}: {error.strerror or error}") from error
    listening = raw.getsockopt(_socket.SOL_SOCKET, _socket.SO_ACCEPTCONN)
    if (
        raw.type != _socket.SOCK_STREAM
        or not listening
        or (raw.family == _socket.AF_UNIX) != (family == _socket.AF_UNIX)
    ):
        raw.detach()  # not ours to close: the caller passed the wrong fd
        raise EndpointError(endpoint.text, f"use_fd {fd} is not a listening socket for it")
    raw.setblocking(False)
    return raw
