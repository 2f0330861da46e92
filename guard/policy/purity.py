"""What the embedded engine may memoise: a static, conservative look at the modules that serve.

A memoised value is sound when the entry's value is a function of what the memo key holds and of
the bundle (keyed by revision). Two things can break that, and each is looked for in the source:

- an *impure builtin* (`time.now_ns`, `http.send`, ...): the value depends on the world, so the
  pack is never memoised;
- *reading `input.now`*: the value depends on the clock, so inputs carrying `now` are memoised only
  if no module reads it (the key then leaves `now` out).

Reading `input.now` is decided on the token `input`: every occurrence outside a comment must be
followed by `.` and an identifier other than `now` (`input.context`, `input.consents`). Anything
else counts as reading the clock: `input.now`, `input["now"]`, `input[x]`, a bare `input`
(`x := input`, `object.get(input, ...)`, `walk(input, ...)`, `import input`). Strings are scanned
like code, so a string holding the word "input" counts too: that errs on the safe side.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Purity", "purity", "reads_input_now", "without_comments"]

# Builtins whose result is not a function of the input and data.
_IMPURE = re.compile(r"\b(?:time\.now_ns|http\.send|rand\.intn|uuid\.rfc4122|opa\.runtime|net\.lookup_ip_addr)\b")

# The root `input` as a whole token (not part of `inputs` or `my_input`).
_INPUT = re.compile(r"(?<![A-Za-z0-9_])input(?![A-Za-z0-9_])")

# What may follow it without reaching the clock: `.` and a plain identifier, right after.
_FIELD = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)(?!\w)")


@dataclass(frozen=True, slots=True)
class Purity:
    """What a pack's serving modules allow the engine to memoise."""

    pure: bool       # no impure builtin anywhere: values depend on input and data alone
    reads_now: bool  # some module may read `input.now`: inputs with `now` are not memoised


def purity(sources: Iterable[str]) -> Purity:
    """The memo flags of a pack, from the sources of its serving modules (not its tests)."""
    texts = list(sources)
    return Purity(pure=not any(_IMPURE.search(text) for text in texts),
                  reads_now=any(reads_input_now(text) for text in texts))


def reads_input_now(source: str) -> bool:
    """True unless every `input` in the code (comments left out) is `input.<identifier other than now>`."""
    code = without_comments(source)
    for match in _INPUT.finditer(code):
        field = _FIELD.match(code, match.end())
        if field is None or field.group(1) == "now":
            return True
    return False


def without_comments(source: str) -> str:
    """The source with every `#` comment removed; strings (`"..."` with escapes, raw `` `...` ``) kept."""
    out: list[str] = []
    i, n = 0, len(source)
    while i < n:
        char = source[i]
        if char == "#":
            end = source.find("\n", i)
            i = n if end < 0 else end
        elif char in "\"`":
            end = _string_end(source, i)
            out.append(source[i:end])
            i = end
        else:
            out.append(char)
            i += 1
    return "".join(out)


def _string_end(source: str, start: int) -> int:
    """The index just past the string opened at `start` (the end of the source if it never closes)."""
    quote, i, n = source[start], start + 1, len(source)
    while i < n:
        if quote == '"' and source[i] == "\\":
            i += 2
            continue
        if source[i] == quote:
            return i + 1
        i += 1
    return n
