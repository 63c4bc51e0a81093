"""pyzmq names aiomsg deliberately lacks, each with what to use instead.

Looking one up on :mod:`aiomsg`, on a socket or on a context raises an
``AttributeError`` that names the replacement (on sockets through a
descriptor per name, :func:`install`, because a ``__getattr__`` on a class
turns off CPython's attribute specialisation for all its instances, and the
hot path reads socket attributes on every message), and setting a libzmq option
aiomsg does not have raises :class:`~aiomsg.NotSupported` that does, so code
ported from pyzmq fails with a pointer instead of a bare error. Names not
listed here fail as Python's own lookups do (with its "did you mean").
"""

from __future__ import annotations

from aiomsg.errors import NotSupported

__all__ = ["install", "missing_attribute", "unsupported_option"]

_DEVICE = (
    "devices are await aiomsg.proxy(frontend, backend): ROUTER/DEALER for a queue, "
    "XSUB/XPUB for a forwarder, PULL/PUSH for a streamer"
)
_NO_THREADS = "aiomsg has no I/O threads: everything runs on the event loop"

#: Names of the ``zmq`` module, and libzmq option names.
_MODULE: dict[str, str] = {
    "ZMQError": "catch aiomsg.AiomsgError or a subclass (Again, Closed...); "
    "its errno is the one pyzmq reports",
    "ZMQBaseError": "catch aiomsg.AiomsgError",
    "ContextTerminated": "catch aiomsg.Closed (its errno is ETERM for a closed context)",
    "device": _DEVICE,
    "QUEUE": _DEVICE,
    "FORWARDER": _DEVICE,
    "STREAMER": _DEVICE,
    "proxy_steerable": "run await aiomsg.proxy(...) in a task and cancel the task to stop it",
    "select": "wait on several sockets with aiomsg.Poller",
    "Frame": "frames are bytes: recv() returns bytes, send() takes bytes",
    "Message": "frames are bytes: recv() returns bytes, send() takes bytes",
    "MessageTracker": "a send is done when it returns; await sock.aclose() waits until "
    "queued messages are sent",
    "IPV6": "IPv6 needs no option: connect or bind tcp://[::1]:5555",
    "IO_THREADS": _NO_THREADS,
    "MAX_SOCKETS": _NO_THREADS,
    "asyncio": "aiomsg is asyncio-native: aiomsg.Context's sockets are zmq.asyncio's",
    "auth": "use aiomsg.Authenticator, aiomsg.create_certificates and aiomsg.load_certificate",
    "has": 'use aiomsg.has_curve() for zmq.has("curve"); aiomsg has no other optional parts',
    "zmq_version": "aiomsg speaks ZMTP 3.1 itself; its version is aiomsg.__version__",
    "pyzmq_version": "aiomsg's version is aiomsg.__version__",
}

#: Numbers of the libzmq options above (zmq.h), for setsockopt(number).
_OPTION_NUMBERS: dict[int, str] = {
    42: "IPV6",
}

#: Names of pyzmq's Socket.
_SOCKET: dict[str, str] = {
    "bind_to_random_port": 'use await sock.bind("tcp://127.0.0.1:*"), which returns the '
    "endpoint with the port the system chose",
    "get_monitor_socket": "use events = sock.monitor(), an async iterator of aiomsg.MonitorEvent",
    "disable_monitor": "close the Monitor that sock.monitor() returned",
    "send_pyobj": "aiomsg sends no pickles: use send_msgpack() or send_json()",
    "recv_pyobj": "aiomsg receives no pickles: use recv_msgpack() or recv_json()",
    "send_serialized": "encode the message yourself and send_multipart() it, or send_msgpack()",
    "recv_serialized": "recv_multipart() and decode it yourself, or recv_msgpack()",
    "send_unicode": "use send_string()",
    "recv_unicode": "use recv_string()",
    "setsockopt_unicode": "use setsockopt_string()",
    "getsockopt_unicode": "use getsockopt_string()",
    "fileno": "wait for readiness with aiomsg.Poller or await sock.poll()",
    "FD": "wait for readiness with aiomsg.Poller or await sock.poll()",
    "copy_threshold": "frames are always bytes: there is no zero-copy threshold",
}

#: Names of pyzmq's Context.
_CONTEXT: dict[str, str] = {
    "setsockopt": "a Context has no options: set them on each socket, "
    "ctx.socket(aiomsg.PUSH, sndhwm=10)",
    "set": "a Context has no options: set them on each socket",
    "io_threads": _NO_THREADS,
    "shadow": "a Context is a plain Python object: pass it around",
    "underlying": "a Context is a plain Python object: there is no libzmq context under it",
}

_TABLES = {"aiomsg": _MODULE, "Socket": _SOCKET, "Context": _CONTEXT}


def _hint(owner: str, name: str) -> str | None:
    if owner == "aiomsg" and name.startswith("EVENT_"):
        return "monitor events are aiomsg.Event members (Event.CONNECTED...): see sock.monitor()"
    return _TABLES[owner].get(name)


def missing_attribute(owner: str, obj: object, name: str) -> AttributeError:
    """The error for *name* looked up on *obj* and not found.

    *owner* says which table to look in: ``"aiomsg"`` (the module),
    ``"Socket"`` or ``"Context"``. The message names the replacement when
    aiomsg lacks the name on purpose; otherwise it is Python's own.
    """
    what = "module 'aiomsg'" if owner == "aiomsg" else f"{type(obj).__name__!r} object"
    message = f"{what} has no attribute {name!r}"
    hint = _hint(owner, name)
    if hint is not None:
        message += f" ({hint})"
    return AttributeError(message, name=name, obj=obj)


class _Replaced:
    """A class attribute whose lookup raises the AttributeError naming the replacement."""

    __slots__ = ("hint", "name")

    def __init__(self, name: str, hint: str) -> None:
        self.name = name
        self.hint = hint

    def __get__(self, obj: object, owner: type | None = None) -> object:
        what = f"{(owner or type(obj)).__name__!r} object"
        message = f"{what} has no attribute {self.name!r} ({self.hint})"
        raise AttributeError(message, name=self.name, obj=obj)


def install(cls: type, owner: str) -> None:
    """Give *cls* a raising attribute for each name of *owner*'s table that
    it does not define itself."""
    for name, hint in _TABLES[owner].items():
        if not hasattr(cls, name):
            setattr(cls, name, _Replaced(name, hint))


def unsupported_option(number: int) -> NotSupported | None:
    """The error for setting or reading libzmq option *number*, when it is one
    aiomsg lacks on purpose (with its replacement); None for other numbers."""
    name = _OPTION_NUMBERS.get(number)
    if name is None:
        return None
    return NotSupported(f"aiomsg has no socket option {name} ({_MODULE[name]})")
