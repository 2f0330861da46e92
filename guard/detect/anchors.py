"""Many phrase regexes, each tried only where one of its phrases can start.

The pattern layer and the lexicons run dozens of regexes over every sentence of every answer.
Python's `re` tries each one at every position, and most of the cost is the positions where a
phrase cannot start. Nearly every phrase starts with a literal word ("you", "leav" in
`leav(?:e|ing)`) after a word boundary, so a phrase set can be indexed by those first words: a
sentence is split into words once, each word is looked up (a dict hit, cached per word), and a
label's regex is tried with `match` only at the word starts its phrases allow.

The result is exactly what `finditer` on the whole text gives, for every label: candidates are a
superset of where a match can start, they are tried in order, and a position inside the previous
match is skipped, as `finditer` skips it. A phrase that starts otherwise is indexed by what it can
start with: an escaped character (`\\*`, `\\$`: every occurrence), a digit (`\\d`: every digit), or
a word prefix without a boundary (every occurrence of the prefix). A label with a phrase that
fits none of these (a class or a lookaround first) is scanned in full, as before.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from guard.detect.alternation import split_top_level, structure

__all__ = ["AnchoredPatterns", "anchors"]

_WORD = re.compile(r"\w+", re.UNICODE)
_DIGIT = re.compile(r"\d", re.UNICODE)
_BOUNDARIES = ("\\b", "(?<!\\w)")
_WORD_CHAR = re.compile(r"\w", re.UNICODE)
_QUANTIFIERS = ("?", "*", "{")
_SPECIAL = set("\\()[]{}?*+.|^$")
_WORD_CACHE_SIZE = 65536


@dataclass(frozen=True, slots=True)
class _Word:
    """A phrase starting at a word start with this word (`exact`) or a word beginning so."""

    prefix: str
    exact: bool


@dataclass(frozen=True, slots=True)
class _Text:
    """A phrase starting wherever this text occurs (an escaped character, a prefix with no boundary)."""

    text: str


@dataclass(frozen=True, slots=True)
class _Digit:
    """A phrase starting with a digit."""


Anchor = _Word | _Text | _Digit


def _group_end(body: str) -> int:
    """Index just past the group `body` opens with (escapes and classes respected), or -1."""
    for i, char, depth in structure(body):
        if char == ")" and depth == 0:
            return i + 1
    return -1


def _expand(body: str) -> list[str] | None:
    """`(?:a|b)rest` as [`arest`, `brest`], `(?:a)?rest` as [`arest`, `rest`], nested groups too;
    None if the leading group is quantified otherwise (`*`, `+`, `{`): it cannot be split so."""
    if not body.startswith("(?:"):
        return [body]
    end = _group_end(body)
    if end < 0:
        return None
    rest, optional = body[end:], False
    if rest[:1] in ("*", "+", "{"):
        return None
    if rest[:1] == "?":
        optional, rest = True, rest[1:]
        if rest[:1] in ("?", "+"):  # a lazy or possessive `?` may match nothing too
            rest = rest[1:]
    options = split_top_level(body[3 : end - 1])
    if optional:
        options.append("")
    out: list[str] = []
    for option in options:
        expanded = _expand(option + rest)
        if expanded is None:
            return None
        out.extend(expanded)
    return out


def _word_prefix(body: str, *, trailing_boundary: bool) -> _Word | None:
    """The literal word a phrase body starts with, and whether a word token must equal it."""
    chars: list[str] = []
    i = 0
    while i < len(body):
        char = body[i]
        if char in _SPECIAL:
            if char == "\\" and body[i + 1 : i + 2] in ("b", "s", "W") and body[i + 2 : i + 3] not in _QUANTIFIERS:
                return _Word("".join(chars), exact=True) if chars else None
            break  # any other construct: the word may go on
        if body[i + 1 : i + 2] in _QUANTIFIERS:
            break  # this character is optional or repeated: the prefix stops before it
        if not _WORD_CHAR.match(char):
            return _Word("".join(chars), exact=True) if chars else None  # a literal space or mark ends the word
        chars.append(char)
        i += 1
    else:
        return _Word("".join(chars), exact=trailing_boundary) if chars else None
    return _Word("".join(chars), exact=False) if chars else None


def anchors(alternative: str, *, boundary: str | None, trailing_boundary: bool) -> list[Anchor] | None:
    """Where a phrase (one top-level alternative, `|` allowed inside) can start, or None if unknown.

    `boundary` is the lead the phrase gets when it has none of its own (as `one_regex` adds it);
    `trailing_boundary` says the compiled regex ends every phrase with `(?!\\w)`.
    """
    out: list[Anchor] = []
    for part in split_top_level(alternative):
        lead = next((b for b in _BOUNDARIES if part.startswith(b)), None)
        body = part[len(lead):] if lead else part
        lead = lead or boundary
        expanded = _expand(body)
        if expanded is None:
            return None
        for item in expanded:
            anchor = _anchor(item, bounded=lead is not None, trailing_boundary=trailing_boundary)
            if anchor is None:
                return None
            out.append(anchor)
    return out


def _anchor(item: str, *, bounded: bool, trailing_boundary: bool) -> Anchor | None:
    if item.startswith("\\d"):
        return _Digit()
    if item.startswith("\\") and len(item) > 1 and not item[1].isalnum():
        return _Text(item[1])  # an escaped mark such as \* or \$
    word = _word_prefix(item, trailing_boundary=trailing_boundary)
    if word is None:
        return None
    return word if bounded else _Text(word.prefix)


class AnchoredPatterns:
    """Labelled regexes and the phrases they were built from; `finditer` gives each label's matches.

    `compiled[label]` must match exactly the union of `phrases[label]` (each given `boundary` when it
    has no lead, and followed by `(?!\\w)` when `trailing_boundary`), as `one_regex` builds it; the
    index only decides where to try it.
    """

    def __init__(
        self,
        compiled: Mapping[str, re.Pattern[str]],
        phrases: Mapping[str, Sequence[str]],
        *,
        boundary: str | None,
        trailing_boundary: bool,
    ) -> None:
        self.compiled = dict(compiled)
        self._exact: dict[str, list[str]] = {}
        self._prefixes: dict[str, list[tuple[str, str]]] = {}  # first three characters -> (prefix, label)
        self._texts: list[tuple[str, str]] = []  # (text, label)
        self._digits: tuple[str, ...] = ()
        self.unindexed: list[str] = []  # labels scanned in full
        for label in self.compiled:
            found = [anchors(p, boundary=boundary, trailing_boundary=trailing_boundary) for p in phrases[label]]
            if any(phrase_anchors is None for phrase_anchors in found):
                self.unindexed.append(label)
                continue
            for phrase_anchors in found:
                for anchor in phrase_anchors or ():
                    self._add(label, anchor)
        self._words: dict[str, tuple[str, ...]] = {}  # word -> labels (see _labels_for)

    def _add(self, label: str, anchor: Anchor) -> None:
        if isinstance(anchor, _Word):
            if anchor.exact:
                labels = self._exact.setdefault(anchor.prefix, [])
                if label not in labels:
                    labels.append(label)
            else:
                entry = (anchor.prefix, label)
                bucket = self._prefixes.setdefault(anchor.prefix[:3], [])
                if entry not in bucket:
                    bucket.append(entry)
        elif isinstance(anchor, _Text):
            if (anchor.text, label) not in self._texts:
                self._texts.append((anchor.text, label))
        elif label not in self._digits:
            self._digits += (label,)

    def _labels_for(self, word: str) -> tuple[str, ...]:
        """Labels with a phrase that can start with this word, in the order of `compiled`."""
        found = set(self._exact.get(word, ()))
        for key in (word[:1], word[:2], word[:3]):
            found.update(label for prefix, label in self._prefixes.get(key, ()) if word.startswith(prefix))
        labels = tuple(label for label in self.compiled if label in found)
        if len(self._words) >= _WORD_CACHE_SIZE:
            self._words.clear()
        self._words[word] = labels  # words recur: the next lookup is one dict hit
        return labels

    def starts(self, text: str) -> list[tuple[int, tuple[str, ...]]]:
        """(position, labels) for every position where a phrase of those labels may start, in order."""
        words = self._words
        out = []
        for match in _WORD.finditer(text):
            word = match.group()
            labels = words.get(word)
            if labels is None:
                labels = self._labels_for(word)
            if labels:
                out.append((match.start(), labels))
        if self._texts or self._digits:
            for needle, label in self._texts:
                at = text.find(needle)
                while at >= 0:
                    out.append((at, (label,)))
                    at = text.find(needle, at + 1)
            if self._digits:
                out.extend((match.start(), self._digits) for match in _DIGIT.finditer(text))
            out.sort(key=_position)
        return out

    def finditer(self, text: str) -> Iterator[tuple[str, re.Match[str]]]:
        """(label, match) pairs: for each label, exactly the matches `compiled[label].finditer(text)`
        yields, in text order (different labels' matches interleave by position)."""
        compiled = self.compiled
        ends: dict[str, int] = {}
        for position, labels in self.starts(text):
            for label in labels:
                if position < ends.get(label, 0):
                    continue  # inside this label's previous match, which finditer would skip
                match = compiled[label].match(text, position)
                if match is not None:
                    ends[label] = max(match.end(), position + 1)
                    yield label, match
        for label in self.unindexed:
            for match in compiled[label].finditer(text):
                yield label, match


def _position(entry: tuple[int, tuple[str, ...]]) -> int:
    return entry[0]
