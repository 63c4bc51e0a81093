"""``async with`` support shared by everything that ends with ``await aclose()``."""

from __future__ import annotations

from types import TracebackType
from typing import NoReturn, Self

__all__ = ["ClosesOnExit"]


class ClosesOnExit:
    """Entering ``async with`` returns the object; leaving awaits :meth:`aclose`.

    Leaving because the block was cancelled or interrupted (Ctrl-C under
    ``asyncio.run``, ``SystemExit``) closes without waiting for anything
    instead, as a cancelled :meth:`aclose` does: one Ctrl-C is enough, even
    with messages queued for a peer that never came. A plain ``with`` fails
    with a ``TypeError`` that says to use ``async with``.
    """

    __slots__ = ()

    async def aclose(self) -> None:
        raise NotImplementedError

    async def _aclose_now(self) -> None:
        """Close without waiting on peers (no lingering). By default :meth:`aclose`,
        for the objects that never wait on peers."""
        await self.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is not None and not issubclass(exc_type, Exception):
            # CancelledError, KeyboardInterrupt, SystemExit: the program stops.
            await self._aclose_now()
        else:
            await self.aclose()

    def __enter__(self) -> NoReturn:
        raise TypeError(
            f"use 'async with' with an aiomsg {type(self).__name__}: closing it may wait "
            "for queued messages, which only a coroutine can do without blocking the loop"
        )

    def __exit__(self, *exc_info: object) -> None:
        raise TypeError(f"use 'async with' with an aiomsg {type(self).__name__}")
