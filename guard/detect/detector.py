"""The `Detector` protocol and the manipulation detector (pattern layer + calibrated linear model)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from guard.core.decision import Finding
from guard.core.lru import BoundedLRU
from guard.detect.cues import Cues, farewell_acknowledged, goodbye_unanswered, read_user
from guard.detect.features import addressed, dense_mask, hash_features, sentence_features
from guard.detect.model import FloatArray, LinearModel
from guard.detect.patterns import PatternHit, scan_sentences
from guard.detect.sentences import split_sentences

__all__ = ["Detector", "ManipulationDetector"]

DETECTOR_NAME = "manipulation"
# A sentence in its context: text, user-turn cues, pattern tactics, farewell said back, first sentence.
_Key = tuple[str, tuple[str, ...], frozenset[str], bool, bool]
PARTIAL_IGNORE_SENTENCES = 2


@runtime_checkable
class Detector(Protocol):
    """Finds manipulation in an answer, given the user's last message.

    Offsets in the findings index `response`; evidence is a slice of it (the redacted answer).
    """

    name: str

    async def detect(self, response: str, *, user: str = "", final: bool = True, since: int = 0) -> list[Finding]:
        """`final=False`: `response` is the part of a streamed answer received so far, and only
        sentences starting at or after offset `since` need checking (the rest were checked)."""
        ...


class ManipulationDetector:
    """Scores each sentence for every tactic; reports those at or above `min_score`.

    The evidence span is the pattern hit for that tactic inside the sentence when there is one
    (the most specific quote), otherwise the whole sentence.
    """

    name = DETECTOR_NAME

    def __init__(self, model: LinearModel, *, min_score: float = 0.2, cache_size: int = 4096) -> None:
        self.model = model
        self.min_score = min_score
        self._ignore = model.tactics.index("exit.ignore") if "exit.ignore" in model.tactics else -1
        # First in, first out: a hit does not make a sentence recent (the behaviour so far). Both
        # tables are bounded: a long stream's sentences stay while it is re-checked.
        self._cache: BoundedLRU[_Key, FloatArray] = BoundedLRU(cache_size, refresh_on_get=False)
        self._hits: BoundedLRU[str, list[PatternHit]] = BoundedLRU(cache_size, refresh_on_get=False)

    def clear_cache(self) -> None:
        """Forget cached sentence scores, pattern hits and split words (benchmarks time the uncached path)."""
        self._cache.clear()
        self._hits.clear()
        if self.model.embedding is not None:
            self.model.embedding.clear_cache()

    async def detect(self, response: str, *, user: str = "", final: bool = True, since: int = 0) -> list[Finding]:
        return self.analyze(response, user=user, final=final, since=since)

    def analyze(self, response: str, *, user: str = "", final: bool = True, since: int = 0) -> list[Finding]:
        """Findings for `response` given the user's last message `user` (synchronous).

        Only sentences starting at or after `since` are scored and reported (streaming checks the
        new sentences of a growing answer; the answer as a whole still decides the context). On a
        partial answer (`final=False`) `exit.ignore` waits for two sentences: a goodbye may still
        be answered in the next one.
        """
        spans = split_sentences(response)
        if not spans or spans[-1][0] < since:
            return []
        # Every sentence is scored (earlier ones come from the cache): a sentence's score reads the
        # others of the answer (`model.corroboration`) and the answer's length.
        hits = self._scan(response, spans)
        probabilities = self.sentence_scores(response, user=user, spans=spans, hits=hits)
        if not final and len(spans) < PARTIAL_IGNORE_SENTENCES and self._ignore >= 0:
            probabilities[:, self._ignore] = 0.0
        findings: list[Finding] = []
        for row, (start, end) in enumerate(spans):
            if start < since:
                continue
            for col in np.flatnonzero(probabilities[row] >= self.min_score):
                tactic = self.model.tactics[int(col)]
                ev_start, ev_end = _evidence(hits, tactic, start, end)
                findings.append(
                    Finding(
                        detector=DETECTOR_NAME, label=tactic, score=float(probabilities[row, col]),
                        start=ev_start, end=ev_end, evidence=response[ev_start:ev_end],
                    )
                )
        return findings

    def sentence_scores(
        self,
        response: str,
        *,
        user: str = "",
        spans: list[tuple[int, int]] | None = None,
        hits: list[PatternHit] | None = None,
    ) -> FloatArray:
        """Calibrated probabilities, one row per sentence and one column per tactic.

        `spans` must be all the sentences of `response` (`split_sentences`, the default), since
        each sentence is read with the others; `hits` are their pattern hits, if already scanned."""
        spans = split_sentences(response) if spans is None else spans
        hits = self._scan(response, spans) if hits is None else hits
        cues = read_user(user, self.model.goodbye)
        acknowledged = farewell_acknowledged(response)
        if not spans:
            return np.zeros((0, len(self.model.tactics)), dtype=np.float32)
        margins = self._margins(response, spans, hits, cues, acknowledged)
        probabilities = self.model.calibrate(margins, sentences=len(spans))
        if self._ignore >= 0 and not goodbye_unanswered(cues, response):
            # exit.ignore means carrying on as if no goodbye was said: impossible without a goodbye,
            # and ruled out once the answer says goodbye back or refers to the leaving at all.
            probabilities[:, self._ignore] = 0.0
        return probabilities

    def _margins(
        self,
        response: str,
        spans: list[tuple[int, int]],
        hits: list[PatternHit],
        cues: Cues,
        acknowledged: bool,
    ) -> FloatArray:
        """Margins per sentence; sentences seen before in the same context come from the cache.

        Streaming re-scores the answer so far at every sentence end; the cache keeps that linear.
        """
        cue_key = tuple(cues.features())
        keys: list[_Key] = []
        for start, end in spans:
            tactics = frozenset(h.tactic for h in hits if h.start < end and h.end > start)
            keys.append((response[start:end], cue_key, tactics, acknowledged, start == spans[0][0]))
        rows: list[FloatArray | None] = [self._cache.get(key) for key in keys]
        missing = [n for n, row in enumerate(rows) if row is None]
        if missing:
            hashed = []
            for n in missing:
                sentence, _, tactics, _, first = keys[n]
                feats = sentence_features(
                    sentence, cues=cues, pattern_tactics=tactics, acknowledged=acknowledged, first=first
                )
                hashed.append(hash_features(feats, self.model.buckets))
            sentences = [keys[n][0] for n in missing]
            mask = None  # only a model that weighs the embedding needs it
            if self.model.dense is not None:
                mask = dense_mask([addressed(sentence, cues) for sentence in sentences], self.model.tactics)
            for n, margins in zip(missing, self.model.raw_batch(hashed, sentences, mask), strict=True):
                rows[n] = margins
                self._cache.put(keys[n], margins)
        return np.vstack([row for row in rows if row is not None])

    def _scan(self, response: str, spans: list[tuple[int, int]]) -> list[PatternHit]:
        return scan_sentences(response, spans, self._hits)


def _evidence(hits: list[PatternHit], tactic: str, start: int, end: int) -> tuple[int, int]:
    for hit in hits:
        if hit.tactic == tactic and hit.start >= start and hit.end <= end:
            return hit.start, hit.end
    return start, end
