"""A detected piece of personal data, and how overlapping detections are resolved."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["Span", "resolve_overlaps", "spread_found_values"]


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


_MIN_SPREAD = 3  # shorter values ("Al", an initial) would mark ordinary words


def spread_found_values(texts: Sequence[str], found: Sequence[Sequence[Span]]) -> list[list[Span]]:
    """Mark every other whole-word occurrence of a detected value too, in all the texts.

    Detection is contextual ("call Dana" is a name, a bare "Dana" at the start of a sentence may not be
    seen), but once a value is known to be personal, leaving its other occurrences in the clear would
    send it upstream anyway.
    """
    values: dict[str, Span] = {}
    for text, spans in zip(texts, found, strict=True):
        for span in spans:
            value = span.value(text)
            if len(value.strip()) >= _MIN_SPREAD:
                values.setdefault(value, span)
    if not values:
        return [list(spans) for spans in found]
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(v) for v in sorted(values, key=len, reverse=True))
                         + r")(?!\w)")
    out: list[list[Span]] = []
    for text, spans in zip(texts, found, strict=True):
        extra = [Span(values[m.group(0)].entity, m.start(), m.end(), values[m.group(0)].score)
                 for m in pattern.finditer(text)]
        fresh = [s for s in extra if not any(s.overlaps(known) for known in spans)]
        out.append(sorted([*spans, *fresh], key=lambda s: s.start) if fresh else list(spans))
    return out
