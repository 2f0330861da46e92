"""Sentence spans for the judge's rewrite: remove the sentences that carry a flagged tactic."""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["answers_something", "remove_sentences", "sentence_spans"]

# A sentence runs to its end punctuation (plus closing quotes/brackets) or a line break.
_SENTENCE = re.compile(r"[^.!?。！？\n]+(?:[.!?。！？]+[\"'”’)\]]*|\n+|$)|[.!?。！？\n]+")
_WORD = re.compile(r"\w+")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Start and end offsets of each sentence, covering the text without gaps."""
    return [(match.start(), match.end()) for match in _SENTENCE.finditer(text)]


def remove_sentences(text: str, spans: Iterable[tuple[int, int]], *, offset: int = 0) -> tuple[str, int]:
    """The text without every sentence that overlaps one of `spans` (offsets shifted by `offset`)."""
    targets = [(start - offset, end - offset) for start, end in spans]
    kept: list[str] = []
    removed = 0
    for start, end in sentence_spans(text):
        if any(start < t_end and t_start < end for t_start, t_end in targets):
            removed += 1
            continue
        kept.append(text[start:end])
    result = "".join(kept)
    return (result.strip() if removed else result), removed


def answers_something(text: str, *, min_words: int = 3) -> bool:
    """Whether what remains still says something: a sentence of at least `min_words` words.

    For texts without spaces between words (Japanese), a run of 6 or more characters counts.
    """
    for start, end in sentence_spans(text):
        sentence = text[start:end]
        words = _WORD.findall(sentence)
        if len(words) >= min_words or any(len(word) >= 6 and not word.isascii() for word in words):
            return True
    return False
