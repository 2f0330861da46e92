"""A settable clock in seconds, for code that takes `clock: Callable[[], float]` (vault expiry, caches)."""

from __future__ import annotations


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now
