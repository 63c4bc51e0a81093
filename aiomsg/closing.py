"""``async with`` support shared by everything that ends with ``await aclose()``."""

from __future__ import annotations

from types import TracebackType

__all__ = ["ClosesOnExit"]


class ClosesOnExit:
    """Leaving ``async with`` awaits :meth:`aclose`, whatever ended the block."""

    __slots__ = ()

    async def aclose(self) -> None:
        raise NotImplementedError

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()
