"""Socket options: names, defaults and checks, with pyzmq's vocabulary."""

from __future__ import annotations

from typing import Any, Generic, TypeVar, overload

__all__ = ["DEFAULTS", "Option", "check_option"]

T = TypeVar("T")

#: Every option a socket accepts, with libzmq's default.
DEFAULTS: dict[str, Any] = {
    "sndhwm": 1000,  # messages queued per peer for sending; 0 = no limit
    "rcvhwm": 1000,  # messages queued per peer for receiving; 0 = no limit
    "linger": -1,  # ms to keep flushing after close; -1 = until done, 0 = drop
    "identity": b"",  # routing id announced to ROUTER peers (ZMQ_ROUTING_ID)
    "reconnect_ivl": 100,  # ms before reconnecting; -1 = never reconnect
    "reconnect_ivl_max": 0,  # ms cap for exponential backoff; 0 = no backoff
    "maxmsgsize": -1,  # bytes; a larger frame disconnects the peer; -1 = no limit
    "handshake_ivl": 30000,  # ms a peer has to finish its handshake; 0 = no limit
    "router_mandatory": False,  # ROUTER: raise HostUnreachable instead of dropping
}


def check_option(name: str, value: Any) -> Any:
    """Validate one option and return it in its stored form.

    Raises:
        TypeError: *name* is not an option, or *value* has the wrong type.
        ValueError: *value* is out of range.
    """
    if name not in DEFAULTS:
        raise TypeError(f"unknown socket option {name!r}; known: {', '.join(sorted(DEFAULTS))}")
    default = DEFAULTS[name]
    if isinstance(default, bool):
        return bool(value)
    if isinstance(default, bytes):
        if isinstance(value, str):
            value = value.encode()
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise TypeError(f"option {name!r} takes bytes, not {type(value).__name__}")
        value = bytes(value)
        if len(value) > 255:
            raise ValueError(f"option {name!r} is at most 255 bytes")
        if value.startswith(b"\x00"):
            raise ValueError(f"option {name!r} may not start with a zero byte (reserved)")
        return value
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"option {name!r} takes an int, not {type(value).__name__}")
    if value < -1:
        raise ValueError(f"option {name!r} must be -1 or more")
    return value


class Option(Generic[T]):
    """A socket option as an attribute: validated on assignment, defaulted from
    :data:`DEFAULTS`, stored in the owner's ``_options`` dict.

    A descriptor rather than ``__setattr__``, so that assigning ordinary
    attributes on the hot path costs nothing extra.
    """

    name: str

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type) -> Option[T]: ...
    @overload
    def __get__(self, instance: object, owner: type) -> T: ...
    def __get__(self, instance: object | None, owner: type) -> Option[T] | T:
        if instance is None:
            return self
        value: T = instance._options[self.name]  # type: ignore[attr-defined]
        return value

    def __set__(self, instance: object, value: T) -> None:
        instance._options[self.name] = check_option(self.name, value)  # type: ignore[attr-defined]
