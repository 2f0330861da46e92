"""The output check on a streamed answer: a small look-behind window, analysed in steps.

Text is released once more than two windows are held: everything but the last window is
analysed (with the window before it as context, so "call me at" still raises a phone number's
score) and released with foreign personal data replaced. A cut never falls inside a detected
value, one of our stand-ins, or a word, so a phone number split across chunks is still caught.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from guard.pii.stages import _literal_matches

if TYPE_CHECKING:
    from guard.core.decision import Decision
    from guard.pii.spans import Span
    from guard.pii.stages import RedactStage, _State

__all__ = ["OutputCheckFilter"]


class OutputCheckFilter:
    def __init__(self, stage: RedactStage, state: _State, decision: Decision, *, window: int) -> None:
        self._stage = stage
        self._state = state
        self._decision = decision
        self._window = window
        self._held = ""
        self._context = ""

    @property
    def held(self) -> int:
        """Characters withheld right now (below two windows, unless no space allows a cut)."""
        return len(self._held)

    async def feed(self, text: str) -> str:
        self._held += text
        if len(self._held) < 2 * self._window:
            return ""
        return await self._release(final=False)

    async def flush(self) -> str:
        return await self._release(final=True)

    async def _release(self, *, final: bool) -> str:
        text = self._context + self._held
        offset = len(self._context)
        spans = await self._stage.foreign(text, self._state, context_len=offset)
        cut = len(text) if final else self._cut(text, offset, spans)
        if cut <= offset:
            return ""
        released = [s for s in spans if s.end <= cut]
        out = self._stage.replace_foreign(text[:cut], released, self._state, self._decision)[offset:]
        # Keep some released text (as sent, before replacement) as context for the next step.
        self._context = text[max(0, cut - self._window):cut]
        self._held = text[cut:]
        return out

    def _cut(self, text: str, offset: int, spans: list[Span]) -> int:
        cut = len(text) - self._window
        # Move left to a space, then out of any detected value or stand-in that straddles it.
        blocked = [(s.start, s.end) for s in spans] + _literal_matches(text, self._state)
        moved = True
        while moved and cut > offset:
            moved = False
            while cut > offset and not text[cut - 1].isspace():
                cut -= 1
            for start, end in blocked:
                if start < cut < end:
                    cut, moved = start, True
        if cut <= offset and len(text) - offset > 8 * self._window:
            # No space for a long stretch (a blob, a long URL): release it rather than hold it all.
            cut = len(text) - self._window
        return cut
