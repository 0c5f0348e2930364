"""The context-manager side the integration clients share: `with Client(...) as client:`."""

from __future__ import annotations

from typing import Self


class ClosingContext:
    """`with` returns the object itself and calls its close() on the way out."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
