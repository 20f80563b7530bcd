"""`with writer:` for the demo's writers: whatever happens, `close()` runs."""

from __future__ import annotations

from types import TracebackType
from typing import Self


class ClosedOnExit:
    def close(self) -> object:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
