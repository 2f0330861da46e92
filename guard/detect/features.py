"""Sentence features for the statistical layer, hashed into a fixed number of buckets.

Features are binary: word unigrams and bigrams, character 4-grams, the pattern layer's hits
(`P:<tactic>`), context cues from the user's turn (`CTX:goodbye` ...), and word unigrams crossed
with each active cue (`G:`, `D:`, `R:`, `Q:`), so "how was your day?" can weigh differently after
a goodbye. Hashing uses CRC-32, which is stable across Python versions and platforms (unlike
`hash()`), so training and inference agree without shipping a vocabulary.
"""

from __future__ import annotations

import re
import zlib
from itertools import pairwise

from guard.detect.cues import Cues
from guard.detect.lexicon import lexicon_features

__all__ = ["hash_features", "is_generic", "sentence_features"]

_TOKEN = re.compile(r"\w+|[?!*]", re.UNICODE)
_CROSS = (("goodbye", "G:"), ("distress", "D:"), ("risky", "R:"), ("product", "Q:"))


def _normalise(text: str) -> str:
    return text.lower().replace("’", "'").replace("‘", "'")


def sentence_features(
    sentence: str, *, cues: Cues, pattern_tactics: frozenset[str], acknowledged: bool, first: bool
) -> set[str]:
    """The feature names of one sentence in its context."""
    text = _normalise(sentence)
    tokens = _TOKEN.findall(text)
    feats: set[str] = {"w:" + tok for tok in tokens}
    feats.update("b:" + a + "_" + b for a, b in pairwise(tokens))
    padded = " " + " ".join(tokens) + " "
    feats.update("c:" + padded[i : i + 4] for i in range(len(padded) - 3))
    feats.update("P:" + tactic for tactic in pattern_tactics)
    lexical = lexicon_features(text)
    feats.update(lexical)
    # Context enters only crossed with content ("G:" + word, "G:L:" + lexicon hit): a context on its
    # own ("the user said goodbye") would teach the model a prior for whichever tactic is most
    # common in that context, and it would flag every sentence said there.
    for cue, prefix in _CROSS:
        if getattr(cues, cue):
            feats.update(prefix + tok for tok in tokens)
            feats.update(prefix + "P:" + tactic for tactic in pattern_tactics)
            feats.update(prefix + name for name in lexical)
    if cues.goodbye and not acknowledged:
        feats.update("G:noack:" + name for name in lexical)
        feats.update("G:noack:P:" + tactic for tactic in pattern_tactics)
    return feats


_GENERIC = ("P:", "L:", "L2:", "G:P:", "G:L", "D:P:", "D:L", "R:P:", "R:L", "Q:P:", "Q:L", "G:noack:")


def is_generic(name: str) -> bool:
    """Features that carry over to unseen phrasings (patterns, lexicons, context), as opposed to n-grams."""
    return name.startswith(_GENERIC)


def hash_features(features: set[str], buckets: int) -> dict[int, bool]:
    """Bucket id -> whether a generic feature fell in it (`buckets` must be a power of two)."""
    mask = buckets - 1
    out: dict[int, bool] = {}
    for name in features:
        bucket = zlib.crc32(name.encode("utf-8")) & mask
        out[bucket] = out.get(bucket, False) or is_generic(name)
    return out
