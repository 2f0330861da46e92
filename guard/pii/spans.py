"""A detected piece of personal data, and how overlapping detections are resolved."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Span", "resolve_overlaps"]


@dataclass(frozen=True, slots=True)
class Span:
    """Offsets of one detected value in one text; the value itself is `text[start:end]`."""

    entity: str
    start: int
    end: int
    score: float

    def value(self, text: str) -> str:
        return text[self.start:self.end]

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end


def resolve_overlaps(spans: Iterable[Span]) -> list[Span]:
    """Keep a non-overlapping set: higher score first, then the longer span; sorted by start."""
    ranked = sorted(spans, key=lambda s: (-s.score, -(s.end - s.start), s.start))
    kept: list[Span] = []
    for span in ranked:
        if not any(span.overlaps(other) for other in kept):
            kept.append(span)
    return sorted(kept, key=lambda s: s.start)
