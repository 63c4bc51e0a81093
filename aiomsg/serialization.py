"""Typed messages: JSON and MessagePack with :mod:`msgspec`, on every socket.

:class:`TypedMessages` is a mixin of :class:`aiomsg.Socket`, so every socket has::

    await sock.send_json({"temp": 21.5})
    update = await sock.recv_json(Weather)          # a msgspec.Struct, validated
    await sock.send_msgpack(update)
    envelope, order = await router.recv_msgpack_multipart(Order)
    await router.send_msgpack_multipart(envelope, Ack(order.id))

A single-frame call (``send_json``, ``recv_json``...) sends or expects a
message of exactly one frame. The ``_multipart`` variants are for envelopes
(ROUTER, DEALER, proxies): every frame but the last is the envelope, passed
through as raw bytes, and the last frame is the payload.

``type`` may be anything msgspec can validate: a :class:`msgspec.Struct`, a
dataclass, a ``TypedDict``, ``list[int]``, ``int | None``... ``None`` (the
default) decodes to plain Python objects (``dict``, ``list``, ``str``...).
Encoders are shared module-level objects and decoders are cached per type,
so a typed receive costs one dictionary lookup on top of msgspec's decoding.

A message that does not decode, or does not match ``type``, raises
:class:`aiomsg.DecodeError` (its ``frames`` are the raw message, its
``__cause__`` the msgspec error). The message was taken from the socket
whole, so the next receive gets the next message as usual.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar, overload

import msgspec

from aiomsg.errors import DecodeError

__all__ = [
    "TypedMessages",
    "decode_json",
    "decode_msgpack",
    "encode_json",
    "encode_msgpack",
]

T = TypeVar("T")

_Decoder = msgspec.json.Decoder[Any] | msgspec.msgpack.Decoder[Any]


class _Format:
    """One wire format: its name for error messages, its shared encoder's
    ``encode``, and its decoders cached per target type (None: untyped)."""

    __slots__ = ("_new_decoder", "decoders", "encode", "name")

    def __init__(
        self,
        name: str,
        encoder: msgspec.json.Encoder | msgspec.msgpack.Encoder,
        new_decoder: Callable[[Any], _Decoder],
    ) -> None:
        self.name = name
        self.encode: Callable[[Any], bytes] = encoder.encode
        self._new_decoder = new_decoder
        # Types are few and long lived in practice (classes, generic aliases),
        # so the cache is not bounded.
        self.decoders: dict[Any, _Decoder] = {}

    def decoder(self, type_: Any) -> _Decoder:
        """The decoder for *type_*, made on first use and cached.

        Raises:
            TypeError: *type_* is not a type msgspec supports.
        """
        try:
            return self.decoders[type_]
        except KeyError:
            decoder = self._new_decoder(Any if type_ is None else type_)
            self.decoders[type_] = decoder
            return decoder
        except TypeError:  # an unhashable type expression: no caching
            return self._new_decoder(type_)

    def decode(self, data: bytes, type: Any = None, frames: list[bytes] | None = None) -> Any:
        """Decode one frame as *type*; raises as :func:`decode_json`."""
        # The hot path: a cached decoder costs one dict lookup, no call.
        try:
            decoder = self.decoders[type]
        except (KeyError, TypeError):
            decoder = self.decoder(type)
        try:
            return decoder.decode(data)
        except msgspec.DecodeError as error:
            raise DecodeError(f"invalid {self.name} message: {error}", frames or [data]) from error


#: The JSON format: ``JSON.encode(obj)``, ``JSON.decode(data, type, frames)``
#: and its decoder cache, shared by this module and :mod:`aiomsg._service`.
#: Not part of the public API (not in ``__all__``).
JSON = _Format("JSON", msgspec.json.Encoder(), msgspec.json.Decoder)
#: The MessagePack format, as :data:`JSON`.
MSGPACK = _Format("MessagePack", msgspec.msgpack.Encoder(), msgspec.msgpack.Decoder)

#: ``encode_json(obj) -> bytes``: the shared JSON encoder's ``encode``.
encode_json = JSON.encode
#: ``encode_msgpack(obj) -> bytes``: the shared MessagePack encoder's ``encode``.
encode_msgpack = MSGPACK.encode


def decode_json(data: bytes, type: Any = None, frames: list[bytes] | None = None) -> Any:
    """Decode one JSON frame as *type* (``None``: plain Python objects).

    Raises:
        DecodeError: *data* is not valid JSON or does not match *type*; its
            ``frames`` are *frames* (default ``[data]``).
        TypeError: *type* is not a type msgspec supports.
    """
    return JSON.decode(data, type, frames)


def decode_msgpack(data: bytes, type: Any = None, frames: list[bytes] | None = None) -> Any:
    """Decode one MessagePack frame as *type* (``None``: plain Python objects).

    Raises:
        DecodeError: *data* is not valid MessagePack or does not match *type*;
            its ``frames`` are *frames* (default ``[data]``).
        TypeError: *type* is not a type msgspec supports.
    """
    return MSGPACK.decode(data, type, frames)


def _check_type(fmt: _Format, type_: Any, what: str) -> None:
    """Raise TypeError before any receive if *type_* is not a type msgspec supports.

    An int is pyzmq's ``recv_json(flags)``: aiomsg's first parameter is the
    type, so the error says to pass flags by keyword.
    """
    if isinstance(type_, int):
        raise TypeError(
            f"{what}() takes the type to decode as first argument, not {type_!r}: "
            f"pass flags by keyword, {what}(flags=aiomsg.NOBLOCK)"
        )
    fmt.decoder(type_)


def _not_single(frames: list[bytes], what: str) -> DecodeError:
    return DecodeError(
        f"{what} expects a one-frame message, got {len(frames)} frames "
        f"(use the _multipart variant for envelopes)",
        frames,
    )


class TypedMessages:
    """JSON and MessagePack sends and receives, mixed into :class:`aiomsg.Socket`.

    Built only on the socket's public ``send``, ``send_multipart`` and
    ``recv_multipart``, so flags, waiting, errors and cancellation behave as
    theirs: cancelling is safe (a cancelled send sends nothing, a cancelled
    receive takes nothing), ``flags=NOBLOCK`` raises :class:`aiomsg.Again`
    instead of waiting, and a closed socket raises :class:`aiomsg.Closed`.

    Encoding raises ``TypeError`` or :class:`msgspec.EncodeError` for an
    object msgspec cannot encode; nothing is sent then.
    """

    __slots__ = ()

    if TYPE_CHECKING:  # provided by Socket

        async def send(self, data: bytes, flags: int = 0) -> None: ...

        async def send_multipart(self, frames: Iterable[Any], flags: int = 0) -> None: ...

        async def recv_multipart(self, flags: int = 0) -> list[bytes]: ...

    # -- shared by both formats ------------------------------------------------

    async def _recv_single(self, fmt: _Format, type: Any, flags: int, what: str) -> Any:
        """The body of ``recv_json`` / ``recv_msgpack`` (*what*, for the error
        message); raises and cancels as :meth:`recv_json`."""
        _check_type(fmt, type, what)
        frames = await self.recv_multipart(flags)
        if len(frames) != 1:
            raise _not_single(frames, what)
        return fmt.decode(frames[0], type, frames)

    async def _recv_enveloped(
        self, fmt: _Format, type: Any, flags: int, what: str
    ) -> tuple[list[bytes], Any]:
        """The body of the ``recv_*_multipart`` methods; raises and cancels as
        :meth:`recv_json`, but accepts any frame count."""
        _check_type(fmt, type, what)
        frames = await self.recv_multipart(flags)
        return frames[:-1], fmt.decode(frames[-1], type, frames)

    # -- JSON ------------------------------------------------------------------

    async def send_json(self, obj: Any, flags: int = 0) -> None:
        """Send *obj* encoded as JSON in one frame (``SNDMORE`` works as for :meth:`send`).

        Raises as :meth:`Socket.send_multipart`, plus ``TypeError`` /
        ``msgspec.EncodeError`` if *obj* cannot be encoded (nothing is sent).
        Cancelling is safe: the message is sent whole or not at all.
        """
        await self.send(JSON.encode(obj), flags)

    @overload
    async def recv_json(self, type: None = None, flags: int = 0) -> Any: ...
    @overload
    async def recv_json(self, type: type[T], flags: int = 0) -> T: ...
    @overload
    async def recv_json(self, type: Any, flags: int = 0) -> Any: ...

    async def recv_json(self, type: Any = None, flags: int = 0) -> Any:
        """Receive a one-frame message and decode it from JSON as *type*.

        Raises:
            DecodeError: the message is not one frame, not JSON, or does not
                match *type*. It has been consumed; the socket stays usable.
            TypeError: *type* is not a type msgspec supports (checked before
                anything is received).
            Again, InvalidState, NotSupported, Closed: as :meth:`Socket.recv_multipart`.

        Cancelling is safe: no message is taken unless it is returned (or
        raised as a DecodeError).
        """
        return await self._recv_single(JSON, type, flags, "recv_json")

    async def send_json_multipart(
        self, envelope: Iterable[bytes], obj: Any, flags: int = 0
    ) -> None:
        """Send the *envelope* frames followed by *obj* encoded as JSON, as one message.

        Raises and cancels as :meth:`send_json`.
        """
        await self.send_multipart([*envelope, JSON.encode(obj)], flags)

    @overload
    async def recv_json_multipart(
        self, type: None = None, flags: int = 0
    ) -> tuple[list[bytes], Any]: ...
    @overload
    async def recv_json_multipart(self, type: type[T], flags: int = 0) -> tuple[list[bytes], T]: ...
    @overload
    async def recv_json_multipart(self, type: Any, flags: int = 0) -> tuple[list[bytes], Any]: ...

    async def recv_json_multipart(
        self, type: Any = None, flags: int = 0
    ) -> tuple[list[bytes], Any]:
        """Receive a message; return ``(envelope, payload)``: the frames before the
        last, and the last frame decoded from JSON as *type*.

        Raises and cancels as :meth:`recv_json` (any frame count is accepted).
        """
        return await self._recv_enveloped(JSON, type, flags, "recv_json_multipart")

    # -- MessagePack -----------------------------------------------------------

    async def send_msgpack(self, obj: Any, flags: int = 0) -> None:
        """Send *obj* encoded as MessagePack in one frame.

        Raises and cancels as :meth:`send_json`.
        """
        await self.send(MSGPACK.encode(obj), flags)

    @overload
    async def recv_msgpack(self, type: None = None, flags: int = 0) -> Any: ...
    @overload
    async def recv_msgpack(self, type: type[T], flags: int = 0) -> T: ...
    @overload
    async def recv_msgpack(self, type: Any, flags: int = 0) -> Any: ...

    async def recv_msgpack(self, type: Any = None, flags: int = 0) -> Any:
        """Receive a one-frame message and decode it from MessagePack as *type*.

        Raises and cancels as :meth:`recv_json`.
        """
        return await self._recv_single(MSGPACK, type, flags, "recv_msgpack")

    async def send_msgpack_multipart(
        self, envelope: Iterable[bytes], obj: Any, flags: int = 0
    ) -> None:
        """Send the *envelope* frames followed by *obj* encoded as MessagePack.

        Raises and cancels as :meth:`send_json`.
        """
        await self.send_multipart([*envelope, MSGPACK.encode(obj)], flags)

    @overload
    async def recv_msgpack_multipart(
        self, type: None = None, flags: int = 0
    ) -> tuple[list[bytes], Any]: ...
    @overload
    async def recv_msgpack_multipart(
        self, type: type[T], flags: int = 0
    ) -> tuple[list[bytes], T]: ...
    @overload
    async def recv_msgpack_multipart(
        self, type: Any, flags: int = 0
    ) -> tuple[list[bytes], Any]: ...

    async def recv_msgpack_multipart(
        self, type: Any = None, flags: int = 0
    ) -> tuple[list[bytes], Any]:
        """Receive a message; return ``(envelope, payload)`` with the last frame
        decoded from MessagePack as *type*.

        Raises and cancels as :meth:`recv_json`.
        """
        return await self._recv_enveloped(MSGPACK, type, flags, "recv_msgpack_multipart")
