"""Sentence spans: the unit the detector scores and the unit a rewrite may remove.

`split_sentences` is public (re-exported by `guard.detect`) so the judge stage can drop exactly the
sentences that carry a finding. A span never includes surrounding whitespace; text between spans
is whitespace only, so removing spans and normalising the gaps keeps the rest intact.
"""

from __future__ import annotations

import re

__all__ = ["split_sentences", "stable_prefix_end"]

# A boundary: terminal punctuation (with closing quotes/brackets and trailing emoji-free symbols),
# then whitespace; or a line break. Lookbehind-free so it stays fast on long answers.
_BOUNDARY = re.compile(r"""([.!?…。！？]+["'”’)\]]*)(\s+)|(\n\s*)""")
# Tokens ending in a period that do not end a sentence.
_ABBREVIATIONS = frozenset((
    "mr", "mrs", "ms", "dr", "prof", "st", "vs", "etc", "e.g", "i.e", "approx", "dept", "no", "fig", "jr", "sr",
    "inc", "ltd", "co", "z.b", "bzw", "usw", "ca", "evtl", "ggf", "m", "mme", "mlle", "sra", "dra", "p.ej",
))
_LAST_WORD = re.compile(r"([\w.]+)\.$")


def _is_abbreviation(text: str, end: int) -> bool:
    """True when the period ending at `end` belongs to an abbreviation or a number like '3.'."""
    match = _LAST_WORD.search(text, max(0, end - 12), end)
    if match is None:
        return False
    word = match.group(1).lower()
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def split_sentences(text: str) -> list[tuple[int, int]]:
    """The (start, end) offsets of each sentence in `text`, in order, without outer whitespace."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        if match.group(1) is not None:
            punct_end = match.end(1)
            if match.group(1) == "." and _is_abbreviation(text, punct_end):
                continue
        else:
            punct_end = match.start(3)
        _append(text, start, punct_end, spans)
        start = match.end()
    _append(text, start, len(text), spans)
    return spans


def _append(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


def stable_prefix_end(text: str) -> int:
    """Offset up to which the sentences of `text` are complete (the last one may still grow).

    Everything before the start of the last sentence is final; a trailing sentence counts as
    complete only once more text has begun after it, since "Dr." or "3." may yet continue.
    """
    spans = split_sentences(text)
    if len(spans) < 2:
        return 0
    return spans[-1][0]
