"""A detected piece of personal data, and how overlapping detections are resolved."""

from __future__ import annotations

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
    out: list[list[Span]] = []
    for text, spans in zip(texts, found, strict=True):
        extra = [Span(values[value].entity, start, start + len(value), values[value].score)
                 for start, value in _whole_word_matches(text, values)]
        fresh = [s for s in extra if not any(s.overlaps(known) for known in spans)]
        out.append(sorted([*spans, *fresh], key=lambda s: s.start) if fresh else list(spans))
    return out


def _whole_word_matches(text: str, values: Iterable[str]) -> list[tuple[int, str]]:
    r"""What `finditer` of `(?<!\w)(?:v1|v2|...)(?!\w)` (longest value first) finds, without compiling it.

    A regex of all values of a conversation is new on every turn (its values grow), and compiling
    it cost more than the rest of the stage; `str.find` per value is cheap. Like the regex, the
    leftmost match wins, the longest at a position, and matches do not overlap.
    """
    found: list[tuple[int, int, str]] = []
    for value in values:
        start = text.find(value)
        while start >= 0:
            end = start + len(value)
            if not (start and _is_word(text[start - 1])) and not (end < len(text) and _is_word(text[end])):
                found.append((start, -len(value), value))
            start = text.find(value, start + 1)
    matches: list[tuple[int, str]] = []
    position = 0
    for start, negative_length, value in sorted(found):
        if start >= position:
            matches.append((start, value))
            position = start - negative_length
    return matches


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"  # what `\w` matches in a str pattern
