"""Putting values back: one pass over the answer, whole or streamed, for a fixed set of stand-ins.

The set holds the conversation's placeholders (`<PERSON_1>` → the value), pseudonyms (as whole
words) and the escaped placeholder-shaped text the user typed (`<⁠PERSON_1>` → `<PERSON_1>`).
Matching literals in one pass means a restored value is never scanned again, so a value that
itself looks like a placeholder cannot trigger a second replacement.

Streaming holds back only a tail that could still grow into one of the literals, so at most the
longest literal minus one character is ever withheld.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

__all__ = ["RestoreFilter", "Restorer", "find_literals"]


def find_literals(
    text: str, exact: Iterable[str], bounded: Iterable[str] = (), start: int = 0
) -> list[tuple[int, int, str]]:
    r"""Non-overlapping (start, end, literal) matches, as `finditer(text, start)` of the regex
    `(?:e1|e2|...)|(?<!\w)(?:b1|b2|...)(?!\w)` (each group longest first) would find them.

    Without compiling that regex: its literals grow every turn of a conversation, so it was new
    (and compiled) for almost every answer; `str.find` per literal costs far less. As with the
    regex, the leftmost match wins, then an exact literal over a bounded one, then the longer.
    """
    found: list[tuple[int, int, int, str]] = []
    for rank, literals in enumerate((exact, bounded)):
        for literal in literals:
            if not literal:
                continue
            at = text.find(literal, start)
            while at >= 0:
                end = at + len(literal)
                if rank == 0 or not ((at and _wordish(text[at - 1])) or (end < len(text) and _wordish(text[end]))):
                    found.append((at, rank, -len(literal), literal))
                at = text.find(literal, at + 1)
    matches: list[tuple[int, int, str]] = []
    position = start
    for at, _, negative_length, literal in sorted(found):
        if at >= position:
            position = at - negative_length
            matches.append((at, position, literal))
    return matches


class Restorer:
    """Replaces known literals with their originals. `bounded` literals must stand as whole words."""

    def __init__(self, exact: Mapping[str, str], bounded: Mapping[str, str]) -> None:
        self._table = {**exact, **bounded}
        self._exact = tuple(exact)
        self._bounded = frozenset(bounded)
        self._prefixes = {lit[:k] for lit in self._table for k in range(1, len(lit) + 1)}
        self.longest = max((len(lit) for lit in self._table), default=0)

    def __bool__(self) -> bool:
        return bool(self._table)

    def apply(self, text: str, previous: str = "") -> tuple[str, int]:
        """The text with every literal replaced, and how many were replaced.

        `previous` is the character released just before `text` (streaming), so a word-bounded
        literal is not matched at the very start of `text` when it continues a word.
        """
        if not self._table:
            return text, 0
        joined = previous + text
        pieces: list[str] = []
        position = len(previous)
        for start, end, literal in find_literals(joined, self._exact, self._bounded, len(previous)):
            pieces += [joined[position:start], self._table[literal]]
            position = end
        pieces.append(joined[position:])
        return "".join(pieces), (len(pieces) - 1) // 2

    def hold_from(self, text: str, previous: str) -> int:
        """Where the tail that might still become a literal starts (len(text) if none)."""
        for index in range(max(0, len(text) - self.longest), len(text)):
            tail = text[index:]
            if tail not in self._prefixes:
                continue
            before = text[index - 1] if index else previous
            # A complete bounded literal is held too: the next character may extend the word.
            if any(lit.startswith(tail) and (lit != tail or lit in self._bounded)
                   and (lit not in self._bounded or not _wordish(before)) for lit in self._table):
                return index
        return len(text)


def _wordish(char: str) -> bool:
    return bool(char) and (char.isalnum() or char == "_")


class RestoreFilter:
    """ChunkFilter that restores stand-ins in a streamed answer, split across chunks or not."""

    def __init__(self, restorer: Restorer, on_restore: Callable[[int], None]) -> None:
        self._restorer = restorer
        self._held = ""
        self._last = ""
        self._on_restore = on_restore

    def _release(self, text: str) -> str:
        out, count = self._restorer.apply(text, self._last)
        if count:
            self._on_restore(count)
        if text:
            self._last = text[-1]
        return out

    @property
    def held(self) -> int:
        """Characters withheld right now (never more than the longest literal)."""
        return len(self._held)

    async def feed(self, text: str) -> str:
        pending = self._held + text
        cut = self._restorer.hold_from(pending, self._last)
        self._held = pending[cut:]
        return self._release(pending[:cut])

    async def flush(self) -> str:
        pending, self._held = self._held, ""
        return self._release(pending)

